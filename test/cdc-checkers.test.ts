/**
 * The CDC checkers on hand-written histories: a valid run passes every one, and
 * each invalid variant yields exactly the expected violation.
 */
import { describe, expect, it } from 'vitest';
import type { History, HistoryEntry, Value } from '../src/analysis.js';
import {
  cdcTransformRow,
  cdcTransformState,
  checkCdc,
  checkCompleteness,
  checkDeletePropagation,
  checkExactlyOnce,
  checkPerKeyOrder,
  checkSinkConvergence,
  checkSnapshotHandover,
} from '../src/check/cdc.js';

let t = 0;
const ev = (node: string, name: string, data: Record<string, unknown>): HistoryEntry => ({ type: 'event', t: ++t, node, name, data });
const commit = (lsn: number, writes: Record<string, Value>): HistoryEntry => ev('source', 'txn.commit', { xid: `x${lsn}`, lsn, timeline: 1, writes });
const pub = (lsn: number, idx: number, key: string, op: string, value: Value): HistoryEntry =>
  ev('broker', 'cdc.publish', { pos: `${lsn}:${idx}`, lsn, idx, key, op, value, partition: 0, offset: 0 });
const apply = (lsn: number, idx: number, key: string, op: string, value: Value, extra: Record<string, unknown> = {}): HistoryEntry =>
  ev('sink-a', 'cdc.apply', { pos: `${lsn}:${idx}`, lsn, idx, key, op, value, sink: 'sink-a', effect: 'applied', ...extra });
const final = (node: string, role: string, data: Record<string, Value>): HistoryEntry => ({ type: 'final', t: 1000, node, alive: true, view: { role, data } });

/**
 * Source: preload row0=a (lsn 1), slot at 1, one snapshot chunk [low 2, high 4]
 * with a change of k at lsn 3 inside the window, then k deleted at lsn 5 and
 * a PK change [del row0, w row9] at lsn 6.
 */
function validHistory(): HistoryEntry[] {
  t = 0;
  return [
    { type: 'meta', t: 0, model: 'cdc', seed: 1, nodes: ['source', 'connector', 'broker', 'sink-a'] },
    ev('sink-a', 'cdc.sink', { sink: 'sink-a', store: 'memory', transform: 'identity', exactlyOnce: 'dedup' }),
    commit(1, { row0: 'a' }),
    ev('connector', 'cdc.slot', { lsn: 1 }),
    commit(3, { k: 5 }),
    pub(3, 0, 'k', 'c', 5),
    ev('connector', 'snapshot.chunk', { from: null, to: 'row0', low: 2, high: 4 }),
    pub(4, 0, 'row0', 'r', 'a'),
    commit(5, { k: null }),
    pub(5, 0, 'k', 'd', null),
    commit(6, { row0: null, row9: 'b' }),
    pub(6, 0, 'row0', 'd', null),
    pub(6, 1, 'row9', 'c', 'b'),
    apply(3, 0, 'k', 'c', 5),
    apply(4, 0, 'row0', 'r', 'a'),
    apply(5, 0, 'k', 'd', null),
    apply(6, 0, 'row0', 'd', null),
    apply(6, 1, 'row9', 'c', 'b'),
    { type: 'quiet', t: 500 },
    final('source', 'primary', { row9: 'b' }),
    final('sink-a', 'sink', { row9: 'b' }),
  ];
}

const without = (h: HistoryEntry[], pred: (e: HistoryEntry) => boolean): History => h.filter((e) => !pred(e));
const isApply = (lsn: number, key: string) => (e: HistoryEntry): boolean =>
  e.type === 'event' && e.name === 'cdc.apply' && e.data?.['lsn'] === lsn && e.data?.['key'] === key;

