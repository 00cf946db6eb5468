/**
 * Pure helpers over a History: client operations paired with their completions,
 * each node's visible log rebuilt from the shared event vocabulary (see
 * EVENT_NAMES in ./types.ts), the authoritative commit order, and indexes of
 * written values. Checkers and metrics build on these; nothing here mutates the
 * history it is given.
 */
import type {
  ClientRequest,
  CommitPos,
  FailEntry,
  FinalEntry,
  History,
  HistoryEntry,
  InfoEntry,
  InvokeEntry,
  MicroOp,
  ModelEventEntry,
  NodeId,
  OkEntry,
  QuietEntry,
  SessionId,
  Value,
} from './types.js';

/** A history that breaks the entry contract (pairing, event data shapes). */
export class HistoryError extends Error {
  override name = 'HistoryError';
}

// ───────────────────────────── operations ─────────────────────────────

export type OpStatus = 'ok' | 'fail' | 'info';

/**
 * One client operation: its invocation paired with its completion. An operation
 * without a completion (the run ended while it was open) counts as `info` with
 * `completeT` undefined: it may take effect at any time after `invokeT`.
 */
export interface Operation {
  id: number;
  session: SessionId;
  node: NodeId;
  invokeT: number;
  completeT: number | undefined;
  status: OpStatus;
  req: ClientRequest;
  /**
   * Completed micro-ops: for `ok` the server's txn (read values and computed
   * write values filled in); for `fail`/`info` the requested micro-ops.
   */
  txn: MicroOp[];
  commit?: CommitPos;
  invoke: InvokeEntry;
  completion?: OkEntry | FailEntry | InfoEntry;
}

/** Pairs every `invoke` with its completion; operations come in invocation order. */
export function operations(history: History): Operation[] {
  const byId = new Map<number, Operation>();
  const ops: Operation[] = [];
  for (const e of history) {
    if (e.type === 'invoke') {
      if (byId.has(e.op)) throw new HistoryError(`operation ${e.op} is invoked twice (second at ${fmtMs(e.t)})`);
      const op: Operation = {
        id: e.op, session: e.session, node: e.node, invokeT: e.t, completeT: undefined,
        status: 'info', req: e.req, txn: e.req.txn, invoke: e,
      };
      byId.set(e.op, op);
      ops.push(op);
    } else if (e.type === 'ok' || e.type === 'fail' || e.type === 'info') {
      completeOp(byId.get(e.op), e);
    }
  }
  return ops;
}

function completeOp(op: Operation | undefined, e: OkEntry | FailEntry | InfoEntry): void {
  if (!op) throw new HistoryError(`${e.type} entry at ${fmtMs(e.t)} completes operation ${e.op}, which was never invoked`);
  if (op.completion) throw new HistoryError(`operation ${e.op} completes twice (${op.completion.type}, then ${e.type} at ${fmtMs(e.t)})`);
  op.completion = e;
  op.completeT = e.t;
  op.status = e.type;
  op.node = e.node;
  if (e.type === 'ok') {
    op.txn = e.txn;
    if (e.commit) op.commit = e.commit;
  }
}

/** Invocation and completion entries of an operation (the completion when present). */
export function opEntries(op: Operation): HistoryEntry[] {
  return op.completion ? [op.invoke, op.completion] : [op.invoke];
}

/** True when the operation ends in COMMIT and writes at least one key. */
export function isWriteOp(op: Operation): boolean {
  return op.req.end === 'commit' && op.txn.some((m) => m.f !== 'r');
}

/** A read that observed state outside its own transaction. */
export interface ObservedRead {
  op: Operation;
  key: string;
  value: Value;
  /** Position of the micro-op inside the transaction. */
  index: number;
  /** The client operation the server said wrote the value (`w` on the read), when it said so. */
  writer?: number;
}

/**
 * The external reads of an `ok` operation: `r` micro-ops with a value, on keys
 * the same transaction has not written before (reading one's own uncommitted
 * write says nothing about replication).
 */
export function externalReads(op: Operation): ObservedRead[] {
  if (op.status !== 'ok') return [];
  const written = new Set<string>();
  const reads: ObservedRead[] = [];
  op.txn.forEach((m, index) => {
    if (m.f !== 'r') written.add(m.k);
    else if (m.v !== undefined && !written.has(m.k)) reads.push({ op, key: m.k, value: m.v, index, ...(m.w !== undefined ? { writer: m.w } : {}) });
  });
  return reads;
}

