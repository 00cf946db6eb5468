/**
 * History: everything a checker needs to judge a run and a metric needs to
 * measure it. A history is an ordered array of entries; the array order is the
 * order in which the simulator processed them, and every entry carries `t`, the
 * *true* simulator time in milliseconds (never a node's skewed clock).
 *
 * Client operations follow Jepsen's convention: one `invoke` entry, then exactly
 * one completion — `ok` (took effect), `fail` (certainly did not take effect) or
 * `info` (indeterminate: it may or may not have taken effect, at any point after
 * its invocation). An operation's real-time interval is the closed interval
 * [invoke.t, completion.t]; for `info` the interval is open-ended on the right.
 *
 * Example: `invoke t=10 op=3` … `ok t=14.5 op=3` means operation 3 took effect at
 * some instant in [10, 14.5]. If the serving node crashed at t=12 the completion
 * is `info t=12 op=3` and the write may surface later, or never.
 */

export type NodeId = string;
export type SessionId = string;

/** A value stored under a key. `null` means absent (never written or deleted). */
export type Value = number | string | null;

/**
 * Order-sensitive update statements, as a replica re-executing a statement would
 * see them: `x = x + n` and `x = x * n`. Applied to an absent key they treat it as 0.
 */
export interface UpdateExpr {
  op: 'add' | 'mul';
  n: number;
}

/**
 * One step of a client transaction. `v` is filled in by the server on completion
 * for reads and for writes whose value the server computes (update, NOW(), RAND()).
 * Written values in `w` are unique per scenario, so a read names the write it saw.
 * A computed value is not unique (two updates may both leave 6), so a server
 * may also name the write a read saw: `w` on a completed read is the client
 * operation (history `op`) whose transaction wrote the value returned, as a
 * PostgreSQL row's `xmin` names the transaction that wrote it. Absent when
 * the server does not know it (then the value alone names the write, and a
 * repeated value stays ambiguous).
 */
export type MicroOp =
  | { f: 'r'; k: string; v?: Value; w?: number }
  | { f: 'w'; k: string; v: Value }
  | { f: 'upd'; k: string; expr: UpdateExpr; v?: Value }
  | { f: 'now'; k: string; v?: Value }
  | { f: 'rand'; k: string; v?: Value }
  | { f: 'del'; k: string };

/**
 * A client request: a transaction of one or more micro-ops ending in COMMIT or
 * ROLLBACK. A plain read is `{ txn: [{f:'r',k}], end: 'commit' }`.
 * `after` is the session's causal token (the commit position of its last
 * acknowledged write), which a read-your-writes standby waits for.
 */
export interface ClientRequest {
  txn: MicroOp[];
  end: 'commit' | 'rollback';
  after?: CommitPos;
}

/**
 * A position in the authoritative commit order. `lsn` is a log position that
 * grows with every record (PostgreSQL LSN, binlog position, CDC source offset);
 * `timeline` numbers the history branch (PostgreSQL timeline, Raft term); a
 * failover starts a new timeline, and positions compare by (timeline, lsn) only
 * within one lineage.
 */
export interface CommitPos {
  lsn: number;
  timeline?: number;
}

/** How a session chooses a node for its reads; writes always go to the primary. */
export type ReadPolicy = 'primary' | 'any-standby' | 'sticky-standby' | 'read-your-writes';

/** The server's answer to a request, as a node program returns it. */
export type ClientResult =
  | { type: 'ok'; txn: MicroOp[]; commit?: CommitPos }
  | { type: 'fail'; error: string }
  | { type: 'info'; reason: string };

/** What a node shows for inspection: role, visible key/values, positions. */
export interface NodeView {
  role: string;
  /** Visible (committed, applied) key/value state. Absent keys are not listed. */
  data: Record<string, Value>;
  /** Named log positions, e.g. { received, flushed, replayed, timeline }. */
  positions?: Record<string, number>;
}

export interface MetaEntry {
  type: 'meta';
  t: 0;
  model: string;
  bug?: string;
  seed: number;
  nodes: NodeId[];
  /** The scenario the run came from, when known (JSON). */
  scenario?: unknown;
}

export interface InvokeEntry {
  type: 'invoke';
  t: number;
  op: number;
  session: SessionId;
  node: NodeId;
  req: ClientRequest;
}

export interface OkEntry {
  type: 'ok';
  t: number;
  op: number;
  session: SessionId;
  node: NodeId;
  txn: MicroOp[];
  commit?: CommitPos;
}

