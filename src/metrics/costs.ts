/**
 * What replication costs a client, measured from a history: how long commits
 * take (the price of waiting for standbys: "write speed will be slower") and
 * how reads spread over the nodes that serve them ("improved read speeds").
 *
 * Only what a client observes is used: an operation's invocation and
 * completion times (true simulator time) and the node that served it. A
 * commit's latency is completion − invocation of a write transaction that
 * ended `ok` with COMMIT; a failed or indeterminate (`info`) commit has no
 * latency a client could count on and is left out, as a load generator leaves
 * out errors. A read is a transaction of reads only that ended `ok`.
 *
 * Percentiles are exact nearest-rank order statistics (the smallest value with
 * at least p % of the values at or below it), not interpolated and not
 * bucketed: with 100 samples p99 is the 99th smallest, and a report's p50 of
 * [1, 2, 3, 4] is 2.
 */
import type { History, InvokeEntry, NodeId } from '../history/types.js';

/** Nearest-rank percentile (0 < p ≤ 100) of `values`; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return nearestRank(sorted, p);
}

function nearestRank(sorted: readonly number[], p: number): number {
  // The 1e-9 keeps p = 99 of 100 values at rank 99 despite 0.99·100 = 98.99999… in floating point.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1]!;
}

/** p50 / p99 / max / mean of a latency sample, in ms; null without samples. */
export interface LatencyPercentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function latencyPercentiles(valuesMs: readonly number[]): LatencyPercentiles | null {
  if (valuesMs.length === 0) return null;
  for (const v of valuesMs) if (!Number.isFinite(v) || v < 0) throw new RangeError(`latencyPercentiles: a latency must be finite and ≥ 0 ms, got ${v}`);
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return { count: sorted.length, p50: nearestRank(sorted, 50), p99: nearestRank(sorted, 99), max: sorted[sorted.length - 1]!, mean: sum / sorted.length };
}

/** One client operation that completed `ok`, with its timing and the node that served it. */
export interface CompletedOp {
  op: number;
  kind: 'commit' | 'read';
  /** The node that answered (for reads: the node that served them). */
  node: NodeId;
  invokeT: number;
  completeT: number;
  latencyMs: number;
}

/**
 * Every `ok` operation that is a committed write transaction (any write
 * micro-op and COMMIT) or a read-only transaction, in completion order.
 * Rolled-back transactions with writes are neither.
 */
export function completedOps(history: History): CompletedOp[] {
  const invokes = new Map<number, InvokeEntry>();
  const out: CompletedOp[] = [];
  for (const e of history) {
    if (e.type === 'invoke') invokes.set(e.op, e);
    if (e.type !== 'ok') continue;
    const inv = invokes.get(e.op);
    if (!inv) continue;
    const writes = inv.req.txn.some((m) => m.f !== 'r');
    const kind = !writes ? 'read' : inv.req.end === 'commit' ? 'commit' : undefined;
    if (!kind) continue;
    out.push({ op: e.op, kind, node: e.node, invokeT: inv.t, completeT: e.t, latencyMs: e.t - inv.t });
  }
  return out;
}

/** Latencies (ms) of the write transactions a client saw commit. */
export function commitLatencies(history: History): number[] {
  return completedOps(history).filter((o) => o.kind === 'commit').map((o) => o.latencyMs);
}

/** The read-only transactions that completed `ok`, with the node that served each. */
export function readOps(history: History): CompletedOp[] {
  return completedOps(history).filter((o) => o.kind === 'read');
}

/**
 * How reads loaded the nodes: total reads per second over the span the reads
 * occupied (first invocation to last completion), and the busiest node's
 * share — the figure a read replica relieves. Null span: no read, or every
 * read invoked and completed at one instant.
 */
export interface ReadLoad {
  reads: number;
  spanMs: number;
  readsPerS: number | null;
  byNode: Record<NodeId, number>;
  busiestNode: NodeId | null;
  busiestReadsPerS: number | null;
}

export function readLoad(reads: readonly CompletedOp[]): ReadLoad {
  const byNode: Record<NodeId, number> = {};
  let first = Infinity;
  let last = -Infinity;
  for (const r of reads) {
    byNode[r.node] = (byNode[r.node] ?? 0) + 1;
    first = Math.min(first, r.invokeT);
    last = Math.max(last, r.completeT);
  }
  const spanMs = reads.length > 0 ? last - first : 0;
  // Ties go to the node named first in sort order, so the figure is the same whatever the read order.
  const busiest = Object.keys(byNode).sort().reduce<NodeId | null>((b, n) => (b === null || byNode[n]! > byNode[b]! ? n : b), null);
  const perS = (n: number): number | null => (spanMs > 0 ? (n * 1000) / spanMs : null);
  return {
    reads: reads.length,
    spanMs,
    readsPerS: perS(reads.length),
    byNode,
    busiestNode: busiest,
    busiestReadsPerS: busiest === null ? null : perS(byNode[busiest]!),
  };
}
