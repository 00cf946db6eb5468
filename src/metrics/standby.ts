/**
 * Per-standby replication lag with PostgreSQL's pg_stat_replication semantics,
 * measured on true time.
 *
 * Time lag (write_lag, flush_lag, replay_lag): time from the primary's local
 * flush of a WAL position (`wal.flush` on the primary) to the standby reporting
 * that position written / flushed / replayed. Two sources, chosen per standby:
 * - 'report': `standby.report {from, write, flush, replay}` events on the primary,
 *   i.e. feedback as the primary received it (includes the return trip), exactly
 *   what pg_stat_replication measures;
 * - 'standby-events': when a standby sends no reports, its own
 *   `standby.write/flush/replay {lsn, timeline}` events, matched to flushes of
 *   the same timeline (excludes the return trip). Lacking a status interval,
 *   a standby whose replay position equals the primary's head when the history
 *   ends counts as caught-up idle, and its final lag columns are null.
 *
 * Position lag ("byte lag" in PostgreSQL, here records since LSNs count
 * records): the primary's flushed head minus each reported position, ≥ 0.
 *
 * Epochs: a primary's samples restart whenever its `wal.flush` timeline
 * changes or its position moves backwards (failover, rewind) — as a new
 * walsender connection starts an empty lag tracker in PostgreSQL.
 */
import type { History, ModelEventEntry, NodeId } from '../history/types.js';
import { isEvent, keyOf, num } from './events.js';
import { LAG_HEADS, LagTracker, type HeadPositions, type LagHead, type WalSample } from './lag-tracker.js';
import { summarize, type LatencySummary } from './summary.js';

/** One flushed WAL position and how long each standby stage took to report it (null: never). */
export interface LagPositionSample {
  primary: NodeId;
  timeline: number;
  lsn: number;
  flushedAtMs: number;
  writeLagMs: number | null;
  flushLagMs: number | null;
  replayLagMs: number | null;
}

/** The standby's row in pg_stat_replication at one instant, plus position lag. */
export interface StandbyLagPoint {
  t: number;
  headLsn: number;
  writeLsn: number;
  flushLsn: number;
  replayLsn: number;
  writeLagLsn: number;
  flushLagLsn: number;
  replayLagLsn: number;
  /** As pg_stat_replication shows it: last measurement, null when none or cleared. */
  writeLagMs: number | null;
  flushLagMs: number | null;
  replayLagMs: number | null;
}

export interface StandbyLag {
  standby: NodeId;
  source: 'report' | 'standby-events';
  /** Every flushed position of the epochs this standby followed, in order. */
  positions: LagPositionSample[];
  /** Distributions over `positions` that were reached (null when none was). */
  writeLagMs: LatencySummary | null;
  flushLagMs: LatencySummary | null;
  replayLagMs: LatencySummary | null;
  /** Flushed positions the standby never reported replayed (lost in a failover, or the run ended). */
  unreplayedCount: number;
  /** pg_stat_replication over time: one point per report/standby event and per primary flush. */
  series: StandbyLagPoint[];
  /** The last point (null when the standby never reported anything). */
  final: StandbyLagPoint | null;
}

interface Epoch {
  primary: NodeId;
  timeline: number;
  samples: WalSample[];
  headLsn: number;
}

interface Follower {
  standby: NodeId;
  tracker: LagTracker;
  epoch: Epoch;
  pos: HeadPositions;
}

interface Acc {
  source: StandbyLag['source'];
  followers: Follower[];
  series: StandbyLagPoint[];
}

/** Lag per standby, sorted by standby id. Standbys are nodes that report or emit standby.* events. */
export function standbyLag(history: History): StandbyLag[] {
  const reporters = reportingStandbys(history);
  const accs = new Map<NodeId, Acc>();
  const state = new LagState(accs, reporters);
  for (const e of history) if (isEvent(e)) state.onEvent(e);
  state.finish(history.length > 0 ? (history[history.length - 1]?.t ?? 0) : 0);
  return [...accs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([s, acc]) => toResult(s, acc));
}

