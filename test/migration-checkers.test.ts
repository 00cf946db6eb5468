/**
 * Migration checkers on hand-written histories: a valid move passes; a missing
 * row, a lost acknowledged write, a stale read after the switch and a diverging
 * final state each yield exactly the expected violation.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, MicroOp, Value } from '../src/analysis.js';
import { checkMigration, checkMigrationNoLoss, checkReadAfterCutover, checkTargetEqualsSource } from '../src/check/migration.js';

let t = 0;
const ev = (node: string, name: string, data: Record<string, unknown>, at?: number): HistoryEntry => ({ type: 'event', t: at ?? ++t, node, name, data });
function op(id: number, node: string, txn: MicroOp[], invokeT: number, okT: number, lsn?: number): HistoryEntry[] {
  return [
    { type: 'invoke', t: invokeT, op: id, session: 's1', node, req: { txn, end: 'commit' } },
    { type: 'ok', t: okT, op: id, session: 's1', node, txn, ...(lsn !== undefined ? { commit: { lsn, timeline: 1 } } : {}) },
  ];
}
const final = (node: string, data: Record<string, Value>): HistoryEntry => ({ type: 'final', t: 1000, node, alive: true, view: { role: node === 'new' ? 'primary' : 'source', data } });

function valid(opts: { applied?: Record<string, Value>; read?: Value; finalNew?: Record<string, Value> } = {}): HistoryEntry[] {
  t = 0;
  const applied = opts.applied ?? { a: 1, b: 'x' };
  const lsns = Object.fromEntries(Object.keys(applied).map((k) => [k, k === 'a' ? 1 : 2]));
  return [
    { type: 'meta', t: 0, model: 'migration', seed: 1, nodes: ['old', 'new', 'mover'] },
    ...op(1, 'old', [{ f: 'w', k: 'a', v: 1 }], 1, 3, 1),
    ev('old', 'txn.commit', { xid: 'op1', lsn: 1, timeline: 1, writes: { a: 1 } }, 2),
    ...op(2, 'old', [{ f: 'w', k: 'b', v: 'x' }], 4, 6, 2),
    ev('old', 'txn.commit', { xid: 'op2', lsn: 2, timeline: 1, writes: { b: 'x' } }, 5),
    ev('new', 'migration.apply', { writes: applied, lsns }, 20),
    ev('new', 'migration.cutover', { freezeLsn: 2 }, 50),
    ...op(3, 'new', [{ f: 'r', k: 'b', v: opts.read === undefined ? 'x' : opts.read }], 60, 61),
    ...op(4, 'new', [{ f: 'w', k: 'a', v: 2 }], 62, 64, 3),
    ev('new', 'txn.commit', { xid: 'op4', lsn: 3, timeline: 1, writes: { a: 2 } }, 63),
    { type: 'quiet', t: 100 },
    final('old', { a: 1, b: 'x' }),
    // By default the target's final view is what its events fold to (they account for its data).
    final('new', opts.finalNew ?? { ...applied, a: 2 }),
  ];
}

describe('migration checkers', () => {
  it('a valid move passes all three', () => {
    expect(checkMigration(valid())).toEqual([]);
  });

  it('nothing is judged before a cut-over happened', () => {
    expect(checkMigration(valid().filter((e) => !(e.type === 'event' && e.name === 'migration.cutover')))).toEqual([]);
  });

  it('target-equals-source and no-loss catch a row missing at the switch', () => {
    const h = valid({ applied: { a: 1 } });
    expect(checkTargetEqualsSource(h).map((v) => v.data?.['keys'])).toEqual([['b']]);
    const lost = checkMigrationNoLoss(h);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.data).toMatchObject({ op: 2, key: 'b', lsn: 2 });
  });

  it('a restart that recovers the full image replaces what the target held before', () => {
    const h = valid({ applied: { a: 1 }, finalNew: { a: 2, b: 'x' } });
    const applyAt = h.findIndex((e) => e.type === 'event' && e.name === 'migration.apply');
    h.splice(applyAt + 1, 0, ev('new', 'migration.recover', { writes: { a: 1, b: 'x' }, lsns: { a: 1, b: 2 } }, 21));
    expect(checkTargetEqualsSource(h)).toEqual([]);
  });

  it('read-after-cutover catches a read on the target missing a write acknowledged before the switch', () => {
    const vs = checkReadAfterCutover(valid({ read: null }));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'b', read: null, op: 3, missing: 2 });
  });

  it('read-after-cutover does not judge a read of a key its own transaction wrote first (even rolled back)', () => {
    const h = valid();
    const at = h.findIndex((e) => e.type === 'quiet');
    const txn: MicroOp[] = [{ f: 'w', k: 'a', v: 'mine' }, { f: 'r', k: 'a', v: 'mine' }];
    h.splice(at, 0,
      { type: 'invoke', t: 70, op: 5, session: 's1', node: 'new', req: { txn, end: 'rollback' } },
      { type: 'ok', t: 71, op: 5, session: 's1', node: 'new', txn });
    expect(checkReadAfterCutover(h)).toEqual([]);
    // The same read without the preceding write is judged, and is stale (a new
    // history: a judged one is not mutated, its derived views are shared).
    const stale: MicroOp[] = [{ f: 'r', k: 'a', v: 'mine' }];
    const h2 = [...h];
    h2.splice(at, 2,
      { type: 'invoke', t: 70, op: 5, session: 's1', node: 'new', req: { txn: stale, end: 'commit' } },
      { type: 'ok', t: 71, op: 5, session: 's1', node: 'new', txn: stale });
    expect(checkReadAfterCutover(h2).map((v) => v.data)).toEqual([expect.objectContaining({ key: 'a', op: 5 })]);
  });

  it('no-loss catches a final target state that is not source-at-freeze plus the target’s commits', () => {
    const vs = checkMigrationNoLoss(valid({ finalNew: { a: 3, b: 'x' } }));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ keys: ['a'] });
  });

  it('events alone never prove a loss: a target whose final view holds the row its events omit passes', () => {
    // The events say b never reached the target; its final view (a final read of every key) holds it.
    expect(checkMigration(valid({ applied: { a: 1 }, finalNew: { a: 2, b: 'x' } }))).toEqual([]);
  });

  it('a silent target (no apply events) is judged from the final views and the clients', () => {
    const silent = (h: HistoryEntry[]) => h.filter((e) => !(e.type === 'event' && e.name === 'migration.apply'));
    const h = silent(valid({ applied: { a: 1 } }));
    expect(checkTargetEqualsSource(h).map((v) => v.data)).toEqual([expect.objectContaining({ keys: ['b'], evidence: 'final-state' })]);
    expect(checkMigrationNoLoss(h).map((v) => v.data)).toEqual([expect.objectContaining({ op: 2, key: 'b', evidence: 'final-state' })]);
    const stale = checkReadAfterCutover(silent(valid({ read: null })));
    expect(stale.map((v) => v.data)).toEqual([expect.objectContaining({ key: 'b', op: 3, missing: 2, evidence: 'clients' })]);
    // The same silent history with nothing missing passes.
    expect(checkMigration(silent(valid()))).toEqual([]);
  });
});