describe('CDC checkers on hand-written histories', () => {
  it('a valid history passes every checker', () => {
    expect(checkCdc(validHistory())).toEqual([]);
  });

  it('sink-convergence names the differing cell and the source key', () => {
    const h = validHistory();
    h[h.length - 1] = final('sink-a', 'sink', { row9: 'b', k: 5 });
    const vs = checkSinkConvergence(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ sink: 'sink-a', cells: ['k'], key: 'k' });
    expect(vs[0]!.sentence).toMatch(/cell k holds 5 but transform\(source\) gives nothing/);
  });

  it('per-key-order catches a version going backwards', () => {
    const h = validHistory();
    h.splice(h.length - 3, 0, apply(3, 0, 'k', 'c', 5));
    const vs = checkPerKeyOrder(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'k', from: '5:0', to: '3:0' });
  });

  it('completeness catches a change after the snapshot point that never reached the sink', () => {
    const vs = checkCompleteness(without(validHistory(), isApply(6, 'row9')));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ sink: 'sink-a', lsn: 6, key: 'row9' });
  });

  it('completeness ignores changes before the snapshot point (owed only through the snapshot)', () => {
    const h = validHistory();
    expect(checkCompleteness(h)).toEqual([]);
    expect(h.some(isApply(1, 'row0'))).toBe(false);
  });

  it('exactly-once catches a second effect but not a recovered re-announcement', () => {
    const dup = validHistory();
    dup.splice(dup.length - 3, 0, apply(6, 1, 'row9', 'c', 'b'));
    expect(checkExactlyOnce(dup).map((v) => v.data?.['pos'])).toEqual(['6:1']);
    const rec = validHistory();
    rec.splice(rec.length - 3, 0, apply(6, 1, 'row9', 'c', 'b', { recovered: true }));
    expect(checkExactlyOnce(rec)).toEqual([]);
  });

  it('delete-propagation catches a row the source deleted but the sink kept', () => {
    const h = without(validHistory(), isApply(5, 'k'));
    h[h.length - 1] = final('sink-a', 'sink', { row9: 'b', k: 5 });
    const vs = checkDeletePropagation(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'k', cells: ['k'] });
  });

  it('snapshot-handover catches a stale snapshot row and a resurrected one', () => {
    const stale = validHistory().map((e) => (e.type === 'event' && e.name === 'cdc.publish' && e.data?.['op'] === 'r' ? pub(4, 0, 'row0', 'r', 'old') : e));
    expect(checkSnapshotHandover(stale).map((v) => v.data?.['source'])).toEqual(['a']);
    const resurrected = [...validHistory()];
    resurrected.splice(8, 0, pub(4, 1, 'k', 'r', 5)); // k changed at lsn 3 inside the window; still 5 at lsn 4: fine
    expect(checkSnapshotHandover(resurrected)).toEqual([]);
    resurrected.splice(8, 0, pub(4, 2, 'gone', 'r', 'z')); // never existed at lsn 4
    expect(checkSnapshotHandover(resurrected)[0]!.sentence).toMatch(/did not exist then/);
  });

  it('snapshot-handover catches a change during the snapshot that was never published', () => {
    const vs = checkSnapshotHandover(without(validHistory(), (e) => e.type === 'event' && e.name === 'cdc.publish' && e.data?.['lsn'] === 3));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ lsn: 3, key: 'k' });
  });

  it('a sink is judged only for the guarantees its cdc.sink event claims', () => {
    const h = validHistory();
    h[1] = ev('sink-a', 'cdc.sink', { sink: 'sink-a', transform: 'identity', exactlyOnce: 'none', claims: ['completeness'] });
    h.splice(h.length - 3, 0, apply(3, 0, 'k', 'c', 5));
    expect(checkPerKeyOrder(h)).toEqual([]);
    expect(checkExactlyOnce(h)).toEqual([]);
  });

  it('user expectations replace the built-in transform', () => {
    const h = validHistory();
    h[h.length - 1] = final('sink-a', 'sink', { 'ROW9': 'B' });
    const upper = (_s: string, src: Record<string, Value>): Record<string, Value> =>
      Object.fromEntries(Object.entries(src).map(([k, v]) => [k.toUpperCase(), String(v).toUpperCase()]));
    expect(checkSinkConvergence(h, { expected: upper })).toEqual([]);
    expect(checkSinkConvergence(h)).toHaveLength(1);
  });
});

describe('built-in transforms', () => {
  it('map a row to its cells', () => {
    expect(cdcTransformRow('identity', 'k', 3)).toEqual({ k: 3 });
    expect(cdcTransformRow('rename', 'k', 'x')).toEqual({ 'acct:k': 'x' });
    expect(cdcTransformRow('split', 'k', -2)).toEqual({ 'k.num': -2 });
    expect(cdcTransformRow('split', 'k', 'ab')).toEqual({ 'k.str': 'ab' });
    expect(cdcTransformRow('derive', 'k', -2.5)).toEqual({ k: -2.5, 'k.size': 2.5 });
    expect(cdcTransformRow('derive', 'k', 'abc')).toEqual({ k: 'abc', 'k.size': 3 });
    expect(cdcTransformRow('filter', 'k', 'abc')).toEqual({});
    expect(cdcTransformRow('filter', 'k', 4)).toEqual({ k: 4 });
    for (const tr of ['identity', 'rename', 'split', 'derive', 'filter'] as const) expect(cdcTransformRow(tr, 'k', null)).toEqual({});
    expect(cdcTransformState('derive', { b: 'xy', a: 1 })).toEqual({ a: 1, 'a.size': 1, b: 'xy', 'b.size': 2 });
  });
});
