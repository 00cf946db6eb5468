/**
 * The worker pool and the exploration over it: results that do not depend on the
 * worker count, the lowest failing run reported first, tokens that replay, and a
 * watchdog that ends a model spinning in a handler.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type LoadedModel } from '../src/cli/load-model.js';
import { judgeScenario } from '../src/verdict/judge.js';
import { decodeToken } from '../src/scenario/compact.js';
import { parseScenario } from '../src/scenario/validate.js';
import {
  drawToken,
  explore,
  judgeRun,
  runSeed,
  startRunPool,
  type ExploreOptions,
  type RunFinding,
  type RunTask,
} from '../src/run/explore.js';
import type { WorkerPool } from '../src/run/pool.js';
import type { RunTarget } from '../src/run/targets.js';

const USER = './test/fixtures/user-model.ts';
const SPIN = './test/fixtures/spin-model.ts';

function target(modelRef: string, bug?: string): RunTarget {
  return { modelRef, variant: 'default', config: {}, profile: 'calm', ...(bug ? { bug } : {}) };
}

const pools: WorkerPool<RunTask, RunFinding>[] = [];
function pool(refs: string[], workers: number, timeoutMs?: number): WorkerPool<RunTask, RunFinding> {
  const p = startRunPool({ refs, workers, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function entries(...refs: string[]): Promise<Map<string, LoadedModel>> {
  return new Map(await Promise.all(refs.map(async (r) => [r, await loadModel(r)] as const)));
}

/** What a worker count must not change: which runs fail, how, and their tokens. */
function fingerprint(r: Awaited<ReturnType<typeof explore>>): unknown {
  return { runs: r.runs, failing: r.failing.map((f) => [f.index, f.finding.status, f.finding.token, f.runToken ?? null]) };
}

describe('exploration over worker threads', () => {
  it('gives the same per-run results and the same lowest failing run on 1 and on 2 workers', async () => {
    // A planted bug that breaks convergence in some runs and not in others.
    const base: ExploreOptions = { targets: [target(USER, 'skip-third')], entries: await entries(USER), seed: 11, runs: 24, shrink: false };
    const one = await explore(pool([USER], 1), base);
    const two = await explore(pool([USER], 2), base);
    expect(one.failing.length).toBeGreaterThan(0);
    expect(one.failing.length).toBeLessThan(24); // some runs hold: the comparison has two kinds of run
    expect(fingerprint(two)).toEqual(fingerprint(one));

    const firstOne = await explore(pools[0]!, { ...base, stopAtFirstFailure: true, shrink: true });
    const firstTwo = await explore(pools[1]!, { ...base, stopAtFirstFailure: true, shrink: true });
    expect(firstOne.failing).toHaveLength(1);
    expect(firstOne.failing[0]!.index).toBe(one.failing[0]!.index);
    expect(firstOne.runs).toBe(one.failing[0]!.index + 1);
    expect(fingerprint(firstTwo)).toEqual(fingerprint(firstOne));
  });

  it('reports a token that replays the failure, shrunk, with the unshrunk run token beside it', async () => {
    const es = await entries(USER);
    const r = await explore(pool([USER], 2), { targets: [target(USER, 'skip-third')], entries: es, seed: 11, runs: 6 });
    const f = r.failing[0]!;
    expect(f.finding).toMatchObject({ status: 'alarm', guarantee: 'convergence' });
    if (f.finding.status !== 'alarm') throw new Error('unreachable');
    const replayed = judgeScenario(es.get(USER)!.model, parseScenario(decodeToken(f.finding.token)));
    expect(replayed.violations.map((v) => v.guarantee)).toContain('convergence');
    expect(f.runToken).toMatch(/^rc1:/);
    expect(f.finding.token.length).toBeLessThan(f.runToken!.length);
  });

  it('draws the same scenario in the main thread as the worker judges (the token of a run that hangs)', async () => {
    const entry = (await entries(USER)).get(USER)!;
    for (let i = 0; i < 5; i++) {
      // A later fast-check position too: the draw must follow the path, not only the seed.
      const task: RunTask = { target: target(USER, 'skip-third'), seed: runSeed(3, i), position: i * 150, shrink: false };
      const judged = judgeRun(entry, task);
      if (judged.status === 'held') continue;
      expect(drawToken(entry, task)).toBe(judged.token);
      return;
    }
    throw new Error('no failing run among 5: the comparison never ran');
  });

  it('terminates a model that spins in a handler, reports "model hangs" with its token, and replaces the worker', async () => {
    const es = await entries(SPIN);
    // One worker: the second run can only have run on the worker that replaced the first.
    const p = pool([SPIN], 1, 3000);
    const t0 = performance.now();
    const r = await explore(p, { targets: [target(SPIN, 'spin')], entries: es, seed: 5, runs: 2 });
    expect(performance.now() - t0).toBeLessThan(60_000);
    expect(r.failing).toHaveLength(2);
    for (const f of r.failing) {
      expect(f.finding).toMatchObject({ status: 'failure', kind: 'hang' });
      expect(f.finding.status === 'failure' && f.finding.message).toMatch(/model hangs/);
      const scenario = decodeToken(f.finding.token);
      expect(scenario).toMatchObject({ model: SPIN, bug: 'spin' });
    }
  });
});