function reportingStandbys(history: History): Set<NodeId> {
  const out = new Set<NodeId>();
  for (const e of history) {
    if (!isEvent(e, 'standby.report')) continue;
    const from = keyOf(e, 'from');
    if (from !== undefined) out.add(from);
  }
  return out;
}

class LagState {
  /** Current epoch per primary node (report mode). */
  private readonly byPrimary = new Map<NodeId, Epoch>();
  /** Epoch per timeline, merged over primaries (standby-events mode). */
  private readonly byTimeline = new Map<number, Epoch>();
  private readonly sentTo = new Map<string, number>();
  private readonly followers = new Map<string, Follower>();
  private readonly lastTimeline = new Map<NodeId, number>();

  constructor(
    private readonly accs: Map<NodeId, Acc>,
    private readonly reporters: Set<NodeId>,
  ) {}

  onEvent(e: ModelEventEntry): void {
    if (e.name === 'wal.flush') this.onFlush(e);
    else if (e.name === 'wal.send') this.onSend(e);
    else if (e.name === 'standby.report') this.onReport(e);
    else if (e.name === 'standby.write' || e.name === 'standby.flush' || e.name === 'standby.replay') this.onStandbyEvent(e);
  }

  finish(endMs: number): void {
    for (const [standby, acc] of this.accs) {
      if (acc.source !== 'standby-events') continue;
      const f = acc.followers[acc.followers.length - 1];
      if (f === undefined || f.pos.replay < f.epoch.headLsn) continue;
      f.tracker.clear();
      this.point(standby, f, endMs);
    }
  }

  private onFlush(e: ModelEventEntry): void {
    const lsn = num(e, 'lsn');
    if (lsn === undefined) return;
    const timeline = num(e, 'timeline') ?? 0;
    const epoch = this.primaryEpoch(e.node, timeline, lsn);
    if (lsn <= epoch.headLsn) return;
    epoch.samples.push({ lsn, t: e.t });
    epoch.headLsn = lsn;
    const merged = this.addTimelineSample(timeline, e.node, lsn, e.t);
    // The head moved: position lag of everyone following it grows now, not at their next report.
    for (const f of this.followers.values()) if (f.epoch === epoch || f.epoch === merged) this.point(f.standby, f, e.t);
  }

  private primaryEpoch(primary: NodeId, timeline: number, lsn: number): Epoch {
    const cur = this.byPrimary.get(primary);
    if (cur && cur.timeline === timeline && lsn >= cur.headLsn) return cur;
    const fresh: Epoch = { primary, timeline, samples: [], headLsn: -Infinity };
    this.byPrimary.set(primary, fresh);
    return fresh;
  }

  private addTimelineSample(timeline: number, primary: NodeId, lsn: number, t: number): Epoch {
    let epoch = this.byTimeline.get(timeline);
    if (!epoch) {
      epoch = { primary, timeline, samples: [], headLsn: -Infinity };
      this.byTimeline.set(timeline, epoch);
    }
    // Two primaries on one timeline (split brain): keep the first flush of each position.
    if (lsn > epoch.headLsn) {
      epoch.samples.push({ lsn, t });
      epoch.headLsn = lsn;
    }
    return epoch;
  }

  private onSend(e: ModelEventEntry): void {
    const to = keyOf(e, 'to');
    const lsn = num(e, 'lsn');
    if (to === undefined || lsn === undefined) return;
    const k = `${e.node}\u0000${to}`;
    this.sentTo.set(k, Math.max(this.sentTo.get(k) ?? -Infinity, lsn));
  }

  private onReport(e: ModelEventEntry): void {
    const standby = keyOf(e, 'from');
    const epoch = this.byPrimary.get(e.node);
    if (standby === undefined || epoch === undefined) return;
    const pos = readPositions(e);
    if (pos === undefined) return;
    const f = this.follower('report', standby, epoch, `${e.node}\u0000${standby}`);
    f.pos = pos;
    const sent = this.sentTo.get(`${e.node}\u0000${standby}`) ?? epoch.headLsn;
    f.tracker.report(pos, e.t, Math.min(sent, epoch.headLsn));
    this.point(standby, f, e.t);
  }

