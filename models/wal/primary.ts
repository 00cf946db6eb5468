/**
 * The primary: executes transactions, writes and flushes WAL, runs one WAL
 * sender per standby, and acknowledges each commit exactly when its
 * synchronous_commit level (or semi-sync wait point) allows.
 *
 * Ack points (PostgreSQL runtime-config-wal.html, synchronous_commit):
 * - off: at once; the WAL writer flushes within walWriterDelayMs (a crash loses it).
 * - local: after the local fsync of the commit record.
 * - remote_write / on / remote_apply: after the local fsync *and* replies from the
 *   synchronous standbys that they wrote to their OS / flushed / replayed it.
 *   FIRST k: the k highest-priority connected standbys must all reply; ANY k: any k.
 *   With no synchronous standbys these levels behave like local.
 * PostgreSQL keeps the transaction invisible to other sessions until the wait
 * ends (ProcArrayEndTransaction runs after SyncRepWaitForLSN), like MySQL's
 * AFTER_SYNC; MySQL's AFTER_COMMIT shows it first and waits afterwards.
 *
 * Visibility order is not WAL order in PostgreSQL: each woken backend leaves the
 * ProcArray on its own schedule (up to procArrayDelayMs here), so commits woken
 * together become visible on the primary in any order, while standbys replay
 * them in WAL order (Jepsen, RDS for PostgreSQL 17.4: Long Fork). MySQL's
 * binlog group commit keeps commit order (binlog_order_commits=ON).
 *
 * In-doubt commits (warm-standby.html#SYNCHRONOUS-REPLICATION-HA): a commit
 * whose wait is cancelled (statement_timeout, demotion) stays committed locally
 * and visible, the client gets a warning (`info`); after a restart the primary
 * marks the commits its WAL holds committed at once (inDoubtCommits 'visible'),
 * whether or not any standby has them.
 *
 * Concurrency: a writing transaction runs atomically at arrival unless a key it
 * touches belongs to a commit still waiting (row locks are held until the
 * commit becomes visible); then it queues. Read-only transactions read the
 * visible state without waiting.
 */
import type { CommitPos, IncomingRequest, MicroOp, NodeId, Value } from '../../src/index.js';
import { BUG_FALLBACK_MS, MONITOR } from './config.js';
import { currentTl, divergence, indexAfter, type Msg, type WalRec } from './log.js';
import type { CommitWait, Db, RelayedTxn } from './state.js';
import { makeVisible, persistState, queueReplay, readVisible, resetReplayCursor } from './visible.js';
import { bindStmt, evalStmt, logFormat, shipStmt, unsafeForStatement } from './statements.js';

export function onRequest(db: Db, r: IncomingRequest): void {
  if (!r.req.txn.some((op) => op.f !== 'r')) return readOnly(db, r);
  if (blocked(db, r) || db.lockQueue.length) {
    db.lockQueue.push(r);
    return;
  }
  execute(db, r);
}

function readOnly(db: Db, r: IncomingRequest): void {
  db.ctx.reply(r.id, { type: 'ok', txn: r.req.txn.map((op) => readVisible(db, op)) });
}

function blocked(db: Db, r: IncomingRequest): boolean {
  return r.req.txn.some((op) => (db.rowLocks.get(op.k) ?? 0) > 0);
}

/** Run queued transactions in arrival order while their keys are free. */
function drainQueue(db: Db): void {
  while (db.lockQueue.length && db.role === 'primary' && !blocked(db, db.lockQueue[0]!)) execute(db, db.lockQueue.shift()!);
}

