/**
 * Rollback correctness. A transaction that rolled back or failed must leave no
 * trace; a transaction's intermediate writes are never seen (PostgreSQL and
 * MySQL never expose uncommitted or superseded row versions to other sessions);
 * writes on a timeline that failover discarded (what pg_rewind throws away) stay
 * gone; an indeterminate write resolves the same way everywhere; and replaying
 * the log from a checkpoint reproduces the state (redo must be idempotent, which
 * statement-based re-execution of `x = x + 1` is not).
 */
import type { FinalEntry, History, HistoryEntry, ModelEventEntry, NodeId, Value } from '../history/types.js';
import {
  type Authority,
  type LogEntry,
  type NodeReplay,
  type Operation,
  type ReplayPoint,
  type WriteRecord,
  diffStates,
  externalReads,
  fmtMs,
  fmtValue,
  foldLog,
  opEntries,
  writeKey,
} from '../history/ops.js';
import { abortsOf, authorityOf, coreOf, dataNodesOf, finalsOf, opsOf, replaysOf, writesOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';
import { foldMismatch, foldsOf, type VisibleFold } from './contract.js';

function opWords(op: Operation): string {
  const end = op.status === 'fail' ? `failed at ${fmtMs(op.completeT ?? op.invokeT)}`
    : op.req.end === 'rollback' ? `rolled back at ${fmtMs(op.completeT ?? op.invokeT)}`
      : op.status === 'ok' ? `committed at ${fmtMs(op.completeT ?? op.invokeT)}`
        : `ended indeterminate (info)${op.completeT === undefined ? '' : ` at ${fmtMs(op.completeT)}`}`;
  return `op ${op.id} of session ${op.session}, which ${end}`;
}

/** Written values that must never be seen, and how to call them. */
interface Forbidden {
  records: Map<Value, WriteRecord>;
  guarantee: string;
  what: string;
}

/** Everything that showed one forbidden value. */
interface Evidence {
  readers: Operation[];
  finals: FinalEntry[];
  shown: LogEntry[];
}

/**
 * One violation per forbidden value that anything showed, citing the most
 * telling evidence: a client read, else a live node's final state, else a
 * node making it visible (`txn.commit`/`apply`) at any time — "no node ever
 * shows it", even if nobody happened to read it.
 */
function observations(history: History, ops: Operation[], f: Forbidden): Violation[] {
  const evidence = new Map<Value, Evidence>();
  const get = (v: Value): Evidence => {
    let e = evidence.get(v);
    if (!e) evidence.set(v, (e = { readers: [], finals: [], shown: [] }));
    return e;
  };
  for (const op of ops) {
    for (const r of externalReads(op)) {
      const w = f.records.get(r.value);
      if (w && w.key === r.key && w.op !== op) get(w.value).readers.push(op);
    }
  }
  for (const fin of finalsOf(history)) {
    for (const w of f.records.values()) if (fin.alive && fin.view.data[w.key] === w.value) get(w.value).finals.push(fin);
  }
  for (const r of replaysOf(history).values()) {
    for (const e of r.applications) {
      for (const [k, v] of Object.entries(e.writes)) if (f.records.get(v)?.key === k) get(v).shown.push(e);
    }
  }
  return [...evidence].map(([v, e]) => forbiddenSeen(f, f.records.get(v)!, e));
}

function forbiddenSeen(f: Forbidden, w: WriteRecord, e: Evidence): Violation {
  const data = {
    key: w.key, value: w.value, writerOp: w.op.id, readerOps: e.readers.map((o) => o.id),
    heldAtEndBy: e.finals.map((x) => x.node), shownBy: [...new Set(e.shown.map((x) => x.node))],
  };
  const reader = e.readers[0];
  const fin = e.finals[0];
  const shown = e.shown.reduce<LogEntry | undefined>((a, b) => (a && a.t <= b.t ? a : b), undefined);
  const tail = `${f.what} by ${opWords(w.op)} — ${f.guarantee.replace(/-/g, ' ')}`;
  if (reader) {
    return {
      guarantee: f.guarantee, data, witness: [...opEntries(w.op), ...opEntries(reader)],
      sentence: `key ${w.key}: session ${reader.session} read ${fmtValue(w.value)} from node ${reader.node} at ` +
        `${fmtMs(reader.completeT ?? reader.invokeT)}, ${tail}`,
    };
  }
  if (fin) {
    return {
      guarantee: f.guarantee, data, witness: [...opEntries(w.op), fin],
      sentence: `key ${w.key}: node ${fin.node} ends the run holding ${fmtValue(w.value)}, ${tail}`,
    };
  }
  return {
    guarantee: f.guarantee, data, witness: [...opEntries(w.op), shown!.event],
    sentence: `key ${w.key}: node ${shown!.node} made ${fmtValue(w.value)} visible at ${fmtMs(shown!.t)} ` +
      `(xid ${shown!.xid}), ${tail}`,
  };
}

/**
 * 'no-aborted-read': a value written (`w`) only by a transaction that ended in
 * ROLLBACK or completed `fail` is never returned by another operation's read,
 * never made visible by any node and never held by a live node at the end.
 */
export function checkNoAbortedRead(history: History, _options: CheckOptions = {}): Violation[] {
  const ops = opsOf(history);
  const records = new Map([...writesOf(history)].filter(([, w]) => w.op.status === 'fail' || w.op.req.end === 'rollback'));
  const byValue = observations(history, ops, { records, guarantee: 'no-aborted-read', what: 'a value written only' });
  const covered = new Set(byValue.map((v) => writeKey(String(v.data?.['key']), v.data?.['value'] as Value)));
  return [...byValue, ...abortedXidsShown(history, ops, covered)];
}

/**
 * Server-computed values (`now`, `upd`, `rand`) are not unique, so an aborted
 * transaction is also traced by xid: a node that makes visible a transaction
 * some node announced as `txn.abort` shows an aborted write. A read is blamed
 * when every visible-log entry that ever wrote its key/value is aborted.
 * Key/values already reported by value (`covered`) are not reported again.
 */
function abortedXidsShown(history: History, ops: Operation[], covered: Set<string>): Violation[] {
  const aborts = abortsOf(history);
  if (aborts.size === 0) return [];
  const producers = new Map<string, LogEntry[]>();
  const shown: LogEntry[] = [];
  for (const r of replaysOf(history).values()) {
    for (const e of r.applications) {
      if (aborts.has(e.xid)) shown.push(e);
      for (const [k, v] of Object.entries(e.writes)) producers.set(writeKey(k, v), [...(producers.get(writeKey(k, v)) ?? []), e]);
    }
  }
  const out = new Map<string, Violation>();
  for (const op of ops) {
    for (const r of externalReads(op)) {
      const id = writeKey(r.key, r.value);
      const from = producers.get(id) ?? [];
      if (r.value === null || covered.has(id) || out.has(id) || from.length === 0 || !from.every((e) => aborts.has(e.xid))) continue;
      out.set(id, abortedXidViolation(r.key, from[0]!, aborts.get(from[0]!.xid)!, op));
    }
  }
  for (const e of shown.sort((a, b) => a.t - b.t)) {
    for (const [k, v] of Object.entries(e.writes)) {
      const id = writeKey(k, v);
      if (!covered.has(id) && !out.has(id)) out.set(id, abortedXidViolation(k, e, aborts.get(e.xid)!));
    }
  }
  return [...out.values()];
}

function abortedXidViolation(key: string, e: LogEntry, abort: ModelEventEntry, reader?: Operation): Violation {
  const rolledBack = `xid ${e.xid}, which node ${abort.node} rolled back at ${fmtMs(abort.t)} — no aborted read`;
  const value = fmtValue(e.writes[key]);
  return {
    guarantee: 'no-aborted-read',
    sentence: reader
      ? `key ${key}: session ${reader.session} read ${value} from node ${reader.node} at ` +
        `${fmtMs(reader.completeT ?? reader.invokeT)}, written only by ${rolledBack}`
      : `key ${key}: node ${e.node} made ${value} visible at ${fmtMs(e.t)}, written by ${rolledBack}`,
    witness: [abort, e.event, ...(reader ? opEntries(reader) : [])],
    data: { key, value: e.writes[key] ?? null, xid: e.xid, node: e.node, ...(reader ? { readerOp: reader.id } : {}) },
  };
}

/**
 * 'no-intermediate-read': a value a committing transaction wrote and then
 * overwrote itself (`w k 1; w k 2` — 1 is intermediate) is never returned by
 * another operation's read, made visible by a node, nor held at the end. Aborted transactions are left
 * to 'no-aborted-read'.
 */
export function checkNoIntermediateRead(history: History, _options: CheckOptions = {}): Violation[] {
  const ops = opsOf(history);
  const records = new Map([...writesOf(history)]
    .filter(([, w]) => !w.final && w.op.status !== 'fail' && w.op.req.end === 'commit'));
  return observations(history, ops, { records, guarantee: 'no-intermediate-read', what: 'an intermediate value overwritten within' });
}

/**
 * 'discarded-branch': a key/value that some node made visible in a transaction
 * the authority never committed (and that no authoritative transaction wrote)
 * is held by no live node at the end. One violation per node and key.
 */
export function checkDiscardedBranch(history: History, _options: CheckOptions = {}): Violation[] {
  const auth = authorityOf(history);
  if (!auth) return [];
  const replays = replaysOf(history);
  const discarded = discardedWrites(auth, replays);
  const out: Violation[] = [];
  for (const fin of finalsOf(history)) {
    if (!fin.alive) continue;
    for (const [key, values] of discarded) {
      const entry = values.get(fin.view.data[key] ?? null);
      if (entry) out.push(resurfaced(auth, key, entry, fin, promoteOf(history, auth.node)));
    }
  }
  return out;
}

/** key → value → the first discarded entry that wrote it. */
function discardedWrites(auth: Authority, replays: Map<NodeId, NodeReplay>): Map<string, Map<Value, LogEntry>> {
  const out = new Map<string, Map<Value, LogEntry>>();
  for (const r of replays.values()) {
    for (const e of r.applications) {
      if (auth.indexByXid.has(e.xid)) continue;
      for (const [k, v] of Object.entries(e.writes)) {
        if (v === null || auth.byWrite.has(writeKey(k, v))) continue;
        const byValue = out.get(k) ?? new Map<Value, LogEntry>();
        if (!byValue.has(v)) byValue.set(v, e);
        out.set(k, byValue);
      }
    }
  }
  return out;
}

function promoteOf(history: History, node: NodeId): HistoryEntry | undefined {
  return coreOf(history).filter((e) => e.type === 'event' && e.name === 'promote' && e.node === node).pop();
}

function resurfaced(auth: Authority, key: string, e: LogEntry, fin: FinalEntry, promote?: HistoryEntry): Violation {
  return {
    guarantee: 'discarded-branch',
    sentence: `key ${key}: ${fmtValue(e.writes[key])} was made visible by xid ${e.xid} on node ${e.node} at ${fmtMs(e.t)} ` +
      `on a branch authority ${auth.node} never committed, yet node ${fin.node} still holds it after convergence — ` +
      `discarded branch resurfaced`,
    witness: promote ? [e.event, promote, fin] : [e.event, fin],
    data: { key, value: e.writes[key], xid: e.xid, node: fin.node, authority: auth.node },
  };
}

/**
 * 'indeterminate-agreement': for an operation that ended `info` (or never
 * completed), each of its final `w` writes is either in the final visible log
 * of every live data node (`options.dataNodes`, default: see dataNodes) or of
 * none — PostgreSQL's "committed locally, may not be replicated" must resolve
 * one way across the cluster.
 */
export function checkIndeterminateAgreement(history: History, options: CheckOptions = {}): Violation[] {
  const replays = replaysOf(history);
  const judged = dataNodesOf(history, options.dataNodes);
  const live = finalsOf(history).filter((f) => f.alive && judged.has(f.node));
  const out: Violation[] = [];
  for (const w of writesOf(history).values()) {
    if (w.op.status !== 'info' || w.op.req.end !== 'commit' || !w.final) continue;
    const holders = live.map((f) => ({ f, entry: holding(replays.get(f.node), w) }));
    const yes = holders.filter((h) => h.entry);
    const no = holders.filter((h) => !h.entry);
    if (yes.length > 0 && no.length > 0) out.push(disagreement(w, yes[0]!.entry!, yes.map((h) => h.f.node), no.map((h) => h.f)));
  }
  return out;
}

function holding(r: NodeReplay | undefined, w: WriteRecord): LogEntry | undefined {
  return r?.log.find((e) => Object.prototype.hasOwnProperty.call(e.writes, w.key) && e.writes[w.key] === w.value);
}

function disagreement(w: WriteRecord, entry: LogEntry, yes: NodeId[], no: FinalEntry[]): Violation {
  return {
    guarantee: 'indeterminate-agreement',
    sentence: `key ${w.key}: indeterminate write of ${fmtValue(w.value)} (${opWords(w.op)}) ends visible on ` +
      `${yes.join(', ')} but not on ${no.map((f) => f.node).join(', ')} — indeterminate write resolved differently`,
    witness: [...opEntries(w.op), entry.event, no[0]!],
    data: { key: w.key, value: w.value, op: w.op.id, visibleOn: yes, missingOn: no.map((f) => f.node) },
  };
}

/**
 * 'replay-idempotent', per live node, first evidence only:
 * 1. a transaction applied again (after a recover or rewind, or twice) must
 *    produce the same writes as its first application — a replica that
 *    re-executes `x = x + 5` from an earlier checkpoint gets another value;
 * 2. re-folding the node's final visible log from every `checkpoint`/`recover`
 *    point (its state then, plus the final log's entries after that lsn) must
 *    give its final view's data — a replica that applied a record twice
 *    without saying so holds a state its log cannot explain. Points a later
 *    rewind/recover truncated below are skipped, and so are checkpoints that
 *    claimed entries the node applied only later;
 * 3. folded from the start, it must give the final data too: the model
 *    contract's fold (src/check/contract.ts), which every judged run checks.
 */
export function checkReplayIdempotent(history: History, _options: CheckOptions = {}): Violation[] {
  const out: Violation[] = [];
  const folds = foldsOf(history);
  for (const r of replaysOf(history).values()) {
    // Nodes without txn.commit/apply (brokers, connectors, CDC sinks) have no log to replay.
    if (!r.final?.alive || r.applications.length === 0) continue;
    const v = reapplied(r) ?? refoldMismatch(r) ?? startMismatch(r.final, folds.get(r.node));
    if (v) out.push(v);
  }
  return out;
}

function reapplied(r: NodeReplay): Violation | undefined {
  const first = new Map<string, LogEntry>();
  for (const e of r.applications) {
    const f = first.get(e.xid);
    if (!f) { first.set(e.xid, e); continue; }
    const keys = diffStates(f.writes, e.writes);
    if (keys.length === 0) continue;
    const k = keys[0]!;
    const between = r.truncations.filter((x) => x.event.t >= f.t && x.event.t <= e.t).pop()?.event;
    return {
      guarantee: 'replay-idempotent',
      sentence: `key ${k}: node ${r.node} applied xid ${e.xid} (lsn ${e.lsn}) again at ${fmtMs(e.t)}` +
        `${between ? ` after ${between.name} at ${fmtMs(between.t)}` : ''} and wrote ${fmtValue(e.writes[k])}, where its ` +
        `first application at ${fmtMs(f.t)} wrote ${fmtValue(f.writes[k])} — re-applying the log is not idempotent`,
      witness: between ? [f.event, between, e.event] : [f.event, e.event],
      data: { node: r.node, xid: e.xid, key: k, first: f.writes[k] ?? null, again: e.writes[k] ?? null },
    };
  }
  return undefined;
}

function refoldMismatch(r: NodeReplay): Violation | undefined {
  const fin = r.final!;
  for (const p of r.points.filter((x) => usablePoint(r, x))) {
    const state = foldLog(r.log.filter((e) => e.lsn > p.lsn), p.state);
    const k = diffStates(state, fin.view.data)[0];
    if (k === undefined) continue;
    return refoldViolation(fin, k, state[k] ?? null, `from its ${p.kind} at lsn ${p.lsn} (${fmtMs(p.t)})`, p.lsn, [p.event, fin]);
  }
  return undefined;
}

function startMismatch(fin: FinalEntry, fold: VisibleFold | undefined): Violation | undefined {
  const m = fold && foldMismatch(fold, fin.view.data);
  return m && refoldViolation(fin, m.key, m.folded, 'from the start', null, m.setBy ? [m.setBy, fin] : [fin]);
}

function refoldViolation(fin: FinalEntry, k: string, replayed: Value, from: string, fromLsn: number | null, witness: HistoryEntry[]): Violation {
  return {
    guarantee: 'replay-idempotent',
    sentence: `key ${k}: node ${fin.node} ends holding ${fmtValue(fin.view.data[k])}, but re-applying its visible log ` +
      `${from} gives ${fmtValue(replayed)} — state is not what replaying the log yields (a record applied twice?)`,
    witness,
    data: { node: fin.node, key: k, held: fin.view.data[k] ?? null, replayed, fromLsn },
  };
}

function usablePoint(r: NodeReplay, p: ReplayPoint): boolean {
  const truncatedBelow = r.truncations.some((x) => x.event.t >= p.t && x.event !== p.event && x.toLsn < p.lsn);
  const lateEntries = r.log.some((e) => e.lsn <= p.lsn && e.seq >= p.seq);
  return !truncatedBelow && !lateEntries;
}
