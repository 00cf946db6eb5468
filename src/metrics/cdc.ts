/**
 * Change-data-capture metrics from a history with true time.
 *
 * - End-to-end lag per sink: source commit (`txn.commit`) → the sink making the
 *   change visible (`cdc.apply {pos, key, sink}`), first application only (a
 *   re-application is a duplicate, counted separately). A change's source
 *   position is its numeric `lsn` field when present (the CDC model's `pos` is
 *   "lsn:idx", idx numbering row changes inside one commit record), else a
 *   numeric `pos`; it is matched to the latest `txn.commit` at exactly that lsn
 *   that wrote `key` no later than the apply (Debezium likewise stamps each
 *   change with its transaction's commit LSN). Snapshot rows (`op: 'r'`) have no
 *   source commit and are counted apart.
 * - Slot lag: the source's commit head minus the slot's confirmed position
 *   (`checkpoint {lsn}`), like pg_current_wal_lsn() − confirmed_flush_lsn of
 *   pg_replication_slots; one series per node that emits `checkpoint`.
 * - Consumer offset lag per (group, partition), as Kafka's consumer-groups tool
 *   computes it: log-end offset (last published offset + 1) minus the committed
 *   offset, where a committed offset names the *next* record to consume (Kafka's
 *   convention). Before a group's first commit it counts from offset 0
 *   (auto.offset.reset = earliest, as CDC consumers configure it).
 * - Duplicate deliveries: `cdc.deliver` of the same (pos, key) more than once to
 *   one consumer group — at-least-once delivery made visible. `pos` may be a
 *   number or a string such as "lsn:idx".
 */
import type { History, ModelEventEntry, NodeId } from '../history/types.js';
import { isEvent, keyOf, num, pushTo, writesOf } from './events.js';
import { summarize, type LatencySummary } from './summary.js';

export interface SinkApplySample {
  lsn: number;
  key: string;
  commitMs: number;
  applyMs: number;
  lagMs: number;
}

export interface SinkLag {
  sink: string;
  lagMs: LatencySummary | null;
  samples: SinkApplySample[];
  /** Applies with no matching source commit (a sink inventing data, or a history without commits). */
  unmatchedCount: number;
  /** Applies of a (pos, key) the sink had already applied. */
  reappliedCount: number;
  /** Snapshot rows applied (op 'r'): no source commit, no lag. */
  snapshotCount: number;
}

export interface SlotLagPoint {
  t: number;
  headLsn: number;
  confirmedLsn: number;
  lagLsn: number;
}

export interface SlotLag {
  node: NodeId;
  series: SlotLagPoint[];
  maxLagLsn: number;
  final: SlotLagPoint | null;
}

export interface OffsetLagPoint {
  t: number;
  endOffset: number;
  /** null before the group's first commit for this partition. */
  committedOffset: number | null;
  lag: number;
}

export interface PartitionLag {
  group: string;
  partition: string;
  series: OffsetLagPoint[];
  maxLag: number;
  final: OffsetLagPoint | null;
}

export interface DuplicateDeliveries {
  group: string;
  deliveries: number;
  /** Σ (times delivered − 1) over every (pos, key). */
  duplicates: number;
  /** The (pos, key) pairs delivered more than once, in first-delivery order. */
  repeated: { pos: string; key: string; count: number }[];
}

export interface CdcMetrics {
  sinks: SinkLag[];
  slots: SlotLag[];
  partitions: PartitionLag[];
  duplicates: DuplicateDeliveries[];
}

export function cdcMetrics(history: History): CdcMetrics {
  const events = history.filter((e): e is ModelEventEntry => isEvent(e));
  return {
    sinks: sinkLag(events),
    slots: slotLag(events),
    partitions: offsetLag(events),
    duplicates: duplicateDeliveries(events),
  };
}

// ───────────────────────────── sinks ─────────────────────────────

interface Commit {
  lsn: number;
  t: number;
  keys: Set<string> | undefined;
}

/** Source commits sorted by lsn (stable: history order among equal lsns). */
function commitIndex(events: ModelEventEntry[]): Commit[] {
  const out: Commit[] = [];
  for (const e of events) {
    if (e.name !== 'txn.commit') continue;
    const lsn = num(e, 'lsn');
    if (lsn === undefined) continue;
    const w = writesOf(e);
    out.push({ lsn, t: e.t, keys: w ? new Set(Object.keys(w)) : undefined });
  }
  return out.sort((a, b) => a.lsn - b.lsn);
}

/** The commit that carried the change of `key` at `lsn`, seen at time t, or undefined. */
function matchCommit(commits: Commit[], lsn: number, key: string, t: number): Commit | undefined {
  let lo = 0;
  let hi = commits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((commits[mid] as Commit).lsn < lsn) lo = mid + 1;
    else hi = mid;
  }
  let best: Commit | undefined;
  for (let i = lo; i < commits.length && (commits[i] as Commit).lsn === lsn; i++) {
    const c = commits[i] as Commit;
    if (c.t > t || (c.keys && !c.keys.has(key))) continue;
    // Same lsn on two timelines: the later commit is the one the sink saw.
    if (!best || c.t >= best.t) best = c;
  }
  return best;
}

/** Source log position of a CDC event: numeric `lsn`, else numeric `pos`. */
function changeLsn(e: ModelEventEntry): number | undefined {
  return num(e, 'lsn') ?? num(e, 'pos');
}

/** Identity of a change: (pos as printed, key). */
function changeId(e: ModelEventEntry): { pos: string; key: string } | undefined {
  const pos = keyOf(e, 'pos');
  const key = keyOf(e, 'key');
  return pos === undefined || key === undefined ? undefined : { pos, key };
}

