/**
 * CDC checkers judge the sinks' rows and reads against the source's committed
 * history (acknowledged client writes by commit position), whatever the sinks'
 * own cdc.apply labels say — and with no such labels at all.
 */
import { describe, expect, it } from 'vitest';
import type { History, HistoryEntry, MicroOp, Value } from '../src/analysis.js';
import { checkCdc, checkCompleteness, checkDeletePropagation, checkExactlyOnce, checkPerKeyOrder } from '../src/check/cdc.js';

let t = 0;
let opId = 0;
const sinkDecl = (node: string, transform: string, exactlyOnce = 'dedup'): HistoryEntry =>
  ({ type: 'event', t: ++t, node, name: 'cdc.sink', data: { sink: node, store: 'memory', transform, exactlyOnce } });
/** An acknowledged transaction at the source, committed at `lsn`. */
function txn(lsn: number, ops: MicroOp[], session = 's1'): HistoryEntry[] {
  const op = ++opId;
  const t0 = ++t;
  const req = ops.map((m) => (m.f === 'upd' ? { f: 'upd' as const, k: m.k, expr: m.expr } : m));
  return [
    { type: 'invoke', t: t0, op, session, node: 'source', req: { txn: req, end: 'commit' } },
    { type: 'ok', t: ++t, op, session, node: 'source', txn: ops, commit: { lsn, timeline: 1 } },
  ];
}
function sinkRead(sink: string, k: string, v: Value): HistoryEntry[] {
  const op = ++opId;
  const t0 = ++t;
  return [
    { type: 'invoke', t: t0, op, session: 'r1', node: sink, req: { txn: [{ f: 'r', k }], end: 'commit' } },
    { type: 'ok', t: ++t, op, session: 'r1', node: sink, txn: [{ f: 'r', k, v }] },
  ];
}
const apply = (sink: string, lsn: number, key: string, value: Value, extra: Record<string, unknown> = {}): HistoryEntry =>
  ({ type: 'event', t: ++t, node: sink, name: 'cdc.apply', data: { pos: `${lsn}:0`, lsn, idx: 0, key, op: 'u', value, sink, effect: 'applied', ...extra } });
const final = (node: string, role: string, data: Record<string, Value>): HistoryEntry => ({ type: 'final', t: 1000, node, alive: true, view: { role, data } });
const meta: HistoryEntry = { type: 'meta', t: 0, model: 'cdc', seed: 1, nodes: ['source', 'sink-a'] };

function history(sinkData: Record<string, Value>, body: HistoryEntry[], source: Record<string, Value>, transform = 'identity'): History {
  return [meta, sinkDecl('sink-a', transform), ...body, { type: 'quiet', t: 900 }, final('source', 'primary', source), final('sink-a', 'sink', sinkData)];
}

describe('CDC checkers from the sinks\' rows, without the sinks\' labels', () => {
  it('a sink whose rows match the source passes, with no events at all', () => {
    t = 0;
    const h = history({ 'n.num': 8, 'a.str': 'v2' }, [
      ...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'upd', k: 'n', expr: { op: 'add', n: 5 }, v: 5 }]),
      ...txn(3, [{ f: 'w', k: 'a', v: 'v2' }]), ...txn(4, [{ f: 'upd', k: 'n', expr: { op: 'add', n: 3 }, v: 8 }]),
    ], { a: 'v2', n: 8 }, 'split');
    expect(checkCdc(h)).toEqual([]);
  });

  it('exactly-once: an increment applied twice shows in the rows, labelled recovered or not labelled at all', () => {
    for (const labels of ['none', 'recovered'] as const) {
      t = 0;
      const body = txn(1, [{ f: 'upd', k: 'n', expr: { op: 'add', n: 5 }, v: 5 }]);
      if (labels === 'recovered') body.push(apply('sink-a', 1, 'n', 5), apply('sink-a', 1, 'n', 5, { recovered: true }));
      const vs = checkExactlyOnce(history({ 'n.num': 10 }, body, { n: 5 }, 'split'));
      expect(vs, labels).toHaveLength(1);
      expect(vs[0]!.data).toMatchObject({ sink: 'sink-a', key: 'n', value: 10, base: 5, evidence: 'final-state' });
      expect(vs[0]!.sentence).toMatch(/sink sink-a ends holding n = 10, a value the source never held; session s1.s n = n \+ 5 applied once more to n = 5, .* an update had its effect twice/);
    }
  });

  it('per-key-order: a read from the sink goes back to an older version', () => {
    t = 0;
    const h = history({ a: 'v2' }, [
      ...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'w', k: 'a', v: 'v2' }]),
      ...sinkRead('sink-a', 'a', 'v2'), ...sinkRead('sink-a', 'a', 'v1'),
    ], { a: 'v2' });
    const vs = checkPerKeyOrder(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'a', from: 'v2', to: 'v1', evidence: 'observed' });
    // In order: v1 then v2, and the final rows after them.
    t = 0;
    expect(checkPerKeyOrder(history({ a: 'v2' }, [
      ...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'w', k: 'a', v: 'v2' }]),
      ...sinkRead('sink-a', 'a', 'v1'), ...sinkRead('sink-a', 'a', 'v2'),
    ], { a: 'v2' }))).toEqual([]);
  });

  it('completeness: a sink with no row of a changed key, or stuck at an older version, whatever it announced', () => {
    t = 0;
    const noRow = history({ a: 'v1' }, [
      ...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'w', k: 'b', v: 'w1' }]),
      apply('sink-a', 1, 'a', 'v1'), apply('sink-a', 2, 'b', 'w1'),
    ], { a: 'v1', b: 'w1' });
    expect(checkCompleteness(noRow).map((v) => v.data)).toEqual([expect.objectContaining({ key: 'b', lsn: 2, evidence: 'final-state' })]);
    t = 0;
    const older = history({ a: 'v1' }, [...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'w', k: 'a', v: 'v2' }])], { a: 'v2' });
    expect(checkCompleteness(older).map((v) => v.data)).toEqual([expect.objectContaining({ key: 'a', lsn: 2, evidence: 'final-state' })]);
  });

  it('delete-propagation: a deleted key\'s cells left in the sink, with no events', () => {
    t = 0;
    const h = history({ 'a': 'v1', 'a.size': 2 }, [...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'del', k: 'a' }])], {}, 'derive');
    const vs = checkDeletePropagation(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'a', cells: ['a', 'a.size'] });
  });

  it('a sink known only by its final role is judged', () => {
    t = 0;
    const h: History = [meta, ...txn(1, [{ f: 'w', k: 'a', v: 'v1' }]), ...txn(2, [{ f: 'w', k: 'a', v: 'v2' }]),
      ...sinkRead('sink-a', 'a', 'v2'), ...sinkRead('sink-a', 'a', 'v1'),
      final('source', 'primary', { a: 'v2' }), final('sink-a', 'sink', { a: 'v2' })];
    expect(checkPerKeyOrder(h)).toHaveLength(1);
  });
});
