/**
 * The report's output directory is the user's disk: it replaces only a
 * directory a report wrote (its marker file), refuses anything else, and an
 * interrupted report leaves no staging directory behind (nothing is staged
 * until the runs are done).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import { discardOutput, prepareOutput, REPORT_MARKER } from '../reports/output.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'replicheck-report-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function quietMain(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(args), stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('report --out', () => {
  it("refuses a user's project that holds a report.json, and leaves it whole", async () => {
    const project = join(root, 'project');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'src', 'main.ts'), 'precious');
    writeFileSync(join(project, 'report.json'), '{}');
    const r = await quietMain(['report', '--out', project, '--runs', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to replace .*project: .*no \.replicheck-report marker/);
    expect(readdirSync(project).sort()).toEqual(['.git', 'report.json', 'src']);
    expect(readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('accepts an empty directory and one that an earlier report wrote', () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    discardOutput(prepareOutput(empty));
    const earlier = join(root, 'earlier');
    mkdirSync(earlier);
    writeFileSync(join(earlier, REPORT_MARKER), '{}');
    writeFileSync(join(earlier, 'report.json'), '{}');
    const s = prepareOutput(earlier);
    expect(existsSync(s.dir)).toBe(true);
    discardOutput(s);
  });

  it('SIGTERM during the runs ends the report at once and leaves nothing on disk', async () => {
    const out = join(root, 'interrupted');
    const child = spawn(process.execPath, ['bin/replicheck.js', 'report', '--out', out, '--runs', '100000'], {
      cwd: repo, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<string | number | null>((res) => child.on('exit', (code, signal) => res(signal ?? code)));
    // Wait (bounded) until the report is running (its first progress line).
    for (let i = 0; i < 600 && !stderr.includes('[run '); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/\[run /);
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(readdirSync(root).filter((f) => f.startsWith('.interrupted'))).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});