/**
 * The value each key holds when the transaction ends (last write wins inside a
 * transaction; `del` is null). Server-computed values (`upd`, `now`, `rand`)
 * are included only when known (filled in by an `ok` completion).
 */
export function finalWrites(op: Operation): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const m of op.txn) {
    if (m.f === 'r') continue;
    if (m.f === 'del') out.set(m.k, null);
    else if (m.v !== undefined) out.set(m.k, m.v);
    else out.delete(m.k); // unknown final value: do not claim an earlier one
  }
  return out;
}

/** A unique client-chosen written value (`w` micro-op) and the operation that wrote it. */
export interface WriteRecord {
  key: string;
  value: Value;
  op: Operation;
  /** False when a later micro-op of the same transaction overwrote the key. */
  final: boolean;
}

/**
 * Index of `w` micro-op values (unique per scenario by contract) → the write.
 * Null values (deletes) are not indexed: they are not unique.
 */
export function writesByValue(ops: Operation[]): Map<Value, WriteRecord> {
  const index = new Map<Value, WriteRecord>();
  for (const op of ops) {
    op.txn.forEach((m, i) => {
      if (m.f !== 'w' || m.v === null || index.has(m.v)) return;
      const final = !op.txn.slice(i + 1).some((later) => later.f !== 'r' && later.k === m.k);
      index.set(m.v, { key: m.k, value: m.v, op, final });
    });
  }
  return index;
}

// ───────────────────────────── visible logs ─────────────────────────────

/** One transaction made visible on a node (`txn.commit` or `apply`). */
export interface LogEntry {
  xid: string;
  lsn: number;
  timeline: number | undefined;
  writes: Record<string, Value>;
  t: number;
  node: NodeId;
  event: ModelEventEntry;
  /** Position among the node's applications (0 = its first `txn.commit`/`apply`). */
  seq: number;
}

/** A point from which a node's log may be re-applied: a `checkpoint` or a `recover`. */
export interface ReplayPoint {
  kind: 'checkpoint' | 'recover';
  lsn: number;
  t: number;
  event: ModelEventEntry;
  /** Number of log applications on the node before this point. */
  seq: number;
  /** Folded visible log (entries with lsn ≤ `lsn`) at that moment. */
  state: Record<string, Value>;
}

/** A node's visible log as rebuilt from its events, plus what happened to it. */
export interface NodeReplay {
  node: NodeId;
  /** Visible log at the end of the history. */
  log: LogEntry[];
  /** Every entry ever appended, in order (including ones later truncated). */
  applications: LogEntry[];
  /** `rewind` and `recover` events with the lsn they truncated to. */
  truncations: { toLsn: number; event: ModelEventEntry }[];
  points: ReplayPoint[];
  final?: FinalEntry;
}

/** Called after every change of a node's visible log, with the log after the change. */
export type LogVisitor = (replay: NodeReplay, cause: ModelEventEntry) => void;

/**
 * Rebuilds every node's visible log from `txn.commit`/`apply` (append), `rewind`
 * (drop lsn > toLsn) and `recover` (keep lsn ≤ lsn) events, in history order.
 */
export function replayLogs(history: History, visit?: LogVisitor): Map<NodeId, NodeReplay> {
  const replays = new Map<NodeId, NodeReplay>();
  const get = (node: NodeId): NodeReplay => {
    let r = replays.get(node);
    if (!r) replays.set(node, (r = { node, log: [], applications: [], truncations: [], points: [] }));
    return r;
  };
  for (const e of history) {
    if (e.type === 'final') get(e.node).final = e;
    if (e.type !== 'event') continue;
    const changed = stepLog(get(e.node), e);
    if (changed && visit) visit(get(e.node), e);
  }
  return replays;
}

