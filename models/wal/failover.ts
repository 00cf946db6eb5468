/**
 * Failover: a monitor node "m" (as pg_auto_failover's monitor or Patroni's DCS
 * leader key) is the failure detector and the only one who starts a timeline.
 *
 * - Every database node sends a heartbeat datagram every heartbeatMs; the
 *   monitor answers with the current primary and timeline. The answer renews the
 *   primary's lease; a primary whose lease lapses (leaseMs) stops serving
 *   (fencing), and a node named standby follows the named primary.
 * - No heartbeat from the primary for failoverTimeoutMs → election: the monitor
 *   *freezes* the standbys (they stop taking WAL from the old primary and report
 *   their received position), fences the old primary, and waits for enough
 *   reports that at least one reporter holds every acknowledged commit: with
 *   k of m synchronous standbys, m − k + 1 reports (quorum intersection). It
 *   promotes the most advanced reporter (or the highest-priority one) to
 *   timeline + 1, persists that, and tells everyone through heartbeat answers.
 * - Only a standby that holds everything the current primary held when it was
 *   promoted is a candidate: a promoted standby serves all the WAL it received
 *   at once, so a node still catching up (or back from a crash on an older
 *   timeline with less) lacks what clients may have read. With no such reporter
 *   once all have reported, the monitor fails over to nobody and names the
 *   current primary again (pg_auto_failover, failover-state-machine.rst: the
 *   primary state, reached once a standby "has caught up with WAL replication",
 *   "is the only state where we know we can fail over when required").
 * - The old primary, once it hears of the new one, rejoins as a standby after
 *   rewinding its divergent suffix (the new primary's sender tells it where).
 */
import type { NodeContext, NodeId, NodeProgram, TimerId } from '../../src/index.js';
import { dbNodes, type WalBug, type WalConfig } from './config.js';
import { asMsg, type Msg } from './log.js';

interface MonitorState {
  primary: NodeId;
  tl: number;
  epoch: number;
  /** WAL end of the primary when it was promoted to `tl` (what it served from the start). */
  since: number;
  /** The timeline it was promoted from (0 for the first primary). */
  parentTl: number;
}

interface Monitor {
  ctx: NodeContext;
  c: WalConfig;
  bug: WalBug | undefined;
  state: MonitorState;
  phase: 'steady' | 'electing' | 'promoting';
  suspect: TimerId | undefined;
  /** Election reports: received WAL end and the timeline it is on. */
  positions: Map<NodeId, { end: number; tl: number }>;
}

export function createMonitorProgram(c: WalConfig, bug: WalBug | undefined): NodeProgram {
  let mon: Monitor | undefined;
  const need = (): Monitor => {
    if (!mon) throw new Error('wal: monitor used before start');
    return mon;
  };
  return {
    start(ctx) {
      const stored = ctx.disk.get<MonitorState>('monitor') ?? { primary: 'n1', tl: 1, epoch: 0, since: 0, parentTl: 0 };
      // A restart abandons any election in progress: a new epoch, above every one sent
      // (epochs are persisted before their freeze goes out), thaws the nodes it froze.
      const state = { ...stored, epoch: stored.epoch + 1 };
      mon = { ctx, c, bug, state, phase: 'steady', suspect: undefined, positions: new Map() };
      resetSuspect(mon);
    },
    onMessage(ctx, from, raw) {
      onMessage(need(), from, asMsg(raw));
    },
    onTimer(ctx, tag, payload) {
      const m = need();
      if (tag === 'suspect' && m.phase === 'steady') return startElection(m);
      if (tag === 'collect' && payload === m.state.epoch && m.phase === 'electing') return collect(m);
    },
    onRequest(ctx, req) {
      ctx.reply(req.id, { type: 'fail', error: 'the monitor serves no queries' });
    },
    view() {
      if (!mon) return { role: 'monitor', data: {} };
      const s = mon.state;
      const positions: Record<string, number> = {
        timeline: s.tl,
        epoch: s.epoch,
        primary: dbNodes(c).indexOf(s.primary) + 1,
        electing: mon.phase === 'steady' ? 0 : 1,
      };
      return { role: 'monitor', data: {}, positions };
    },
  };
}

function resetSuspect(m: Monitor): void {
  if (m.suspect !== undefined) m.ctx.cancelTimer(m.suspect);
  m.suspect = m.ctx.setTimer(m.c.failoverTimeoutMs, 'suspect', undefined, { background: true });
}

function onMessage(m: Monitor, from: NodeId, msg: Msg): void {
  if (msg.type === 'hb') {
    if (from === m.state.primary && m.phase === 'steady') resetSuspect(m);
    const s = m.state;
    const ack: Msg = { type: 'hb-ack', seq: msg.seq, boot: msg.boot, primary: s.primary, tl: s.tl, epoch: s.epoch, electing: m.phase !== 'steady' };
    // Heartbeats are background traffic: quiescent() decides when the cluster is settled.
    m.ctx.send(from, ack, { channel: 'datagram', background: true });
    return;
  }
  if (msg.type === 'position' && msg.epoch === m.state.epoch && m.phase === 'electing') {
    m.positions.set(from, { end: msg.end, tl: msg.tl });
    if (m.positions.size === candidates(m).length) collect(m);
  }
}

