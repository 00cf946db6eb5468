/**
 * A re-statement of PostgreSQL's walsender lag tracker (the machinery behind
 * pg_stat_replication.write_lag / flush_lag / replay_lag, PostgreSQL ≥ 10),
 * driven by true simulator time.
 *
 * The primary keeps a buffer of samples (WAL position, time it was flushed
 * locally). When feedback reports that the standby has written / flushed /
 * replayed up to position p, each of the three read heads consumes every
 * unread sample with lsn ≤ p; the lag is `now − flush time of the last sample
 * consumed`. When no sample is crossed but the standby sits between two
 * samples, the flush time is interpolated linearly in LSN (so a stuck replay
 * shows growing lag); with only a future sample, that sample's time is used
 * (the hypothetical lag were it replayed now). No measurement → null, and the
 * displayed column keeps its previous value — except that two consecutive
 * reports with replay = sent position clear all three columns to NULL: a
 * caught-up idle standby shows no lag, not zero lag.
 */

export type LagHead = 'write' | 'flush' | 'replay';
export const LAG_HEADS: readonly LagHead[] = ['write', 'flush', 'replay'];

/** One entry of the primary's sample buffer: `lsn` became durable locally at `t` (ms). */
export interface WalSample {
  lsn: number;
  t: number;
}

/** Positions as the standby last reported them. */
export type HeadPositions = Record<LagHead, number>;

export class LagTracker {
  private readonly next: Record<LagHead, number> = { write: 0, flush: 0, replay: 0 };
  private readonly lastRead: Record<LagHead, WalSample | null> = { write: null, flush: null, replay: null };
  /** What pg_stat_replication shows now; null = NULL. */
  readonly shown: Record<LagHead, number | null> = { write: null, flush: null, replay: null };
  /** Exact per-sample lag: index into `samples` → lag per head (ms), first time that head crossed it. */
  readonly crossed = new Map<number, Partial<Record<LagHead, number>>>();
  private fullyAppliedLastTime = false;

  /** `samples` is shared with the primary's epoch and only ever grows (lsn strictly increasing). */
  constructor(readonly samples: readonly WalSample[]) {}

  /**
   * Process one feedback message received at `nowMs`. `sentLsn` is the position
   * the sender has shipped (pg's sentPtr), used for the caught-up test.
   */
  report(pos: HeadPositions, nowMs: number, sentLsn: number): void {
    const lags = LAG_HEADS.map((h) => this.read(h, pos[h], nowMs));
    let clear = false;
    if (pos.replay >= sentLsn) {
      // Two consecutive fully-replayed reports: the second one comes from the
      // status interval of an idle standby, so stale lag figures are dropped.
      clear = this.fullyAppliedLastTime;
      this.fullyAppliedLastTime = true;
    } else {
      this.fullyAppliedLastTime = false;
    }
    LAG_HEADS.forEach((h, i) => {
      const lag = lags[i] ?? null;
      if (lag !== null || clear) this.shown[h] = lag;
    });
  }

  /** Forget the displayed values (an idle standby whose next status report would clear them). */
  clear(): void {
    for (const h of LAG_HEADS) this.shown[h] = null;
  }

  private read(head: LagHead, lsn: number, nowMs: number): number | null {
    // A position never reported (only possible when built from standby events) measures nothing.
    if (!Number.isFinite(lsn)) return null;
    let crossedTime: number | null = null;
    while (this.next[head] < this.samples.length) {
      const i = this.next[head];
      const s = this.samples[i] as WalSample;
      if (s.lsn > lsn) break;
      crossedTime = s.t;
      this.lastRead[head] = s;
      this.recordCrossing(i, head, nowMs - s.t);
      this.next[head] = i + 1;
    }
    const exhausted = this.next[head] >= this.samples.length;
    // Everything sent was processed: an old sample must not seed interpolation
    // at the start of the next burst of WAL.
    if (exhausted) this.lastRead[head] = null;
    if (crossedTime !== null) return crossedTime > nowMs ? null : nowMs - crossedTime;
    if (exhausted) return null;
    const estimate = this.interpolate(head, lsn);
    return estimate === null || estimate > nowMs ? null : nowMs - estimate;
  }

  private interpolate(head: LagHead, lsn: number): number | null {
    const next = this.samples[this.next[head]] as WalSample;
    const prev = this.lastRead[head];
    if (prev === null) return next.t;
    // Positions can move backwards across a timeline switch: no estimate then.
    if (lsn < prev.lsn || prev.t > next.t) return null;
    const fraction = (lsn - prev.lsn) / (next.lsn - prev.lsn);
    return prev.t + (next.t - prev.t) * fraction;
  }

  private recordCrossing(i: number, head: LagHead, lagMs: number): void {
    const entry = this.crossed.get(i) ?? {};
    if (entry[head] === undefined) entry[head] = lagMs;
    this.crossed.set(i, entry);
  }
}
