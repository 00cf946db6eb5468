import { describe, expect, it } from 'vitest';
import type { History, HistoryEntry, ModelEventEntry, NodeId } from '../src/history/types.js';
import { convergenceTime, stalenessSummary, visibilityCurve } from '../src/metrics/visibility.js';

// Hand-written history builders (true time in ms).
const meta = (nodes: NodeId[]): HistoryEntry => ({ type: 'meta', t: 0, model: 'hand', seed: 1, nodes });
const ev = (t: number, node: NodeId, name: string, data: Record<string, unknown> = {}): ModelEventEntry => ({ type: 'event', t, node, name, data });
const hist = (...entries: HistoryEntry[]): History => entries;


const read = (t: number, node: NodeId, op: number): HistoryEntry => ({ type: 'ok', t, op, session: 's', node, txn: [{ f: 'r', k: 'x', v: 1 }] });
const final = (node: NodeId, role: string): HistoryEntry => ({ type: 'final', t: 60, node, alive: true, view: { role, data: {} } });

const base = hist(
  meta(['n1', 'n2', 'n3']),
  ev(10, 'n1', 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
  ev(13, 'n2', 'apply', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
  ev(20, 'n1', 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { x: 2 } }),
  ev(21, 'n1', 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { y: 5 } }),
  // A transaction later discarded by a rewind is not a write anyone should see.
  ev(22, 'n1', 'txn.commit', { xid: 4, lsn: 4, timeline: 1, writes: { z: 9 } }),
  ev(23, 'n1', 'rewind', { toLsn: 3, timeline: 1 }),
  ev(25, 'n2', 'apply', { xid: 2, lsn: 2, timeline: 1, writes: { x: 2 } }),
  ev(30, 'n2', 'apply', { xid: 3, lsn: 3, timeline: 1, writes: { y: 5 } }),
  { type: 'quiet', t: 45 },
  // n3 skips version 1 of x: seeing version 2 counts as seeing version 1 "or newer".
  ev(50, 'n3', 'apply', { xid: 2, lsn: 2, timeline: 1, writes: { x: 2 } }),
  final('n1', 'primary'),
  final('n2', 'standby'),
  final('n3', 'standby'),
);

describe('visibilityCurve', () => {
  it('weights per-node visibility by the share of reads each node served', () => {
    const h = [...base, read(31, 'n1', 1), read(32, 'n2', 2), read(33, 'n2', 3), read(34, 'n2', 4)];
    const c = visibilityCurve(h, [0, 3, 5, 10, 100]);
    expect(c.writes).toBe(3);
    expect(c.weights).toEqual({ n1: 0.25, n2: 0.75 });
    expect(c.perNode['n2']?.map((p) => p.probability)).toEqual([0, 1 / 3, 2 / 3, 1, 1]);
    expect(c.points.map((p) => p.probability)).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });

  it('reads spread evenly weight nodes evenly; a newer version makes older ones visible', () => {
    const c = visibilityCurve([...base, read(55, 'n1', 11), read(56, 'n2', 12), read(57, 'n3', 13)], [30, 40, 100]);
    expect(c.weights).toEqual({ n1: 1 / 3, n2: 1 / 3, n3: 1 / 3 });
    expect(c.perNode['n3']?.map((p) => p.probability)).toEqual([1 / 3, 2 / 3, 2 / 3]);
    expect(c.points.at(-1)?.probability).toBeCloseTo((1 + 1 + 2 / 3) / 3, 12);
  });

  it('is monotone in t and empty without commits', () => {
    const c = visibilityCurve([...base, read(55, 'n2', 11)]);
    // The rewound transaction (xid 4, key z) is not among the measured versions.
    expect(c.writes).toBe(3);
    const ps = c.points.map((p) => p.probability);
    expect(ps).toEqual([...ps].sort((a, b) => a - b));
    expect(visibilityCurve([meta(['n1'])]).points.every((p) => p.probability === 0)).toBe(true);
  });
});

