/**
 * One database node (primary or standby; roles change at failover) and the
 * parts both roles share: recovery from disk, visibility, rewind, roles.
 *
 * Roles, as `view().role` shows them:
 * - 'primary': accepts writes (and, while its lease holds, reads).
 * - 'standby': streams WAL from the primary and serves read-only transactions.
 * - 'old-primary': a demoted or fenced primary, or a node waiting to (re)join a
 *   primary — serves nothing until it streams again (after rewinding).
 * - 'recovering': a restarted primary waiting for the monitor to confirm it
 *   still holds the primary role (failover 'auto' only).
 *
 * Persistence: file 'wal' (records), 'state' (role + timeline history) and
 * 'snap' (visible data as of a commit position). 'snap' is written at every
 * visibility change and becomes durable with the next fsync, so after a crash
 * the node shows exactly its visible log cut at snap.lsn (the `recover` event).
 */
import type { IncomingRequest, MicroOp, NodeContext, NodeId, NodeProgram, NodeView, TimerId, Value } from '../../src/index.js';
import { MONITOR, type WalBug, type WalConfig } from './config.js';
import {
  INITIAL_LINEAGE,
  asMsg,
  currentTl,
  indexAfter,
  maxLsn,
  type Lineage,
  type NodeState,
  type Snapshot,
  type WalRec,
} from './log.js';
import * as primary from './primary.js';
import * as standby from './standby.js';
import { evalStmt } from './statements.js';

export type Role = 'primary' | 'standby' | 'old-primary' | 'recovering';

export interface Waiter {
  xid: string;
  lsn: number;
  tl: number;
  /** The client request to answer; -1 for a commit recovered from the log. */
  reqId: number;
  /** The client operation that ran it (also for recovered commits). */
  op: number | undefined;
  writes: Map<string, Value>;
  out: IncomingRequest['req']['txn'];
  keys: string[];
  visible: boolean;
}

export interface Sender {
  sid: number;
  next: number;
  write: number;
  flush: number;
  replay: number;
  /** pg_stat_replication state: 'streaming' once caught up (true), 'catchup' before (false). */
  streaming: boolean;
}

export interface ReadWait {
  req: IncomingRequest;
  lsn: number;
  timer: TimerId;
}

/** Everything a database node holds in memory (lost in a crash). */
export interface Db {
  id: NodeId;
  c: WalConfig;
  bug: WalBug | undefined;
  ctx: NodeContext;
  role: Role;
  lineage: Lineage;
  /** The 'wal' file as the disk caches it (append-only, truncated by rewinds). */
  log: readonly WalRec[];
  /** synchronous_commit=off: records waiting for the WAL writer. */
  buffer: WalRec[];
  nextLsn: number;
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
  data: Map<string, Value>;
  /** view().data as last built from `data` (unset whenever `data` changes): view() runs before every routed request. */
  viewData: Record<string, Value> | undefined;
  /** The last view() returned, handed out again while nothing it shows has changed. */
  lastView: NodeView | undefined;
  /** The client operation whose commit wrote each visible value, where known (reads name it, as xmin does). */
  writers: Map<string, number>;
  /** Visible log since the snapshot base, to rewind exactly. */
  visLog: { lsn: number; writes: Record<string, Value>; op?: number }[];
  snapBase: Snapshot;
  snap: Snapshot;
  unsnapped: { lsn: number; writes: Record<string, Value> }[];
  xidTag: string;
  xidSeq: number;
  // primary side
  working: Map<string, Value>;
  locked: Map<string, number>;
  queue: IncomingRequest[];
  waiters: Waiter[];
  /** Commits whose wait ended, not yet out of the ProcArray (invisible, unanswered). */
  leaving: Waiter[];
  senders: Map<NodeId, Sender>;
  sidSeq: number;
  asyncFallback: boolean;
  walWriterArmed: boolean;
  // failure detection
  hbSeq: number;
  /** Highest heartbeat sequence the monitor answered (ping-pong pacing). */
  hbAcked: number;
  /** Positions last reported to the primary, to stay silent when nothing moved. */
  lastReport: { sid: number; write: number; flush: number; replay: number };
  /** Highest positions reported on stream `sid`, to mark the acknowledgements an update carries. */
  acked: { sid: number; write: number; flush: number; replay: number };
  leaseGranted: number;
  // standby side
  following: NodeId | undefined;
  sid: number;
  started: boolean;
  frozen: boolean;
  /** Highest election epoch this node reported its position for (0 = none). */
  frozenEpoch: number;
  helloAge: number;
  pending: Map<string, Map<string, Value>>;
  undo: Map<string, Map<string, Value>>;
  replayQueue: number[];
  queuedUpTo: number;
  priorityEnd: number;
  replayTimer: TimerId | undefined;
  readWaits: ReadWait[];
  gen: number;
  /**
   * rewind 'manual': 'waiting' after refusing a stream that needs pg_rewind, until the
   * operator runs it ('approved'); 'none' otherwise.
   */
  rewindState: 'none' | 'waiting' | 'approved';
  /** Set at process start, cleared by the first resume(): only that one is crash recovery. */
  bootedAsPrimary: boolean;
  /** Planted bug apply-ignores-commit-order: a replayed commit not yet shown. */
  heldCommit: { rec: WalRec; writes: Map<string, Value> } | undefined;
  /**
   * Crash recovery has not finished: commits found in the WAL past the recovered
   * snapshot may have been acknowledged before the crash yet are not visible again,
   * so as primary the node refuses connections until they are (see primary.startingUp).
   */
  startingUp: boolean;
}

