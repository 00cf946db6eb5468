import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { summarize } from '../src/metrics/summary.js';

/** Exact order statistic with HdrHistogram's definition: smallest v with ≥ p% of values ≤ v. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

describe('summarize', () => {
  it('returns null for no values (no measurement ≠ zero)', () => {
    expect(summarize([])).toBeNull();
  });

  it('uniform 1..1000 ms', () => {
    const s = summarize(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(s?.count).toBe(1000);
    expect(s?.max).toBe(1000);
    expect(s?.mean).toBe(500.5);
    expect(s?.p50).toBeCloseTo(500, 0);
    expect(s?.p90).toBeCloseTo(900, 0);
    expect(s?.p99).toBeCloseTo(990, 0);
    expect(s?.p999).toBeCloseTo(999, 0);
  });

  it('exponential distribution (mean 10 ms): percentiles match −10·ln(1−q) within 1%', () => {
    const n = 100_000;
    const values = Array.from({ length: n }, (_, i) => -10 * Math.log(1 - (i + 0.5) / n));
    const s = summarize(values);
    for (const [q, got] of [
      [0.5, s?.p50],
      [0.9, s?.p90],
      [0.99, s?.p99],
      [0.999, s?.p999],
    ] as const) {
      expect(Math.abs((got ?? 0) / (-10 * Math.log(1 - q)) - 1)).toBeLessThan(0.01);
    }
    expect(s?.mean).toBeCloseTo(10, 1);
  });

  it('rejects a negative or non-finite latency with a clear message', () => {
    expect(() => summarize([1, -2])).toThrow(/finite value ≥ 0 ms, got -2/);
    expect(() => summarize([Number.NaN])).toThrow(/got NaN/);
  });

  test.prop([fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 300 })])(
    'percentiles are within 0.1% (or 1 µs) of the exact order statistic',
    (values) => {
      const s = summarize(values);
      const sorted = [...values].sort((a, b) => a - b);
      const exact = (p: number): number => exactPercentile(sorted, p);
      for (const [p, got] of [
        [50, s?.p50],
        [90, s?.p90],
        [99, s?.p99],
        [99.9, s?.p999],
      ] as const) {
        expect(Math.abs((got ?? -1) - exact(p))).toBeLessThanOrEqual(exact(p) * 0.001 + 0.001);
      }
      expect(s?.max).toBe(sorted.at(-1));
    },
  );
});
