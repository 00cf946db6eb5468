import type { History, HistoryEntry, ModelEventEntry, NodeId } from '../src/history/types.js';
import { describe, expect, it } from 'vitest';
import { cdcMetrics } from '../src/metrics/cdc.js';

// Hand-written history builders (true time in ms).
const meta = (nodes: NodeId[]): HistoryEntry => ({ type: 'meta', t: 0, model: 'hand', seed: 1, nodes });
const ev = (t: number, node: NodeId, name: string, data: Record<string, unknown> = {}): ModelEventEntry => ({ type: 'event', t, node, name, data });
const hist = (...entries: HistoryEntry[]): History => entries;


describe('cdcMetrics', () => {
  const h = hist(
    meta(['src', 'conn', 'sinkA', 'sinkB']),
    ev(10, 'src', 'txn.commit', { xid: 1, lsn: 5, timeline: 1, writes: { a: 1, b: 2 } }),
    ev(11, 'conn', 'cdc.publish', { pos: 5, key: 'a', partition: 0, offset: 0 }),
    ev(11, 'conn', 'cdc.publish', { pos: 5, key: 'b', partition: 1, offset: 0 }),
    ev(20, 'src', 'txn.commit', { xid: 2, lsn: 9, timeline: 1, writes: { a: 3 } }),
    ev(21, 'conn', 'cdc.publish', { pos: 9, key: 'a', partition: 0, offset: 1 }),
    ev(22, 'conn', 'checkpoint', { lsn: 5 }),
    ev(23, 'sinkA', 'cdc.deliver', { pos: 5, key: 'a', partition: 0, offset: 0, group: 'g' }),
    ev(24, 'sinkA', 'cdc.apply', { pos: 5, key: 'a', sink: 'A', value: 1 }),
    ev(25, 'sinkA', 'offset.commit', { group: 'g', partition: 0, offset: 1 }),
    ev(26, 'sinkA', 'cdc.deliver', { pos: 5, key: 'a', partition: 0, offset: 0, group: 'g' }),
    ev(27, 'sinkA', 'cdc.apply', { pos: 5, key: 'a', sink: 'A', value: 1 }),
    ev(28, 'sinkA', 'cdc.deliver', { pos: 9, key: 'a', partition: 0, offset: 1, group: 'g' }),
    ev(30, 'sinkA', 'cdc.apply', { pos: 9, key: 'a', sink: 'A', value: 3 }),
    ev(31, 'sinkA', 'offset.commit', { group: 'g', partition: 0, offset: 2 }),
    // Sink B gets the CDC model's position shape: pos "lsn:idx" plus numeric lsn.
    ev(35, 'sinkB', 'cdc.apply', { pos: '5:1', lsn: 5, idx: 1, key: 'b', sink: 'B', value: 2 }),
    // A change no source transaction wrote, and a snapshot row (no commit, no lag).
    ev(36, 'sinkB', 'cdc.apply', { pos: '9:0', lsn: 9, idx: 0, key: 'zzz', sink: 'B', value: 7 }),
    ev(37, 'sinkB', 'cdc.apply', { pos: '3:0', lsn: 3, idx: 0, key: 'q', sink: 'B', value: 1, op: 'r' }),
    ev(40, 'conn', 'checkpoint', { lsn: 9 }),
  );
  const m = cdcMetrics(h);

  it('end-to-end lag per sink: commit → first apply, re-applies counted apart', () => {
    expect(m.sinks.map((s) => [s.sink, s.samples.map((x) => x.lagMs), s.reappliedCount, s.unmatchedCount, s.snapshotCount])).toEqual([
      ['A', [14, 10], 1, 0, 0],
      ['B', [25], 0, 1, 1],
    ]);
    expect(m.sinks[0]?.lagMs).toMatchObject({ count: 2, max: 14, mean: 12 });
  });

  it('slot lag: commit head minus confirmed position', () => {
    expect(m.slots).toHaveLength(1);
    expect(m.slots[0]?.series.map((p) => [p.t, p.headLsn, p.confirmedLsn, p.lagLsn])).toEqual([
      [22, 9, 5, 4],
      [40, 9, 9, 0],
    ]);
    expect(m.slots[0]?.maxLagLsn).toBe(4);
  });

  it('consumer lag per partition: log-end offset minus committed (next-to-read) offset', () => {
    const p0 = m.partitions.find((p) => p.partition === '0');
    const p1 = m.partitions.find((p) => p.partition === '1');
    expect(p0?.series.map((p) => [p.t, p.endOffset, p.committedOffset, p.lag])).toEqual([
      [23, 2, null, 2],
      [25, 2, 1, 1],
      [26, 2, 1, 1],
      [28, 2, 1, 1],
      [31, 2, 2, 0],
    ]);
    expect(p0?.maxLag).toBe(2);
    // Group g never committed partition 1: lag counts from offset 0.
    expect(p1?.final).toMatchObject({ endOffset: 1, committedOffset: null, lag: 1 });
  });

  it('duplicate deliveries per group', () => {
    expect(m.duplicates).toEqual([{ group: 'g', deliveries: 3, duplicates: 1, repeated: [{ pos: '5', key: 'a', count: 2 }] }]);
  });

  it('an apply before its commit (a sink seeing the future) is not matched', () => {
    const bad = cdcMetrics(hist(ev(5, 's', 'cdc.apply', { pos: 1, key: 'a', sink: 'A' }), ev(10, 'src', 'txn.commit', { lsn: 1, writes: { a: 1 } })));
    expect(bad.sinks[0]).toMatchObject({ unmatchedCount: 1, lagMs: null });
  });

  it('an empty history gives empty metrics', () => {
    expect(cdcMetrics([])).toEqual({ sinks: [], slots: [], partitions: [], duplicates: [] });
  });
});
