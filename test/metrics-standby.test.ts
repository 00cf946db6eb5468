import type { History, HistoryEntry, ModelEventEntry, NodeId } from '../src/history/types.js';
import { describe, expect, it } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { standbyLag } from '../src/metrics/standby.js';
import { simulate } from '../src/sim/run.js';
import type { Model, NodeContext, NodeProgram } from '../src/sim/types.js';

// Hand-written history builders (true time in ms).
const meta = (nodes: NodeId[]): HistoryEntry => ({ type: 'meta', t: 0, model: 'hand', seed: 1, nodes });
const ev = (t: number, node: NodeId, name: string, data: Record<string, unknown> = {}): ModelEventEntry => ({ type: 'event', t, node, name, data });
const hist = (...entries: HistoryEntry[]): History => entries;


const report = (t: number, write: number, flush: number, replay: number, from = 'n2', primary = 'n1') =>
  ev(t, primary, 'standby.report', { from, write, flush, replay });

describe('standbyLag (feedback reports, pg_stat_replication semantics)', () => {
  const h = hist(
    meta(['n1', 'n2']),
    ev(10, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
    ev(12, 'n1', 'wal.flush', { lsn: 2, timeline: 1 }),
    report(15, 2, 1, 0),
    report(20, 2, 2, 1),
    report(30, 2, 2, 2),
    report(40, 2, 2, 2),
  );
  const [lag] = standbyLag(h);

  it('measures per-position lag from local flush to the report', () => {
    expect(lag?.standby).toBe('n2');
    expect(lag?.source).toBe('report');
    expect(lag?.positions.map((p) => [p.lsn, p.writeLagMs, p.flushLagMs, p.replayLagMs])).toEqual([
      [1, 5, 5, 10],
      [2, 3, 8, 18],
    ]);
    expect(lag?.replayLagMs).toMatchObject({ count: 2, max: 18, mean: 14 });
    expect(lag?.unreplayedCount).toBe(0);
  });

  it('shows what pg_stat_replication shows: last value kept, future sample used before the first crossing', () => {
    const atReports = lag?.series.filter((p) => p.t >= 15).map((p) => [p.t, p.writeLagMs, p.flushLagMs, p.replayLagMs]);
    expect(atReports).toEqual([
      [15, 3, 5, 5], // replay 0 < first sample: hypothetical lag of lsn 1 replayed now
      [20, 3, 8, 10], // write crossed nothing new → keeps 3
      [30, 3, 8, 18],
      [40, null, null, null], // second consecutive fully-replayed report: idle, cleared
    ]);
  });

  it('reports a caught-up idle standby as null, not zero', () => {
    expect(lag?.final).toMatchObject({ writeLagMs: null, flushLagMs: null, replayLagMs: null, replayLagLsn: 0 });
  });

  it('position lag grows at primary flushes, between reports', () => {
    const h2 = hist(
      ev(1, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
      report(2, 1, 1, 1),
      ev(3, 'n1', 'wal.flush', { lsn: 4, timeline: 1 }),
      ev(5, 'n1', 'wal.flush', { lsn: 9, timeline: 1 }),
    );
    const s = standbyLag(h2)[0]?.series.map((p) => [p.t, p.headLsn, p.replayLagLsn]);
    expect(s).toEqual([
      [2, 1, 0],
      [3, 4, 3],
      [5, 9, 8],
    ]);
  });

  it('interpolates the flush time of a position between two samples (stuck replay shows growing lag)', () => {
    const h2 = hist(
      ev(10, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
      ev(20, 'n1', 'wal.flush', { lsn: 5, timeline: 1 }),
      report(25, 1, 1, 1),
      report(30, 4, 4, 4),
    );
    const last = standbyLag(h2)[0]?.series.at(-1);
    // lsn 4 lies 3/4 of the way from lsn 1 (t=10) to lsn 5 (t=20): flushed ≈ 17.5 → lag 12.5
    expect(last?.replayLagMs).toBeCloseTo(12.5, 9);
  });

  it('after catching up, a new burst is not interpolated from a stale sample', () => {
    const h2 = hist(
      ev(10, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
      report(11, 1, 1, 1),
      ev(100, 'n1', 'wal.flush', { lsn: 10, timeline: 1 }),
      report(105, 5, 5, 5),
    );
    // Interpolating from lsn 1 (t=10) would claim ≈ 55 ms; the standby is only 5 ms behind the burst.
    expect(standbyLag(h2)[0]?.series.at(-1)?.replayLagMs).toBe(5);
  });

  it('starts a new tracker after failover and keeps positions of both epochs', () => {
    const h2 = hist(
      ev(10, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
      report(11, 1, 1, 1, 'n3'),
      ev(50, 'n2', 'wal.flush', { lsn: 2, timeline: 2 }),
      report(55, 2, 2, 2, 'n3', 'n2'),
    );
    const [n3] = standbyLag(h2);
    expect(n3?.positions.map((p) => [p.primary, p.timeline, p.lsn, p.replayLagMs])).toEqual([
      ['n1', 1, 1, 1],
      ['n2', 2, 2, 5],
    ]);
  });

  it('ignores malformed events instead of inventing numbers', () => {
    const h2 = hist(
      ev(1, 'n1', 'wal.flush', { lsn: 'x' }),
      ev(2, 'n1', 'wal.flush', { lsn: 1 }),
      ev(3, 'n1', 'standby.report', { from: 'n2', write: 1 }),
      report(4, 1, 1, 1),
    );
    expect(standbyLag(h2)[0]?.positions.map((p) => p.replayLagMs)).toEqual([2]);
  });

  it('a standby that never reaches a flushed position has null lag for it', () => {
    const h2 = hist(ev(1, 'n1', 'wal.flush', { lsn: 1 }), ev(2, 'n1', 'wal.flush', { lsn: 2 }), report(4, 1, 1, 1));
    const [l] = standbyLag(h2);
    expect(l?.positions.map((p) => p.replayLagMs)).toEqual([3, null]);
    expect(l?.unreplayedCount).toBe(1);
    expect(l?.final?.replayLagLsn).toBe(1);
  });

  test.prop([fc.array(fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 30 })])(
    'a standby reporting each position exactly d ms after its flush has lag d for it',
    (steps) => {
      // Flush lsn i at time T_i (strictly increasing); report it at T_i + d_i, reports kept in time order.
      let t = 0;
      const flushes = steps.map(([gap, d], i) => ({ lsn: i + 1, t: (t += gap), d }));
      const entries = flushes.flatMap((f) => [
        { at: f.t, seq: 0, e: ev(f.t, 'n1', 'wal.flush', { lsn: f.lsn, timeline: 1 }) },
        { at: f.t + f.d, seq: 1, e: report(f.t + f.d, f.lsn, f.lsn, f.lsn) },
      ]);
      entries.sort((a, b) => a.at - b.at || a.seq - b.seq);
      // Positions only move forward, so a later report of an earlier lsn crosses nothing new.
      const positions = standbyLag(entries.map((x) => x.e))[0]?.positions ?? [];
      let reported = 0;
      const expected = [...entries]
        .filter((x) => x.seq === 1)
        .flatMap((x) => {
          const lsn = Number(x.e.data?.['write']);
          const out: [number, number][] = [];
          for (let l = reported + 1; l <= lsn; l++) out.push([l, x.at - (flushes[l - 1]?.t ?? 0)]);
          reported = Math.max(reported, lsn);
          return out;
        });
      expect(positions.map((p) => [p.lsn, p.replayLagMs])).toEqual(expected);
    },
  );
});

describe('standbyLag (standby events, no feedback)', () => {
  const h = hist(
    meta(['n1', 'n2', 'n3']),
    ev(10, 'n1', 'wal.flush', { lsn: 1, timeline: 1 }),
    ev(11, 'n2', 'standby.write', { lsn: 1, timeline: 1 }),
    ev(11.5, 'n3', 'standby.write', { lsn: 1, timeline: 1 }),
    ev(13, 'n2', 'standby.flush', { lsn: 1, timeline: 1 }),
    ev(14, 'n2', 'standby.replay', { lsn: 1, timeline: 1 }),
    ev(20, 'n1', 'wal.flush', { lsn: 2, timeline: 1 }),
    ev(21, 'n2', 'standby.write', { lsn: 2, timeline: 1 }),
    ev(22, 'n2', 'standby.flush', { lsn: 2, timeline: 1 }),
    ev(26, 'n2', 'standby.replay', { lsn: 2, timeline: 1 }),
    { type: 'quiet', t: 30 },
  );
  const [n2, n3] = standbyLag(h);

  it('matches standby progress to the primary flush of the same timeline', () => {
    expect(n2?.source).toBe('standby-events');
    expect(n2?.positions.map((p) => [p.lsn, p.writeLagMs, p.flushLagMs, p.replayLagMs])).toEqual([
      [1, 1, 3, 4],
      [2, 1, 2, 6],
    ]);
  });

  it('a caught-up standby ends with null lag; a lagging one keeps its last measurement', () => {
    expect(n2?.series.at(-2)?.replayLagMs).toBe(6);
    expect(n2?.final).toMatchObject({ t: 30, replayLagMs: null, writeLagMs: null, replayLagLsn: 0 });
    expect(n3?.final).toMatchObject({ writeLagMs: 1.5, writeLagLsn: 1 });
    expect(n3?.positions.map((p) => p.writeLagMs)).toEqual([1.5, null]);
  });
});

// ───────────────── on a simulated run: the definition, checked independently ─────────────────

/**
 * A minimal streaming-replication model: the primary fsyncs each write
 * (`wal.flush`) then ships it; the standby writes it (OS cache), fsyncs it,
 * replays it 2 ms later, and sends feedback after each step, which the
 * primary records as `standby.report`.
 */
function walModel(): Model {
  const primary = (): NodeProgram => {
    let lsn = 0;
    return {
      start() {},
      onTimer() {},
      onMessage(ctx, from, msg) {
        const m = msg as { type: string; write: number; flush: number; replay: number };
        if (m.type === 'fb') ctx.emit('standby.report', { from, write: m.write, flush: m.flush, replay: m.replay });
      },
      onRequest(ctx, { id, req }) {
        const my = ++lsn;
        ctx.disk.append('wal', my);
        ctx.disk.fsync(() => {
          ctx.emit('wal.flush', { lsn: my, timeline: 1 });
          ctx.send('n2', { type: 'wal', lsn: my });
          ctx.reply(id, { type: 'ok', txn: req.txn, commit: { lsn: my, timeline: 1 } });
        });
      },
      view: () => ({ role: 'primary', data: {} }),
    };
  };
  const standby = (): NodeProgram => {
    const pos = { write: 0, flush: 0, replay: 0 };
    const feedback = (ctx: NodeContext): void => ctx.send('n1', { type: 'fb', ...pos });
    return {
      start() {},
      onMessage(ctx, _from, msg) {
        const { lsn } = msg as { lsn: number };
        pos.write = lsn;
        ctx.emit('standby.write', { lsn, timeline: 1 });
        feedback(ctx);
        ctx.disk.append('wal', lsn);
        ctx.disk.fsync(() => {
          pos.flush = Math.max(pos.flush, lsn);
          ctx.emit('standby.flush', { lsn, timeline: 1 });
          feedback(ctx);
          ctx.setTimer(2, 'replay', lsn);
        });
      },
      onTimer(ctx, _tag, payload) {
        pos.replay = Math.max(pos.replay, payload as number);
        ctx.emit('standby.replay', { lsn: pos.replay, timeline: 1 });
        feedback(ctx);
      },
      onRequest(ctx, { id }) {
        ctx.reply(id, { type: 'fail', error: 'standby' });
      },
      view: () => ({ role: 'standby', data: {} }),
    };
  };
  return {
    name: 'mini-wal',
    description: 'primary ships flushed WAL to one standby that reports progress',
    knobs: [],
    bugs: [],
    configure: (raw) => raw,
    nodes: () => ['n1', 'n2'],
    program: (node) => (node === 'n1' ? primary() : standby()),
    route: () => 'n1',
    claims: () => [],
  };
}

describe('standbyLag on a simulated run', () => {
  const history = simulate({
    model: walModel(),
    config: {},
    sim: {
      seed: 7,
      nodes: ['n1', 'n2'],
      network: { defaultLink: { latency: { kind: 'exponential', meanMs: 2, minMs: 0.5 }, lossRate: 0, dupRate: 0 } },
      disk: { fsyncLatency: { kind: 'uniform', minMs: 0.5, maxMs: 3 } },
      faults: [{ kind: 'partition', atMs: 20, from: ['n1'], to: ['n2'], durationMs: 15 }],
      sessions: [{ id: 's1', policy: 'primary', ops: Array.from({ length: 25 }, (_, i) => ({ atMs: i * 2, req: { txn: [{ f: 'w', k: 'x', v: i }], end: 'commit' } })) }],
    },
  }).history;

  /** Oracle straight from the definition: first report at or past the position, minus its flush time. */
  function firstReportLag(lsn: number, head: 'write' | 'flush' | 'replay'): number | null {
    const flush = history.find((e) => e.type === 'event' && e.name === 'wal.flush' && e.data?.['lsn'] === lsn);
    const rep = history.find((e) => e.type === 'event' && e.name === 'standby.report' && Number(e.data?.[head]) >= lsn && e.t >= (flush?.t ?? Infinity));
    return flush && rep ? rep.t - flush.t : null;
  }

  it('every flushed position has the lag the definition gives, per stage', () => {
    const [lag] = standbyLag(history);
    expect(lag?.source).toBe('report');
    const positions = lag?.positions ?? [];
    expect(positions.length).toBe(history.filter((e) => e.type === 'event' && e.name === 'wal.flush').length);
    expect(positions.length).toBeGreaterThan(5);
    for (const p of positions) {
      expect(p.writeLagMs).toBeCloseTo(firstReportLag(p.lsn, 'write') ?? NaN, 9);
      expect(p.flushLagMs).toBeCloseTo(firstReportLag(p.lsn, 'flush') ?? NaN, 9);
      expect(p.replayLagMs).toBeCloseTo(firstReportLag(p.lsn, 'replay') ?? NaN, 9);
      expect(p.writeLagMs as number).toBeLessThanOrEqual(p.flushLagMs as number);
      expect(p.flushLagMs as number).toBeLessThanOrEqual(p.replayLagMs as number);
    }
  });

  it('the partition shows as a lag spike and as growing position lag', () => {
    const [lag] = standbyLag(history);
    const during = lag?.series.filter((p) => p.t > 20 && p.t < 35) ?? [];
    expect(Math.max(...during.map((p) => p.replayLagLsn))).toBeGreaterThan(3);
    expect(lag?.replayLagMs?.max).toBeGreaterThan(10);
  });
});