  private onStandbyEvent(e: ModelEventEntry): void {
    if (this.reporters.has(e.node)) return;
    const lsn = num(e, 'lsn');
    if (lsn === undefined) return;
    const timeline = num(e, 'timeline') ?? this.lastTimeline.get(e.node) ?? 0;
    this.lastTimeline.set(e.node, timeline);
    const epoch = this.byTimeline.get(timeline);
    if (epoch === undefined) return;
    const f = this.follower('standby-events', e.node, epoch, `tl${timeline}\u0000${e.node}`);
    const head = e.name.slice('standby.'.length) as LagHead;
    f.pos = { ...f.pos, [head]: lsn };
    f.tracker.report(f.pos, e.t, epoch.headLsn);
    this.point(e.node, f, e.t);
  }

  private follower(source: Acc['source'], standby: NodeId, epoch: Epoch, key: string): Follower {
    let f = this.followers.get(key);
    if (f && f.epoch === epoch) return f;
    f = { standby, tracker: new LagTracker(epoch.samples), epoch, pos: { write: -Infinity, flush: -Infinity, replay: -Infinity } };
    this.followers.set(key, f);
    const acc = this.accs.get(standby) ?? { source, followers: [], series: [] };
    acc.followers.push(f);
    this.accs.set(standby, acc);
    return f;
  }

  private point(standby: NodeId, f: Follower, t: number): void {
    const acc = this.accs.get(standby);
    if (!acc || f.pos.write === -Infinity && f.pos.flush === -Infinity && f.pos.replay === -Infinity) return;
    acc.series.push(makePoint(f, t));
  }
}

function readPositions(e: ModelEventEntry): HeadPositions | undefined {
  const write = num(e, 'write');
  const flush = num(e, 'flush');
  const replay = num(e, 'replay');
  if (write === undefined || flush === undefined || replay === undefined) return undefined;
  return { write, flush, replay };
}

function makePoint(f: Follower, t: number): StandbyLagPoint {
  const head = f.epoch.headLsn;
  const p = (h: LagHead): number => (Number.isFinite(f.pos[h]) ? f.pos[h] : 0);
  const lag = (h: LagHead): number => Math.max(0, head - p(h));
  return {
    t,
    headLsn: head,
    writeLsn: p('write'),
    flushLsn: p('flush'),
    replayLsn: p('replay'),
    writeLagLsn: lag('write'),
    flushLagLsn: lag('flush'),
    replayLagLsn: lag('replay'),
    writeLagMs: f.tracker.shown.write,
    flushLagMs: f.tracker.shown.flush,
    replayLagMs: f.tracker.shown.replay,
  };
}

function toResult(standby: NodeId, acc: Acc): StandbyLag {
  const positions = acc.followers.flatMap(positionSamples);
  const reached = (h: LagHead): number[] =>
    positions.map((p) => p[`${h}LagMs`]).filter((v): v is number => v !== null);
  const [w, f, r] = LAG_HEADS.map((h) => summarize(reached(h)));
  return {
    standby,
    source: acc.source,
    positions,
    writeLagMs: w ?? null,
    flushLagMs: f ?? null,
    replayLagMs: r ?? null,
    unreplayedCount: positions.filter((p) => p.replayLagMs === null).length,
    series: acc.series,
    final: acc.series[acc.series.length - 1] ?? null,
  };
}

function positionSamples(f: Follower): LagPositionSample[] {
  return f.epoch.samples.map((s, i) => {
    const c = f.tracker.crossed.get(i) ?? {};
    return {
      primary: f.epoch.primary,
      timeline: f.epoch.timeline,
      lsn: s.lsn,
      flushedAtMs: s.t,
      writeLagMs: c.write ?? null,
      flushLagMs: c.flush ?? null,
      replayLagMs: c.replay ?? null,
    };
  });
}
