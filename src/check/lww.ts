/**
 * Checkers for leaderless last-write-wins stores (no primary, no authority).
 * They judge from what a client of Cassandra or Dynamo can observe:
 * - the write timestamp each acknowledged write was given (`commit.lsn` of its
 *   `ok`: the coordinator's WRITETIME, in µs);
 * - what each read returned, with true invocation and completion times;
 * - each live node's final data after the quiet phase, and which keys it
 *   replicates (`view.positions['owns:<key>'] = 1`, as `nodetool getendpoints`
 *   tells an operator).
 *
 * The LWW order is the one the timestamps define, with Cassandra's tie rule
 * (a tombstone beats a live cell, then the larger value). Written values are
 * unique per scenario, so a value names the write that produced it.
 */
import { fmtMs, fmtValue, type Operation } from '../history/ops.js';
import type { FinalEntry, History, HistoryEntry, ModelEventEntry, NodeId, Value } from '../history/types.js';
import { cdcTransformState, isCdcTransform, type CdcTransform } from './cdc.js';
import type { CheckOptions, Violation } from './types.js';
import { coreOf, finalsOf, opsOf, quietOf, shared } from './views.js';

/** One single-key write or delete a client issued (fail excluded: it did not happen). */
export interface LwwWrite {
  op: Operation;
  k: string;
  v: Value;
  /** The write timestamp acknowledged to the client; undefined when not acknowledged. */
  ts: number | undefined;
  invokeT: number;
  /** Completion of an acknowledged write; Infinity for an indeterminate one. */
  completeT: number;
  acked: boolean;
}

export interface LwwRead {
  op: Operation;
  k: string;
  v: Value;
  invokeT: number;
  completeT: number;
}

/** LWW order over (value, timestamp): > 0 when `a` wins. */
export function compareLww(a: { v: Value; ts: number }, b: { v: Value; ts: number }): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.v === b.v) return 0;
  if (a.v === null) return 1;
  if (b.v === null) return -1;
  if (typeof a.v === 'number' && typeof b.v === 'number') return a.v - b.v;
  return String(a.v) < String(b.v) ? -1 : 1;
}

