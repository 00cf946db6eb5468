/**
 * What both roles do to a node's visible data: make a commit visible, replay a
 * WAL record, rewind (pg_rewind), read, and the replay cursor. A primary makes
 * its own commits visible here; a standby replays the primary's.
 */
import type { MicroOp, Value } from '../../src/index.js';
import { currentTl, indexAfter, type Lineage, type NodeState, type Snapshot, type WalRec } from './log.js';
import type { Db } from './state.js';
import { evalStmt } from './statements.js';

/** Queue log records from `queuedUpToIndex` up to index `upTo` for replay, in order (or bugged order). */
export function queueReplay(db: Db, upTo: number): void {
  const end = Math.min(upTo, db.log.length);
  for (let i = db.queuedUpToIndex; i < end; i++) {
    if (db.jumpedAhead >= 0) db.replayQueue.splice(db.jumpedAhead++, 0, i);
    else db.replayQueue.push(i);
  }
  db.queuedUpToIndex = Math.max(db.queuedUpToIndex, end);
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
  db.viewDataCache = undefined;
  for (const [k, v] of writes) {
    db.visibleData.set(k, v);
    if (op !== undefined) db.writerOps.set(k, op);
    else db.writerOps.delete(k);
  }
  db.replayLsn = Math.max(db.replayLsn, lsn);
  // `op` names the client operation, so a checker can see what an indeterminate one did.
  db.ctx.emit(name, op !== undefined ? { xid, lsn, timeline: tl, writes: obj, op } : { xid, lsn, timeline: tl, writes: obj });
  db.ctx.mark('visible');
  db.visibleLog.push(op !== undefined ? { lsn, writes: obj, op } : { lsn, writes: obj });
  const backlog = db.snapshotBacklog;
  let i = backlog.length;
  while (i > 0 && backlog[i - 1]!.lsn > lsn) i--;
  backlog.splice(i, 0, { lsn, writes: obj });
  advanceSnapshot(db);
}

/**
 * Fold visible commits whose WAL is written into the persisted snapshot, in LSN
 * order, stopping below a commit the log holds that is not visible yet. The
 * snapshot stands for everything up to its position (recovery replays only the WAL
 * after it), and a primary shows commits out of WAL order (each backend leaves the
 * ProcArray on its own schedule): folding a later one first would claim the earlier,
 * still waiting, commit — and a crash would then lose it although its WAL survived.
 */
function advanceSnapshot(db: Db): void {
  const written = Math.max(db.log.length ? db.log[db.log.length - 1]!.lsn : 0, db.writeLsn);
  let snap = db.snapshot;
  while (db.snapshotBacklog.length) {
    const e = db.snapshotBacklog[0]!;
    // Visible commits above the snapshot are all in the backlog, so a commit record between is one not shown yet.
    if (e.lsn > written || firstCommitBetween(db.log, snap.lsn, e.lsn) !== undefined) break;
    db.snapshotBacklog.shift();
    snap = { lsn: Math.max(snap.lsn, e.lsn), data: { ...snap.data, ...e.writes } };
  }
  if (snap !== db.snapshot) {
    db.snapshot = snap;
    db.ctx.disk.put('snap', snap);
  }
}

function isCommitAt(log: readonly WalRec[], lsn: number): boolean {
  const r = log[indexAfter(log, lsn) - 1];
  return r !== undefined && r.lsn === lsn && r.rec === 'commit';
}

/** The first commit record strictly between two positions whose position `shown` lacks, if any. */
function firstCommitBetween(log: readonly WalRec[], after: number, before: number, shown?: ReadonlySet<number>): number | undefined {
  for (let i = indexAfter(log, after); i < log.length && log[i]!.lsn < before; i++) {
    const r = log[i]!;
    if (r.rec === 'commit' && !shown?.has(r.lsn)) return r.lsn;
  }
  return undefined;
}

/**
 * pg_rewind: cut the log to `to`, and the visible state with it, then follow
 * `lineage`. Data after the cut is rebuilt from the visible log kept in memory,
 * or — when the cut goes below what survived a restart — from the WAL's row images.
 */
export function rewind(db: Db, to: number, lineage: Lineage): void {
  db.rewindCount++;
  db.heldCommit = undefined;
  db.ctx.disk.truncate('wal', indexAfter(db.log, to));
  db.writeLsn = Math.min(db.writeLsn, to);
  db.flushLsn = Math.min(db.flushLsn, to);
  db.nextLsn = db.writeLsn + 1;
  db.replayQueue = [];
  db.jumpedAhead = -1;
  let cut = to;
  if (db.replayLsn > to) {
    // Replay went past the cut: resume at the last transaction boundary at or below
    // it, so a transaction open there is replayed whole again (begin, writes, commit).
    cut = txnBoundary(db.log, to);
    db.replayLsn = cut;
    db.openTxns.clear();
    db.exposedUndo.clear();
  }
  // Otherwise every replayed record survives the cut, and with it the transaction being
  // replayed: its begin and writes stay pending (pg_rewind discards only WAL after `to`).
  rebuildData(db, cut);
  resetReplayCursor(db);
  queueReplay(db, indexAfter(db.log, db.flushLsn));
  db.ctx.emit('rewind', { toLsn: to, timeline: currentTl(lineage) });
  db.ctx.mark('rewound');
}

