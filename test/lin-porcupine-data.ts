/**
 * Porcupine's labelled histories, read from ../shared/data/porcupine beside the
 * clone (never copied into the project). Missing data fails loudly: CI has it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const PORCUPINE_DIR = resolve(repo, '../shared/data/porcupine');

/** file (relative to test_data/) → linearizable? */
export function porcupineExpected(): Record<string, boolean> {
  const doc = JSON.parse(readFileSync(resolve(PORCUPINE_DIR, 'expected.json'), 'utf8')) as { expected: Record<string, boolean> };
  return doc.expected;
}

export function porcupineText(file: string): string {
  return readFileSync(resolve(PORCUPINE_DIR, 'test_data', file), 'utf8');
}