function execute(db: Db, r: IncomingRequest): void {
  const tl = currentTl(db.lineage);
  const xid = `${db.xidPrefix}.${++db.xidSeq}`;
  const local = new Map<string, Value>();
  const out: MicroOp[] = [];
  append(db, { xid, rec: 'begin' });
  for (const op of r.req.txn) out.push(step(db, op, xid, local));
  if (r.req.end === 'rollback') {
    const lsn = append(db, { xid, rec: 'abort', op: r.id });
    db.ctx.emit('txn.abort', { xid, lsn, timeline: tl, op: r.id });
    writeOut(db);
    return db.ctx.reply(r.id, { type: 'ok', txn: out });
  }
  const feedback = db.config.replication === 'pg' && db.config.synchronousCommit === 'remote_apply';
  const lsn = append(db, { xid, rec: 'commit', op: r.id, ...(feedback ? { feedback } : {}) });
  for (const [k, v] of local) db.latestValues.set(k, v);
  const keys = [...local.keys()];
  const w: CommitWait = { xid, lsn, tl, reqId: r.id, op: r.id, writes: local, results: out, lockedKeys: keys, visible: false };
  if (isOff(db)) {
    makeVisible(db, 'txn.commit', xid, lsn, tl, local, r.id);
    db.ctx.reply(r.id, { type: 'ok', txn: out, commit: { lsn, timeline: tl } });
    db.ctx.mark('commit-acked');
    return writeOut(db);
  }
  for (const k of keys) db.rowLocks.set(k, (db.rowLocks.get(k) ?? 0) + 1);
  db.commitWaits.push(w);
  armFallback(db, lsn);
  if (db.config.replication === 'pg' && db.config.statementTimeoutMs > 0) db.ctx.setTimer(db.config.statementTimeoutMs, 'syncwait', r.id);
  writeOut(db);
}

/**
 * Planted bug promote-before-relay-applied: the SQL thread applies the next
 * transaction of the relay log, while this node serves as the source.
 */
export function nextRelayed(db: Db): void {
  const t = db.relayBacklog[0];
  if (t && db.relayTimer === undefined && db.role === 'primary') db.relayTimer = db.ctx.setTimer(db.config.replayMsPerRecord * t.records, 'relay');
}

export function relayStep(db: Db): void {
  db.relayTimer = undefined;
  // Stepped down meanwhile: the relay log waits on disk (resume applies it; following a new source discards it).
  if (db.role !== 'primary') return;
  const t = db.relayBacklog.shift();
  if (!t) return;
  // Durable with the commit's own fsync: a crash keeps both or neither.
  db.ctx.disk.put('relay', db.relayBacklog);
  applyRelayed(db, t);
  nextRelayed(db);
}

/**
 * A transaction received as a replica, applied after promotion as a new commit of
 * this node (no client waits for it; it names the client operation that ran it on
 * the old source).
 */
function applyRelayed(db: Db, t: RelayedTxn): void {
  const tl = currentTl(db.lineage);
  const xid = `${db.xidPrefix}.${++db.xidSeq}`;
  const local = new Map<string, Value>();
  append(db, { xid, rec: 'begin' });
  for (const [k, v] of t.writes) {
    local.set(k, v);
    append(db, { xid, rec: 'write', k, v });
  }
  const lsn = append(db, { xid, rec: 'commit', ...(t.op !== undefined ? { op: t.op } : {}) });
  for (const [k, v] of local) db.latestValues.set(k, v);
  const keys = [...local.keys()];
  for (const k of keys) db.rowLocks.set(k, (db.rowLocks.get(k) ?? 0) + 1);
  db.commitWaits.push({ xid, lsn, tl, reqId: undefined, op: t.op, writes: local, results: [], lockedKeys: keys, visible: false });
  writeOut(db);
}

