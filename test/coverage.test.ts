/**
 * Coverage feedback: signatures abstract a history, the corpus steers later
 * runs only from earlier epochs taken in run-index order (so the steer of run i
 * does not depend on the worker count or on completion order), and a steered
 * draw keeps the schedule and anchors it was given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import { Corpus, EPOCH_ROUNDS, countingMarks, signatureOf, type RunCoverage } from '../src/run/coverage.js';
import { explore, runSeed, type RunFinding, type RunTask } from '../src/run/explore.js';
import type { WorkerPool, TaskOutcome } from '../src/run/pool.js';
import type { RunTarget } from '../src/run/targets.js';
import { scenarioArb, type AnchorPair } from '../src/scenario/arbitraries.js';
import type { Fault } from '../src/sim/types.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { judgeScenario } from '../src/verdict/judge.js';

describe('signatureOf', () => {
  const history: History = [
    { type: 'event', t: 1, node: 'n1', name: 'wal.flush' },
    { type: 'event', t: 2, node: 'n2', name: 'standby.write' },
    { type: 'fault', t: 3, phase: 'inject', fault: { kind: 'crash', nodes: ['n1'], text: 'crash n1' } },
    { type: 'node', t: 3, node: 'n1', ev: 'crash', mode: 'machine' },
    { type: 'event', t: 10, node: 'n2', name: 'promote' },
    { type: 'event', t: 11, node: 'n2', name: 'txn.commit' },
    { type: 'node', t: 12, node: 'n1', ev: 'restart' },
    { type: 'event', t: 30, node: 'n2', name: 'wal.flush' },
    { type: 'fault', t: 40, phase: 'inject', fault: { kind: 'partition', nodes: ['n2', 'n1'], text: 'partition' } },
  ];

  it('names what each fault struck in, how the others reacted, and what was judged', () => {
    const sig = signatureOf(history, [{ id: 'durability' }, { id: 'convergence', notJudged: 'a fault outside its tolerance' }]);
    expect(sig).toEqual([
      'f:crash-machine:wal.flush', // n1's own last event, 2 ms before
      'f:partition:-', // n2's last event is 10 ms old: outside the window
      'j:durability',
      'n:convergence',
      'o:crash-machine:standby.write',
      'o:partition:-',
      'r:promote:txn.commit',
    ]);
  });

  it('abstracts times away: the same order of moments gives the same signature', () => {
    const shifted = history.map((e) => ({ ...e, t: e.t * 0.9 })) as History;
    expect(signatureOf(shifted, [])).toEqual(signatureOf(history, []));
    // A restart before anyone reacted is another behaviour.
    const early = history.filter((e) => !(e.type === 'event' && (e.name === 'promote' || e.name === 'txn.commit')));
    expect(signatureOf(early, [])).toContain('r:-:-');
  });
});

const crash = (node: string, atMs: number): Fault => ({ kind: 'crash', atMs, node, mode: 'machine' });

function fakeCoverage(seed: number): RunCoverage {
  return {
    sig: [`s${seed % 11}`, `t${seed % 5}`],
    faults: seed % 3 === 0 ? [] : [crash(`n${1 + (seed % 2)}`, seed % 97)],
    marks: [{ node: `n${1 + (seed % 3)}`, mark: `m${seed % 4}`, count: 1 + (seed % 6) }],
  };
}

/** A pool that answers from the task alone, in an order of its own: what the real one promises, adversarially. */
function fakePool(size: number, order: number): { pool: WorkerPool<RunTask, RunFinding>; tasks: RunTask[] } {
  const tasks: RunTask[] = [];
  let n = 0;
  const pool = {
    size,
    depth: 2,
    timeoutMs: 1000,
    run(task: RunTask): Promise<TaskOutcome<RunFinding>> {
      tasks.push(task);
      const delay = (task.seed * (order + 1) + n++ * 7) % 5;
      const value: RunFinding = { status: 'held', coverage: fakeCoverage(task.seed) };
      return new Promise((resolve) => setTimeout(() => resolve({ kind: 'done', value }), delay));
    },
  };
  return { pool: pool as unknown as WorkerPool<RunTask, RunFinding>, tasks };
}

