/**
 * The standby: a WAL receiver and a startup (replay) process, as in PostgreSQL.
 *
 * received → written (OS cache, `standby.write`) → flushed (fsync, `standby.flush`)
 * → replayed (visible, `apply` at each commit record, `standby.replay`). Replay
 * runs only over flushed WAL, one record per `replayMsPerRecord`. Feedback
 * (write, flush, replay) goes to the primary after each write and flush, after
 * replaying a commit that asked for it (remote_apply), every status interval
 * and whenever the primary asks (keepalive).
 *
 * Records are applied once each and in LSN order: a record at or below the
 * received position is a retransmission and is skipped; a gap restarts the stream.
 */
import type { IncomingRequest, NodeId } from '../../src/index.js';
import { currentTl, divergence, indexAfter, type Lineage, type Msg } from './log.js';
import type { Db, RelayedTxn } from './state.js';
import { persistState, queueReplay, releaseHeldCommit, replayRecord, readVisible, resetReplayCursor, rewind } from './visible.js';

/** Stream from `primary` (after a failover, a rejoin or a restart). */
export function follow(db: Db, primary: NodeId): void {
  if (db.role === 'old-primary' || db.role === 'recovering') {
    // Commits that were waiting on the old primary replay like any other record now.
    resetReplayCursor(db);
    queueReplay(db, db.log.length);
    db.role = 'old-primary';
    scheduleReplay(db);
  }
  db.following = primary;
  db.streamStarted = false;
  db.frozen = false;
  hello(db);
}

function hello(db: Db): void {
  if (!db.following) return;
  db.ticksSinceHello = 0;
  // Planted bug: resume from the applied position and take retransmissions again.
  const end = db.bug === 'retransmit-applied-twice' ? db.replayLsn : db.writeLsn;
  db.ctx.send(db.following, { type: 'hello', lineage: db.lineage, end } satisfies Msg);
}

export function onStart(db: Db, from: NodeId, m: Extract<Msg, { type: 'start' }>): void {
  if (from !== db.following || db.frozen) return;
  // An answer to an older hello (hellos repeat while a slow link holds the answers back)
  // starts where that hello's end stood: the records written since are on this history
  // too, so nothing is cut and the re-sent ones are skipped. Cutting them instead lost a
  // synced WAL suffix to an unsynced truncation a machine crash then undid, while its
  // commits had been reported gone (a clean-model committed-prefix false alarm).
  const stale = m.from === m.asked && divergence(m.lineage, db.lineage) >= db.writeLsn;
  if (m.from < db.writeLsn && !stale && db.bug !== 'retransmit-applied-twice') {
    // Plain PostgreSQL refuses a diverged timeline until an operator runs pg_rewind.
    if (db.config.rewind === 'manual' && db.rewindState !== 'approved') return refuseStream(db, m.from);
    rewind(db, m.from, m.lineage);
    flushKept(db);
  }
  db.rewindState = 'none';
  // Planted bug promote-before-relay-applied: replicating from a new source starts a new relay log.
  if (db.relayBacklog.length) {
    db.relayBacklog = [];
    db.ctx.disk.put('relay', []);
  }
  db.lineage = m.lineage;
  db.streamId = m.sid;
  db.streamStarted = true;
  if (db.role === 'old-primary') db.role = 'standby';
  persistState(db, 'standby');
  db.ctx.mark('stream-start');
  // Planted bug: records from the new connection jump ahead of the unapplied backlog.
  if (db.bug === 'out-of-order-apply-after-reconnect' && db.replayQueue.length) db.jumpedAhead = 0;
  report(db, true);
}

/**
 * WAL kept below the cut that was written but not yet flushed (a restart's recovery
 * fsync, or a write's fsync, still running) lost its completion with the cut: those
 * completions predate it and are ignored. Flush it again, so it is replayed, and keep
 * replaying what the cut re-queued; otherwise a standby that hears no more WAL stops
 * replaying below the new primary's start and never catches up.
 */