/** Execute one micro-op against the latest values (visible + waiting commits); log it if it writes. */
function step(db: Db, op: MicroOp, xid: string, local: Map<string, Value>): MicroOp {
  const cur = local.has(op.k) ? local.get(op.k)! : (db.latestValues.get(op.k) ?? null);
  if (op.f === 'r') return { ...op, v: cur };
  const stmt = bindStmt(op, db.ctx, db.config)!;
  const v = evalStmt(stmt, cur, db.ctx);
  local.set(op.k, v);
  const withCtx = db.config.statementContext && db.bug !== 'statement-without-context';
  const format = logFormat(stmt, db.config.shipping, db.bug);
  // binlog_format=STATEMENT logs an unsafe statement anyway, with a warning.
  if (format === 'statement' && db.config.shipping === 'statement' && unsafeForStatement(stmt)) db.ctx.emit('binlog.unsafe', { xid, k: op.k, fn: stmt.f });
  const shipped = format === 'statement' ? { stmt: shipStmt(stmt, withCtx) } : {};
  append(db, { xid, rec: 'write', k: op.k, v, ...shipped });
  return op.f === 'w' || op.f === 'del' ? op : { ...op, v };
}

function isOff(db: Db): boolean {
  return db.config.replication === 'pg' && db.config.synchronousCommit === 'off';
}

function append(db: Db, part: Omit<WalRec, 'lsn' | 'tl' | 'src'>): number {
  const rec: WalRec = { lsn: db.nextLsn++, tl: currentTl(db.lineage), src: db.id, ...part };
  if (isOff(db)) db.walBuffer.push(rec);
  else {
    db.ctx.disk.append('wal', rec);
    db.writeLsn = rec.lsn;
  }
  db.ctx.emit('wal.append', { lsn: rec.lsn, timeline: rec.tl, xid: rec.xid, rec: rec.rec });
  return rec.lsn;
}

/** Flush what was written; `off` leaves it to the WAL writer. */
function writeOut(db: Db): void {
  if (isOff(db)) {
    if (!db.walWriterArmed && db.walBuffer.length) {
      db.walWriterArmed = true;
      db.ctx.setTimer(db.config.walWriterDelayMs, 'walwriter');
    }
    return;
  }
  const upto = db.writeLsn;
  syncLog(db, upto);
  // Planted bug: the WAL senders stream what is written, before the local fsync.
  if (shipsUnflushed(db)) for (const peer of db.walSenders.keys()) ship(db, peer, db.writeLsn);
}

/**
 * Planted bug: the walsender streams WAL before the primary's own fsync, and a
 * synchronous commit is acknowledged once the standbys have it, without waiting
 * for the local flush (SyncRepWaitForLSN before XLogFlush).
 */
function shipsUnflushed(db: Db): boolean {
  const c = db.config;
  const sync = c.synchronousCommit === 'remote_write' || c.synchronousCommit === 'on' || c.synchronousCommit === 'remote_apply';
  return db.bug === 'sync-ack-before-local-flush' && c.replication === 'pg' && sync && c.syncStandbys.num > 0;
}

/** The WAL writer (wal_writer_delay) writes and flushes buffered `off` commits. */
export function walWriter(db: Db): void {
  db.walWriterArmed = false;
  if (!db.walBuffer.length || db.role !== 'primary') return;
  writeBuffer(db);
  const upto = db.writeLsn;
  syncLog(db, upto);
}

function writeBuffer(db: Db): void {
  if (!db.walBuffer.length) return;
  for (const rec of db.walBuffer) db.ctx.disk.append('wal', rec);
  db.writeLsn = db.walBuffer[db.walBuffer.length - 1]!.lsn;
  db.walBuffer = [];
}

/** fsync the log; `upto` is durable when it completes, unless a rewind cut the log meanwhile. */
export function syncLog(db: Db, upto: number): void {
  const rewinds = db.rewindCount;
  db.ctx.disk.fsync(() => {
    if (rewinds === db.rewindCount) flushed(db, upto);
  });
  db.ctx.mark('flush-start');
}

/**
 * An fsync covering the log up to `upto` completed. Durable even if demoted
 * meanwhile (a rewind may have cut the log below it). A primary ships and
 * re-evaluates waits even when another fsync already advanced the position: that
 * one may have landed before this node became primary, or before a standby said hello.
 */