describe('visibilityCurve: what PBS asks, on histories with a known answer', () => {
  const invoke = (t: number, node: NodeId, op: number): HistoryEntry => ({ type: 'invoke', t, op, session: 's', node, req: { txn: [{ f: 'r', k: 'x' }] } } as HistoryEntry);
  const readOp = (t0: number, t1: number, node: NodeId, op: number): HistoryEntry[] => [invoke(t0, node, op), read(t1, node, op)];

  it('charges a write only to the nodes that served reads after its commit (a cut-over moves routing)', () => {
    // Reads go to "old" until 15, then to "new"; writes commit on "new" from 20 on and old never sees them.
    const h = hist(
      meta(['old', 'new', 'mover']),
      ev(1, 'old', 'txn.commit', { xid: 'p', lsn: 1, timeline: 1, writes: { x: 0 } }),
      ...readOp(5, 6, 'old', 1),
      ...readOp(10, 11, 'old', 2),
      ev(20, 'new', 'txn.commit', { xid: 'a', lsn: 1, timeline: 1, writes: { x: 1 } }),
      ...readOp(25, 26, 'new', 3),
      ev(30, 'new', 'txn.commit', { xid: 'b', lsn: 2, timeline: 1, writes: { y: 1 } }),
      ...readOp(35, 36, 'new', 4),
      final('old', 'source'),
      final('new', 'primary'),
    );
    const c = visibilityCurve(h, [0, 1000]);
    expect(c.writes).toBe(2);
    expect(c.weights).toEqual({ new: 1 });
    // Every read that started after a commit was served by a node that showed it at once.
    expect(c.points.map((p) => p.probability)).toEqual([1, 1]);
  });

  it('a write no read followed is not measured, whatever node the last read went to', () => {
    const h = hist(
      meta(['old', 'new']),
      ...readOp(2, 3, 'old', 0),
      ev(10, 'old', 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
      ...readOp(12, 13, 'old', 1),
      // Cut-over: the next write commits on "new", and no read follows it.
      ev(30, 'new', 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { y: 2 } }),
      final('old', 'source'),
      final('new', 'primary'),
    );
    const c = visibilityCurve(h, [0, 5000]);
    expect(c.writes).toBe(0); // y is the only version in the authority's log, and nobody read after it
    const later = visibilityCurve([...h, ...readOp(40, 41, 'new', 2)], [0, 5000]);
    expect(later.writes).toBe(1);
    expect(later.points.map((p) => p.probability)).toEqual([1, 1]);
  });

  it('a read before any commit does not weigh; delays count from the commit', () => {
    const h = hist(
      meta(['n1', 'n2']),
      ...readOp(2, 3, 'n1', 0),
      ev(10, 'n1', 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
      ...readOp(12, 13, 'n2', 1),
      ev(20, 'n2', 'apply', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
      ev(30, 'n1', 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { x: 2 } }),
      ev(34, 'n2', 'apply', { xid: 2, lsn: 2, timeline: 1, writes: { x: 2 } }),
      ...readOp(35, 36, 'n2', 2),
      final('n1', 'primary'),
      final('n2', 'standby'),
    );
    // Both writes are routed to n2 (the reads after them): delays 10 and 4 ms.
    const c = visibilityCurve(h, [0, 4, 9, 10]);
    expect(c.weights).toEqual({ n2: 1 });
    expect(c.points.map((p) => p.probability)).toEqual([0, 0.5, 0.5, 1]);
  });

  it('without reads nothing is measured: a connector, a broker or a retired source is no read target', () => {
    const h = hist(
      meta(['source', 'connector', 'broker', 'sink']),
      ev(10, 'source', 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { x: 1 } }),
      ev(12, 'sink', 'cdc.apply', { pos: 1, key: 'x', sink: 'sink' }),
      final('source', 'primary'),
    );
    const none = visibilityCurve(h, [0, 5000]);
    expect(none.writes).toBe(0);
    expect(none.weights).toEqual({});
    // Clients that read the source see every commit at once.
    const c = visibilityCurve([...h, read(20, 'source', 1)], [0, 5000]);
    expect(c.weights).toEqual({ source: 1 });
    expect(c.points.map((p) => p.probability)).toEqual([1, 1]);
  });

  it('a transaction a recovery re-logs is one version, visible from its first commit', () => {
    const h = hist(
      meta(['n1']),
      ev(10, 'n1', 'txn.commit', { xid: 'a', lsn: 1, timeline: 1, writes: { x: 1 } }),
      // The recovery keeps lsn 1 and logs its transaction again (as the CDC source does after a crash).
      ev(500, 'n1', 'recover', { lsn: 1 }),
      ev(500, 'n1', 'txn.commit', { xid: 'a', lsn: 1, timeline: 1, writes: { x: 1 } }),
      ev(800, 'n1', 'txn.commit', { xid: 'b', lsn: 2, timeline: 1, writes: { x: 2 } }),
      read(900, 'n1', 1),
      final('n1', 'primary'),
    );
    const c = visibilityCurve(h, [0, 100, 1000]);
    expect(c.writes).toBe(2);
    expect(c.points.map((p) => p.probability)).toEqual([1, 1, 1]);
  });
});

describe('visibilityCurve on malformed input', () => {
  it('rejects a visible-log event without xid, as the checkers do', () => {
    const bad = [...base, ev(55, 'n2', 'apply', { lsn: 9, writes: { x: 3 } })];
    expect(() => visibilityCurve(bad)).toThrow(/apply event on n2 at 55\.0 ms: data\.xid must be a string or number/);
  });
});

describe('convergenceTime', () => {
  it('measures from the quiet entry to the last visible-state change', () => {
    expect(convergenceTime(base)).toEqual({ quietMs: 45, convergedAtMs: 50, convergenceMs: 5, lastNode: 'n3' });
  });

  it('is 0 when nothing changes after the quiet phase starts, null without a quiet phase', () => {
    expect(convergenceTime(base.filter((e) => !(e.type === 'event' && e.t > 45)))?.convergenceMs).toBe(0);
    expect(convergenceTime(base.filter((e) => e.type !== 'quiet'))).toBeNull();
  });
});

describe('stalenessSummary', () => {
  it('counts reads by versions behind and summarises T over stale reads only', () => {
    const s = stalenessSummary([
      { versionsBehind: 0, staleMs: 0 },
      { versionsBehind: 2, staleMs: 7 },
      { versionsBehind: 1, staleMs: 3 },
      { versionsBehind: 0, staleMs: 0 },
    ]);
    expect(s).toMatchObject({ reads: 4, staleReads: 2, staleFraction: 0.5, byVersionsBehind: [2, 1, 1] });
    expect(s.staleMs).toMatchObject({ count: 2, max: 7, mean: 5 });
  });

  it('no reads: fraction null, no T distribution', () => {
    expect(stalenessSummary([])).toEqual({ reads: 0, staleReads: 0, staleFraction: null, byVersionsBehind: [], staleMs: null });
  });
});