function flushKept(db: Db): void {
  if (db.writeLsn > db.flushLsn) {
    const upto = db.writeLsn;
    const count = db.log.length;
    const rewinds = db.rewindCount;
    db.ctx.disk.fsync(() => flushed(db, upto, count, rewinds));
    db.ctx.mark('flush-start');
  }
  scheduleReplay(db);
}

/**
 * rewind 'manual': the WAL receiver cannot follow a timeline that forked before
 * its end ("requested timeline is not a child of this server's history"); it
 * keeps serving what it replayed, and the operator runs pg_rewind later.
 */
function refuseStream(db: Db, to: number): void {
  if (db.rewindState !== 'none') return;
  db.rewindState = 'waiting';
  db.ctx.emit('rewind.refused', { toLsn: to, end: db.writeLsn, timeline: currentTl(db.lineage) });
  db.ctx.setTimer(db.config.manualRewindMs, 'manualrewind');
}

/** The operator ran pg_rewind: the next stream start cuts the diverged suffix. */
export function operatorRewind(db: Db): void {
  if (db.rewindState !== 'waiting') return;
  db.rewindState = 'approved';
  if (db.following) restart(db);
}

export function onWal(db: Db, from: NodeId, m: Extract<Msg, { type: 'wal' }>): void {
  if (from !== db.following || !db.streamStarted || db.frozen) return;
  const dupOk = db.bug === 'retransmit-applied-twice';
  let wrote = false;
  for (const rec of m.recs) {
    if (rec.lsn <= db.writeLsn && !dupOk) continue;
    if (rec.lsn > db.writeLsn + 1) return restart(db);
    db.ctx.disk.append('wal', rec);
    db.writeLsn = Math.max(db.writeLsn, rec.lsn);
    wrote = true;
  }
  if (!wrote) return;
  db.ctx.emit('standby.write', { lsn: db.writeLsn, timeline: currentTl(db.lineage) });
  report(db);
  const upto = db.writeLsn;
  const count = db.log.length;
  const rewinds = db.rewindCount;
  db.ctx.disk.fsync(() => flushed(db, upto, count, rewinds));
  db.ctx.mark('flush-start');
}

export function restart(db: Db): void {
  db.streamStarted = false;
  hello(db);
}

function flushed(db: Db, upto: number, count: number, rewinds: number): void {
  if (rewinds !== db.rewindCount || upto <= db.flushLsn) return;
  db.flushLsn = upto;
  db.ctx.emit('standby.flush', { lsn: upto, timeline: currentTl(db.lineage) });
  db.ctx.mark('flush-done');
  if (db.role !== 'standby' && db.role !== 'old-primary') return;
  queueReplay(db, count);
  report(db);
  scheduleReplay(db);
}

/**
 * Standby status update; the planted bugs lie about flush or replay. Unless
 * `force`d (the primary asked, or the stream just started), an update whose
 * positions did not move is not sent — PostgreSQL also repeats an unchanged one
 * every wal_receiver_status_interval, which we leave out so an idle cluster is quiet.
 */
export function report(db: Db, force = false): void {
  if (!db.following || !db.streamStarted || db.frozen || db.role !== 'standby') return;
  const flush = db.bug === 'ack-on-write-not-flush' ? db.writeLsn : db.flushLsn;
  const replay = db.bug === 'remote-apply-ack-before-replay' ? db.flushLsn : db.replayLsn;
  const last = db.lastReport;
  if (!force && last.streamId === db.streamId && last.write === db.writeLsn && last.flush === flush && last.replay === replay) return;
  last.streamId = db.streamId;
  last.write = db.writeLsn;
  last.flush = flush;
  last.replay = replay;
  db.ctx.send(db.following, { type: 'report', sid: db.streamId, write: db.writeLsn, flush, replay } satisfies Msg);
  markAcks(db, flush, replay);
}

/**
 * Marks which acknowledgements this status update carries: each position it
 * moves forward on the current stream (a new stream's sender knows nothing yet).
 * The marks follow what is reported, so they fall where the update is sent.
 */