describe('coverage schedule', () => {
  const targets: RunTarget[] = [
    { modelRef: 'x', variant: 'a', config: {}, profile: 'everything' },
    { modelRef: 'x', variant: 'b', config: {}, profile: 'everything' },
  ];
  const runs = EPOCH_ROUNDS * targets.length * 4;

  async function steer(size: number, order: number): Promise<string[]> {
    const { pool, tasks } = fakePool(size, order);
    await explore(pool, { targets, entries: new Map(), seed: 7, runs, coverage: true });
    const bySeed = new Map(tasks.map((t) => [t.seed, t]));
    return Array.from({ length: runs }, (_, i) => JSON.stringify(bySeed.get(runSeed(7, i))?.bias ?? null));
  }

  it('steers each run from earlier epochs only, whatever the worker count and completion order', async () => {
    const one = await steer(1, 0);
    expect(await steer(3, 1)).toEqual(one);
    expect(await steer(2, 4)).toEqual(one);
    const epoch = EPOCH_ROUNDS * targets.length;
    // The first epoch is drawn plain; later ones are steered, some from a corpus schedule.
    expect(one.slice(0, epoch).every((b) => b === 'null')).toBe(true);
    expect(one.slice(epoch).every((b) => b !== 'null')).toBe(true);
    expect(one.some((b) => b.includes('seedFaults'))).toBe(true);
    // Within an epoch the pairs are fixed; they grow between epochs.
    const anchorsOf = (b: string) => JSON.stringify((JSON.parse(b) as { anchors?: unknown }).anchors);
    expect(new Set(one.slice(epoch, 2 * epoch).filter((_, i) => i % 2 === 0).map(anchorsOf)).size).toBe(1);
  });

  it('off, or under a shard, no run is steered', async () => {
    const { pool, tasks } = fakePool(2, 0);
    await explore(pool, { targets, entries: new Map(), seed: 7, runs, coverage: false });
    expect(tasks.every((t) => t.bias === undefined && t.coverage === undefined)).toBe(true);
    const sharded = fakePool(2, 0);
    await explore(sharded.pool, { targets, entries: new Map(), seed: 7, runs, coverage: true, shard: { index: 0, count: 2 } });
    expect(sharded.tasks.every((t) => t.bias === undefined)).toBe(true);
  });

  it('a corpus keeps runs that showed a new element, folded in index order', () => {
    const c = new Corpus(1);
    const cov = new Map<number, RunCoverage>([
      [0, { sig: ['a'], faults: [crash('n1', 1)], marks: [{ node: 'n1', mark: 'x', count: 2 }] }],
      [1, { sig: ['a'], faults: [crash('n1', 2)], marks: [{ node: 'n1', mark: 'x', count: 5 }] }],
      [2, { sig: ['a', 'b'], faults: [crash('n2', 3)], marks: [] }],
    ]);
    c.advance(3, 1, (i) => cov.get(i));
    expect(c.size).toBe(2); // runs 0 and 2; run 1 showed nothing new
    expect(c.elements).toBe(2);
    const b = c.bias(1, 3, 1, false);
    expect(b).toEqual({ anchors: [{ node: 'n1', mark: 'x', count: 5 }] });
  });
});

describe('steered draws', () => {
  const nodes = ['n1', 'n2', 'n3'];
  const anchors: AnchorPair[] = [{ node: 'n2', mark: 'flush-ack', count: 2 }];
  const seedFaults: Fault[] = [{ kind: 'crash', atMs: 0.8, node: 'n1', mode: 'machine', restartAfterMs: 20, after: { node: 'n2', mark: 'flush-ack', nth: 1 } }];

  it('aimed faults pick only reached pairs and occurrences that happened', () => {
    const arb = scenarioArb({ model: 'wal', nodes, marks: ['flush-start', 'flush-ack', 'promoted'], profile: 'crashes', bias: { anchors } });
    const aimed = fc.sample(arb, { seed: 3, numRuns: 300 }).flatMap((s) => s.faults.filter((f) => f.after));
    expect(aimed.length).toBeGreaterThan(20);
    for (const f of aimed) {
      expect(f.after!.node).toBe('n2');
      expect(f.after!.mark).toBe('flush-ack');
      expect(f.after!.nth).toBeLessThanOrEqual(2);
    }
  });

  it('a corpus schedule is kept, nudged, in every draw, and each of its faults can shrink away', () => {
    const arb = scenarioArb({ model: 'wal', nodes, marks: ['flush-ack'], profile: 'crashes', bias: { seedFaults } });
    for (const s of fc.sample(arb, { seed: 5, numRuns: 100 })) {
      const kept = s.faults.filter((f) => f.kind === 'crash' && f.node === 'n1' && f.after?.mark === 'flush-ack' && f.restartAfterMs === 20);
      expect(kept.length).toBeGreaterThanOrEqual(1);
      for (const f of kept) expect(f.atMs).toBeGreaterThan(0.4 - 1e-9);
    }
    // Shrinking a failure that needs no fault drops the seeded one too.
    const r = fc.check(fc.property(arb, () => false), { seed: 1, numRuns: 1 });
    expect((r.counterexample?.[0] as { faults: Fault[] } | undefined)?.faults).toEqual([]);
  });
});

describe('countingMarks', () => {
  it('counts what the nodes mark without changing the run', () => {
    const entry = BUILTIN_MODELS.wal!;
    const scenario = fc.sample(scenarioArb({ model: 'wal', nodes: entry.model.nodes(entry.model.configure(entry.variants['sync-on']!)), config: entry.variants['sync-on']!, opsMin: 5 }), { seed: 2, numRuns: 1 })[0]!;
    const plain = judgeScenario(entry.model, scenario, {});
    const counted = countingMarks(entry.model);
    const seen = judgeScenario(counted.model, scenario, {});
    expect(seen.run?.hash).toBe(plain.run?.hash);
    const pairs = counted.take();
    expect(pairs.some((p) => p.node === 'n1' && p.mark === 'flush-start' && p.count >= 1)).toBe(true);
    expect(counted.take()).toEqual([]);
  });
});
