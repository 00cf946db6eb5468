/**
 * Read-visibility metrics: the t-visibility curve of Probabilistically Bounded
 * Staleness (Bailis et al., VLDB 2012) measured from a history, and the time a
 * run takes to converge once faults heal.
 *
 * t-visibility: for a write w committed at time c(w) (its `txn.commit` on the
 * primary) and a node n, d(w, n) is the first time n's visible log holds w or a
 * newer version of the same key, minus c(w) (clamped at 0; ∞ if never). The
 * probability that a read starting t ms after a commit and served by n observes
 * that write or a newer one is P_n(t) = |{w : d(w, n) ≤ t}| / |W|. The curve for
 * the run weights P_n by the share of reads each node served (as PBS weights
 * replicas by how reads are routed); a run without reads weights nodes equally.
 * A read is taken to observe the node's state at its start (client latency is
 * ignored, which only makes the curve slightly pessimistic).
 *
 * Versions follow the authoritative commit order shared with the checkers
 * (findAuthority in history/ops); transactions are identified by xid, and
 * writes discarded by a rewind are not in W.
 */
import type { History, ModelEventEntry, NodeId } from '../history/types.js';
import { findAuthority, replayLogs, type NodeReplay } from '../history/ops.js';
import { isEvent } from './events.js';
import { summarize, type LatencySummary } from './summary.js';

export interface VisibilityPoint {
  tMs: number;
  probability: number;
}

export interface VisibilityCurve {
  /** Committed versions measured (|W|, one per key a transaction wrote); 0 means the curve is empty. */
  writes: number;
  /** Weighted curve over the nodes that served reads. */
  points: VisibilityPoint[];
  perNode: Record<NodeId, VisibilityPoint[]>;
  /** Read share per node used as weights (sums to 1). */
  weights: Record<NodeId, number>;
}

/** Default grid: fine near 0 where synchronous replicas sit, coarse in the tail. */
export const DEFAULT_VISIBILITY_GRID_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** Per key, the committed versions in authoritative order: transaction id and commit time. */
type VersionOrder = Map<string, { xid: string; commitT: number }[]>;

/**
 * Throws HistoryError (from history/ops) when a visible-log event is malformed,
 * as the checkers do: the same history must not be judged one way and measured another.
 */
export function visibilityCurve(history: History, gridMs: readonly number[] = DEFAULT_VISIBILITY_GRID_MS): VisibilityCurve {
  const replays = replayLogs(history);
  const order = versionOrder(history, replays);
  const total = [...order.values()].reduce((n, vs) => n + vs.length, 0);
  const weights = readWeights(history);
  const perNode: Record<NodeId, VisibilityPoint[]> = {};
  for (const node of Object.keys(weights)) {
    const delays = visibilityDelays(replays.get(node), order);
    perNode[node] = gridMs.map((tMs) => ({ tMs, probability: total === 0 ? 0 : delays.filter((d) => d <= tMs).length / total }));
  }
  const points = gridMs.map((tMs, i) => ({
    tMs,
    probability: Object.entries(weights).reduce((p, [n, w]) => p + w * (perNode[n]?.[i]?.probability ?? 0), 0),
  }));
  return { writes: total, points, perNode, weights };
}

/**
 * The authoritative order (history/ops findAuthority: the final primary's
 * visible log, rewinds applied). Without a final primary (a CDC source may end
 * with another role), every `txn.commit` in history order stands in for it.
 */
function versionOrder(history: History, replays: Map<NodeId, NodeReplay>): VersionOrder {
  const order: VersionOrder = new Map();
  const auth = findAuthority(history, replays);
  if (auth) {
    for (const [key, vs] of auth.versions) order.set(key, vs.map((v) => ({ xid: v.xid, commitT: v.commitT })));
    return order;
  }
  for (const r of replays.values()) {
    for (const a of r.applications) {
      if (a.event.name !== 'txn.commit') continue;
      for (const key of Object.keys(a.writes)) order.set(key, [...(order.get(key) ?? []), { xid: a.xid, commitT: a.t }]);
    }
  }
  for (const vs of order.values()) vs.sort((a, b) => a.commitT - b.commitT);
  return order;
}