export function createDbProgram(id: NodeId, c: WalConfig, bug: WalBug | undefined): NodeProgram {
  let db: Db | undefined;
  const need = (): Db => {
    if (!db) throw new Error(`wal: node ${id} used before start`);
    return db;
  };
  return {
    start(ctx) {
      db = recover(ctx, id, c, bug);
      arm(db);
    },
    onMessage(ctx, from, raw) {
      onMessage(need(), from, asMsg(raw));
    },
    onTimer(ctx, tag, payload) {
      onTimer(need(), tag, payload);
    },
    onRequest(ctx, req) {
      const d = need();
      if (d.role === 'primary' && primary.startingUp(d)) {
        return ctx.reply(req.id, { type: 'fail', error: `${id}: the database system is starting up (crash recovery not complete)` });
      }
      if (d.role === 'primary') return primary.onRequest(d, req);
      if (d.role === 'standby') return standby.onRequest(d, req);
      ctx.reply(req.id, { type: 'fail', error: `${id} is ${d.role}: not accepting connections` });
    },
    onStreamBreak(ctx, peer) {
      const d = need();
      if (d.senders.delete(peer) && d.role === 'primary') {
        // The break may be noticed after the standby already reconnected (breakDetectMs
        // is long); ask it to say hello again rather than leave it streaming from nobody.
        ctx.send(peer, { type: 'resync' });
        primary.evaluate(d);
      }
      if (peer === d.following) d.started = false;
    },
    view() {
      return db ? view(db) : { role: 'down', data: {} };
    },
  };
}

// ───────────────────────────── recovery ─────────────────────────────

function recover(ctx: NodeContext, id: NodeId, c: WalConfig, bug: WalBug | undefined): Db {
  const stored = ctx.disk.get<NodeState>('state');
  const state: NodeState = stored ?? { role: id === 'n1' ? 'primary' : 'standby', lineage: INITIAL_LINEAGE };
  const log = ctx.disk.records<WalRec>('wal');
  const snap = ctx.disk.get<Snapshot>('snap') ?? { lsn: 0, data: {} };
  const db = blank(ctx, id, c, bug, state, log, snap);
  db.bootedAsPrimary = state.role === 'primary';
  if (bug === 'retransmit-applied-twice' && state.role === 'standby') db.replayLsn = Math.min(db.replayLsn, ctx.disk.get<number>('applied') ?? 0);
  // Always say what survived: a machine crash before the first fsync leaves no trace on
  // disk, so a restart then looks like a first start — yet commits it showed are gone.
  // (At a true first start the visible log is empty and this cuts nothing.)
  ctx.emit('recover', { lsn: Math.min(snap.lsn, maxLsn(log)), timeline: currentTl(state.lineage) });
  if (stored === undefined) ctx.disk.put('state', state);
  db.queuedUpTo = indexAfter(log, db.replayLsn);
  queueReplay(db, log.length);
  // What survived the restart is durable once this fsync completes — unless a rewind cut it first.
  const durable = db.writeLsn;
  ctx.disk.fsync(() => {
    if (db.gen === 0) db.flushLsn = Math.max(db.flushLsn, durable);
  });
  // A fresh cluster starts from its configuration; a restarted node under failover
  // 'auto' waits for the monitor to say who is primary now.
  const trusted = c.failover === 'none' || stored === undefined;
  if (state.role === 'primary') {
    if (trusted) primary.resume(db);
    else db.role = 'recovering';
  } else {
    db.role = 'standby';
    if (trusted) standby.follow(db, 'n1');
    standby.scheduleReplay(db); // finish replaying WAL that survived on disk
  }
  return db;
}