function sinkLag(events: ModelEventEntry[]): SinkLag[] {
  const commits = commitIndex(events);
  const bySink = new Map<string, SinkLag>();
  const seen = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.name !== 'cdc.apply') continue;
    const id = changeId(e);
    if (id === undefined) continue;
    const sink = keyOf(e, 'sink') ?? e.node;
    const acc = bySink.get(sink) ?? { sink, lagMs: null, samples: [], unmatchedCount: 0, reappliedCount: 0, snapshotCount: 0 };
    bySink.set(sink, acc);
    const applied = seen.get(sink) ?? new Set<string>();
    seen.set(sink, applied);
    const idKey = `${id.pos}\u0000${id.key}`;
    if (applied.has(idKey)) acc.reappliedCount++;
    else if (e.data?.['op'] === 'r') acc.snapshotCount++;
    else addSample(acc, commits, e, id.key);
    applied.add(idKey);
  }
  return sortBy([...bySink.values()], (s) => s.sink).map((s) => ({ ...s, lagMs: summarize(s.samples.map((x) => x.lagMs)) }));
}

function addSample(acc: SinkLag, commits: Commit[], e: ModelEventEntry, key: string): void {
  const lsn = changeLsn(e);
  const c = lsn === undefined ? undefined : matchCommit(commits, lsn, key, e.t);
  if (!c || lsn === undefined) acc.unmatchedCount++;
  else acc.samples.push({ lsn, key, commitMs: c.t, applyMs: e.t, lagMs: e.t - c.t });
}

// ───────────────────────────── slots ─────────────────────────────

function slotLag(events: ModelEventEntry[]): SlotLag[] {
  let head = -Infinity;
  const confirmed = new Map<NodeId, number>();
  const series = new Map<NodeId, SlotLagPoint[]>();
  const push = (node: NodeId, t: number): void => {
    const c = confirmed.get(node) as number;
    const h = Number.isFinite(head) ? head : c;
    pushTo(series, node, { t, headLsn: h, confirmedLsn: c, lagLsn: Math.max(0, h - c) });
  };
  for (const e of events) {
    const lsn = num(e, 'lsn');
    if (lsn === undefined) continue;
    if (e.name === 'txn.commit' && lsn > head) {
      head = lsn;
      for (const node of confirmed.keys()) push(node, e.t);
    } else if (e.name === 'checkpoint') {
      confirmed.set(e.node, lsn);
      push(e.node, e.t);
    }
  }
  return sortBy([...series.entries()], ([n]) => n).map(([node, s]) => ({
    node,
    series: s,
    maxLagLsn: Math.max(...s.map((p) => p.lagLsn)),
    final: s[s.length - 1] ?? null,
  }));
}

// ───────────────────────────── consumer offsets ─────────────────────────────

function offsetLag(events: ModelEventEntry[]): PartitionLag[] {
  const endOffset = new Map<string, number>();
  const committed = new Map<string, number>();
  const groups = new Set<string>();
  const series = new Map<string, OffsetLagPoint[]>();
  const push = (group: string, partition: string, t: number): void => {
    const end = endOffset.get(partition) ?? 0;
    const c = committed.get(`${group}\u0000${partition}`);
    pushTo(series, `${group}\u0000${partition}`, { t, endOffset: end, committedOffset: c ?? null, lag: Math.max(0, end - (c ?? 0)) });
  };
  for (const e of events) {
    const partition = keyOf(e, 'partition');
    const offset = num(e, 'offset');
    if (partition === undefined || offset === undefined) continue;
    const group = keyOf(e, 'group');
    if (e.name === 'cdc.publish') {
      endOffset.set(partition, Math.max(endOffset.get(partition) ?? 0, offset + 1));
      for (const g of groups) push(g, partition, e.t);
    } else if ((e.name === 'offset.commit' || e.name === 'cdc.deliver') && group !== undefined) {
      if (!groups.has(group)) {
        groups.add(group);
        for (const p of endOffset.keys()) if (p !== partition) push(group, p, e.t);
      }
      if (e.name === 'offset.commit') committed.set(`${group}\u0000${partition}`, offset);
      push(group, partition, e.t);
    }
  }
  return sortBy([...series.entries()], ([k]) => k).map(([k, s]) => {
    const [group, partition] = k.split('\u0000') as [string, string];
    return { group, partition, series: s, maxLag: Math.max(...s.map((p) => p.lag)), final: s[s.length - 1] ?? null };
  });
}

// ───────────────────────────── duplicates ─────────────────────────────

function duplicateDeliveries(events: ModelEventEntry[]): DuplicateDeliveries[] {
  const byGroup = new Map<string, Map<string, { pos: string; key: string; count: number }>>();
  for (const e of events) {
    if (e.name !== 'cdc.deliver') continue;
    const id = changeId(e);
    if (id === undefined) continue;
    const group = keyOf(e, 'group') ?? e.node;
    const m = byGroup.get(group) ?? new Map<string, { pos: string; key: string; count: number }>();
    byGroup.set(group, m);
    const idKey = `${id.pos}\u0000${id.key}`;
    const rec = m.get(idKey) ?? { ...id, count: 0 };
    rec.count++;
    m.set(idKey, rec);
  }
  return sortBy([...byGroup.entries()], ([g]) => g).map(([group, m]) => {
    const recs = [...m.values()];
    const deliveries = recs.reduce((n, r) => n + r.count, 0);
    return { group, deliveries, duplicates: deliveries - recs.length, repeated: recs.filter((r) => r.count > 1) };
  });
}

function sortBy<T>(xs: T[], key: (x: T) => string): T[] {
  return xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
