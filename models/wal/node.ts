/**
 * One database node (primary or standby; roles change at failover): recovery
 * from disk, message and timer dispatch to the role modules, heartbeats to the
 * monitor, role changes and the node's view. Its state is in state.ts, what both
 * roles do to the visible data (replay, rewind) in visible.ts.
 *
 * Roles: see `Role` in state.ts.
 *
 * Persistence: file 'wal' (records), 'state' (role + timeline history) and
 * 'snap' (visible data as of a commit position). 'snap' is written at every
 * visibility change and becomes durable with the next fsync, so after a crash
 * the node shows exactly its visible log cut at snap.lsn (the `recover` event).
 */
import type { NodeContext, NodeId, NodeProgram, NodeView } from '../../src/index.js';
import { MONITOR, type WalBug, type WalConfig } from './config.js';
import { INITIAL_LINEAGE, asMsg, currentTl, indexAfter, maxLsn, type NodeState, type Snapshot, type WalRec } from './log.js';
import * as primary from './primary.js';
import * as standby from './standby.js';
import { blank, type Db, type RelayedTxn } from './state.js';
import { persistState, queueReplay, releaseHeldCommit, resetReplayCursor } from './visible.js';

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
      if (d.walSenders.delete(peer) && d.role === 'primary') {
        // The break may be noticed after the standby already reconnected (breakDetectMs
        // is long); ask it to say hello again rather than leave it streaming from nobody.
        ctx.send(peer, { type: 'resync' });
        primary.evaluate(d);
      }
      if (peer === d.following) d.streamStarted = false;
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
  if (bug === 'retransmit-applied-twice' && state.role === 'standby') db.replayLsn = Math.min(db.replayLsn, ctx.disk.get<number>('applied') ?? 0);
  // Planted bug promote-before-relay-applied: the relay log is a file; a restarted server still has it.
  if (bug === 'promote-before-relay-applied') db.relayBacklog = ctx.disk.get<RelayedTxn[]>('relay') ?? [];
  // Always say what survived: a machine crash before the first fsync leaves no trace on
  // disk, so a restart then looks like a first start — yet commits it showed are gone.
  // (At a true first start the visible log is empty and this cuts nothing.)
  ctx.emit('recover', { lsn: Math.min(snap.lsn, maxLsn(log)), timeline: currentTl(state.lineage) });
  if (stored === undefined) ctx.disk.put('state', state);
  db.queuedUpToIndex = indexAfter(log, db.replayLsn);
  queueReplay(db, log.length);
  // What survived the restart is durable once this fsync completes — unless a rewind cut it first.
  const durable = db.writeLsn;
  ctx.disk.fsync(() => {
    if (db.rewindCount === 0) db.flushLsn = Math.max(db.flushLsn, durable);
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

function arm(db: Db): void {
  db.ctx.setTimer(db.config.statusIntervalMs, 'tick', undefined, { background: true });
  if (db.config.failover === 'auto') db.ctx.setTimer(db.config.heartbeatMs, 'hb', 0, { background: true });
}

// ───────────────────────────── roles ─────────────────────────────

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

/** Promotion to timeline `tl`: the standby finishes replay and takes the role; its received WAL becomes the new timeline's durable start. */
function promote(db: Db, tl: number): void {
  const start = standby.promote(db, tl);
  primary.syncLog(db, start);
  primary.nextRelayed(db);
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
      if (from === db.following && db.streamStarted) standby.restart(db);
      return;
    case 'hb-ack':
      return onHbAck(db, m);
    case 'freeze':
      return onFreeze(db, m.epoch);
    case 'promote':
      if (db.role !== 'primary' && m.tl > currentTl(db.lineage)) promote(db, m.tl);
      return;
    case 'fence':
      if (fences(db)) demote(db, 'fenced by monitor');
      return;
    default:
      throw new Error(`wal: node ${db.id} got unexpected ${m.type}`);
  }
}

function fences(db: Db): boolean {
  return db.config.fencing && db.bug !== 'no-fencing';
}

function onFreeze(db: Db, epoch: number): void {
  if (db.role === 'primary') return;
  db.frozen = true; // stop taking WAL from the old primary while the monitor decides
  db.frozenEpoch = Math.max(db.frozenEpoch, epoch);
  db.ctx.send(MONITOR, { type: 'position', epoch, end: db.writeLsn, tl: currentTl(db.lineage) });
}

/** The monitor's answer names the primary of the current timeline. */
function onHbAck(db: Db, m: Extract<ReturnType<typeof asMsg>, { type: 'hb-ack' }>): void {
  if (m.boot !== db.incarnation) return; // an answer to the previous incarnation
  // Heartbeat answers are datagrams and may arrive late or out of order: one older
  // than the newest seen, or naming an older timeline than ours, is stale news.
  if (m.seq < db.heartbeatAnswered || m.tl < currentTl(db.lineage)) return;
  // Jittered pacing (0.5–1.5 × heartbeatMs): nodes' rounds drift apart and, now and then, all pause together.
  if (m.seq === db.heartbeatSeq && m.seq > db.heartbeatAnswered) db.ctx.setTimer(db.config.heartbeatMs * (0.5 + db.ctx.random()), 'hb', 0, { background: true });
  if (m.seq > db.heartbeatAnswered) db.ctx.mark('heartbeat-answered');
  db.heartbeatAnswered = Math.max(db.heartbeatAnswered, m.seq);
  // An answer the monitor sent before the election we reported for (datagrams overtake
  // the freeze) must not thaw us: the monitor counts on our reported position.
  if (m.epoch < db.frozenEpoch) return;
  const mine = m.primary === db.id;
  if (mine) {
    // An answer that came after its heartbeat's lease window closed grants nothing: the
    // monitor may have promoted another node meanwhile (a delayed datagram).
    if (m.electing || m.seq <= db.leaseLapsed) return;
    db.leaseHeartbeat = Math.max(db.leaseHeartbeat, m.seq);
    if (m.tl > currentTl(db.lineage)) return promote(db, m.tl);
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
  return !db.streamStarted || currentTl(db.lineage) === tl;
}

function onTimer(db: Db, tag: string, payload: unknown): void {
  switch (tag) {
    case 'tick':
      db.ctx.setTimer(db.config.statusIntervalMs, 'tick', undefined, { background: true });
      if (db.role === 'primary') return primary.tick(db);
      return standby.tick(db);
    case 'hb':
      // A retry timer for an answered heartbeat is stale: the answer already paced the next one.
      if ((payload as number) > 0 && db.heartbeatAnswered >= (payload as number)) return;
      return heartbeat(db);
    case 'lease': {
      const { seq, asPrimary } = payload as { seq: number; asPrimary: boolean };
      db.leaseLapsed = Math.max(db.leaseLapsed, seq);
      if (asPrimary && db.role === 'primary' && fences(db) && db.leaseHeartbeat <= seq) demote(db, 'lease expired');
      return;
    }
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
    case 'relay':
      return primary.relayStep(db);
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
  const seq = ++db.heartbeatSeq;
  // Retry a lost heartbeat well before the lease lapses, but not so soon that a slow answer
  // overlaps the next round (then rounds would pipeline and the cluster never falls quiet).
  db.ctx.setTimer(Math.max(2 * db.config.heartbeatMs, db.config.leaseMs / 2), 'hb', seq, { background: true });
  db.ctx.send(MONITOR, { type: 'hb', seq, boot: db.incarnation, role: db.role, end: db.writeLsn, tl: currentTl(db.lineage) }, { channel: 'datagram', background: true });
  // Every heartbeat's lease window is timed (an answer may name a standby primary too);
  // only a primary's own heartbeat demotes it when the window closes unrenewed.
  db.ctx.setTimer(db.config.leaseMs, 'lease', { seq, asPrimary: db.role === 'primary' }, { background: true });
}

function view(db: Db): NodeView {
  let data = db.viewDataCache;
  if (!data) {
    data = {};
    for (const [k, v] of db.visibleData) if (v !== null) data[k] = v;
    db.viewDataCache = data;
  }
  const end = Math.max(db.writeLsn, db.nextLsn - 1);
  const timeline = currentTl(db.lineage);
  const streaming = db.role === 'standby' && db.streamStarted && !db.frozen ? 1 : 0;
  const last = db.viewCache;
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
  db.viewCache = v;
  return v;
}
