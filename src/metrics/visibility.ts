/**
 * Read-visibility metrics: the t-visibility curve of Probabilistically Bounded
 * Staleness (Bailis et al., VLDB 2012) measured from a history, and the time a
 * run takes to converge once faults heal.
 *
 * t-visibility is the probability that a read started t ms after a write's
 * commit returns that write or a newer one. For a committed version w (commit
 * time c(w), its `txn.commit` on the primary) and a node n, d(w, n) is the
 * first time n's visible log holds w or a newer version of the same key, minus
 * c(w) (clamped at 0; ∞ if never). A read routed to n at c(w) + t sees w or
 * newer iff d(w, n) ≤ t, so
 *
 *   P(t) = 1/|W| · Σ_w Σ_n route_w(n) · [d(w, n) ≤ t]
 *
 * where route_w is how the run routed the reads that could observe w: the share
 * of reads each node served among those invoked at or after c(w) (PBS weights
 * replicas by read routing; a routing that changes over the run, such as a
 * migration's cut-over, must not charge a write to a node that served reads
 * only before it existed). A write that no read followed has no routing to
 * weigh by, so it is not in W, and a run without reads measures nothing:
 * borrowing another routing (every node alike, or the last read's node) would
 * charge writes to nodes no client read from after them (a connector, a
 * broker, the old database of a migration). A read is taken to observe the
 * node's state at its start (client latency is ignored, which only makes the
 * curve slightly pessimistic).
 *
 * W: the committed versions some read started after, in the authoritative
 * commit order shared with the checkers (findAuthority in history/ops), one
 * per (key, transaction) — a transaction
 * that a recovery re-logs is one version, not two. Aborted or failed writes
 * and writes discarded by a rewind are not in W; a version overwritten before
 * a node showed it counts as visible there once a newer one is.
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
  /** Committed versions measured (|W|, one per key a transaction wrote); 0 means the curve is empty (no commit, or no read). */
  writes: number;
  /** Weighted curve (each write weighted by the routing of the reads that followed it). */
  points: VisibilityPoint[];
  /** P_n(t): share of W node n showed within t ms, unweighted; one per node in `weights`. */
  perNode: Record<NodeId, VisibilityPoint[]>;
  /** Routing used, averaged over W (sums to 1; empty when W is empty). */
  weights: Record<NodeId, number>;
}

/** Default grid: fine near 0 where synchronous replicas sit, coarse in the tail. */
export const DEFAULT_VISIBILITY_GRID_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

interface Version {
  key: string;
  xid: string;
  commitT: number;
}

/** Per key, the committed versions in authoritative order. */
type VersionOrder = Map<string, Version[]>;

/** A read as routing evidence: when it was invoked and which node served it. */
interface ReadAt {
  t: number;
  node: NodeId;
}

/**
 * Throws HistoryError (from history/ops) when a visible-log event is malformed,
 * as the checkers do: the same history must not be judged one way and measured another.
 */
export function visibilityCurve(history: History, gridMs: readonly number[] = DEFAULT_VISIBILITY_GRID_MS): VisibilityCurve {
  const replays = replayLogs(history);
  const order = versionOrder(history, replays);
  const reads = readsOf(history);
  const lastReadT = reads[reads.length - 1]?.t ?? -Infinity;
  const versions = [...order.values()].flat().filter((v) => v.commitT <= lastReadT);
  const routes = routing(versions, reads);
  const nodes = [...new Set(routes.flatMap((r) => [...r.keys()]))].sort();
  const delays = new Map(nodes.map((n) => [n, visibilityDelays(replays.get(n), order)]));
  const weights: Record<NodeId, number> = {};
  for (const n of nodes) weights[n] = routes.reduce((a, r) => a + (r.get(n) ?? 0), 0) / versions.length;
  const seenBy = (n: NodeId, v: Version, tMs: number): boolean => (delays.get(n)?.get(v) ?? Infinity) <= tMs;
  const perNode: Record<NodeId, VisibilityPoint[]> = {};
  for (const n of nodes) {
    perNode[n] = gridMs.map((tMs) => ({ tMs, probability: versions.filter((v) => seenBy(n, v, tMs)).length / versions.length }));
  }
  const points = gridMs.map((tMs) => ({
    tMs,
    probability: versions.length === 0 ? 0
      : versions.reduce((p, v, i) => p + [...(routes[i] ?? [])].reduce((q, [n, w]) => q + (seenBy(n, v, tMs) ? w : 0), 0), 0) / versions.length,
  }));
  return { writes: versions.length, points, perNode, weights };
}

/**
 * The authoritative order (history/ops findAuthority: the final primary's
 * visible log, rewinds applied). Without a final primary (a CDC source may end
 * with another role), every `txn.commit` in history order stands in for it.
 */
function versionOrder(history: History, replays: Map<NodeId, NodeReplay>): VersionOrder {
  const order: VersionOrder = new Map();
  const add = (key: string, xid: string, commitT: number): void => {
    const vs = order.get(key) ?? [];
    if (!vs.some((v) => v.xid === xid)) vs.push({ key, xid, commitT });
    order.set(key, vs);
  };
  const auth = findAuthority(history, replays);
  if (auth) {
    for (const [key, vs] of auth.versions) for (const v of vs) add(key, v.xid, v.commitT);
    return order;
  }
  for (const r of replays.values()) {
    for (const a of r.applications) if (a.event.name === 'txn.commit') for (const key of Object.keys(a.writes)) add(key, a.xid, a.t);
  }
  for (const vs of order.values()) vs.sort((a, b) => a.commitT - b.commitT);
  return order;
}

/** Delay (ms, ≥ 0) until `replay`'s node first showed each version or a newer one; unseen versions are absent. */
function visibilityDelays(replay: NodeReplay | undefined, order: VersionOrder): Map<Version, number> {
  const out = new Map<Version, number>();
  const reached = new Map<string, number>();
  for (const a of replay?.applications ?? []) {
    for (const key of Object.keys(a.writes)) {
      const vs = order.get(key) ?? [];
      const idx = vs.findIndex((v) => v.xid === a.xid);
      const from = reached.get(key) ?? 0;
      if (idx < from) continue;
      for (const v of vs.slice(from, idx + 1)) out.set(v, Math.max(0, a.t - v.commitT));
      reached.set(key, idx + 1);
    }
  }
  return out;
}

/** Successful reads with their invocation time (the read's start), sorted by it. */
function readsOf(history: History): ReadAt[] {
  const invokedAt = new Map<number, number>();
  const out: ReadAt[] = [];
  for (const e of history) {
    if (e.type === 'invoke') invokedAt.set(e.op, e.t);
    if (e.type === 'ok' && e.txn.some((m) => m.f === 'r')) out.push({ t: invokedAt.get(e.op) ?? e.t, node: e.node });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** route_w for each version (same order; each is followed by a read): node → share, summing to 1. */
function routing(versions: readonly Version[], reads: readonly ReadAt[]): Map<NodeId, number>[] {
  return versions.map((v) => {
    let lo = 0;
    let hi = reads.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((reads[mid] as ReadAt).t < v.commitT) lo = mid + 1;
      else hi = mid;
    }
    const after = reads.slice(lo);
    const counts = new Map<NodeId, number>();
    for (const r of after) counts.set(r.node, (counts.get(r.node) ?? 0) + 1);
    return new Map([...counts].map(([n, c]) => [n, c / after.length]));
  });
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