function blank(
  ctx: NodeContext,
  id: NodeId,
  c: WalConfig,
  bug: WalBug | undefined,
  state: NodeState,
  log: readonly WalRec[],
  snap: Snapshot,
): Db {
  const end = maxLsn(log);
  return {
    id, c, bug, ctx,
    role: state.role,
    lineage: state.lineage,
    log,
    buffer: [],
    nextLsn: end + 1,
    writeLsn: end,
    flushLsn: 0,
    replayLsn: Math.min(snap.lsn, end),
    data: new Map(Object.entries(snap.data)),
    viewData: undefined,
    lastView: undefined,
    writers: new Map(),
    visLog: [],
    snapBase: snap,
    snap,
    unsnapped: [],
    xidTag: Math.floor(ctx.random() * 36 ** 4).toString(36),
    xidSeq: 0,
    working: new Map(),
    locked: new Map(),
    queue: [],
    waiters: [],
    leaving: [],
    senders: new Map(),
    sidSeq: 0,
    asyncFallback: false,
    walWriterArmed: false,
    hbSeq: 0,
    hbAcked: 0,
    lastReport: { sid: -1, write: -1, flush: -1, replay: -1 },
    acked: { sid: 0, write: 0, flush: 0, replay: 0 },
    leaseGranted: 0,
    following: undefined,
    sid: 0,
    started: false,
    frozen: false,
    frozenEpoch: 0,
    helloAge: 0,
    pending: new Map(),
    undo: new Map(),
    replayQueue: [],
    queuedUpTo: 0,
    priorityEnd: -1,
    replayTimer: undefined,
    readWaits: [],
    gen: 0,
    rewindState: 'none',
    bootedAsPrimary: true,
    heldCommit: undefined,
    startingUp: true,
  };
}

/** Queue log records from `queuedUpTo` up to index `upTo` for replay, in order (or bugged order). */
export function queueReplay(db: Db, upTo: number): void {
  const end = Math.min(upTo, db.log.length);
  for (let i = db.queuedUpTo; i < end; i++) {
    if (db.priorityEnd >= 0) db.replayQueue.splice(db.priorityEnd++, 0, i);
    else db.replayQueue.push(i);
  }
  db.queuedUpTo = Math.max(db.queuedUpTo, end);
}

function arm(db: Db): void {
  db.ctx.setTimer(db.c.statusIntervalMs, 'tick', undefined, { background: true });
  if (db.c.failover === 'auto') db.ctx.setTimer(db.c.heartbeatMs, 'hb', 0, { background: true });
}

// ───────────────────────────── visibility ─────────────────────────────

/**
 * Make a transaction visible on this node and record it: `txn.commit` on a
 * primary, `apply` on a standby. Persists the snapshot (durable with the next fsync).
 */
export function makeVisible(
  db: Db,
  name: 'txn.commit' | 'apply',
  xid: string,
  lsn: number,
  tl: number,
  writes: Map<string, Value>,
  op?: number,
): void {
  const obj = Object.fromEntries(writes);
  db.viewData = undefined;
  for (const [k, v] of writes) {
    db.data.set(k, v);
    if (op !== undefined) db.writers.set(k, op);
    else db.writers.delete(k);
  }
  db.replayLsn = Math.max(db.replayLsn, lsn);
  // `op` names the client operation, so a checker can see what an indeterminate one did.
  db.ctx.emit(name, op !== undefined ? { xid, lsn, timeline: tl, writes: obj, op } : { xid, lsn, timeline: tl, writes: obj });
  db.ctx.mark('visible');
  db.visLog.push(op !== undefined ? { lsn, writes: obj, op } : { lsn, writes: obj });
  db.unsnapped.push({ lsn, writes: obj });
  advanceSnapshot(db);
}

