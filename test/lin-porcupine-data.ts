/**
 * Porcupine's labelled histories (MIT, LICENSE.md beside them), carried in the
 * repository under test/fixtures/porcupine so a clone with nothing beside it
 * runs every test.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
export const PORCUPINE_DIR = resolve(repo, 'test/fixtures/porcupine');

/** file (relative to test_data/) → linearizable? */
export function porcupineExpected(): Record<string, boolean> {
  const doc = JSON.parse(readFileSync(resolve(PORCUPINE_DIR, 'expected.json'), 'utf8')) as { expected: Record<string, boolean> };
  return doc.expected;
}

export function porcupineText(file: string): string {
  return readFileSync(resolve(PORCUPINE_DIR, 'test_data', file), 'utf8');
}