/** Delay (ms, ≥ 0) until `replay`'s node first showed each version or a newer one; unseen versions are absent. */
function visibilityDelays(replay: NodeReplay | undefined, order: VersionOrder): number[] {
  const out: number[] = [];
  const reached = new Map<string, number>();
  for (const a of replay?.applications ?? []) {
    for (const key of Object.keys(a.writes)) {
      const vs = order.get(key) ?? [];
      const idx = vs.findIndex((v) => v.xid === a.xid);
      const from = reached.get(key) ?? 0;
      if (idx < from) continue;
      for (const v of vs.slice(from, idx + 1)) out.push(Math.max(0, a.t - v.commitT));
      reached.set(key, idx + 1);
    }
  }
  return out;
}

/** Share of successful reads each node served; uniform over the run's nodes when nobody read. */
function readWeights(history: History): Record<NodeId, number> {
  const counts = new Map<NodeId, number>();
  for (const e of history) if (e.type === 'ok' && e.txn.some((m) => m.f === 'r')) counts.set(e.node, (counts.get(e.node) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total > 0) return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, c]) => [n, c / total]));
  const meta = history.find((e) => e.type === 'meta');
  const nodes = meta?.type === 'meta' ? meta.nodes : [];
  return Object.fromEntries(nodes.map((n) => [n, 1 / nodes.length]));
}

// ───────────────────────────── convergence ─────────────────────────────

export interface Convergence {
  /** When the quiet phase began (faults healed). */
  quietMs: number;
  /** Last change to any node's visible state (or a sink's), ≥ quietMs; quietMs when nothing changed. */
  convergedAtMs: number;
  /** convergedAtMs − quietMs. */
  convergenceMs: number;
  /** The node whose change came last, if any changed. */
  lastNode: NodeId | null;
}

const STATE_CHANGES = new Set(['txn.commit', 'apply', 'rewind', 'recover', 'cdc.apply']);

/**
 * Time to converge after faults heal: from the `quiet` entry to the last
 * visible-state change on any node. null when the history has no quiet phase
 * (a run stopped by a limit, or a truncated history).
 */
export function convergenceTime(history: History): Convergence | null {
  const quiet = history.find((e) => e.type === 'quiet');
  if (!quiet) return null;
  let last: ModelEventEntry | undefined;
  for (const e of history) if (isEvent(e) && STATE_CHANGES.has(e.name) && e.t >= quiet.t) last = e;
  const convergedAtMs = last?.t ?? quiet.t;
  return { quietMs: quiet.t, convergedAtMs, convergenceMs: convergedAtMs - quiet.t, lastNode: last?.node ?? null };
}

// ───────────────────────────── read staleness ─────────────────────────────

/** Per-read staleness as check/staleness.ts measures it (measureStaleness): K versions, T ms. */
export interface ReadStaleness {
  versionsBehind: number;
  staleMs: number;
}

export interface StalenessSummary {
  reads: number;
  /** Reads that missed at least one committed version (K ≥ 1). */
  staleReads: number;
  /** staleReads / reads; null without reads. */
  staleFraction: number | null;
  /** reads by K: index k holds the number of reads that were k versions behind. */
  byVersionsBehind: number[];
  /** Distribution of T over the stale reads only (null when none was stale). */
  staleMs: LatencySummary | null;
}

/** Summarise per-read staleness for the report (K histogram, T percentiles over stale reads). */
export function stalenessSummary(reads: readonly ReadStaleness[]): StalenessSummary {
  const stale = reads.filter((r) => r.versionsBehind > 0);
  const byVersionsBehind: number[] = [];
  for (const r of reads) {
    const k = Math.max(0, Math.floor(r.versionsBehind));
    while (byVersionsBehind.length <= k) byVersionsBehind.push(0);
    byVersionsBehind[k] = (byVersionsBehind[k] ?? 0) + 1;
  }
  return {
    reads: reads.length,
    staleReads: stale.length,
    staleFraction: reads.length === 0 ? null : stale.length / reads.length,
    byVersionsBehind,
    staleMs: summarize(stale.map((r) => r.staleMs)),
  };
}