function stepLog(r: NodeReplay, e: ModelEventEntry): boolean {
  switch (e.name) {
    case 'txn.commit':
    case 'apply': {
      const entry = parseLogEntry(e, r.applications.length);
      r.log.push(entry);
      r.applications.push(entry);
      return true;
    }
    case 'rewind':
    case 'recover': {
      const toLsn = numberField(e, e.name === 'rewind' ? 'toLsn' : 'lsn');
      r.log = r.log.filter((x) => x.lsn <= toLsn);
      r.truncations.push({ toLsn, event: e });
      if (e.name === 'recover') r.points.push({ kind: 'recover', lsn: toLsn, t: e.t, event: e, seq: r.applications.length, state: foldLog(r.log) });
      return true;
    }
    case 'checkpoint': {
      const lsn = numberField(e, 'lsn');
      r.points.push({ kind: 'checkpoint', lsn, t: e.t, event: e, seq: r.applications.length, state: foldLog(r.log.filter((x) => x.lsn <= lsn)) });
      return false;
    }
    default:
      return false;
  }
}

function parseLogEntry(e: ModelEventEntry, seq: number): LogEntry {
  const xid = e.data?.['xid'];
  if (typeof xid !== 'string' && typeof xid !== 'number') {
    throw new HistoryError(`${e.name} event on ${e.node} at ${fmtMs(e.t)}: data.xid must be a string or number`);
  }
  const tl = e.data?.['timeline'];
  if (tl !== undefined && typeof tl !== 'number') {
    throw new HistoryError(`${e.name} event on ${e.node} at ${fmtMs(e.t)}: data.timeline must be a number`);
  }
  return { xid: String(xid), lsn: numberField(e, 'lsn'), timeline: tl, writes: writesField(e), t: e.t, node: e.node, event: e, seq };
}

/** A numeric field of an event's data; a HistoryError naming the event otherwise. */
export function numberField(e: ModelEventEntry, field: string): number {
  const v = e.data?.[field];
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new HistoryError(`${e.name} event on ${e.node} at ${fmtMs(e.t)}: data.${field} must be a number`);
  }
  return v;
}

/** An event's `writes` (key → value); a HistoryError naming the event otherwise. */
export function writesField(e: ModelEventEntry): Record<string, Value> {
  const w = e.data?.['writes'];
  if (typeof w !== 'object' || w === null || Array.isArray(w)) {
    throw new HistoryError(`${e.name} event on ${e.node} at ${fmtMs(e.t)}: data.writes must be an object of key → value`);
  }
  for (const [k, v] of Object.entries(w)) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') {
      throw new HistoryError(`${e.name} event on ${e.node} at ${fmtMs(e.t)}: data.writes.${k} must be a string, number or null`);
    }
  }
  return w as Record<string, Value>;
}

/** xid → the `txn.abort` event that rolled it back (the last one when repeated). */
export function abortedXids(history: History): Map<string, ModelEventEntry> {
  const out = new Map<string, ModelEventEntry>();
  for (const e of history) {
    if (e.type !== 'event' || e.name !== 'txn.abort') continue;
    const xid = e.data?.['xid'];
    if (typeof xid === 'string' || typeof xid === 'number') out.set(String(xid), e);
  }
  return out;
}

/** Folds log entries in order into key/value state; null deletes a key. */
export function foldLog(log: readonly LogEntry[], start: Record<string, Value> = {}): Record<string, Value> {
  const state: Record<string, Value> = { ...start };
  for (const entry of log) {
    for (const [k, v] of Object.entries(entry.writes)) {
      if (v === null) delete state[k];
      else state[k] = v;
    }
  }
  return state;
}

/** Each node's folded visible state at the end of the history. */
export function visibleStates(history: History): Map<NodeId, Record<string, Value>> {
  return new Map([...replayLogs(history)].map(([node, r]) => [node, foldLog(r.log)]));
}

/** Keys whose values differ between two states (absent = null), sorted. */
export function diffStates(a: Record<string, Value>, b: Record<string, Value>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => (a[k] ?? null) !== (b[k] ?? null)).sort();
}

// ───────────────────────────── authority ─────────────────────────────