/** Fold visible commits whose WAL is written into the persisted snapshot. */
export function advanceSnapshot(db: Db): void {
  const written = db.log.length ? db.log[db.log.length - 1]!.lsn : 0;
  let snap = db.snap;
  while (db.unsnapped.length && db.unsnapped[0]!.lsn <= Math.max(written, db.writeLsn)) {
    const e = db.unsnapped.shift()!;
    snap = { lsn: Math.max(snap.lsn, e.lsn), data: { ...snap.data, ...e.writes } };
  }
  if (snap !== db.snap) {
    db.snap = snap;
    db.ctx.disk.put('snap', snap);
  }
}

/**
 * pg_rewind: cut the log to `to`, and the visible state with it, then follow
 * `lineage`. Data after the cut is rebuilt from the visible log kept in memory,
 * or — when the cut goes below what survived a restart — from the WAL's row images.
 */
export function rewind(db: Db, to: number, lineage: Lineage): void {
  db.gen++;
  db.heldCommit = undefined;
  db.ctx.disk.truncate('wal', indexAfter(db.log, to));
  db.writeLsn = Math.min(db.writeLsn, to);
  db.flushLsn = Math.min(db.flushLsn, to);
  db.nextLsn = db.writeLsn + 1;
  db.replayQueue = [];
  db.priorityEnd = -1;
  let cut = to;
  if (db.replayLsn > to) {
    // Replay went past the cut: resume at the last transaction boundary at or below
    // it, so a transaction open there is replayed whole again (begin, writes, commit).
    cut = txnBoundary(db.log, to);
    db.replayLsn = cut;
    db.pending.clear();
    db.undo.clear();
  }
  // Otherwise every replayed record survives the cut, and with it the transaction being
  // replayed: its begin and writes stay pending (pg_rewind discards only WAL after `to`).
  rebuildData(db, cut);
  db.queuedUpTo = indexAfter(db.log, db.replayLsn);
  queueReplay(db, indexAfter(db.log, db.flushLsn));
  db.ctx.emit('rewind', { toLsn: to, timeline: currentTl(lineage) });
  db.ctx.mark('rewound');
}

function rebuildData(db: Db, to: number): void {
  let data: Record<string, Value>;
  // Only values the kept visible log wrote still know their writer.
  db.writers = new Map();
  if (to >= db.snapBase.lsn) {
    data = { ...db.snapBase.data };
    db.visLog = db.visLog.filter((e) => e.lsn <= to);
    for (const e of db.visLog) {
      Object.assign(data, e.writes);
      for (const k of Object.keys(e.writes)) {
        if (e.op !== undefined) db.writers.set(k, e.op);
        else db.writers.delete(k);
      }
    }
  } else {
    data = foldLog(db.log, to);
    db.visLog = [];
  }
  db.unsnapped = [];
  db.data = new Map(Object.entries(data));
  db.viewData = undefined;
  // The snapshot holds commits only: its position is a transaction boundary, or a
  // restart would resume replay in the middle of a transaction and lose its first half.
  db.snapBase = { lsn: txnBoundary(db.log, db.replayLsn), data };
  db.snap = db.snapBase;
  db.ctx.disk.put('snap', db.snap);
}

/**
 * The last position at or below `at` where no transaction is open. A primary
 * appends a transaction's records contiguously (begin, writes, commit or abort),
 * so only the transaction of the last record at or below `at` can be open.
 */
export function txnBoundary(log: readonly WalRec[], at: number): number {
  let i = indexAfter(log, at) - 1;
  const last = log[i];
  if (!last || last.rec === 'commit' || last.rec === 'abort') return at;
  while (i > 0 && log[i - 1]!.xid === last.xid) i--;
  return log[i]!.lsn - 1;
}

/** Committed state of a log up to `to` from its row images. */
function foldLog(log: readonly WalRec[], to: number): Record<string, Value> {
  const data: Record<string, Value> = {};
  const open = new Map<string, Record<string, Value>>();
  for (const r of log) {
    if (r.lsn > to) break;
    if (r.rec === 'begin') open.set(r.xid, {});
    else if (r.rec === 'write') open.get(r.xid)![r.k!] = r.v ?? null;
    else if (r.rec === 'commit') Object.assign(data, open.get(r.xid) ?? {});
    if (r.rec === 'commit' || r.rec === 'abort') open.delete(r.xid);
  }
  return data;
}