function flushed(db: Db, upto: number): void {
  const to = Math.min(upto, db.writeLsn);
  const advanced = to > db.flushLsn;
  if (advanced) {
    db.flushLsn = to;
    db.ctx.mark('flush-done');
  }
  if (db.role !== 'primary') return;
  if (advanced) db.ctx.emit('wal.flush', { lsn: to, timeline: currentTl(db.lineage) });
  for (const peer of db.walSenders.keys()) ship(db, peer);
  evaluate(db);
}

// ───────────────────────────── WAL senders ─────────────────────────────

/**
 * A standby asks to stream. The sender starts at the divergence point of the
 * two timeline histories (or the standby's end, if earlier): a standby with a
 * suffix this timeline does not contain must cut it first (pg_rewind).
 */
export function onHello(db: Db, from: NodeId, m: Extract<Msg, { type: 'hello' }>): void {
  if (db.role !== 'primary') return;
  const sane = Math.min(m.end, divergence(m.lineage, db.lineage), db.writeLsn);
  // Planted bug: accept the standby's own end even when its suffix diverged (no pg_rewind).
  const start = db.bug === 'rejoin-without-rewind' ? m.end : sane;
  const sid = ++db.lastStreamId;
  db.walSenders.set(from, { streamId: sid, nextLsn: start + 1, write: 0, flush: 0, replay: 0, streaming: false });
  db.ctx.send(from, { type: 'start', from: start, lineage: db.lineage, sid, asked: m.end } satisfies Msg);
  ship(db, from);
}

/**
 * Send a standby the WAL it lacks up to `upto`: only what is flushed here, as
 * walsender.c does ("unsafe to send WAL that is not securely down to disk on the
 * primary: if the primary subsequently crashes and restarts, standbys must not
 * have applied any WAL that got lost on the primary").
 */
function ship(db: Db, peer: NodeId, upto = db.flushLsn): void {
  const s = db.walSenders.get(peer);
  if (!s || s.nextLsn > upto) return;
  const recs = db.log.slice(indexAfter(db.log, s.nextLsn - 1), indexAfter(db.log, upto));
  s.nextLsn = upto + 1;
  if (!recs.length) return;
  db.ctx.send(peer, { type: 'wal', recs } satisfies Msg);
  db.ctx.emit('wal.send', { to: peer, lsn: recs[recs.length - 1]!.lsn });
  db.ctx.mark('wal-shipped');
}

export function onReport(db: Db, from: NodeId, m: Extract<Msg, { type: 'report' }>): void {
  if (db.role !== 'primary') return;
  const s = db.walSenders.get(from);
  // A break noticed late can drop a sender the standby still streams from.
  if (!s) return db.ctx.send(from, { type: 'resync' } satisfies Msg);
  if (s.streamId !== m.sid) return;
  s.write = m.write;
  s.flush = m.flush;
  s.replay = m.replay;
  if (!s.streaming && m.write >= db.flushLsn) s.streaming = true;
  db.ctx.emit('standby.report', { from, write: m.write, flush: m.flush, replay: m.replay });
  if (db.asyncFallbackOn && ackCount(db, db.flushLsn, 'flush', allStandbys(db)) >= db.config.semisyncAcks) {
    db.asyncFallbackOn = false; // a replica caught up: semi-sync switches back on
    db.ctx.emit('semisync.on', { lsn: db.flushLsn });
  }
  evaluate(db);
}

/** Status interval on the primary: ask standbys to reply while commits wait. */
export function tick(db: Db): void {
  if (!db.commitWaits.length) return;
  for (const peer of db.walSenders.keys()) db.ctx.send(peer, { type: 'keepalive' } satisfies Msg);
}

// ───────────────────────────── commit waits ─────────────────────────────

/** Release every waiting commit whose ack condition now holds, in LSN order. */
export function evaluate(db: Db): void {
  if (db.role !== 'primary') return;
  if (visibleBeforeAck(db)) {
    for (const w of db.commitWaits) if (!w.visible && w.lsn <= db.flushLsn) show(db, w);
  }
  while (db.commitWaits.length && ready(db, db.commitWaits[0]!.lsn)) release(db, db.commitWaits.shift()!);
  drainQueue(db);
}