/** One committed version of a key in the authoritative commit order. */
export interface Version {
  key: string;
  value: Value;
  xid: string;
  /** Position of the transaction in the authority's visible log; -1 = initial (absent) state. */
  index: number;
  lsn: number;
  /** When it became visible on the authority. */
  t: number;
  /**
   * When it was first committed anywhere (earliest `txn.commit` of the xid; the
   * authority's visible time when no node emitted one).
   */
  commitT: number;
  /** The event that proves the commit (earliest `txn.commit`, or the authority's entry). */
  commitEvent?: ModelEventEntry;
  /**
   * The earliest moment a read could have returned it: the invocation of the
   * client operation that wrote it (when its events name the op) or the first
   * `txn.commit`/`apply` of its xid on any node, whichever is earlier. A
   * standby may show a commit before the primary's `txn.commit` (remote_apply
   * waits are visible on the standby first), so commitT alone is too late.
   */
  earliestT: number;
  /**
   * When its write was acknowledged to the client (the `ok` of the operation
   * its events name, or of the unique value it wrote); undefined when no
   * client was told it committed.
   */
  ackT?: number;
  /** The client operation that wrote it (named by its events, or by its unique value); undefined when unknown. */
  writer?: number;
}

/** The node whose visible log is the authoritative commit order. */
export interface Authority {
  node: NodeId;
  final: FinalEntry;
  log: LogEntry[];
  indexByXid: Map<string, number>;
  /** Versions per key in commit order (without the initial state). */
  versions: Map<string, Version[]>;
  /** Log indexes of the entries that wrote each key/value (key: writeKey(k, v)). */
  byWrite: Map<string, number[]>;
  /** Log index by commit position `${timeline}:${lsn}` (entries with a timeline only). */
  byPos: Map<string, number>;
  /** Log index by the client operation that wrote it (events carrying `op`). */
  byOp: Map<number, number>;
}

/** Index key of one key/value write. */
export function writeKey(key: string, value: Value): string {
  return JSON.stringify([key, value]);
}

/**
 * The authoritative node: the one whose final view has role 'primary' and is
 * alive. When several qualify (split brain), the one that was promoted last
 * wins; the others are judged against it. Undefined when none qualifies.
 */
export function findAuthority(history: History, replays = replayLogs(history)): Authority | undefined {
  const candidates = history.filter((e): e is FinalEntry => e.type === 'final' && e.alive && e.view.role === 'primary');
  if (candidates.length === 0) return undefined;
  const final = candidates.length === 1 ? candidates[0]! : lastPromoted(history, candidates);
  // The commit order is the log order (lsn), which is not always the order the authority
  // showed commits in: a PostgreSQL primary shows a commit when its backend leaves the
  // ProcArray, standbys replay in WAL order. Stable: equal positions keep their order.
  const log = [...(replays.get(final.node)?.log ?? [])].sort((a, b) => a.lsn - b.lsn);
  const indexByXid = new Map<string, number>();
  const byWrite = new Map<string, number[]>();
  const byPos = new Map<string, number>();
  const byOp = new Map<number, number>();
  log.forEach((entry, i) => {
    if (!indexByXid.has(entry.xid)) indexByXid.set(entry.xid, i);
    const op = entry.event.data?.['op'];
    if (typeof op === 'number' && !byOp.has(op)) byOp.set(op, i);
    if (entry.timeline !== undefined) byPos.set(`${entry.timeline}:${entry.lsn}`, i);
    for (const [k, v] of Object.entries(entry.writes)) {
      const id = writeKey(k, v);
      const list = byWrite.get(id);
      if (list) list.push(i);
      else byWrite.set(id, [i]);
    }
  });
  return { node: final.node, final, log, indexByXid, versions: buildVersions(history, log), byWrite, byPos, byOp };
}

function lastPromoted(history: History, candidates: FinalEntry[]): FinalEntry {
  let best = candidates[0]!;
  for (const e of history) {
    if (e.type !== 'event' || e.name !== 'promote') continue;
    const c = candidates.find((f) => f.node === e.node);
    if (c) best = c;
  }
  return best;
}