function rebuildData(db: Db, to: number): void {
  // Below the restart's snapshot every commit in the log was visible (it is a prefix).
  const base: Snapshot = to >= db.rewindBase.lsn ? db.rewindBase : { lsn: to, data: foldLog(db.log, to) };
  db.visibleLog = to >= db.rewindBase.lsn ? db.visibleLog.filter((e) => e.lsn <= to) : [];
  const data = { ...base.data };
  // Only values the kept visible log wrote still know their writer.
  db.writerOps = new Map();
  for (const e of db.visibleLog) {
    Object.assign(data, e.writes);
    for (const k of Object.keys(e.writes)) {
      if (e.op !== undefined) db.writerOps.set(k, e.op);
      else db.writerOps.delete(k);
    }
  }
  db.visibleData = new Map(Object.entries(data));
  db.viewDataCache = undefined;
  // The snapshot holds commits only, and all of them up to its position: a transaction
  // boundary (or a restart would resume replay mid-transaction and lose its first half)
  // below the first commit in the log not visible here (or a restart would never replay it).
  const shown = new Set(db.visibleLog.filter((e) => e.lsn > base.lsn).map((e) => e.lsn));
  const gap = firstCommitBetween(db.log, base.lsn, db.replayLsn + 1, shown);
  const at = gap === undefined ? txnBoundary(db.log, db.replayLsn) : txnBoundary(db.log, gap - 1);
  const snapData = { ...base.data };
  for (const e of db.visibleLog) if (e.lsn <= at) Object.assign(snapData, e.writes);
  db.rewindBase = { lsn: at, data: snapData };
  db.snapshot = db.rewindBase;
  db.snapshotBacklog = db.visibleLog.filter((e) => e.lsn > at).map((e) => ({ lsn: e.lsn, writes: e.writes })).sort((a, b) => a.lsn - b.lsn);
  db.ctx.disk.put('snap', db.snapshot);
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
    db.openTxns.set(rec.xid, new Map());
  } else if (rec.rec === 'write') {
    const txn = db.openTxns.get(rec.xid) ?? new Map<string, Value>();
    db.openTxns.set(rec.xid, txn);
    const k = rec.k!;
    const cur = txn.has(k) ? txn.get(k)! : (db.visibleData.get(k) ?? null);
    const reexec = rec.stmt !== undefined && rec.src !== db.id;
    const v = reexec ? evalStmt(rec.stmt!, cur, db.ctx) : (rec.v ?? null);
    txn.set(k, v);
    if (db.bug === 'expose-in-progress-txn' && name === 'apply') exposeWrite(db, rec, k, v);
  } else if (rec.rec === 'commit') {
    const writes = db.openTxns.get(rec.xid) ?? new Map<string, Value>();
    db.openTxns.delete(rec.xid);
    db.exposedUndo.delete(rec.xid);
    if (db.shownAhead.delete(rec.lsn)) return void (db.replayLsn = Math.max(db.replayLsn, rec.lsn)); // shown already
    // Below a commit this node showed as primary: its own commit, shown out of WAL order
    // (as its restart after the demotion would), not one replayed from another primary.
    const own = name === 'apply' && db.shownAhead.size > 0 && rec.lsn < Math.max(...db.shownAhead);
    if (own) return makeVisible(db, 'txn.commit', rec.xid, rec.lsn, rec.tl, writes, rec.op);
    if (db.bug === 'apply-ignores-commit-order' && name === 'apply') return applyUnordered(db, rec, writes);
    makeVisible(db, name, rec.xid, rec.lsn, rec.tl, writes, rec.op);
  } else {
    db.openTxns.delete(rec.xid);
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
  const undo = db.exposedUndo.get(rec.xid) ?? new Map<string, Value>();
  db.exposedUndo.set(rec.xid, undo);
  if (!undo.has(k)) undo.set(k, db.visibleData.get(k) ?? null);
  makeVisible(db, 'apply', rec.xid, rec.lsn, rec.tl, new Map([[k, v]]));
}

function undoExposed(db: Db, rec: WalRec): void {
  const undo = db.exposedUndo.get(rec.xid);
  db.exposedUndo.delete(rec.xid);
  if (undo && undo.size) makeVisible(db, 'apply', `${rec.xid}/undo`, rec.lsn, rec.tl, undo);
}

/** A read of the visible state: the value and, when known, the operation that wrote it. */
export function readVisible(db: Db, op: MicroOp): MicroOp {
  const w = db.writerOps.get(op.k);
  return { ...op, v: db.visibleData.get(op.k) ?? null, ...(w !== undefined ? { w } : {}) } as MicroOp;
}

export function persistState(db: Db, role: 'primary' | 'standby'): void {
  db.ctx.disk.put('state', { role, lineage: db.lineage } satisfies NodeState);
  db.ctx.disk.fsync();
}


/**
 * Point replay right after the visible position. A primary appends without
 * queueing its own records for replay, so after it steps down the cursor must
 * skip what it already made visible: a later promotion or follow replays only
 * the commits that were still waiting (and never shows one twice).
 */
export function resetReplayCursor(db: Db): void {
  db.replayQueue = [];
  db.jumpedAhead = -1;
  // A primary shows commits out of WAL order: one it logged but did not show yet (its
  // wait was cancelled by the demotion) may lie below visible ones. Replay resumes at
  // the transaction boundary before it and passes over the commits already shown.
  const shown = new Set(db.snapshotBacklog.map((e) => e.lsn));
  const gap = firstCommitBetween(db.log, db.snapshot.lsn, db.replayLsn + 1, shown);
  const from = gap === undefined ? db.replayLsn : txnBoundary(db.log, gap - 1);
  // Commit records only: a planted bug shows single writes, which replay never passes over.
  db.shownAhead = new Set([...shown].filter((lsn) => lsn > from && isCommitAt(db.log, lsn)));
  db.queuedUpToIndex = indexAfter(db.log, from);
}