/** A µs write timestamp as a wall-clock time of day, e.g. 10:03:00.000120. */
export function fmtTs(ts: number): string {
  const us = ((Math.floor(ts) % 86_400_000_000) + 86_400_000_000) % 86_400_000_000;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = Math.floor(us / 1e6);
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${p(us % 1e6, 6)}`;
}

interface LwwIndex {
  writes: Map<string, LwwWrite[]>;
  reads: LwwRead[];
  byValue: Map<Value, LwwWrite>;
}

export function lwwIndex(h: History): LwwIndex {
  return shared(h, 'lww', () => {
    const writes = new Map<string, LwwWrite[]>();
    const reads: LwwRead[] = [];
    const byValue = new Map<Value, LwwWrite>();
    for (const op of opsOf(h)) {
      if (op.txn.length !== 1) continue;
      const m = op.txn[0]!;
      if (m.f === 'r') {
        if (op.status === 'ok') reads.push({ op, k: m.k, v: m.v ?? null, invokeT: op.invokeT, completeT: op.completeT ?? Infinity });
        continue;
      }
      if ((m.f !== 'w' && m.f !== 'del') || op.status === 'fail') continue;
      const acked = op.status === 'ok';
      const w: LwwWrite = {
        op, k: m.k, v: m.f === 'w' ? m.v : null, ts: acked ? op.commit?.lsn : undefined,
        invokeT: op.invokeT, completeT: acked ? (op.completeT ?? Infinity) : Infinity, acked,
      };
      const list = writes.get(m.k) ?? [];
      list.push(w);
      writes.set(m.k, list);
      if (w.v !== null) byValue.set(w.v, w);
    }
    return { writes, reads, byValue };
  });
}

/** Roles of the CDC pipeline's nodes: they hold copies or logs of the data, they are not replicas. */
const PIPELINE_ROLES = new Set(['sink', 'broker']);
const isReplica = (f: FinalEntry) => f.alive && !PIPELINE_ROLES.has(f.view.role ?? '');

/** Live final views that replicate `k` (they say so, or they hold it). */
function ownersOf(h: History, k: string): FinalEntry[] {
  return finalsOf(h).filter((f) => isReplica(f) && (f.view.positions?.[`owns:${k}`] === 1 || k in f.view.data));
}

function replicatedKeys(h: History): string[] {
  const keys = new Set<string>();
  for (const f of finalsOf(h)) {
    if (!isReplica(f)) continue;
    for (const k of Object.keys(f.view.data)) keys.add(k);
    for (const p of Object.keys(f.view.positions ?? {})) if (p.startsWith('owns:')) keys.add(p.slice(5));
  }
  return [...keys].sort();
}

const describeWrite = (w: LwwWrite, clock = false) =>
  `op ${w.op.id} (session ${w.op.session}) ${w.v === null ? 'deleted it' : `wrote ${fmtValue(w.v)}`}` +
  (w.ts !== undefined ? ` stamped ${fmtTs(w.ts)}${clock ? ` by ${w.op.node}'s clock` : ''}` : '') +
  (w.acked ? `, acknowledged at ${fmtMs(w.completeT)}` : ' (indeterminate)');

// ───────────────────────────── convergence ─────────────────────────────

/**
 * 'lww-convergence': after the quiet phase, every live replica of a key holds
 * the same value (absent = deleted or never written). One violation per key.
 */
export function checkLwwConvergence(history: History, _o: CheckOptions = {}): Violation[] {
  const quiet = quietOf(history);
  const out: Violation[] = [];
  for (const k of replicatedKeys(history)) {
    const owners = ownersOf(history, k);
    const held = owners.map((f) => f.view.data[k] ?? null);
    if (new Set(held).size <= 1) continue;
    const a = owners[0]!;
    const b = owners.find((f) => (f.view.data[k] ?? null) !== (a.view.data[k] ?? null))!;
    const when = quiet ? `after the quiet phase (began ${fmtMs(quiet.t)})` : 'at the end';
    out.push({
      guarantee: 'lww-convergence',
      sentence: `key ${k}: ${when} replica ${a.node} holds ${fmtValue(a.view.data[k] ?? null)} but replica ${b.node} holds ` +
        `${fmtValue(b.view.data[k] ?? null)} — replicas did not converge after repair`,
      witness: [a, b],
      data: { key: k, nodes: owners.map((f) => f.node), values: held },
    });
  }
  return out;
}

// ───────────────────────────── durability ─────────────────────────────

/**
 * 'lww-durability': no acknowledged write is lost against the LWW order. For
 * each key, every live replica ends with a version at least as high in the
 * LWW order as the highest acknowledged write: a newer acknowledged or an
 * indeterminate write (whose timestamp the client never learned), or, when
 * the highest is a delete, nothing. A zombie (a row back after its delete) and
 * an overwrite by an older timestamp both break it.
 */
export function checkLwwDurability(history: History, _o: CheckOptions = {}): Violation[] {
  const { writes, byValue } = lwwIndex(history);
  const out: Violation[] = [];
  for (const [k, list] of [...writes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    let top: (LwwWrite & { ts: number }) | undefined;
    for (const w of list) if (w.acked && w.ts !== undefined && (!top || compareLww(w as { v: Value; ts: number }, top) > 0)) top = w as LwwWrite & { ts: number };
    if (!top) continue;
    for (const f of ownersOf(history, k)) {
      const held = f.view.data[k] ?? null;
      let why: string | undefined;
      if (held === null) {
        if (top.v === null || list.some((w) => w.v === null && w.ts === undefined)) continue;
        why = `ends without the key`;
      } else {
        const x = byValue.get(held);
        if (x && x.k === k && x.ts === undefined) continue; // an indeterminate write may be the newest
        if (x && x.k === k && compareLww(x as { v: Value; ts: number }, top) >= 0) continue;
        why = x && x.k === k ? `ends with ${fmtValue(held)} from ${describeWrite(x)}, older in the LWW order` : `ends with ${fmtValue(held)}, which no client wrote to ${k}`;
      }
      out.push({
        guarantee: 'lww-durability',
        sentence: `key ${k}: ${describeWrite(top)}, but replica ${f.node} ${why}` +
          (top.v === null ? ' — the deleted row came back (zombie)' : ' — an acknowledged write was lost'),
        witness: [top.op.invoke, ...(top.op.completion ? [top.op.completion] : []), f],
        data: { key: k, node: f.node, op: top.op.id, held },
      });
      break;
    }
  }
  return out;
}

// ───────────────────────────── read latest ─────────────────────────────

/**
 * 'read-latest': a read returns the latest write acknowledged before it began,
 * or a write concurrent with it (a regular register per key, in real time).
 * The read's value names its write X; the read is stale when some write W was
 * acknowledged after X completed and before the read began. A read of nothing
 * may be any delete or the initial absence. With skewed clocks no such
 * promise is in force (timestamps may order writes against real time): the
 * guarantee is not judged and this finds nothing; lww-real-time-order shows
 * what skew does.
 */
export function checkReadLatest(history: History, _o: CheckOptions = {}): Violation[] {
  if (clockAnomaly(history) !== undefined) return [];
  const { writes, reads } = lwwIndex(history);
  const out: Violation[] = [];
  for (const r of reads) {
    const list = writes.get(r.k) ?? [];
    const before = list.filter((w) => w.acked && w.completeT < r.invokeT);
    const candidates: { completeT: number; w?: LwwWrite }[] = r.v === null
      ? [{ completeT: -Infinity }, ...list.filter((w) => w.v === null).map((w) => ({ completeT: w.completeT, w }))]
      : list.filter((w) => w.v === r.v).map((w) => ({ completeT: w.completeT, w }));
    const fresh = candidates.some((x) => (x.w ? x.w.invokeT <= r.completeT : true) && !before.some((w) => w.invokeT > x.completeT));
    if (fresh) continue;
    const last = before.reduce<LwwWrite | undefined>((a, w) => (!a || w.completeT > a.completeT ? w : a), undefined);
    const x = candidates.find((c) => c.w)?.w;
    const what = r.v === null ? 'nothing' : fmtValue(r.v);
    out.push({
      guarantee: 'read-latest',
      sentence: `key ${r.k}: op ${r.op.id} (session ${r.op.session}) read ${what} from ${r.op.node} at ${fmtMs(r.completeT)}` +
        (x ? ` (written by op ${x.op.id})` : '') +
        (last ? `, but ${describeWrite(last)}, before the read began at ${fmtMs(r.invokeT)}` : '') +
        ' — a read missed the latest acknowledged write',
      witness: [r.op.invoke, ...(r.op.completion ? [r.op.completion] : []), ...(last?.op.completion ? [last.op.completion] : [])],
      data: { key: r.k, op: r.op.id, value: r.v, ...(last ? { latest: last.op.id } : {}) },
    });
  }
  return out;
}

// ───────────────────────────── read latest in the LWW order ─────────────────────────────

/**
 * 'lww-read-latest': what R + W > RF promises under any clocks — a read returns
 * a version at least as high in the LWW order as every write acknowledged
 * before it began. The value read names its write; a value of an
 * indeterminate write (timestamp unknown to the client) is not judged.
 */
export function checkLwwReadLatest(history: History, _o: CheckOptions = {}): Violation[] {
  const { writes, reads, byValue } = lwwIndex(history);
  const out: Violation[] = [];
  for (const r of reads) {
    const list = writes.get(r.k) ?? [];
    let top: (LwwWrite & { ts: number }) | undefined;
    for (const w of list) {
      if (w.acked && w.ts !== undefined && w.completeT < r.invokeT && (!top || compareLww(w as LwwWrite & { ts: number }, top) > 0)) top = w as LwwWrite & { ts: number };
    }
    if (!top) continue;
    let x: LwwWrite | undefined;
    if (r.v === null) {
      if (top.v === null || list.some((w) => w.v === null && (w.ts === undefined || compareLww(w as LwwWrite & { ts: number }, top!) >= 0))) continue;
    } else {
      x = byValue.get(r.v);
      if (x && x.k === r.k && (x.ts === undefined || compareLww(x as LwwWrite & { ts: number }, top) >= 0)) continue;
    }
    const what = r.v === null ? 'nothing' : fmtValue(r.v);
    out.push({
      guarantee: 'lww-read-latest',
      sentence: `key ${r.k}: op ${r.op.id} (session ${r.op.session}) read ${what} from ${r.op.node} at ${fmtMs(r.completeT)}` +
        (x ? ` (${describeWrite(x)})` : '') + `, but ${describeWrite(top)}, before the read began at ${fmtMs(r.invokeT)}` +
        ' — the read returned an older version in the timestamp order',
      witness: [r.op.invoke, ...(r.op.completion ? [r.op.completion] : []), ...(top.op.completion ? [top.op.completion] : [])],
      data: { key: r.k, op: r.op.id, value: r.v, latest: top.op.id },
    });
  }
  return out;
}

// ───────────────────────────── real-time order ─────────────────────────────

/**
 * 'lww-real-time-order' (measured, never claimed by an LWW store): a write
 * acknowledged before another began must not win over it. When clocks are
 * skewed it does — the "10:00 stored, 10:03 received" trap — and the later
 * write is silently discarded. One violation per discarded write.
 */
export function checkLwwRealTimeOrder(history: History, _o: CheckOptions = {}): Violation[] {
  const { writes } = lwwIndex(history);
  const out: Violation[] = [];
  for (const [, list] of [...writes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const acked = list.filter((w): w is LwwWrite & { ts: number } => w.acked && w.ts !== undefined);
    for (const later of acked) {
      const earlier = acked.find((e) => e.completeT < later.invokeT && compareLww(e, later) > 0);
      if (!earlier) continue;
      out.push({
        guarantee: 'lww-real-time-order',
        sentence: `key ${later.k}: ${describeWrite(earlier, true)}; ${describeWrite(later, true)}, ` +
          `begun after the first was acknowledged — last-write-wins keeps the earlier write and ` +
          'silently discards the later one',
        witness: [earlier.op.completion ?? earlier.op.invoke, later.op.invoke, later.op.completion ?? later.op.invoke],
        data: { key: later.k, kept: earlier.op.id, lost: later.op.id, keptTs: earlier.ts, lostTs: later.ts },
      });
    }
  }
  return out;
}

// ───────────────────────────── strict-quorum placement ─────────────────────────────

/**
 * 'lww-strict-quorum': an acknowledgement at consistency level W means the
 * write is stored on W of the key's own replicas (its preference list) when the
 * client receives it — a strict quorum never counts hints or fallback nodes
 * towards W (Cassandra counts hints only for CL ANY; Riak's pw). A sloppy
 * quorum breaks it by design, and the user-visible consequence is a read with
 * R + W > RF that misses the acknowledged write until the hint is handed off.
 *
 * Judged from the replicas' stores: each node's visible state folded from its
 * `apply`/`recover` events (the fold the contract checks against every node's
 * final data), at the moment the acknowledgement reaches the client. A replica
 * holds the write when it shows its value, or a version at least as new in the
 * LWW order: another write's value with a timestamp at least as high (or an
 * indeterminate one), or — shown as absent — a delete that may be newer. The
 * key's replicas are the nodes whose final view owns it; W is the write
 * acknowledgement count each replica reports (`positions.writeAcks`).
 * Deletes are not judged: a tombstone over an absent row changes no visible state.
 */
export function checkLwwStrictQuorum(history: History, _o: CheckOptions = {}): Violation[] {
  const W = writeAcksOf(history);
  if (W === undefined) return [];
  const { writes, byValue } = lwwIndex(history);
  const homes = new Map<string, NodeId[]>();
  const byCompletion = new Map<HistoryEntry, LwwWrite & { ts: number }>();
  for (const [k, list] of writes) {
    homes.set(k, homeReplicas(history, k));
    for (const w of list) if (w.acked && w.ts !== undefined && w.v !== null && w.op.completion) byCompletion.set(w.op.completion, w as LwwWrite & { ts: number });
  }
  const state = new Map<NodeId, Map<string, { v: Value; e: ModelEventEntry }>>();
  const out: Violation[] = [];
  for (const e of coreOf(history)) {
    if (e.type === 'event') {
      if (e.name === 'recover') state.set(e.node, new Map());
      else if (e.name === 'apply') {
        const s = state.get(e.node) ?? new Map<string, { v: Value; e: ModelEventEntry }>();
        state.set(e.node, s);
        const ws = e.data?.['writes'];
        if (ws && typeof ws === 'object') for (const [k, v] of Object.entries(ws as Record<string, Value>)) s.set(k, { v: v ?? null, e });
      }
      continue;
    }
    const w = byCompletion.get(e);
    if (!w) continue;
    const replicas = homes.get(w.k) ?? [];
    const holders: NodeId[] = [];
    const lacking: string[] = [];
    for (const n of replicas) {
      const held = state.get(n)?.get(w.k);
      const v = held?.v ?? null;
      if (coversWrite(writes.get(w.k) ?? [], byValue, w, v)) holders.push(n);
      else lacking.push(`${n} held ${v === null ? 'nothing' : fmtValue(v)}`);
    }
    if (holders.length >= W || replicas.length < W) continue;
    out.push({
      guarantee: 'lww-strict-quorum',
      sentence: `key ${w.k}: ${describeWrite(w)} by ${w.op.node} at W=${W}, but when the acknowledgement arrived only ` +
        `${holders.length} of its replicas ${replicas.join(', ')} stored it (${holders.length ? `${holders.join(', ')} did; ` : ''}${lacking.join(', ')}) ` +
        '— fewer of the key\'s own replicas held the write than its consistency level promises (a strict quorum counts no fallback node or hint)',
      witness: [w.op.invoke, e, ...holders.map((n) => state.get(n)!.get(w.k)!.e)],
      data: { key: w.k, op: w.op.id, w: W, replicas, holders },
    });
  }
  return out;
}

/** Whether a replica showing `v` for the write's key holds the write or a version at least as new in the LWW order. */
function coversWrite(list: LwwWrite[], byValue: Map<Value, LwwWrite>, w: LwwWrite & { ts: number }, v: Value): boolean {
  if (v === w.v) return true;
  if (v === null) return list.some((d) => d.v === null && (d.ts === undefined || compareLww(d as { v: Value; ts: number }, w) >= 0));
  const x = byValue.get(v);
  return x !== undefined && x.k === w.k && (x.ts === undefined || compareLww(x as { v: Value; ts: number }, w) >= 0);
}

/** Nodes whose final view says they replicate `k` (alive or not). */
function homeReplicas(h: History, k: string): NodeId[] {
  return finalsOf(h).filter((f) => !PIPELINE_ROLES.has(f.view.role ?? '') && f.view.positions?.[`owns:${k}`] === 1).map((f) => f.node).sort();
}

/** The write consistency level's acknowledgement count, as the replicas report it; undefined when none does. */
function writeAcksOf(h: History): number | undefined {
  for (const f of finalsOf(h)) {
    const w = f.view.positions?.['writeAcks'];
    if (!PIPELINE_ROLES.has(f.view.role ?? '') && typeof w === 'number') return w;
  }
  return undefined;
}

export function lwwStrictQuorumJudgeable(h: History): string | undefined {
  if (writeAcksOf(h) === undefined) return "no replica reports its write acknowledgement count (final view positions.writeAcks)";
  const { writes } = lwwIndex(h);
  for (const [k, list] of writes) if (list.some((w) => w.acked && w.ts !== undefined && w.v !== null) && homeReplicas(h, k).length > 0) return undefined;
  return 'no write of a value was acknowledged with a write timestamp on a key a node replicates';
}

// ───────────────────────────── CDC into SQL ─────────────────────────────

interface LwwSink {
  final: FinalEntry;
  transform: CdcTransform;
}

/** Live sinks (final role 'sink') with the transformation their `cdc.sink` event names. */
function lwwSinks(h: History): LwwSink[] {
  const transforms = new Map<NodeId, CdcTransform>();
  for (const e of coreOf(h)) {
    if (e.type !== 'event' || (e as ModelEventEntry).name !== 'cdc.sink') continue;
    const t = (e as ModelEventEntry).data?.['transform'];
    if (isCdcTransform(t)) transforms.set(e.node, t);
  }
  return finalsOf(h)
    .filter((f) => f.alive && f.view.role === 'sink' && transforms.has(f.node))
    .map((final) => ({ final, transform: transforms.get(final.node)! }));
}

/**
 * 'lww-sink-convergence': after the quiet phase, each sink's table, as read
 * through its transformation, equals the transformation of the replicas'
 * last-write-wins state. That state is what the live replicas of each key
 * agree on in their final views; a key they disagree on is lww-convergence's
 * finding and is not judged here. One violation per differing cell.
 */
export function checkLwwSinkConvergence(history: History, _o: CheckOptions = {}): Violation[] {
  const resolved: Record<string, Value> = {};
  const holders = new Map<string, FinalEntry[]>();
  const unsettled: [string, Value[]][] = [];
  for (const k of replicatedKeys(history)) {
    const owners = ownersOf(history, k);
    const held = [...new Set(owners.map((f) => f.view.data[k] ?? null))];
    if (held.length > 1) unsettled.push([k, held]);
    else if (held[0] !== null && held[0] !== undefined) resolved[k] = held[0];
    holders.set(k, owners);
  }
  const quiet = quietOf(history);
  const when = quiet ? `after the quiet phase (began ${fmtMs(quiet.t)})` : 'at the end';
  const out: Violation[] = [];
  for (const { final, transform } of lwwSinks(history)) {
    const cellKey = new Map<string, string>();
    for (const [k, v] of Object.entries(resolved)) for (const cell of Object.keys(cdcTransformState(transform, { [k]: v }))) cellKey.set(cell, k);
    const skip = new Set<string>();
    for (const [k, vs] of unsettled) for (const v of vs) if (v !== null) for (const cell of Object.keys(cdcTransformState(transform, { [k]: v }))) skip.add(cell);
    const expected = cdcTransformState(transform, resolved);
    const cells = [...new Set([...Object.keys(expected), ...Object.keys(final.view.data)])].filter((c) => !skip.has(c)).sort();
    for (const cell of cells) {
      const want = expected[cell] ?? null;
      const got = final.view.data[cell] ?? null;
      if (want === got) continue;
      const k = cellKey.get(cell);
      const owners = k ? holders.get(k) ?? [] : [];
      out.push({
        guarantee: 'lww-sink-convergence',
        sentence: `sink ${final.node} (${transform}): ${when} its table reads ${cell} = ${fmtValue(got)}, but the replicas' ` +
          `last-write-wins state gives ${fmtValue(want)}` + (k ? ` (${owners.map((f) => f.node).join(', ')} hold ${fmtValue(resolved[k] ?? null)} for key ${k})` : '') +
          ' — the SQL copy did not converge to the source',
        witness: [final, ...owners],
        data: { sink: final.node, cell, held: got, expected: want, ...(k ? { key: k } : {}) },
      });
    }
  }
  return out;
}