function buildVersions(history: History, log: LogEntry[]): Map<string, Version[]> {
  const firstCommit = new Map<string, ModelEventEntry>();
  const firstShown = new Map<string, number>();
  const invokedAt = new Map<number, number>();
  const ackedAt = new Map<number, number>();
  const writerOf = new Map<Value, number>(); // unique client-chosen values name their write
  for (const e of history) {
    if (e.type === 'invoke') {
      invokedAt.set(e.op, e.t);
      for (const m of e.req.txn) if (m.f === 'w' && m.v !== null) writerOf.set(m.v, e.op);
    }
    if (e.type === 'ok') ackedAt.set(e.op, e.t);
    if (e.type !== 'event' || (e.name !== 'txn.commit' && e.name !== 'apply')) continue;
    const xid = e.data?.['xid'];
    if (typeof xid !== 'string' && typeof xid !== 'number') continue;
    if (!firstShown.has(String(xid))) firstShown.set(String(xid), e.t);
    if (e.name === 'txn.commit' && !firstCommit.has(String(xid))) firstCommit.set(String(xid), e);
  }
  const versions = new Map<string, Version[]>();
  log.forEach((entry, index) => {
    const commitEvent = firstCommit.get(entry.xid) ?? entry.event;
    const commitT = Math.min(commitEvent.t, entry.t);
    const op = entry.event.data?.['op'];
    const invokeT = typeof op === 'number' ? invokedAt.get(op) ?? Infinity : Infinity;
    const earliestT = Math.min(commitT, firstShown.get(entry.xid) ?? Infinity, invokeT);
    for (const [key, value] of Object.entries(entry.writes)) {
      const list = versions.get(key) ?? [];
      const writer = typeof op === 'number' ? op : value === null ? undefined : writerOf.get(value);
      const ackT = writer === undefined ? undefined : ackedAt.get(writer);
      list.push({
        key, value, xid: entry.xid, index, lsn: entry.lsn, t: entry.t, commitT, commitEvent, earliestT,
        ...(ackT !== undefined ? { ackT } : {}), ...(writer !== undefined ? { writer } : {}),
      });
      versions.set(key, list);
    }
  });
  return versions;
}

/** The absent state every key starts in, before any commit. */
export function initialVersion(key: string): Version {
  return { key, value: null, xid: '(initial)', index: -1, lsn: 0, t: 0, commitT: 0, earliestT: 0 };
}

// ───────────────────────────── reads → versions ─────────────────────────────

/**
 * Every version of `key` in the authority's order that a read of `value`,
 * completed at `completeT`, could have observed, oldest first: the versions
 * holding that value (null also matches the initial state and deletes) that
 * could exist by then (earliestT ≤ completeT). A client-chosen `w` value is
 * unique, so it names one version; values the server computes (`upd`, `now`,
 * `rand`) and null repeat. A read that names its write (`writer`: the `w` the
 * server put on the read) is placed at the versions that write left with that
 * value — one, in practice. Otherwise a read of a repeated value is ambiguous,
 * and checkers judge it in the interpretation most favourable to the model: a
 * violation only when no candidate explains the read. A named write with no
 * version of that value (its events do not name it, or it left another value
 * here) does not narrow anything: the value alone decides, as without a name.
 * Empty: the value never committed in the authoritative order (lost, aborted
 * or invented). When no candidate existed yet by `completeT` every matching
 * version is returned — a read from the future is not this resolver's finding.
 */
export function readCandidates(auth: Authority, key: string, value: Value, completeT = Infinity, writer?: number): Version[] {
  const all = (auth.versions.get(key) ?? []).filter((v) => v.value === value);
  if (writer !== undefined) {
    const named = all.filter((v) => v.writer === writer);
    if (named.length > 0) return named;
  }
  if (value === null) all.unshift(initialVersion(key));
  const possible = all.filter((v) => v.earliestT <= completeT);
  return possible.length > 0 ? possible : all;
}

/** An external read with the versions that could explain it (never empty, oldest first). */
export interface PlacedRead {
  read: ObservedRead;
  versions: Version[];
}

/** Places an external read in the authority's order; undefined when no version explains its value. */
export function placeRead(auth: Authority, read: ObservedRead): PlacedRead | undefined {
  const versions = readCandidates(auth, read.key, read.value, read.op.completeT, read.writer);
  return versions.length > 0 ? { read, versions } : undefined;
}

/** The oldest version that explains the read. */
export function oldestVersion(p: PlacedRead): Version {
  return p.versions[0]!;
}

/** The newest version that explains the read. */
export function newestVersion(p: PlacedRead): Version {
  return p.versions[p.versions.length - 1]!;
}

/** True when more than one version could explain the read. */
export function isAmbiguous(p: PlacedRead): boolean {
  return p.versions.length > 1;
}

/**
 * A read a checker passed only thanks to the most favourable interpretation:
 * another version with the same value would have broken `guarantee`.
 */