export interface FailEntry {
  type: 'fail';
  t: number;
  op: number;
  session: SessionId;
  node: NodeId;
  error: string;
}

export interface InfoEntry {
  type: 'info';
  t: number;
  op: number;
  session: SessionId;
  node: NodeId;
  reason: string;
}

/**
 * Model-internal event from the shared vocabulary (see EVENT_NAMES). `data`
 * holds positions and keys, e.g. { lsn: 7, timeline: 1 } for `wal.flush`.
 */
export interface ModelEventEntry {
  type: 'event';
  t: number;
  node: NodeId;
  name: string;
  data?: Record<string, unknown>;
}

/**
 * A network happening. `msg` numbers the message (unique per run); a duplicate
 * delivery keeps the number. `label` is the message's `type` field when it has one.
 */
export interface NetEntry {
  type: 'net';
  t: number;
  ev: 'send' | 'recv' | 'drop' | 'break';
  from: NodeId;
  to: NodeId;
  msg: number;
  channel: 'stream' | 'datagram';
  label: string;
  /** For drops and breaks: why (partition, loss, crash, stream-broken). */
  why?: string;
  /** Background traffic (polls, heartbeats): present and true only for such messages. */
  bg?: true;
}

/** A fault injected by the schedule or healed (by its duration or the quiet phase). */
export interface FaultEntry {
  type: 'fault';
  t: number;
  phase: 'inject' | 'heal';
  fault: FaultDescription;
}

export interface FaultDescription {
  kind: string;
  nodes: NodeId[];
  /** Human-readable one-liner, e.g. "partition n1 -/-> n2,n3 (one-way)". */
  text: string;
}

export interface NodeLifecycleEntry {
  type: 'node';
  t: number;
  node: NodeId;
  ev: 'start' | 'crash' | 'restart' | 'pause' | 'resume';
  /** For crashes: 'process' keeps the OS page cache, 'machine' loses unsynced writes. */
  mode?: 'process' | 'machine';
}

/** The quiet phase began: faults healed, no new client ops. */
export interface QuietEntry {
  type: 'quiet';
  t: number;
}

/** Final visible state of each node at the end of the run (after the quiet phase). */
export interface FinalEntry {
  type: 'final';
  t: number;
  node: NodeId;
  alive: boolean;
  view: NodeView;
}

export type HistoryEntry =
  | MetaEntry
  | InvokeEntry
  | OkEntry
  | FailEntry
  | InfoEntry
  | ModelEventEntry
  | NetEntry
  | FaultEntry
  | NodeLifecycleEntry
  | QuietEntry
  | FinalEntry;

export type History = HistoryEntry[];

/**
 * The shared vocabulary of internal events. Models may emit others, but checkers
 * and metrics understand these, with exactly these semantics.
 *
 * Log shipping (positions are `lsn` within `timeline`):
 * - `wal.append` {lsn, timeline, xid?, rec}: a record is in the primary's log (cached, not durable).
 *   `rec` is 'begin' | 'write' | 'commit' | 'abort'.
 * - `wal.flush` {lsn, timeline}: the primary's log is durable up to lsn (its fsync completed).
 * - `wal.send` {to, lsn}: a sender shipped records up to lsn.
 * - `standby.write` / `standby.flush` / `standby.replay` {lsn, timeline}: standby progress
 *   (received into OS cache / fsynced / applied and visible).
 * - `standby.report` {from, write, flush, replay}: feedback the primary received (positions).
 *
 * Visible log — what a node makes visible, in order. Each node has one; checkers
 * rebuild it from these events alone:
 * - `txn.commit` {xid, lsn, timeline, writes}: the node (a primary) committed a transaction
 *   and made it visible; appended to its visible log. `writes` maps key → final value
 *   (null = deleted). Emitted once per commit, at the moment it becomes visible there.
 * - `apply` {xid, lsn, timeline, writes}: the node (a replica/sink) made a transaction
 *   visible; appended to its visible log.
 * - Both may carry `op`: the number of the client operation that wrote the transaction,
 *   which names it exactly even when server-computed values (x+1, NOW(), RAND()) repeat.
 * - `txn.abort` {xid, lsn?, timeline?}: rolled back; never in any visible log.
 * - `rewind` {toLsn, timeline}: entries with lsn > toLsn are removed from this node's
 *   visible log (pg_rewind discarding a divergent suffix); `timeline` is the one it follows next.
 * - `recover` {lsn, timeline}: after a restart, the node's visible state is its visible
 *   log truncated to entries with lsn ≤ lsn (what survived on disk); later `apply`s continue.
 * - `promote` {timeline, lsn}: the node became primary of a new timeline, starting after lsn.
 * - `demote` {reason}: a primary stepped down or was fenced.
 * The folded visible log must equal the node's NodeView.data at every `final` entry.
 * The authoritative commit order is the visible log of the node whose final view has
 * role 'primary' (the one alive at the end).
 *
 * CDC and migration:
 * - `cdc.publish` {pos, key, partition, offset}: an event was appended to a broker partition.
 * - `cdc.deliver` {pos, key, partition, offset, group}: a consumer received it.
 * - `cdc.apply` {pos, key, sink, value}: a sink applied it (visible in the sink).
 * - `offset.commit` {group, partition, offset}: a consumer group committed an offset.
 * - `snapshot.chunk` {from, to, low, high}: a snapshot chunk between watermarks.
 * - `checkpoint` {lsn}: state up to lsn is durable (slot confirmed_flush, checkpoint).
 */