// ───────────────────────────── evidence ─────────────────────────────

export function lwwSinkPresent(h: History): string | undefined {
  return lwwSinks(h).length > 0 ? undefined : "no live sink: no final view with role 'sink' and a cdc.sink event naming its transformation";
}

/** Why the scenario's clocks rule out a real-time promise, or undefined when every clock is exact. */
export function clockAnomaly(h: History): string | undefined {
  const meta = h[0]?.type === 'meta' ? h[0] : undefined;
  const clocks = (meta?.scenario as { clocks?: Record<NodeId, { offsetMs?: number; driftPpm?: number; jumps?: unknown[] }> } | undefined)?.clocks;
  if (!clocks) return meta?.scenario === undefined ? 'the run records no scenario, so its clocks are unknown' : undefined;
  const skewed = Object.entries(clocks).filter(([, c]) => (c.offsetMs ?? 0) !== 0 || (c.driftPpm ?? 0) !== 0 || (c.jumps?.length ?? 0) > 0);
  return skewed.length > 0
    ? `clocks are skewed (${skewed.map(([n]) => n).join(', ')}): timestamps may order writes against real time, so no read-latest promise is in force`
    : undefined;
}

export function lwwReplicas(h: History): string | undefined {
  const live = finalsOf(h).filter(isReplica);
  return replicatedKeys(h).some((k) => ownersOf(h, k).length >= 2) ? undefined
    : `no key has two live replicas at the end (${live.length} live nodes)`;
}