export interface FavouredRead {
  guarantee: string;
  op: number;
  key: string;
  value: Value;
  /** Every version that could explain the read, oldest first. */
  xids: string[];
  /** The version the verdict rests on. */
  chosenXid: string;
}

export function favoured(guarantee: string, p: PlacedRead, chosen: Version): FavouredRead {
  return {
    guarantee, op: p.read.op.id, key: p.read.key, value: p.read.value,
    xids: p.versions.map((v) => v.xid), chosenXid: chosen.xid,
  };
}

/** Violation data for a read that several versions could explain (the violation holds for each). */
export function ambiguityData(p: PlacedRead): Record<string, unknown> {
  return isAmbiguous(p) ? { ambiguous: true, candidateXids: p.versions.map((v) => v.xid) } : {};
}

/**
 * Every external read in the history that more than one version of the
 * authority's order could explain — where a verdict had to choose an
 * interpretation. Empty without an authority.
 */
export function ambiguousReads(history: History, auth = findAuthority(history)): PlacedRead[] {
  if (!auth) return [];
  return operations(history).flatMap((op) => externalReads(op).flatMap((r) => {
    const p = placeRead(auth, r);
    return p && isAmbiguous(p) ? [p] : [];
  }));
}

/**
 * One version of `key` that a read of `value` could have observed (the
 * newest possible by `beforeT`), or undefined when none could: an existence
 * test. Checkers that order reads use placeRead and choose the version most
 * favourable to the model.
 */
export function resolveVersion(auth: Authority, key: string, value: Value, beforeT = Infinity): Version | undefined {
  const candidates = readCandidates(auth, key, value, beforeT);
  return candidates[candidates.length - 1];
}

/**
 * The authority's log entry of an acknowledged write transaction, if it
 * survived: the entry holding all of its final key/values, or else the entry
 * at its acknowledged commit position (lsn and timeline) that writes the same
 * keys with the same client-chosen values. The second form keeps a transaction
 * whose server-computed values (`upd`, `now`, `rand`) a replica re-executed
 * differently: its survival is durability's question, the differing value is
 * convergence's.
 */
export function findCommitted(auth: Authority, op: Operation): LogEntry | undefined {
  // Exact: the model names the client operation on its commit events.
  const byOp = auth.byOp.get(op.id);
  if (byOp !== undefined) return auth.log[byOp];
  const writes = [...finalWrites(op)];
  if (writes.length === 0) return undefined;
  // Server-computed values (x+1, NOW(), RAND()) repeat across transactions, so a
  // value match is ambiguous: trust the commit position first.
  const computed = op.txn.some((m) => m.f === 'upd' || m.f === 'now' || m.f === 'rand');
  if (computed) return atCommitPos(auth, op);
  const [k0, v0] = writes[0]!;
  const hit = (auth.byWrite.get(writeKey(k0, v0)) ?? []).find((i) =>
    writes.every(([k, v]) => Object.prototype.hasOwnProperty.call(auth.log[i]!.writes, k) && auth.log[i]!.writes[k] === v));
  return hit === undefined ? atCommitPos(auth, op) : auth.log[hit];
}

function atCommitPos(auth: Authority, op: Operation): LogEntry | undefined {
  if (op.commit?.timeline === undefined) return undefined;
  const i = auth.byPos.get(`${op.commit.timeline}:${op.commit.lsn}`);
  const entry = i === undefined ? undefined : auth.log[i];
  if (!entry) return undefined;
  const last = new Map<string, MicroOp>();
  for (const m of op.txn) if (m.f !== 'r') last.set(m.k, m);
  const same = [...last.values()].every((m) => Object.prototype.hasOwnProperty.call(entry.writes, m.k)
    && (m.f === 'w' ? entry.writes[m.k] === m.v : m.f === 'del' ? entry.writes[m.k] === null : true));
  return same ? entry : undefined;
}

// ───────────────────────────── faults & phases ─────────────────────────────

/**
 * Kinds of faults injected in the run. The simulator names crashes
 * 'crash:process' / 'crash:machine'; each crash also counts as plain 'crash'
 * (and a bare 'crash' is refined from the matching node lifecycle entry), so a
 * claim may tolerate all crashes or only one mode.
 */
