/**
 * The live target leaves nothing behind: no server process, no directory —
 * after a normal teardown, an uncaught exception, SIGTERM, SIGINT, and even
 * SIGKILL of the process that started the cluster (the reaper cleans up).
 * Skipped, with the reason printed, when PostgreSQL is not installed, unless
 * REPLICHECK_REQUIRE_PG=1 (CI), where its absence fails.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgUnavailableReason } from '../src/live/env.js';
import { alive } from '../src/live/procs.js';
import { liveSkip } from './live-helpers.js';

const skip = liveSkip();
const scratch = mkdtempSync(join(tmpdir(), 'replicheck-live-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Started {
  /** Every directory the child's clusters use, the template's included. */
  dirs: string[];
  pids: number[];
  reapers: number[];
}

const CHILD = `
import { PgCluster, liveDirs, liveReapers } from ${JSON.stringify(resolve('src/live/cluster.ts'))};
import { treeOf } from ${JSON.stringify(resolve('src/live/procs.ts'))};
const mode = process.argv[2];
const c = await PgCluster.start({ standbys: 1, synchronousCommit: 'on', synchronousStandbyNames: '' });
const pids = c.postmasters.flatMap((p) => treeOf(p));
process.stdout.write(JSON.stringify({ dirs: liveDirs(), pids, reapers: liveReapers() }) + '\\n');
if (mode === 'throw') throw new Error('boom after start');
if (mode === 'teardown') { await c.teardown(); process.exit(0); }
setInterval(() => {}, 1000); // wait for the signal
`;

/** Start a cluster in a child process, act on it by `mode`, return what it started and its exit. */
function runChild(mode: string): Promise<{ started: Started; code: number | null; signal: NodeJS.Signals | null }> {
  const file = join(scratch, `child-${mode}.mts`);
  writeFileSync(file, CHILD);
  // Node itself with tsx's loader (not the tsx wrapper, whose own child would survive a SIGKILL of it).
  const child = spawn(process.execPath, ['--import', 'tsx', file, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let started: Started | undefined;
  return new Promise((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!started && out.includes('\n')) {
        started = JSON.parse(out.split('\n')[0]!) as Started;
        if (mode === 'sigterm') child.kill('SIGTERM');
        if (mode === 'sigint') child.kill('SIGINT');
        if (mode === 'sigkill') child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', rej);
    child.on('exit', (code, signal) => {
      if (!started) rej(new Error(`child (${mode}) never started a cluster: ${err}`));
      else res({ started, code, signal });
    });
  });
}

/** Poll, bounded by count, until nothing of the cluster is left. */
async function leftovers(s: Started): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 600; i++) {
    left = [...s.pids.filter(alive).map((p) => `process ${p}`), ...s.reapers.filter(alive).map((p) => `reaper ${p}`), ...s.dirs.filter((d) => existsSync(d)).map((d) => `directory ${d}`)];
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
  return left;
}

describe.skipIf(skip)('live pg: teardown whatever happens', () => {
  it('the servers really ran: the recorded processes were alive while the child held them', async () => {
    // Guard against a vacuous check: a child that records no process would pass every case below.
    const { started } = await runChild('teardown');
    expect(started.pids.length).toBeGreaterThanOrEqual(6); // two postmasters and their children
    expect(started.dirs.length).toBe(2); // the cluster and the template it was copied from
    expect(started.reapers.length).toBe(2);
    expect(await leftovers(started)).toEqual([]);
  });

  for (const mode of ['throw', 'sigterm', 'sigint', 'sigkill']) {
    it(`leaves no process or directory after ${mode}`, async () => {
      const { started, code, signal } = await runChild(mode);
      expect(code !== 0 || signal !== null).toBe(true);
      expect(await leftovers(started)).toEqual([]);
    });
  }
});

it('says why the live tests skip, or runs them', () => {
  const why = pgUnavailableReason();
  if (why) console.log(`live PostgreSQL tests skipped: ${why}`);
  expect(skip).toBe(why !== undefined && process.env.REPLICHECK_REQUIRE_PG !== '1');
});