function markAcks(db: Db, flush: number, replay: number): void {
  const a = db.ackMarked;
  if (a.streamId !== db.streamId) {
    a.streamId = db.streamId;
    a.write = a.flush = a.replay = 0;
  }
  if (db.writeLsn > a.write) {
    a.write = db.writeLsn;
    db.ctx.mark('write-ack');
  }
  if (flush > a.flush) {
    a.flush = flush;
    db.ctx.mark('flush-ack');
  }
  if (replay > a.replay) {
    a.replay = replay;
    db.ctx.mark('apply-ack');
  }
}

export function tick(db: Db): void {
  if (db.role === 'primary' || !db.following) return;
  if (!db.streamStarted) {
    if (++db.ticksSinceHello >= 3) hello(db);
    return;
  }
  report(db);
}

// ───────────────────────────── replay ─────────────────────────────

export function scheduleReplay(db: Db): void {
  if (db.replayTimer !== undefined || !db.replayQueue.length) return;
  if (db.config.replayMsPerRecord === 0) {
    while (db.replayQueue.length) replayOne(db);
    return afterReplay(db);
  }
  db.replayTimer = db.ctx.setTimer(db.config.replayMsPerRecord, 'replay');
}

export function replayStep(db: Db): void {
  if (!db.replayQueue.length) return;
  replayOne(db);
  if (!db.replayQueue.length) afterReplay(db);
  scheduleReplay(db);
}

function replayOne(db: Db): void {
  const i = db.replayQueue.shift()!;
  if (db.jumpedAhead > 0) db.jumpedAhead--;
  else if (db.jumpedAhead === 0 && !db.replayQueue.length) db.jumpedAhead = -1;
  const rec = db.log[i];
  if (!rec) return;
  replayRecord(db, rec, 'apply');
  if (rec.rec === 'commit' && db.bug === 'retransmit-applied-twice') persistAppliedLazily(db);
  if (rec.rec === 'commit' || rec.rec === 'abort') {
    db.ctx.emit('standby.replay', { lsn: db.replayLsn, timeline: currentTl(db.lineage) });
    answerReads(db);
    if (rec.feedback) report(db);
  }
}

/**
 * Planted bug: the applied position lives in its own file, written every
 * APPLIED_SYNC_EVERY commits (like relay-log.info with sync_relay_log_info), so
 * after a restart replay resumes behind the data and applies commits again.
 */
const APPLIED_SYNC_EVERY = 8;
function persistAppliedLazily(db: Db): void {
  const n = (db.ctx.disk.get<number>('applied-count') ?? 0) + 1;
  db.ctx.disk.put('applied-count', n);
  if (n % APPLIED_SYNC_EVERY === 0) db.ctx.disk.put('applied', db.replayLsn);
}

function afterReplay(db: Db): void {
  if (db.jumpedAhead === 0) db.jumpedAhead = -1;
  report(db);
}

// ───────────────────────────── promotion ─────────────────────────────

/**
 * pg_ctl promote: replay everything received (written, even if not yet
 * flushed), then start timeline `tl` right after the last record. Transactions
 * still open at that point never commit. Returns the new timeline's start; the
 * caller makes it durable (primary.syncLog) before streaming begins.
 */
export function promote(db: Db, tl: number): number {
  if (db.bug === 'promote-before-relay-applied') takeRelayBacklog(db);
  db.queuedUpToIndex = Math.min(db.queuedUpToIndex, db.log.length);
  queueReplay(db, db.log.length);
  if (db.replayTimer !== undefined) db.ctx.cancelTimer(db.replayTimer);
  db.replayTimer = undefined;
  while (db.replayQueue.length) replayOne(db);
  releaseHeldCommit(db);
  db.jumpedAhead = -1;
  db.openTxns.clear();
  const start = db.writeLsn;
  db.lineage = [...db.lineage, { tl, start }] satisfies Lineage;
  db.ctx.emit('promote', { timeline: tl, lsn: start });
  db.ctx.mark('promoted');
  db.role = 'primary';
  db.restartedAsPrimary = false;
  db.following = undefined;
  db.streamStarted = false;
  db.frozen = false;
  db.leaseHeartbeat = 0;
  db.latestValues = new Map(db.visibleData);
  db.nextLsn = start + 1;
  db.queuedUpToIndex = db.log.length;
  failReads(db, 'standby promoted');
  persistState(db, 'primary');
  return start;
}