/**
 * The sink is judged against the replicas' final views: one live replica is
 * enough (with RF 1 the sink must equal the single replica's state); keys the
 * replicas disagree on are left to lww-convergence.
 */
export function lwwSourceReplica(h: History): string | undefined {
  return finalsOf(h).some(isReplica) ? undefined : 'no live replica at the end: no final view of the store to compare the sink with';
}

export function lwwAckedWrite(h: History): string | undefined {
  for (const [k, list] of lwwIndex(h).writes) if (list.some((w) => w.acked && w.ts !== undefined) && ownersOf(h, k).length > 0) return undefined;
  return 'no single-key write was acknowledged with a write timestamp (commit.lsn) on a key a live node replicates';
}

export function lwwReadAfterAck(h: History): string | undefined {
  const { writes, reads } = lwwIndex(h);
  const hit = reads.some((r) => (writes.get(r.k) ?? []).some((w) => w.acked && w.completeT < r.invokeT));
  return hit ? undefined : 'no read began after a write to its key was acknowledged';
}

export function lwwOrderedWrites(h: History): string | undefined {
  for (const list of lwwIndex(h).writes.values()) {
    const acked = list.filter((w) => w.acked && w.ts !== undefined);
    if (acked.some((a) => acked.some((b) => a.completeT < b.invokeT))) return undefined;
  }
  return 'no two acknowledged writes to one key were ordered in real time';
}