/**
 * Replay one record into the visible state. Statement records from another
 * node are re-executed here (with this node's clock and random stream when the
 * source's context did not travel); own records and row images apply as stored.
 */
export function replayRecord(db: Db, rec: WalRec, name: 'txn.commit' | 'apply'): void {
  if (rec.rec === 'begin') {
    db.pending.set(rec.xid, new Map());
  } else if (rec.rec === 'write') {
    const txn = db.pending.get(rec.xid) ?? new Map<string, Value>();
    db.pending.set(rec.xid, txn);
    const k = rec.k!;
    const cur = txn.has(k) ? txn.get(k)! : (db.data.get(k) ?? null);
    const reexec = rec.stmt !== undefined && rec.src !== db.id;
    const v = reexec ? evalStmt(rec.stmt!, cur, db.ctx) : (rec.v ?? null);
    txn.set(k, v);
    if (db.bug === 'expose-in-progress-txn' && name === 'apply') exposeWrite(db, rec, k, v);
  } else if (rec.rec === 'commit') {
    const writes = db.pending.get(rec.xid) ?? new Map<string, Value>();
    db.pending.delete(rec.xid);
    db.undo.delete(rec.xid);
    if (db.bug === 'apply-ignores-commit-order' && name === 'apply') return applyUnordered(db, rec, writes);
    makeVisible(db, name, rec.xid, rec.lsn, rec.tl, writes, rec.op);
  } else {
    db.pending.delete(rec.xid);
    if (db.bug === 'expose-in-progress-txn') undoExposed(db, rec);
  }
  db.replayLsn = Math.max(db.replayLsn, rec.lsn);
}

/**
 * Planted bug (a multi-threaded applier with replica_preserve_commit_order=OFF):
 * a commit is held back for a moment, and later ones on other keys become
 * visible first — readers see independent transactions in different orders.
 */
function applyUnordered(db: Db, rec: WalRec, writes: Map<string, Value>): void {
  const held = db.heldCommit;
  if (!held) {
    // A worker that lags: its commit shows when the next one lands, or a moment later.
    db.heldCommit = { rec, writes };
    db.ctx.setTimer(HELD_COMMIT_MS, 'held-commit', rec.lsn);
    return;
  }
  // A later commit on other keys overtakes the held one, which shows when its time is up.
  if ([...writes.keys()].every((k) => !held.writes.has(k))) return makeVisible(db, 'apply', rec.xid, rec.lsn, rec.tl, writes, rec.op);
  db.heldCommit = undefined;
  for (const x of [held, { rec, writes }]) makeVisible(db, 'apply', x.rec.xid, x.rec.lsn, x.rec.tl, x.writes, x.rec.op);
}

const HELD_COMMIT_MS = 5;

/** Show a commit applyUnordered held back (its time is up, or the node is promoted); `lsn` names it. */
export function releaseHeldCommit(db: Db, lsn?: number): void {
  const held = db.heldCommit;
  if (!held || (lsn !== undefined && held.rec.lsn !== lsn)) return;
  db.heldCommit = undefined;
  makeVisible(db, 'apply', held.rec.xid, held.rec.lsn, held.rec.tl, held.writes, held.rec.op);
}

/** Planted bug: a replayed row change becomes visible before its commit record. */
function exposeWrite(db: Db, rec: WalRec, k: string, v: Value): void {
  const undo = db.undo.get(rec.xid) ?? new Map<string, Value>();
  db.undo.set(rec.xid, undo);
  if (!undo.has(k)) undo.set(k, db.data.get(k) ?? null);
  makeVisible(db, 'apply', rec.xid, rec.lsn, rec.tl, new Map([[k, v]]));
}

function undoExposed(db: Db, rec: WalRec): void {
  const undo = db.undo.get(rec.xid);
  db.undo.delete(rec.xid);
  if (undo && undo.size) makeVisible(db, 'apply', `${rec.xid}/undo`, rec.lsn, rec.tl, undo);
}

/** A read of the visible state: the value and, when known, the operation that wrote it. */
export function readVisible(db: Db, op: MicroOp): MicroOp {
  const w = db.writers.get(op.k);
  return { ...op, v: db.data.get(op.k) ?? null, ...(w !== undefined ? { w } : {}) } as MicroOp;
}

