/**
 * The README's examples, run the way a user runs them: in a throwaway project
 * that installs the packed tarball (no sources, no dev dependencies, its
 * optional packages removed), with the model and the test file taken verbatim from the
 * README. Slow (an npm install): runs with REPLICHECK_SLOW=1, as CI does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const project = mkdtempSync(join(tmpdir(), 'replicheck-user-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** The first ```ts block of the README that contains `marker`. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes(marker));
  if (!block) throw new Error(`README has no ts block with ${marker}`);
  return block;
}

function sh(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

beforeAll(() => {
  const packed = execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', project, '--json'], { cwd: repo, encoding: 'utf8' });
  const tarball = (JSON.parse(packed) as { filename: string }[])[0]!.filename;
  const dev = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
  const pin = (name: string): string => `${name}@${dev[name]}`;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2));
  // --ignore-scripts: nothing here needs a native build (better-sqlite3 would
  // compile for a minute); vitest's own optional bindings still install.
  execFileSync(npm, [
    'install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts',
    join(project, tarball), pin('fast-check'), pin('vitest'), pin('@fast-check/vitest'), pin('typescript'), pin('@types/node'),
  ], { cwd: project, stdio: 'inherit' });
  // A user who skipped replicheck's optional packages (or whose platform could not build them).
  for (const opt of ['better-sqlite3', 'chart.js', join('@napi-rs', 'canvas')]) rmSync(join(project, 'node_modules', opt), { recursive: true, force: true });
  writeFileSync(join(project, 'my-model.ts'), readmeBlock('export const tinyAsyncModel'));
  writeFileSync(join(project, 'my-model.test.ts'), readmeBlock("from 'replicheck/properties'"));
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
    include: ['*.ts'],
  }, null, 2));
}, 600_000);

describe("the README's examples in a user's project", () => {
  it('holds the package and its runtime dependencies, without the optional ones', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    expect(installed).toContain('replicheck');
    expect(installed).not.toContain('better-sqlite3');
    expect(installed).not.toContain('chart.js');
  });

  it("the README's property test passes under vitest", () => {
    const r = sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run']);
    expect(r.out).toMatch(/2 passed/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('type-checks strictly against the published types alone (skipLibCheck off)', () => {
    const r = sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
    expect(r.out.trim()).toBe('');
    expect(r.status).toBe(0);
  }, 120_000);

  it('runs the CLI from the package: --version, and the README model by path', () => {
    const bin = join('node_modules', 'replicheck', 'bin', 'replicheck.js');
    expect(sh(process.execPath, [bin, '--version']).status).toBe(0);
    const r = sh(process.execPath, [bin, 'run', './my-model.ts', '--runs', '20', '--no-failure-file']);
    expect(r.out).toMatch(/all claimed guarantees held over \d+ scenarios/);
    expect(r.status).toBe(0);
  }, 120_000);

  it('a command that needs a missing optional package names it', () => {
    const bin = join('node_modules', 'replicheck', 'bin', 'replicheck.js');
    const r = sh(process.execPath, [bin, 'report', '--models', 'wal', '--profiles', 'calm', '--runs', '1', '--out', 'r']);
    expect(r.status).toBe(2);
    expect(r.out).toMatch(/needs the optional package '@napi-rs\/canvas', which is not installed; run: npm install @napi-rs\/canvas/);
  }, 120_000);
});
