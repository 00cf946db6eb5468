/**
 * `replicheck run` over worker threads: the first failure (run number, token,
 * guarantee) does not depend on the worker count; shards are disjoint slices
 * whose lowest failure is the unsharded one; a model spinning in a handler is
 * reported as "model hangs" with its token; the event budget is an option that a
 * replay keeps; progress shows only on a terminal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { decodeToken } from '../src/scenario/compact.js';
import { drawToken, inShard, runPosition, runSeed, shardIndex } from '../src/run/explore.js';
import { progressLine, progressText } from '../src/run/progress.js';
import { variantTargets } from '../src/run/targets.js';
import { loadModel } from '../src/cli/load-model.js';

const USER = './test/fixtures/user-model.ts';
const SPIN = './test/fixtures/spin-model.ts';

afterEach(() => {
  process.exitCode = undefined;
});

interface RunJson {
  found: boolean;
  runs: number;
  runIndex: number | null;
  token: string | null;
  runToken: string | null;
  guarantee: string | null;
  workers: number;
  shard: { index: number; count: number; upTo: number; runs: number; explored: string } | null;
  variants: { variant: string; runs: number }[];
}

async function runJson(...args: string[]): Promise<{ code: number; j: RunJson; err: string }> {
  const r = await cli('run', ...args, '--no-failure-file', '--json');
  return { code: r.code, j: JSON.parse(r.out) as RunJson, err: r.err };
}

describe('run over worker threads', () => {
  const bug = [USER, '--bug', 'skip-third', '--profile', 'calm', '--runs', '200', '--seed', '7'];

  it('reports the same first failure (run, token, guarantee) on 1 and on 2 workers', async () => {
    const one = await runJson(...bug, '--workers', '1');
    const two = await runJson(...bug, '--workers', '2');
    expect(one.code).toBe(1);
    expect(two.code).toBe(1);
    expect(one.j.workers).toBe(1);
    expect(two.j.workers).toBe(2);
    expect(typeof one.j.runIndex).toBe('number');
    expect(one.j.guarantee).toBe('convergence');
    expect(one.j.token).toMatch(/^rc1:/);
    const pick = (j: RunJson) => ({ runIndex: j.runIndex, token: j.token, runToken: j.runToken, guarantee: j.guarantee, runs: j.runs });
    expect(pick(two.j)).toEqual(pick(one.j));
  });

  it('shards: the lowest failure over the shards is the unsharded first failure', async () => {
    // The merge is what is tested, so take the first seed whose first failure is not
    // in shard 1 (one variant: run i is round i, shard 1 holds rounds 0, 3, 6 …).
    let args: string[] = [];
    let whole: Awaited<ReturnType<typeof runJson>> | undefined;
    for (let seed = 1; seed <= 30 && !(whole && whole.j.runIndex! % 3 !== 0); seed++) {
      args = [...bug.slice(0, -1), String(seed)];
      whole = await runJson(...args, '--workers', '2');
    }
    expect(whole!.j.runIndex! % 3).not.toBe(0);
    const shards = [];
    // One after another: the in-process CLI captures stdout per call.
    for (const i of [1, 2, 3]) shards.push(await runJson(...args, '--workers', '1', '--shard', `${i}/3`));
    for (const [i, s] of shards.entries()) expect(s.j.shard).toMatchObject({ index: i + 1, count: 3 });
    const failing = shards.filter((s) => s.j.found).map((s) => s.j);
    expect(failing.length).toBeGreaterThan(0);
    const lowest = failing.reduce((a, b) => (b.runIndex! < a.runIndex! ? b : a));
    expect([lowest.runIndex, lowest.token]).toEqual([whole!.j.runIndex, whole!.j.token]);
    // Every shard that failed stopped at a run of its own slice.
    for (const s of failing) expect(inShard(s.runIndex!, 1, { index: s.shard!.index - 1, count: 3 })).toBe(true);
  });

  it('shards of a clean run judge disjoint slices that add up to the whole budget', async () => {
    const args = [USER, '--profile', 'calm', '--runs', '7', '--seed', '3', '--workers', '2'];
    const whole = await runJson(...args);
    expect(whole.code).toBe(0);
    const parts = [await runJson(...args, '--shard', '1/2'), await runJson(...args, '--shard', '2/2')];
    expect(parts.map((p) => p.code)).toEqual([0, 0]);
    expect(parts.map((p) => p.j.runs)).toEqual([4, 3]);
    expect(parts[0]!.j.runs + parts[1]!.j.runs).toBe(whole.j.runs);
    expect(parts[0]!.j.shard!.explored).toMatch(/^shard 1\/2: runs i < 7 with ⌊i\/1⌋ mod 2 = 0$/);
  });

  it('reports a model that spins in a handler as "model hangs" with its token, exit 2', async () => {
    const r = await cli('run', SPIN, '--bug', 'spin', '--profile', 'calm', '--runs', '3', '--workers', '1', '--timeout-ms', '3000', '--no-failure-file');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/first failure: run 0 /);
    expect(r.out).toMatch(/model hangs: the run did not finish within \d+ ms/);
    const token = /replay (rc1:\S+)/.exec(r.out)?.[1];
    expect(token).toBeDefined();
    expect(decodeToken(token!)).toMatchObject({ model: SPIN, bug: 'spin' });
    const j = await runJson(SPIN, '--bug', 'spin', '--profile', 'calm', '--runs', '1', '--workers', '1', '--timeout-ms', '2000');
    expect(j.code).toBe(2);
    expect(j.j).toMatchObject({ found: true, runIndex: 0, guarantee: 'run-failure:hang' });
  });

  it('--max-events stops a run at the event budget (exit 2), and the token keeps the limit', async () => {
    const r = await runJson(USER, '--profile', 'calm', '--runs', '2', '--max-events', '3', '--workers', '1');
    expect(r.code).toBe(2);
    expect(r.j.guarantee).toBe('run-failure:limit');
    expect(decodeToken(r.j.token!)).toMatchObject({ limits: { maxEvents: 3 } });
    const replay = await cli('replay', r.j.token!);
    expect(replay.code).toBe(2);
    expect(replay.out).toMatch(/maxEvents/);
    expect((await cli('run', USER, '--max-events', '0')).code).toBe(2);
    expect((await cli('run', USER, '--shard', '3/2')).err).toMatch(/--shard must be i\/n/);
  });

  it('prints no progress when stderr is not a terminal, and a progress line when it is', async () => {
    const args = ['run', USER, '--profile', 'calm', '--runs', '4', '--workers', '1', '--no-failure-file'];
    const plain = await cli(...args);
    expect(plain.code).toBe(0);
    expect(plain.err).toBe('');
    const was = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const tty = await cli(...args);
      expect(tty.err).toMatch(/run 4\/4 runs \| [\d.]+ runs\/s \| \d+ s \| ETA/);
      const quiet = await cli(...args, '--json');
      expect(quiet.err).toBe('');
    } finally {
      if (was) Object.defineProperty(process.stderr, 'isTTY', was);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });
});

describe('what run explores', () => {
  it("draws from the model's own workload and profile (cdc scenarios delete), --profile overriding", async () => {
    const cdc = await loadModel('cdc');
    const targets = variantTargets(cdc);
    expect(targets.every((t) => t.profile === (cdc.profile ?? 'everything') && t.workload?.opKinds?.includes('del'))).toBe(true);
    // Some of the first runs really delete.
    const dels = [...Array(12).keys()].some((i) => {
      const s = decodeToken(drawToken(cdc, { target: targets[0]!, seed: runSeed(1, i), position: runPosition(i, 1) })) as { sessions: { ops: { ops?: { f: string }[] }[] }[] };
      return JSON.stringify(s.sessions).includes('"f":"del"');
    });
    expect(dels).toBe(true);
    expect(variantTargets(cdc, { profile: 'calm', variant: 'no-snapshot' }).map((t) => [t.variant, t.profile])).toEqual([['no-snapshot', 'calm']]);
  });
});

describe('shard slices', () => {
  it('are disjoint and cover every run index, each shard every target', () => {
    for (const targets of [1, 2, 3, 16]) {
      for (const count of [1, 2, 3, 4]) {
        const seen = new Map<number, number>();
        for (let k = 0; k < count; k++) {
          const shard = { index: k, count };
          const byTarget = new Set<number>();
          for (let j = 0; j < 200; j++) {
            const i = shardIndex(j, targets, shard);
            expect(inShard(i, targets, shard)).toBe(true);
            if (j > 0) expect(i).toBeGreaterThan(shardIndex(j - 1, targets, shard));
            expect(seen.has(i)).toBe(false);
            seen.set(i, k);
            byTarget.add(i % targets);
          }
          expect(byTarget.size).toBe(targets);
        }
        // Every index below the smallest shard's reach belongs to exactly one shard.
        const reach = Math.min(...[...Array(count).keys()].map((k) => shardIndex(199, targets, { index: k, count })));
        for (let i = 0; i <= reach; i++) expect(seen.has(i), `T=${targets} n=${count} i=${i}`).toBe(true);
      }
    }
  });
});

describe('progress line', () => {
  it('redraws at most four times a second and erases itself', () => {
    let t = 0;
    let written = '';
    const stream = { isTTY: true, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const p = progressLine({ label: 'run', total: 100, stream, now: () => t });
    for (let done = 1; done <= 99; done++) {
      t += 10; // 100 runs a second
      p.update(done, 0);
    }
    const draws = written.split('\r\x1b[K').filter((s) => s !== '');
    expect(draws.length).toBeLessThanOrEqual(Math.ceil(990 / 250) + 1);
    expect(draws.length).toBeGreaterThan(1);
    p.update(100, 0); // the last run is always drawn
    expect(written.endsWith(progressText('run', 100, 100, 0, 990))).toBe(true);
    p.stop();
    expect(written.endsWith('\r\x1b[K')).toBe(true);
    expect(progressText('run', 50, 200, 2, 10_000)).toBe('run 50/200 runs | 5.0 runs/s | 10 s | ETA 30 s | 2 failing');
  });

  it('is silent on a stream that is not a terminal', () => {
    let written = '';
    const stream = { isTTY: false, write: (s: string) => ((written += s), true) } as unknown as NodeJS.WriteStream;
    const p = progressLine({ label: 'run', total: 10, stream });
    p.update(10, 0);
    p.stop();
    expect(written).toBe('');
  });
});
