/**
 * The failure file under concurrent writers (several processes finding
 * failures at once must not lose each other's entries) and in a directory it
 * cannot write (the failure found is still reported; the file is a warning).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadFailures, updateFailures } from '../src/verdict/failures.js';
import fc from 'fast-check';
import { checkModel, scenariosFor } from '../properties/harness.js';
import { tinyAsyncModel } from '../models/examples/tiny-async.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'replicheck-failures-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Any valid scenario will do; the file re-validates what it loads.
const SCENARIO = fc.sample(scenariosFor(tinyAsyncModel, {}), { numRuns: 1, seed: 1 })[0]!;

/** One writer process adding `n` entries one at a time, each a locked read-modify-write. */
function writer(path: string, name: string, n: number): Promise<number | null> {
  const failures = pathToFileURL(join(repo, 'dist', 'src', 'verdict', 'failures.js')).href;
  const script = `
    const { updateFailures } = await import(${JSON.stringify(failures)});
    const scenario = ${JSON.stringify(SCENARIO)};
    for (let i = 0; i < ${n}; i++) {
      const token = '${name}-' + i;
      updateFailures(${JSON.stringify(path)}, (all) => [...all, { model: 'tiny-async', config: {}, guarantee: 'g', sentence: 's', token, scenario, savedAt: '' }]);
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return new Promise((res) => child.on('exit', (code) => res(code)));
}

describe('failure file', () => {
  it('keeps every entry when three processes add 60 each at the same time', async () => {
    const path = join(root, 'concurrent', 'failures.json');
    const codes = await Promise.all(['a', 'b', 'c'].map((w) => writer(path, w, 60)));
    expect(codes).toEqual([0, 0, 0]);
    const tokens = loadFailures(path).map((f) => f.token);
    expect(tokens.length).toBe(180);
    expect(new Set(tokens).size).toBe(180);
  });

  it('updateFailures leaves the file alone when the change returns undefined', () => {
    const path = join(root, 'noop', 'failures.json');
    updateFailures(path, () => undefined);
    expect(loadFailures(path)).toEqual([]);
  });

  it('where the file cannot be written, a found failure is still returned with its token and the write is a warning', () => {
    // A parent that is a regular file cannot hold the failure file, whoever runs the test (root ignores chmod).
    const blocked = join(root, 'not-a-dir');
    writeFileSync(blocked, 'a file');
    let stderr = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    try {
      const r = checkModel(tinyAsyncModel, {
        extraClaims: [{ id: 'read-your-writes' }], numRuns: 200, seed: 7, shrinkBudget: 50,
        failureFile: join(blocked, 'failures.json'),
      });
      expect(r.found).toBe(true);
      expect(r.token).toMatch(/^rc1:/);
    } finally {
      e.mockRestore();
    }
    expect(stderr).toMatch(/warning: could not update the failure file .*not-a-dir\/failures\.json/);
  });
});