// ───────────────────────────── roles ─────────────────────────────

export function persistState(db: Db, role: 'primary' | 'standby'): void {
  db.ctx.disk.put('state', { role, lineage: db.lineage } satisfies NodeState);
  db.ctx.disk.fsync();
}

/** Step down: cancel sync waits (indeterminate), fail queued work, stop senders. */
export function demote(db: Db, reason: string): void {
  if (db.role !== 'primary') return;
  db.ctx.emit('demote', { reason });
  db.ctx.mark('demoted');
  primary.stop(db, reason);
  db.role = 'old-primary';
  resetReplayCursor(db);
  persistState(db, 'standby');
}

/**
 * Point replay right after the visible position. A primary appends without
 * queueing its own records for replay, so after it steps down the cursor must
 * skip what it already made visible: a later promotion or follow replays only
 * the commits that were still waiting (and never shows one twice).
 */
export function resetReplayCursor(db: Db): void {
  db.replayQueue = [];
  db.priorityEnd = -1;
  db.queuedUpTo = indexAfter(db.log, db.replayLsn);
}

function onMessage(db: Db, from: NodeId, m: ReturnType<typeof asMsg>): void {
  switch (m.type) {
    case 'hello':
      return primary.onHello(db, from, m);
    case 'report':
      return primary.onReport(db, from, m);
    case 'start':
      return standby.onStart(db, from, m);
    case 'wal':
      return standby.onWal(db, from, m);
    case 'keepalive':
      return standby.report(db, true);
    case 'resync':
      if (from === db.following && db.started) standby.restart(db);
      return;
    case 'hb-ack':
      return onHbAck(db, m);
    case 'freeze':
      return onFreeze(db, m.epoch);
    case 'promote':
      if (db.role !== 'primary' && m.tl > currentTl(db.lineage)) standby.promote(db, m.tl);
      return;
    case 'fence':
      if (fences(db)) demote(db, 'fenced by monitor');
      return;
    default:
      throw new Error(`wal: node ${db.id} got unexpected ${m.type}`);
  }
}

function fences(db: Db): boolean {
  return db.c.fencing && db.bug !== 'no-fencing';
}

function onFreeze(db: Db, epoch: number): void {
  if (db.role === 'primary') return;
  db.frozen = true; // stop taking WAL from the old primary while the monitor decides
  db.frozenEpoch = Math.max(db.frozenEpoch, epoch);
  db.ctx.send(MONITOR, { type: 'position', epoch, end: db.writeLsn, tl: currentTl(db.lineage) });
}

/** The monitor's answer names the primary of the current timeline. */
function onHbAck(db: Db, m: Extract<ReturnType<typeof asMsg>, { type: 'hb-ack' }>): void {
  if (m.boot !== db.xidTag) return; // an answer to the previous incarnation
  // Heartbeat answers are datagrams and may arrive late or out of order: one older
  // than the newest seen, or naming an older timeline than ours, is stale news.
  if (m.seq < db.hbAcked || m.tl < currentTl(db.lineage)) return;
  // Jittered pacing (0.5–1.5 × heartbeatMs): nodes' rounds drift apart and, now and then, all pause together.
  if (m.seq === db.hbSeq && m.seq > db.hbAcked) db.ctx.setTimer(db.c.heartbeatMs * (0.5 + db.ctx.random()), 'hb', 0, { background: true });
  if (m.seq > db.hbAcked) db.ctx.mark('heartbeat-answered');
  db.hbAcked = Math.max(db.hbAcked, m.seq);
  // An answer the monitor sent before the election we reported for (datagrams overtake
  // the freeze) must not thaw us: the monitor counts on our reported position.
  if (m.epoch < db.frozenEpoch) return;
  const mine = m.primary === db.id;
  if (mine && !m.electing) db.leaseGranted = Math.max(db.leaseGranted, m.seq);
  if (mine) {
    if (m.electing) return;
    if (m.tl > currentTl(db.lineage)) return standby.promote(db, m.tl);
    // Only the node the monitor promoted to this timeline is named for it: serve again
    // (after a lease lapse, a restart, or a demotion it persisted as 'standby').
    if (db.role !== 'primary' && m.tl === currentTl(db.lineage)) return primary.resume(db);
    return;
  }
  if (db.role === 'primary') demote(db, `monitor names ${m.primary} primary of timeline ${m.tl}`);
  if (followsCurrent(db, m.primary, m.tl)) return;
  if (m.electing) return;
  standby.follow(db, m.primary);
}

