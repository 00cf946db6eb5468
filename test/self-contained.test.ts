/**
 * A user's clone has nothing beside it: no test, model, report or benchmark
 * may read a path outside the repository (a sibling folder, an absolute
 * system path), and the data the tests read is carried with its licence.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORCUPINE_DIR, porcupineExpected } from './lin-porcupine-data.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') return [];
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('the repository is self-contained', () => {
  it('no source reads ../shared or a hard-coded system path', () => {
    // Built from pieces so this file does not match itself.
    const outside = [`'..${'/'}shared`, `"..${'/'}shared`, `${'/'}usr${'/'}bin${'/'}`];
    const offenders = ['src', 'test', 'bench', 'models', 'properties', 'reports']
      .flatMap((d) => tsFiles(join(repo, d)))
      .filter((f) => f !== SELF)
      .filter((f) => outside.some((needle) => readFileSync(f, 'utf8').includes(needle)))
      .map((f) => relative(repo, f));
    expect(offenders).toEqual([]);
  });

  it("carries Porcupine's histories inside the repository, with their licence", () => {
    expect(relative(repo, PORCUPINE_DIR)).toBe(join('test', 'fixtures', 'porcupine'));
    expect(existsSync(join(PORCUPINE_DIR, 'LICENSE.md'))).toBe(true);
    const files = Object.keys(porcupineExpected());
    expect(files.length).toBe(108);
    for (const f of files) expect(existsSync(join(PORCUPINE_DIR, 'test_data', f)), f).toBe(true);
  });
});
