/**
 * An exploration's results do not depend on the worker count: every failing run
 * (index, token, guarantee, sentence, size), the runs counted and the tally of
 * judged claims are the same on 1 and on 2 workers, and the same as judging each
 * run in this thread. The failing runs come from a planted bug (several in 48
 * runs), so the comparison is over findings, not over an empty list.
 *
 * Runs judged for their findings only leave message traffic out of the history;
 * every model's every variant and planted bug is judged the same without it.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { scenariosFor } from '../properties/harness.js';
import { judgeScenario, type Verdict } from '../src/verdict/judge.js';
import { targetOptions } from '../src/run/targets.js';
import { loadModel, type LoadedModel } from '../src/cli/load-model.js';
import { explore, judgeRun, runPosition, runSeed, startRunPool, targetOf, type ExploreResult } from '../src/run/explore.js';
import type { WorkerPool } from '../src/run/pool.js';
import { variantTargets } from '../src/run/targets.js';
import type { RunFinding, RunTask } from '../src/run/explore.js';

const USER = './test/fixtures/user-model.ts';
const RUNS = 48;
const SEED = 11;

const pools: WorkerPool<RunTask, RunFinding>[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function exploreOn(workers: number, entries: Map<string, LoadedModel>, targets: ReturnType<typeof variantTargets>): Promise<ExploreResult> {
  const pool = startRunPool({ refs: [...entries.keys()], workers });
  pools.push(pool);
  return explore(pool, { targets, entries, seed: SEED, runs: RUNS, shrink: false, tally: true });
}

describe('an exploration on 1 and on 2 workers', () => {
  it('finds the same failing runs, counts the same runs and tallies the same claims', async () => {
    const wal = await loadModel('wal');
    const user = await loadModel(USER);
    const entries = new Map([['wal', wal], [USER, user]]);
    // Three WAL variants and the user's model with a bug that fails some runs, in turn.
    const targets = [
      ...variantTargets(wal).filter((t) => ['async', 'sync-on', 'statement-noctx'].includes(t.variant)),
      ...variantTargets(user, { bug: 'skip-third', profile: 'calm' }),
    ];
    const [one, two] = [await exploreOn(1, entries, targets), await exploreOn(2, entries, targets)];
    expect(one.runs).toBe(RUNS);
    // When each answer came back (`atMs`) is the only thing allowed to differ.
    const timeless = (r: ExploreResult) => ({ ...r, failing: r.failing.map(({ atMs: _, ...rest }) => rest) });
    expect(timeless(two)).toEqual(timeless(one));
    const failing = one.failing.map((r) => r.index);
    expect(failing.length).toBeGreaterThanOrEqual(3);

    // The same runs judged here, one after another, give the same findings.
    const here = new Map<number, RunFinding>();
    for (let i = 0; i < RUNS; i++) {
      const target = targetOf(targets, i);
      const f = judgeRun(entries.get(target.modelRef)!, { target, seed: runSeed(SEED, i), position: runPosition(i, targets.length), shrink: false });
      if (f.status !== 'held') here.set(i, f);
    }
    expect([...here.keys()]).toEqual(failing);
    for (const r of one.failing) expect(r.finding).toEqual(here.get(r.index));
  }, 300_000);
});

describe('judging without message traffic in the history', () => {
  it('gives the same violations, outcomes and failures for every variant and planted bug of every built-in model', async () => {
    const findings = (v: Verdict) => ({ violations: v.violations, outcomes: v.outcomes, failure: v.failure, token: v.token });
    let violations = 0;
    let judged = 0;
    for (const name of ['wal', 'cdc', 'migration', 'leaderless', 'leaderless-cdc']) {
      const entry = await loadModel(name);
      const targets = [...variantTargets(entry), ...entry.model.bugs.map((b) => variantTargets(entry, { bug: b.name })[0]!)];
      for (const [i, t] of targets.entries()) {
        const opts = targetOptions(entry, t);
        for (const scenario of fc.sample(scenariosFor(entry.model, opts), { seed: 100 + i, numRuns: 3 })) {
          const traced = judgeScenario(entry.model, scenario, { checkers: opts.checkers });
          const untraced = judgeScenario(entry.model, scenario, { checkers: opts.checkers, traceMessages: false });
          if (traced.run) expect(untraced.run!.history.length).toBeLessThan(traced.run.history.length);
          expect(findings(untraced)).toEqual(findings(traced));
          violations += traced.violations.length;
          judged++;
        }
      }
    }
    expect(judged).toBeGreaterThan(200);
    expect(violations).toBeGreaterThan(10);
  }, 300_000);
});
