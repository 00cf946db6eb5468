import { describe, expect, it } from 'vitest';
import { commitLatencies, completedOps, latencyPercentiles, percentile, readLoad, readOps } from '../src/metrics/costs.js';
import type { History, MicroOp } from '../src/history/types.js';

describe('percentile (nearest rank)', () => {
  it('is the exact order statistic, not an interpolation', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 1)).toBe(1);
    // Interpolation would give 2.5 and 3.97; the nearest rank is a value that occurred.
    expect(percentile([4, 1, 3, 2], 50)).toBe(2);
    expect(percentile([4, 1, 3, 2], 99)).toBe(4);
    // 10 values: p99 is the 10th (rank ⌈9.9⌉), p90 the 9th, p50 the 5th.
    const ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000];
    expect(percentile(ten, 99)).toBe(1000);
    expect(percentile(ten, 90)).toBe(90);
    expect(percentile(ten, 50)).toBe(50);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 0)).toThrow(RangeError);
  });

  it('latencyPercentiles: p50, p99, max and mean of a skewed sample', () => {
    const xs = [...Array.from({ length: 98 }, () => 1), 50, 200];
    expect(latencyPercentiles(xs)).toEqual({ count: 100, p50: 1, p99: 50, max: 200, mean: (98 + 50 + 200) / 100 });
    expect(latencyPercentiles([])).toBeNull();
    expect(() => latencyPercentiles([-1])).toThrow(RangeError);
  });
});

const r = (k: string): MicroOp => ({ f: 'r', k });
const w = (k: string, v: number): MicroOp => ({ f: 'w', k, v });

/** A hand-written history: commits, a read on a standby, a failed and an indeterminate commit, a rollback. */
function history(): History {
  const inv = (op: number, t: number, node: string, txn: MicroOp[], end: 'commit' | 'rollback' = 'commit') =>
    ({ type: 'invoke', t, op, session: `s${op}`, node, req: { txn, end } }) as const;
  const ok = (op: number, t: number, node: string, txn: MicroOp[]) => ({ type: 'ok', t, op, session: `s${op}`, node, txn }) as const;
  return [
    { type: 'meta', t: 0, model: 'wal', seed: 1, nodes: ['n1', 'n2', 'n3'] },
    inv(1, 1, 'n1', [w('k', 1)]),
    inv(2, 2, 'n2', [r('k')]),
    ok(2, 2.5, 'n2', [{ f: 'r', k: 'k', v: null }]),
    ok(1, 4, 'n1', [w('k', 1)]),
    inv(3, 5, 'n1', [w('k', 2)]),
    { type: 'fail', t: 6, op: 3, session: 's3', node: 'n1', error: 'refused' },
    inv(4, 7, 'n1', [w('k', 3)]),
    { type: 'info', t: 9, op: 4, session: 's4', node: 'n1', reason: 'timeout' },
    inv(5, 10, 'n1', [w('k', 4)], 'rollback'),
    ok(5, 11, 'n1', [w('k', 4)]),
    inv(6, 12, 'n1', [r('k'), w('k', 5)]),
    ok(6, 20, 'n1', [{ f: 'r', k: 'k', v: 1 }, w('k', 5)]),
    inv(7, 13, 'n3', [r('k')]),
    ok(7, 14, 'n3', [{ f: 'r', k: 'k', v: 1 }]),
    inv(8, 15, 'n3', [r('k')]),
    ok(8, 18, 'n3', [{ f: 'r', k: 'k', v: 5 }]),
  ];
}

describe('commit and read costs from a history', () => {
  it('counts only commits a client saw succeed, from invocation to completion', () => {
    expect(commitLatencies(history())).toEqual([3, 8]);
    expect(completedOps(history()).map((o) => `${o.op}:${o.kind}`)).toEqual(['2:read', '1:commit', '6:commit', '7:read', '8:read']);
  });

  it('reads: served-by node, latency, and the load on the busiest node', () => {
    const reads = readOps(history());
    expect(reads.map((x) => [x.node, x.latencyMs])).toEqual([['n2', 0.5], ['n3', 1], ['n3', 3]]);
    const load = readLoad(reads);
    expect(load.reads).toBe(3);
    expect(load.spanMs).toBe(16); // first invocation at 2, last completion at 18
    expect(load.readsPerS).toBeCloseTo(3000 / 16, 10);
    expect(load.byNode).toEqual({ n2: 1, n3: 2 });
    expect(load.busiestNode).toBe('n3');
    expect(load.busiestReadsPerS).toBeCloseTo(2000 / 16, 10);
  });

  it('no reads: no rate (not zero)', () => {
    const load = readLoad([]);
    expect(load).toMatchObject({ reads: 0, readsPerS: null, busiestNode: null, busiestReadsPerS: null });
  });
});