/**
 * Already (re)joining `primary`: a hello is out, or the stream runs on its
 * timeline. A stream on an older timeline is stale — the node we stream from
 * stepped down and was promoted again meanwhile — so it must say hello anew.
 */
function followsCurrent(db: Db, primary: NodeId, tl: number): boolean {
  if (db.following !== primary || db.frozen || (db.role !== 'standby' && db.role !== 'old-primary')) return false;
  return !db.started || currentTl(db.lineage) === tl;
}

function onTimer(db: Db, tag: string, payload: unknown): void {
  switch (tag) {
    case 'tick':
      db.ctx.setTimer(db.c.statusIntervalMs, 'tick', undefined, { background: true });
      if (db.role === 'primary') return primary.tick(db);
      return standby.tick(db);
    case 'hb':
      // A retry timer for an answered heartbeat is stale: the answer already paced the next one.
      if ((payload as number) > 0 && db.hbAcked >= (payload as number)) return;
      return heartbeat(db);
    case 'lease':
      if (db.role === 'primary' && fences(db) && db.leaseGranted <= (payload as number)) demote(db, 'lease expired');
      return;
    case 'walwriter':
      return primary.walWriter(db);
    case 'replay':
      db.replayTimer = undefined;
      return standby.replayStep(db);
    case 'ryw':
      return standby.rywTimeout(db, payload as number);
    case 'fallback':
      return primary.fallback(db, payload as number);
    case 'procarray':
      return primary.leaveProcArray(db, payload as number);
    case 'syncwait':
      return primary.cancelWait(db, payload as number);
    case 'manualrewind':
      return standby.operatorRewind(db);
    case 'held-commit':
      return releaseHeldCommit(db, payload as number);
    default:
      throw new Error(`wal: unknown timer ${tag}`);
  }
}

/**
 * Heartbeat to the monitor (a datagram: it may be lost), paced ping-pong: the
 * next one goes heartbeatMs after the answer, or max(2·heartbeatMs, leaseMs/2)
 * after the send if no answer came. Between rounds nothing is in flight, so an idle cluster
 * can be quiet. A primary's lease runs from the moment it *sent* the heartbeat
 * the monitor granted, and the monitor counts its failover timeout from when it
 * *received* it, so with leaseMs < failoverTimeoutMs the old primary stops
 * before a new one starts.
 */
function heartbeat(db: Db): void {
  const seq = ++db.hbSeq;
  // Retry a lost heartbeat well before the lease lapses, but not so soon that a slow answer
  // overlaps the next round (then rounds would pipeline and the cluster never falls quiet).
  db.ctx.setTimer(Math.max(2 * db.c.heartbeatMs, db.c.leaseMs / 2), 'hb', seq, { background: true });
  db.ctx.send(MONITOR, { type: 'hb', seq, boot: db.xidTag, role: db.role, end: db.writeLsn, tl: currentTl(db.lineage) }, { channel: 'datagram', background: true });
  if (db.role === 'primary') db.ctx.setTimer(db.c.leaseMs, 'lease', seq, { background: true });
}

function view(db: Db): NodeView {
  let data = db.viewData;
  if (!data) {
    data = {};
    for (const [k, v] of db.data) if (v !== null) data[k] = v;
    db.viewData = data;
  }
  const end = Math.max(db.writeLsn, db.nextLsn - 1);
  const timeline = currentTl(db.lineage);
  const streaming = db.role === 'standby' && db.started && !db.frozen ? 1 : 0;
  const last = db.lastView;
  if (last && last.role === db.role && last.data === data) {
    const p = last.positions!;
    if (p.write === db.writeLsn && p.flush === db.flushLsn && p.replay === db.replayLsn && p.end === end && p.timeline === timeline && p.streaming === streaming) return last;
  }
  const v: NodeView = {
    role: db.role,
    data,
    positions: {
      write: db.writeLsn,
      flush: db.flushLsn,
      replay: db.replayLsn,
      end,
      timeline,
      streaming,
    },
  };
  db.lastView = v;
  return v;
}