/** MySQL AFTER_COMMIT: the engine commit (visibility) precedes the replica wait. */
function visibleBeforeAck(db: Db): boolean {
  if (db.config.replication !== 'semisync') return false;
  return db.config.semisyncWaitPoint === 'AFTER_COMMIT' || db.bug === 'semisync-after-commit-visibility';
}

function ready(db: Db, lsn: number): boolean {
  if (db.flushLsn < lsn && !shipsUnflushed(db)) return false;
  if (db.asyncFallbackOn) return true;
  const c = db.config;
  if (c.replication === 'semisync') return ackCount(db, lsn, 'flush', allStandbys(db)) >= c.semisyncAcks;
  if (c.synchronousCommit === 'off' || c.synchronousCommit === 'local' || c.syncStandbys.num === 0) return true;
  const kind = c.synchronousCommit === 'remote_write' ? 'write' : c.synchronousCommit === 'on' ? 'flush' : 'replay';
  const names = c.syncStandbys.names.filter((n) => n !== db.id);
  if (c.syncStandbys.method === 'ANY') return ackCount(db, lsn, kind, names) >= c.syncStandbys.num;
  // Only standbys in 'streaming' state are candidates (SyncRepGetCandidateStandbys): one in 'catchup' is skipped.
  const sync = names.filter((n) => streaming(db, n)).slice(0, c.syncStandbys.num);
  return sync.length === c.syncStandbys.num && ackCount(db, lsn, kind, sync) === sync.length;
}

/**
 * pg_stat_replication state 'streaming': the standby once received everything
 * flushed when it reported (before that it is in 'catchup').
 */
function streaming(db: Db, n: NodeId): boolean {
  return db.walSenders.get(n)?.streaming === true;
}

function allStandbys(db: Db): NodeId[] {
  return [...db.walSenders.keys()];
}

function ackCount(db: Db, lsn: number, kind: 'write' | 'flush' | 'replay', names: NodeId[]): number {
  let n = 0;
  const pg = db.config.replication === 'pg';
  for (const name of names) {
    const s = db.walSenders.get(name);
    if (s && s[kind] >= lsn && (!pg || streaming(db, name))) n++;
  }
  return n;
}

function show(db: Db, w: CommitWait): void {
  w.visible = true;
  makeVisible(db, 'txn.commit', w.xid, w.lsn, w.tl, w.writes, w.op);
  for (const k of w.lockedKeys) db.rowLocks.set(k, (db.rowLocks.get(k) ?? 1) - 1);
}

function release(db: Db, w: CommitWait): void {
  if (!w.visible && leavesLater(db, w)) {
    // The backend is woken; it leaves the ProcArray (and answers) a moment later.
    db.leavingProcArray.push(w);
    db.ctx.setTimer(db.ctx.random() * db.config.procArrayDelayMs, 'procarray', w.lsn);
    return;
  }
  if (!w.visible) show(db, w);
  answer(db, w);
}

function answer(db: Db, w: CommitWait): void {
  if (w.reqId === undefined) return; // recovered from the log: its client already got `info`
  const commit: CommitPos = { lsn: w.lsn, timeline: w.tl };
  db.ctx.reply(w.reqId, { type: 'ok', txn: w.results, commit });
  db.ctx.mark('commit-acked');
}

/** A woken PostgreSQL backend that has a client leaves the ProcArray on its own schedule. */
function leavesLater(db: Db, w: CommitWait): boolean {
  return db.config.replication === 'pg' && db.config.procArrayDelayMs > 0 && w.reqId !== undefined;
}

/** ProcArrayEndTransaction of the backend committing at `lsn`: visible, then answered. */
export function leaveProcArray(db: Db, lsn: number): void {
  const i = db.leavingProcArray.findIndex((w) => w.lsn === lsn);
  if (i < 0 || db.role !== 'primary') return;
  const w = db.leavingProcArray.splice(i, 1)[0]!;
  show(db, w);
  answer(db, w);
  drainQueue(db);
}

