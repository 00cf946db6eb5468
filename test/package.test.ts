/**
 * The package as a dependency sees it: what `npm pack` ships, the entry points
 * plain Node resolves (compiled dist/, built by the global setup), the
 * launcher running in one process, and output that survives a pipe.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireOptional, MissingDependencyError } from '../src/optional.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the npm package', () => {
  it('ships the compiled library, the launcher, README and licence, and nothing else', () => {
    const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    const tops = new Set(files.map((p) => (p.startsWith('dist/') ? p.split('/').slice(0, 2).join('/') : p)));
    expect([...tops].sort()).toEqual(['LICENSE', 'README.md', 'bin/replicheck.js', 'dist/models', 'dist/properties', 'dist/reports', 'dist/src', 'package.json']);
    expect(files.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(files).toContain('dist/src/index.d.ts');
  });

  it('resolves every entry point from plain Node, without a TypeScript loader', () => {
    const script = `
      const root = await import('replicheck');
      const props = await import('replicheck/properties');
      const models = await import('replicheck/models');
      const analysis = await import('replicheck/analysis');
      console.log(JSON.stringify({
        simulate: typeof root.simulate, judge: typeof root.judgeScenario,
        assertModel: typeof props.assertModel, wal: typeof models.BUILTIN_MODELS.wal,
        analysis: Object.keys(analysis).length > 0,
      }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ simulate: 'function', judge: 'function', assertModel: 'function', wal: 'object', analysis: true });
  });

  it('gives model and property authors a small face; analysis holds the rest', () => {
    const script = `
      const root = Object.keys(await import('replicheck'));
      const analysis = Object.keys(await import('replicheck/analysis'));
      console.log(JSON.stringify({ root: root.length, analysis: analysis.length, missing: root.filter((k) => !analysis.includes(k)) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
    // Runtime values only (types add about 40 more names): the contract's helpers, not the checkers' internals.
    expect(out.root).toBeLessThanOrEqual(30);
    expect(out.analysis).toBeGreaterThan(100);
    expect(out.missing).toEqual([]);
  });

  it('prints a whole --json document through a pipe (no cut at 64 KiB)', () => {
    const r = spawnSync(process.execPath, ['bin/replicheck.js', 'check', 'test/fixtures/porcupine/test_data/kv/c50-bad.txt', '--model', 'kv', '--json'], {
      cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(128 * 1024);
    expect(JSON.parse(r.stdout).verdict).toBe('illegal');
  });

  it('runs the CLI in the launcher process itself: no second Node that a signal would orphan', () => {
    const launcher = readFileSync(join(root, 'bin', 'replicheck.js'), 'utf8');
    expect(launcher).not.toMatch(/child_process|spawn|exec/);
    const r = spawnSync(process.execPath, ['bin/replicheck.js', '--version'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it("loads a user's TypeScript model from the compiled CLI", () => {
    const r = spawnSync(process.execPath, ['bin/replicheck.js', 'run', './test/fixtures/user-model.ts', '--runs', '3', '--no-failure-file', '--json'], {
      cwd: root, encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).model).toBe('./test/fixtures/user-model.ts');
  });

  it('names a missing optional dependency and how to install it', () => {
    expect(() => requireOptional('replicheck-no-such-package', 'Drawing report charts')).toThrow(MissingDependencyError);
    expect(() => requireOptional('replicheck-no-such-package', 'Drawing report charts')).toThrow(
      "Drawing report charts needs the optional package 'replicheck-no-such-package', which is not installed; run: npm install replicheck-no-such-package",
    );
  });
});
