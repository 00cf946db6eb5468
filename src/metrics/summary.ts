/**
 * Latency summaries from an HDR histogram (hdr-histogram-js), as load
 * generators such as wrk2 and HdrHistogram-based tools report them.
 *
 * Resolution: values are milliseconds (fractions allowed) and are recorded as
 * whole microseconds with 3 significant decimal digits, so every percentile is
 * within 0.1% (relative) of the exact order statistic, and never finer than
 * 1 µs. `max` and `mean` are exact (computed from the values, not buckets).
 * Negative values are a caller bug (a lag cannot be negative) and throw.
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const US_PER_MS = 1000;

/**
 * Summarise `values` (ms). Returns null for an empty list: "no measurement"
 * must stay distinguishable from "zero lag" (as pg_stat_replication shows NULL).
 */
export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const h = hdr.build({ numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
  try {
    let sum = 0;
    let max = 0;
    for (const v of values) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`summarize: latency must be a finite value ≥ 0 ms, got ${v}`);
      h.recordValue(Math.round(v * US_PER_MS));
      sum += v;
      if (v > max) max = v;
    }
    const at = (p: number): number => Math.min(h.getValueAtPercentile(p) / US_PER_MS, max);
    return { count: values.length, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max, mean: sum / values.length };
  } finally {
    h.destroy();
  }
}