export function injectedFaultKinds(history: History): { kinds: string[]; entry: HistoryEntry }[] {
  const out: { kinds: string[]; entry: HistoryEntry }[] = [];
  // The node clients last sent a write to is the primary as they see it (writes go only to a primary).
  let writer: NodeId | undefined;
  for (const e of history) {
    if (e.type === 'invoke' && e.node && e.req.txn.some((m) => m.f !== 'r')) writer = e.node;
    if (e.type !== 'fault' || e.phase !== 'inject') continue;
    const kind = e.fault.kind;
    const kinds = kind.startsWith('crash:') ? [kind, 'crash'] : [kind];
    if (kind === 'crash') {
      const crash = history.find((n) => n.type === 'node' && n.ev === 'crash' && n.t === e.t && e.fault.nodes.includes(n.node));
      if (crash?.type === 'node' && crash.mode) kinds.push(`crash:${crash.mode}`);
    }
    // A crash also names the role of the node it hit ('crash:machine@primary', 'crash@replica'),
    // so a claim can tolerate one node's crash and not another's.
    if (kind.startsWith('crash') && writer !== undefined) {
      const role = e.fault.nodes.length === 1 && e.fault.nodes[0] === writer ? 'primary' : e.fault.nodes.includes(writer) ? undefined : 'replica';
      if (role) for (const k of kinds.filter((x) => x.startsWith('crash'))) kinds.push(`${k}@${role}`);
    }
    out.push({ kinds, entry: e });
  }
  return out;
}

/**
 * The first injected fault outside `tolerates` (undefined `tolerates` = every
 * fault is tolerated). A fault is tolerated when any of its kinds is listed.
 */
export function faultOutside(history: History, tolerates: readonly string[] | undefined): HistoryEntry | undefined {
  if (tolerates === undefined) return undefined;
  return injectedFaultKinds(history).find((f) => !f.kinds.some((k) => tolerates.includes(k)))?.entry;
}

/** Events that change what a node shows (its visible log or, for CDC sinks, its rows). */
const STATE_EVENTS = new Set(['txn.commit', 'apply', 'rewind', 'recover', 'cdc.apply']);

/** Roles whose node holds a copy of the replicated data, whatever it holds at the end. */
const DATA_ROLES = new Set(['primary', 'standby', 'replica']);

/**
 * Nodes that hold replicated data: `explicit` when given, otherwise every node
 * that emitted a state-changing event, ends with non-empty data, served a
 * client operation (clients read what it holds), or ends with a data role
 * ('primary', 'standby', 'replica'). A replica that never received anything is
 * still a data node: its empty view is a divergence, not an absence. Brokers,
 * connectors and monitors (no such events, no clients, other roles) are left
 * out of state comparisons.
 */
export function dataNodes(history: History, explicit?: readonly NodeId[]): Set<NodeId> {
  if (explicit) return new Set(explicit);
  const out = new Set<NodeId>();
  for (const e of history) {
    if (e.type === 'event' && STATE_EVENTS.has(e.name)) out.add(e.node);
    else if (e.type === 'invoke' || e.type === 'ok') out.add(e.node);
    else if (e.type === 'final' && (Object.keys(e.view.data).length > 0 || DATA_ROLES.has(e.view.role))) out.add(e.node);
  }
  return out;
}

export function quietEntry(history: History): QuietEntry | undefined {
  return history.find((e): e is QuietEntry => e.type === 'quiet');
}

export function finalEntries(history: History): FinalEntry[] {
  return history.filter((e): e is FinalEntry => e.type === 'final');
}

// ───────────────────────────── formatting ─────────────────────────────

/** True time as it appears in sentences: "41.0 ms". */
export function fmtMs(t: number): string {
  return `${t.toFixed(1)} ms`;
}

/** A value as it appears in sentences: strings bare, null as "nothing". */
export function fmtValue(v: Value | undefined): string {
  if (v === undefined || v === null) return 'nothing';
  return String(v);
}

/**
 * Each session's read policy, from the scenario stored in the meta entry
 * (empty when the history does not carry its scenario, e.g. a hand-written one).
 */
export function sessionPolicies(history: History): Map<string, string> {
  const meta = history.find((e) => e.type === 'meta');
  const scenario = meta?.type === 'meta' ? (meta.scenario as { sessions?: { id: string; policy: string }[] } | undefined) : undefined;
  return new Map((scenario?.sessions ?? []).map((s) => [s.id, s.policy]));
}