function candidates(m: Monitor): NodeId[] {
  return dbNodes(m.c).filter((n) => n !== m.state.primary);
}

function startElection(m: Monitor): void {
  m.state = { ...m.state, epoch: m.state.epoch + 1 };
  m.phase = 'electing';
  m.positions = new Map();
  m.ctx.emit('failover.start', { epoch: m.state.epoch, suspected: m.state.primary });
  m.ctx.mark('election-start');
  // Persist the epoch before any node hears of it, so a restarted monitor starts above it.
  const epoch = m.state.epoch;
  m.ctx.disk.put('monitor', m.state);
  m.ctx.disk.fsync(() => {
    if (m.state.epoch !== epoch || m.phase !== 'electing') return;
    if (m.c.fencing && m.bug !== 'no-fencing') m.ctx.send(m.state.primary, { type: 'fence' } satisfies Msg);
    freeze(m);
  });
}

function freeze(m: Monitor): void {
  for (const n of candidates(m)) {
    if (!m.positions.has(n)) m.ctx.send(n, { type: 'freeze', epoch: m.state.epoch } satisfies Msg);
  }
  m.ctx.setTimer(m.c.failoverTimeoutMs / 2, 'collect', m.state.epoch, { background: true });
}

/** Reports needed so that one of them holds every acknowledged commit. */
export function quorumNeeded(c: WalConfig, oldPrimary: NodeId): number {
  const standbys = dbNodes(c).filter((n) => n !== oldPrimary);
  if (c.replication === 'semisync') return standbys.length - c.semisyncAcks + 1;
  if (c.synchronousCommit === 'off' || c.synchronousCommit === 'local' || c.syncStandbys.num === 0) return 1;
  const named = c.syncStandbys.names.filter((n) => n !== oldPrimary).length;
  return Math.max(1, named - c.syncStandbys.num + 1 + (standbys.length - named));
}

function collect(m: Monitor): void {
  const need = m.bug === 'promote-lagging-standby' ? 1 : quorumNeeded(m.c, m.state.primary);
  if (m.positions.size < need) return freeze(m);
  const eligible = [...m.positions].filter(([, p]) => caughtUp(m, p));
  if (eligible.length === 0) return m.positions.size < candidates(m).length ? freeze(m) : abandon(m);
  const cand = choose(m, eligible);
  const tl = m.state.tl + 1;
  m.state = { primary: cand, tl, epoch: m.state.epoch, since: m.positions.get(cand)!.end, parentTl: m.state.tl };
  m.phase = 'promoting';
  m.ctx.disk.put('monitor', m.state);
  m.ctx.disk.fsync(() => {
    m.ctx.emit('failover.promote', { node: cand, timeline: tl, epoch: m.state.epoch });
    m.ctx.send(cand, { type: 'promote', epoch: m.state.epoch, tl } satisfies Msg);
    m.phase = 'steady';
    resetSuspect(m);
  });
}

/**
 * A reporter that holds all the current primary held when promoted: its log
 * reaches that position on the primary's timeline or on the one it was
 * promoted from (one timeline's records at an lsn are the same on every node,
 * and the new timeline starts after them). A node on an older timeline, or
 * short of that position, is still catching up: no candidate.
 */
function caughtUp(m: Monitor, p: { end: number; tl: number }): boolean {
  return p.end >= m.state.since && (p.tl === m.state.tl || p.tl === m.state.parentTl);
}

/**
 * Every candidate reported and none has caught up: promoting one would drop what
 * the current primary served. No failover; the current primary is named again
 * (it serves once its heartbeat is answered) and frozen standbys follow it.
 */
function abandon(m: Monitor): void {
  m.ctx.emit('failover.abandon', { epoch: m.state.epoch, primary: m.state.primary });
  m.phase = 'steady';
  resetSuspect(m);
}

/**
 * Most advanced reporter by (timeline, end): a node still on an older timeline
 * lacks whatever the newer one acknowledged, however long its own log is. Ties
 * and `priority` go by synchronous_standby_names order, then node order.
 */
function choose(m: Monitor, eligible: [NodeId, { end: number; tl: number }][]): NodeId {
  const order = [...m.c.syncStandbys.names, ...dbNodes(m.c)];
  const rank = (n: NodeId) => order.indexOf(n);
  const reps = [...eligible].sort((a, b) => rank(a[0]) - rank(b[0]));
  const ahead = (a: { end: number; tl: number }, b: { end: number; tl: number }) => a.tl > b.tl || (a.tl === b.tl && a.end > b.end);
  if (m.bug === 'promote-lagging-standby') return reps.reduce((best, r) => (ahead(best[1], r[1]) ? r : best))[0];
  if (m.c.promotion === 'priority') return reps[0]![0];
  return reps.reduce((best, r) => (ahead(r[1], best[1]) ? r : best))[0];
}