/**
 * statement_timeout fired while COMMIT waited for synchronous standbys: the wait is
 * cancelled, the transaction stays committed locally and becomes visible, and
 * COMMIT completes with PostgreSQL's WARNING as a notice: drivers (node-postgres,
 * libpq's PQexec) report success, so the client holds an acknowledged commit no
 * standby may have (the live PostgreSQL table shows exactly this). The warning is
 * kept in the `syncrep.cancel` event. Planted bug: the cancel is reported as an
 * error, as if the transaction rolled back.
 */
export function cancelWait(db: Db, reqId: number): void {
  if (db.role !== 'primary') return;
  const i = db.commitWaits.findIndex((w) => w.reqId === reqId);
  if (i < 0) return;
  const w = db.commitWaits.splice(i, 1)[0]!;
  if (!w.visible) show(db, w);
  db.ctx.emit('syncrep.cancel', {
    lsn: w.lsn, timeline: w.tl, op: w.op,
    warning: 'canceling wait for synchronous replication due to statement timeout; the transaction has already committed locally, but might not have been replicated to the standby',
  });
  if (db.bug === 'sync-cancel-reported-as-rollback') {
    db.ctx.reply(reqId, { type: 'fail', error: 'ERROR: canceling statement due to statement timeout' });
  } else {
    answer(db, w);
  }
  drainQueue(db);
}

/**
 * MySQL rpl_semi_sync_source_timeout (and the planted PostgreSQL fallback): a
 * wait that outlives the timeout switches the source to asynchronous and every
 * waiting commit is acknowledged — silently, the client sees plain success.
 */
function armFallback(db: Db, lsn: number): void {
  const ms = db.config.replication === 'semisync' ? db.config.semisyncTimeoutMs : db.bug === 'silent-async-fallback' ? BUG_FALLBACK_MS : 0;
  if (ms > 0 && !db.asyncFallbackOn) db.ctx.setTimer(ms, 'fallback', lsn);
}

export function fallback(db: Db, lsn: number): void {
  if (db.role !== 'primary' || !db.commitWaits.some((w) => w.lsn === lsn)) return;
  db.asyncFallbackOn = true;
  db.ctx.emit('semisync.off', { lsn });
  evaluate(db);
}

// ───────────────────────────── role changes ─────────────────────────────

/**
 * Become (or stay) the serving primary on the current timeline. Commits found
 * in the WAL after the visible position (in doubt: their clients got `info`)
 * become visible at once, as PostgreSQL's recovery marks them committed even if
 * no synchronous standby has them, so a client may read a commit that a second
 * failover then loses. inDoubtCommits 'hidden' (stricter than PostgreSQL) makes
 * them wait like fresh commits until their ack condition holds.
 */
export function resume(db: Db): void {
  resetReplayCursor(db);
  queueReplay(db, db.log.length);
  db.latestValues = new Map(db.visibleData);
  // A standby named primary may stop replay inside a transaction (a slow applier, after a
  // restart): its begin and writes are replayed already, its commit is still to come.
  const open = new Map([...db.openTxns].map(([xid, t]) => [xid, new Map(t)]));
  for (const i of db.replayQueue) recoverRecord(db, db.log[i]!, open);
  db.replayQueue = [];
  // PostgreSQL marks them committed at crash recovery, in WAL order, whether a standby has
  // them or not. A primary that stepped down and is named again without restarting (the
  // model's lease lapse) keeps them waiting: only a restart recovers.
  const recovering = db.restartedAsPrimary;
  db.restartedAsPrimary = false;
  if (db.config.inDoubtCommits === 'visible' && recovering) {
    for (const w of db.commitWaits) if (w.reqId === undefined) show(db, w);
    db.commitWaits = db.commitWaits.filter((w) => w.reqId !== undefined);
  }
  db.queuedUpToIndex = db.log.length;
  db.openTxns.clear();
  db.role = 'primary';
  db.following = undefined;
  db.streamStarted = false;
  db.frozen = false;
  db.nextLsn = db.writeLsn + 1;
  persistState(db, 'primary');
  // Standbys that kept streaming through a demotion lost their sender: make them reconnect.
  for (const n of db.ctx.nodes) if (n !== db.id && n !== MONITOR) db.ctx.send(n, { type: 'resync' } satisfies Msg);
  const upto = db.writeLsn;
  syncLog(db, upto);
  nextRelayed(db);
}