/** A log position with its timeline (the shape of most log-shipping events). */
export type LogPosData = { lsn: number; timeline: number };

/** A transaction made visible (`txn.commit` on a primary, `apply` on a replica or sink). */
export type VisibleTxnData = {
  xid: string | number;
  lsn: number;
  timeline?: number;
  writes: Record<string, Value>;
  /** The client operation that ran it. */
  op?: number;
};

/** Where a CDC change sits: source position `lsn:idx`, its key, kind and after-image. */
export type CdcPosData = {
  pos: string;
  lsn: number;
  idx: number;
  key: string;
  /** Debezium's op: c(reate), u(pdate), d(elete), r(ead, from a snapshot); m: a transaction metadata record (BEGIN/END, key = transaction id). */
  op: 'c' | 'u' | 'd' | 'r' | 'm';
  value: Value;
};

/**
 * The data each event of the shared vocabulary carries — the documentation
 * above as a type. `NodeContext.emit` checks an event of these names against
 * it at compile time; other names (a model's own events) take any object.
 */
export type EventData = {
  'wal.append': LogPosData & { xid?: string | number; rec: 'begin' | 'write' | 'commit' | 'abort' };
  'wal.flush': LogPosData;
  'wal.send': { to: NodeId; lsn: number };
  'standby.write': LogPosData;
  'standby.flush': LogPosData;
  'standby.replay': LogPosData;
  'standby.report': { from: NodeId; write: number; flush: number; replay: number };
  'txn.commit': VisibleTxnData;
  'txn.abort': { xid: string | number; lsn?: number; timeline?: number; op?: number };
  'apply': VisibleTxnData;
  'promote': LogPosData;
  'rewind': { toLsn: number; timeline: number };
  'recover': { lsn: number; timeline?: number };
  'demote': { reason: string };
  'cdc.publish': CdcPosData & { partition: number; offset: number };
  'cdc.deliver': CdcPosData & { partition: number; offset: number; group: string };
  'cdc.apply': CdcPosData & {
    sink: NodeId; partition?: number; offset?: number;
    /** The sink's own account of what the event did to its row. */
    effect?: string;
    /** Announced again after a restart from what the store already held. */
    recovered?: true;
  };
  'offset.commit': { group: string; partition: number; offset: number; store?: string };
  'snapshot.chunk': { from: string | null; to: string | null; low: number; high: number; rows?: number };
  'checkpoint': { lsn: number; idx?: number; slot?: number };
};

export type EventName = keyof EventData;

/**
 * What `emit(name, data)` takes as data: the vocabulary's shape for a
 * vocabulary name, any object for a model's own event (or a name only known
 * at run time, as a wrapper that forwards events has).
 */
export type EmitData<N extends string> = string extends N
  ? Record<string, unknown>
  : N extends EventName ? EventData[N] : Record<string, unknown>;

export const EVENT_NAMES = [
  'wal.append',
  'wal.flush',
  'wal.send',
  'standby.write',
  'standby.flush',
  'standby.replay',
  'standby.report',
  'txn.commit',
  'txn.abort',
  'apply',
  'promote',
  'rewind',
  'recover',
  'demote',
  'cdc.publish',
  'cdc.deliver',
  'cdc.apply',
  'offset.commit',
  'snapshot.chunk',
  'checkpoint',
] as const satisfies readonly EventName[];

// Every name of the vocabulary is listed once: EVENT_NAMES and EventData agree.
type Missing = Exclude<EventName, (typeof EVENT_NAMES)[number]>;
const _allListed: [Missing] extends [never] ? true : Missing = true;
void _allListed;