/**
 * Planted bug: promoted before the SQL thread caught up, the replica keeps the
 * transactions it received but had not applied (its relay log) and applies them
 * after promotion as its own new commits (MySQL log_replica_updates writes an
 * applied transaction to the replica's binary log when it is applied), so they
 * land behind anything clients commit on it meanwhile. Its WAL past the applied
 * position is cut: the new timeline starts there.
 */
function takeRelayBacklog(db: Db): void {
  const to = db.replayLsn;
  const backlog: RelayedTxn[] = [];
  for (let i = indexAfter(db.log, to); i < db.log.length; i++) {
    const rec = db.log[i]!;
    if (rec.rec !== 'commit') continue;
    const writes = db.log.slice(0, i).filter((r) => r.xid === rec.xid && r.rec === 'write');
    backlog.push({ writes: writes.map((r) => [r.k!, r.v ?? null]), op: rec.op, records: writes.length + 2 });
  }
  // No commit waiting: promotion finishes replay as usual (an open transaction never commits).
  if (!backlog.length) return;
  if (db.replayTimer !== undefined) db.ctx.cancelTimer(db.replayTimer);
  db.replayTimer = undefined;
  rewind(db, to, db.lineage);
  db.replayQueue = [];
  db.relayBacklog = backlog;
  // The relay log is on disk (durable with the promotion's fsync): a restart keeps applying it.
  db.ctx.disk.put('relay', backlog);
  db.ctx.emit('relay.backlog', { txns: backlog.length, fromLsn: to });
}

// ───────────────────────────── reads ─────────────────────────────

/**
 * Read-only transactions. With read-your-writes the standby first waits until it
 * has replayed the session's last commit (`req.after`), at most rywWaitMs.
 */
export function onRequest(db: Db, r: IncomingRequest): void {
  if (r.req.txn.some((op) => op.f !== 'r')) {
    return db.ctx.reply(r.id, { type: 'fail', error: `cannot execute a write in a read-only transaction (${db.id} is a standby)` });
  }
  const after = r.req.after;
  if (r.policy === 'read-your-writes' && after && db.replayLsn < after.lsn) {
    const timer = db.ctx.setTimer(db.config.rywWaitMs, 'ryw', r.id);
    db.rywWaits.push({ req: r, lsn: after.lsn, timer });
    return;
  }
  answer(db, r);
}

function answer(db: Db, r: IncomingRequest): void {
  db.ctx.reply(r.id, { type: 'ok', txn: r.req.txn.map((op) => readVisible(db, op)) });
}

function answerReads(db: Db): void {
  if (!db.rywWaits.length) return;
  const still = [];
  for (const w of db.rywWaits) {
    if (db.replayLsn >= w.lsn) {
      db.ctx.cancelTimer(w.timer);
      answer(db, w.req);
    } else still.push(w);
  }
  db.rywWaits = still;
}

export function rywTimeout(db: Db, reqId: number): void {
  const w = db.rywWaits.find((x) => x.req.id === reqId);
  if (!w) return;
  db.rywWaits = db.rywWaits.filter((x) => x !== w);
  db.ctx.reply(reqId, {
    type: 'fail',
    error: `read-your-writes: ${db.id} replayed only up to lsn ${db.replayLsn} < ${w.lsn} after ${db.config.rywWaitMs} ms`,
  });
}

function failReads(db: Db, why: string): void {
  for (const w of db.rywWaits) {
    db.ctx.cancelTimer(w.timer);
    db.ctx.reply(w.req.id, { type: 'fail', error: why });
  }
  db.rywWaits = [];
}