/**
 * True while crash recovery is unfinished: a commit the WAL holds past the recovered
 * snapshot (the 'snap' file is durable only with the next fsync, so a machine crash
 * can roll it back behind the WAL) may have been acknowledged before the crash, yet
 * is invisible until its waiter is released. Serving meanwhile would answer from a
 * state older than the recovered WAL; PostgreSQL refuses connections until crash
 * recovery completes ("the database system is starting up"). Once cleared it stays
 * cleared: commits re-queued by a later demotion were never acknowledged.
 */
export function startingUp(db: Db): boolean {
  if (db.crashRecoveryUnfinished && !db.commitWaits.some((w) => w.reqId === undefined)) db.crashRecoveryUnfinished = false;
  return db.crashRecoveryUnfinished;
}

/** Rebuild an in-doubt commit from the log as a waiter with no client. */
function recoverRecord(db: Db, rec: WalRec, open: Map<string, Map<string, Value>>): void {
  if (rec.rec === 'begin') return void open.set(rec.xid, new Map());
  const txn = open.get(rec.xid);
  if (rec.rec === 'abort' || !txn) return void open.delete(rec.xid);
  if (rec.rec === 'write') {
    const k = rec.k!;
    const cur = txn.has(k) ? txn.get(k)! : (db.latestValues.get(k) ?? null);
    const reexec = rec.stmt !== undefined && rec.src !== db.id;
    txn.set(k, reexec ? evalStmt(rec.stmt!, cur, db.ctx) : (rec.v ?? null));
    return;
  }
  open.delete(rec.xid);
  if (db.shownAhead.delete(rec.lsn)) return; // shown before the demotion, out of WAL order
  for (const [k, v] of txn) db.latestValues.set(k, v);
  const keys = [...txn.keys()];
  for (const k of keys) db.rowLocks.set(k, (db.rowLocks.get(k) ?? 0) + 1);
  db.commitWaits.push({ xid: rec.xid, lsn: rec.lsn, tl: rec.tl, reqId: undefined, op: rec.op, writes: txn, results: [], lockedKeys: keys, visible: false });
}

/** Demotion: waits are cancelled (the commit is durable locally, maybe not replicated). */
export function stop(db: Db, reason: string): void {
  writeBuffer(db); // WAL of visible `off` commits reaches the log, so a rewind can find and cut it
  for (const w of db.commitWaits) {
    if (w.reqId === undefined) continue;
    db.ctx.reply(w.reqId, { type: 'info', reason: `canceling wait for synchronous replication: ${reason}; committed locally, may not be replicated` });
  }
  // Woken but not yet out of the ProcArray: the connection ends before COMMIT's answer.
  for (const w of db.leavingProcArray) db.ctx.reply(w.reqId!, { type: 'info', reason: `terminating connection: ${reason}; committed, not yet answered` });
  db.leavingProcArray = [];
  for (const r of db.lockQueue) db.ctx.reply(r.id, { type: 'fail', error: `terminating connection: ${reason}` });
  db.commitWaits = [];
  db.lockQueue = [];
  db.rowLocks.clear();
  // Walsenders exit with the primary role; their standbys must reconnect to whoever is primary.
  for (const peer of db.walSenders.keys()) db.ctx.send(peer, { type: 'resync' } satisfies Msg);
  db.walSenders.clear();
  db.asyncFallbackOn = false;
}
