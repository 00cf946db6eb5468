/**
 * Machine crashes aimed inside a running fsync: coverage records, per (node,
 * mark), how often the mark came while the node's fsync was running and how long
 * it then took to complete; a drawn crash may use that to strike the marking
 * node's machine before the fsync completes — the only moment a machine crash
 * differs from a process crash. Nothing here knows a model's bug.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { countingMarks } from '../src/run/coverage.js';
import { scenarioArb, unsyncedOffsetMs, type AnchorPair } from '../src/scenario/arbitraries.js';
import type { Fault } from '../src/sim/types.js';
import { judgeScenario } from '../src/verdict/judge.js';

const entry = BUILTIN_MODELS.wal!;
const config = entry.variants['sync-on']!;
const nodes = entry.model.nodes(entry.model.configure(config));
const marks = (entry.model.marks ?? []).map((m) => m.name);

describe('countingMarks sees running fsyncs', () => {
  it('a mark made right after an fsync starts is inside it, for as long as the fsync takes', () => {
    const base = fc.sample(scenarioArb({ model: 'wal', nodes, config, opsMin: 5, profile: 'calm' }), { seed: 4, numRuns: 1 })[0]!;
    const scenario = { ...base, disk: { fsyncLatency: { kind: 'constant' as const, ms: 4 } } };
    const counted = countingMarks(entry.model);
    judgeScenario(counted.model, scenario, {});
    const pairs = counted.take();
    const start = pairs.find((p) => p.node === 'n1' && p.mark === 'flush-start')!;
    expect(start.count).toBeGreaterThan(0);
    expect(start.unsynced).toBe(start.count); // flush-start is marked once the fsync is asked for
    expect(start.syncMs).toBeGreaterThan(3.9);
    expect(start.syncMs).toBeLessThan(8.1); // its own fsync, or the one queued behind a running one
    // Periodic moments meet a running fsync only sometimes.
    const beat = pairs.find((p) => p.node === 'n1' && p.mark === 'heartbeat-answered')!;
    expect(beat.unsynced ?? 0).toBeLessThan(beat.count);
  });

  it('watching the disk changes nothing in the run (same history, crashes included)', () => {
    const anchors: AnchorPair[] = [{ node: 'n1', mark: 'flush-start', count: 4, unsynced: 4, syncMs: 5 }];
    const arb = scenarioArb({ model: 'wal', nodes, config, marks, profile: 'crashes', opsMin: 4, bias: { anchors } });
    for (const s of fc.sample(arb, { seed: 9, numRuns: 25 })) {
      const plain = judgeScenario(entry.model, s, {});
      const counted = countingMarks(entry.model);
      expect(judgeScenario(counted.model, s, {}).run?.hash).toBe(plain.run?.hash);
    }
  });
});

describe('drawing crashes inside an unsynced window', () => {
  const inside = (f: Fault, pair: AnchorPair): boolean =>
    f.kind === 'crash' && f.mode === 'machine' && f.node === pair.node && f.after?.node === pair.node && f.after.mark === pair.mark && f.atMs > 0 && f.atMs < pair.syncMs!;
  const opening: AnchorPair = { node: 'n1', mark: 'flush-start', count: 4, unsynced: 4, syncMs: 5 };
  const periodic: AnchorPair = { node: 'n2', mark: 'heartbeat-answered', count: 160, unsynced: 10, syncMs: 5 };
  const draw = (anchors: AnchorPair[]): Fault[] =>
    fc.sample(scenarioArb({ model: 'wal', nodes, marks, profile: 'crashes', faultKinds: ['crash'], bias: { anchors } }), { seed: 11, numRuns: 400 })
      .flatMap((s) => s.faults);

  it('strike the marking machine before its fsync completes far more often than aimed crashes did', () => {
    const withWindow = draw([opening, periodic]).filter((f) => inside(f, opening)).length;
    const strip = (a: AnchorPair): AnchorPair => ({ node: a.node, mark: a.mark, count: a.count });
    const without = draw([strip(opening), strip(periodic)]).filter((f) => inside(f, opening)).length;
    expect(withWindow).toBeGreaterThan(3 * without);
    expect(withWindow).toBeGreaterThan(40);
  });

  it('favour moments that always open a window over ones that meet one by chance', () => {
    const faults = draw([opening, periodic]);
    const a = faults.filter((f) => inside(f, opening)).length;
    const b = faults.filter((f) => inside(f, periodic)).length;
    expect(a).toBeGreaterThan(3 * b);
  });

  it('offsets stay inside the window, 0.1 ms resolution', () => {
    for (const ms of [0.2, 1, 4.7, 30, 500]) {
      for (let step = 0; step <= 20; step++) {
        const o = unsyncedOffsetMs(ms, step);
        expect(o).toBeGreaterThanOrEqual(0.1);
        expect(o).toBeLessThanOrEqual(Math.max(0.1, Math.min(50, ms - 0.1)) + 1e-9);
        expect(Math.round(o * 10) / 10).toBe(o);
      }
    }
  });
});
