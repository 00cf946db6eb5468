import { describe, expect, it } from 'vitest';
import { checkDurability, checkLosslessFailover } from '../src/check/durability.js';
import type { History, MetaEntry } from '../src/analysis.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/**
 * Asynchronous failover: n1 acknowledges x=b (xid 2) that never reaches n2,
 * n1's machine crashes, n2 is promoted. With `ship`, xid 2 reaches n2 first.
 */
function asyncFailover(ship: boolean, mode: 'process' | 'machine' = 'machine') {
  const b = new HistoryBuilder();
  b.write('s1', 'n1', 1, 2, 'x', 'a', { commit: { lsn: 10, timeline: 1 } });
  b.replicated('n1', 1.5, 1, 10, { x: 'a' }, { n2: 3 });
  const w = b.write('s1', 'n1', 4, 5, 'x', 'b', { commit: { lsn: 20, timeline: 1 } });
  b.replicated('n1', 4.5, 2, 20, { x: 'b' }, ship ? { n2: 5.5 } : {});
  const r = b.read('s2', 'n1', 6, 6.5, 'x', 'b');
  const crash = b.crash('n1', 7, mode);
  const promote = b.event('n2', 8, 'promote', { timeline: 2, lsn: ship ? 20 : 10 });
  b.event('n1', 9, 'rewind', { toLsn: ship ? 20 : 10, timeline: 2 });
  b.quiet(10);
  const x = ship ? 'b' : 'a';
  b.final('n1', 12, 'standby', { x });
  const fin = b.final('n2', 12, 'primary', { x });
  return { h: b.build(), w, r, crash, promote, fin };
}

describe('durability', () => {
  it('passes when the acknowledged write reached the new primary', () => {
    expect(checkDurability(asyncFailover(true).h)).toEqual([]);
  });

  it('reports an acknowledged write lost by asynchronous failover', () => {
    const { h, w, promote, fin } = asyncFailover(false);
    const vs = checkDurability(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'durability', witness: [w.invoke, w.completion, promote, fin] });
    expect(vs[0]!.sentence).toMatch(/key x: write of b by session s1, acknowledged by node n1 at 5\.0 ms \(lsn 20\), is missing from authority n2's commit order after failover to n2 at 8\.0 ms — acknowledged write lost/);
  });

  it('judges only within the claimed fault tolerance', () => {
    expect(checkDurability(asyncFailover(false).h, { tolerates: ['crash'] })).toHaveLength(1);
    expect(checkDurability(asyncFailover(false, 'machine').h, { tolerates: ['crash:machine'] })).toHaveLength(1);
    expect(checkDurability(asyncFailover(false).h, { tolerates: ['partition'] })).toEqual([]);
    expect(checkDurability(asyncFailover(false, 'machine').h, { tolerates: ['crash:process'] })).toEqual([]);
    expect(checkDurability(asyncFailover(false, 'process').h, { tolerates: ['crash:process'] })).toHaveLength(1);
    expect(checkDurability(asyncFailover(false).h, { tolerates: [] })).toEqual([]);
  });

  it('does not count failed, rolled-back or indeterminate writes', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'f', { status: 'fail' });
    b.write('s1', 'n1', 3, 4, 'x', 'r', { end: 'rollback' });
    b.write('s1', 'n1', 5, 6, 'x', 'i', { status: 'info' });
    b.final('n1', 12, 'primary', {});
    expect(checkDurability(b.build())).toEqual([]);
  });
});

describe('lossless-failover', () => {
  it('passes when every observed write survived', () => {
    expect(checkLosslessFailover(asyncFailover(true).h)).toEqual([]);
  });

  it('reports a write that a read observed and failover lost', () => {
    const { h, w, r, promote } = asyncFailover(false);
    const vs = checkLosslessFailover(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'lossless-failover', witness: [w.invoke, w.completion, r.invoke, r.completion, promote] });
    expect(vs[0]!.sentence).toMatch(/key x: session s2 read b from node n1 at 6\.5 ms, but b is missing from authority n2's commit order after failover/);
  });

  it('counts only reads from the primary: a standby may show a commit a failover drops', () => {
    const { h } = asyncFailover(false);
    const meta = h[0] as MetaEntry;
    const withPolicy = (policy: string): History => [
      { ...meta, scenario: { sessions: [{ id: 's1', policy: 'primary' }, { id: 's2', policy }] } },
      ...h.slice(1),
    ];
    expect(checkLosslessFailover(withPolicy('any-standby'))).toEqual([]);
    expect(checkLosslessFailover(withPolicy('primary'))).toHaveLength(1);
  });

  it('leaves reads of aborted values to no-aborted-read', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'rb', { end: 'rollback' });
    b.read('s2', 'n1', 3, 4, 'x', 'rb');
    b.final('n1', 12, 'primary', {});
    expect(checkLosslessFailover(b.build())).toEqual([]);
  });
});

describe('re-executed statements', () => {
  /**
   * Statement shipping without context: n1 commits x = RAND() as 111, the
   * standby n2 re-executes it as 222; n2 is promoted. The transaction
   * survived (same commit position), its value diverged.
   */
  function statementFailover(clientValue: 'rand' | 'w') {
    const b = new HistoryBuilder(['n1', 'n2']);
    const txn = clientValue === 'rand' ? [{ f: 'rand' as const, k: 'x', v: 111 }] : [{ f: 'w' as const, k: 'x', v: 111 }];
    const w = b.op('s1', 'n1', 1, 2, txn, { commit: { lsn: 20, timeline: 1 } });
    b.commit('n1', 1.5, 7, 20, { x: 111 });
    b.apply('n2', 2.5, 7, 20, { x: 222 });
    const r = b.read('s2', 'n2', 3, 4, 'x', 222);
    b.read('s3', 'n1', 3, 4, 'x', 111);
    b.crash('n1', 5);
    b.event('n2', 6, 'promote', { timeline: 2, lsn: 20 });
    b.final('n1', 9, 'standby', { x: 111 }, false);
    b.final('n2', 9, 'primary', { x: 222 });
    return { h: b.build(), w, r };
  }

  it('counts a transaction at its acknowledged position as durable even if a computed value diverged', () => {
    expect(checkDurability(statementFailover('rand').h)).toEqual([]);
    expect(checkLosslessFailover(statementFailover('rand').h)).toEqual([]);
  });

  it('does not accept a different client-chosen value at that position', () => {
    const { h, w } = statementFailover('w');
    const vs = checkDurability(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness.slice(0, 2)).toEqual([w.invoke, w.completion]);
  });
});

describe('a read that names its write', () => {
  /**
   * n1 commits s1's x = x * 2 as 4 (op `u1`; shipped to n2 only with `ship`)
   * and s2 reads 4 from n1; n1 crashes, n2 is promoted, and s3's x = x + 2
   * leaves 4 there too. Unshipped, the value survives but the write s2 read
   * does not — only the name tells them apart.
   */
  function equalValueAfterFailover(named: boolean, ship = false) {
    const b = new HistoryBuilder(['n1', 'n2']);
    b.write('s1', 'n1', 1, 2, 'x', 2, { commit: { lsn: 10, timeline: 1 } });
    b.replicated('n1', 1.5, 1, 10, { x: 2 }, { n2: 3 });
    const u1 = b.op('s1', 'n1', 4, 5, [{ f: 'upd', k: 'x', expr: { op: 'mul', n: 2 }, v: 4 }], { commit: { lsn: 20, timeline: 1 } });
    b.event('n1', 4.5, 'txn.commit', { xid: 2, lsn: 20, timeline: 1, writes: { x: 4 }, op: u1.id });
    if (ship) b.event('n2', 5.5, 'apply', { xid: 2, lsn: 20, timeline: 1, writes: { x: 4 }, op: u1.id });
    const r = b.op('s2', 'n1', 6, 6.5, [{ f: 'r', k: 'x', v: 4, ...(named ? { w: u1.id } : {}) }]);
    b.crash('n1', 7, 'machine');
    b.event('n2', 8, 'promote', { timeline: 2, lsn: ship ? 20 : 10 });
    const u2 = b.op('s3', 'n2', 9, 10, [{ f: 'upd', k: 'x', expr: { op: 'add', n: 2 }, v: ship ? 6 : 4 }], { commit: { lsn: 21, timeline: 2 } });
    b.event('n2', 9.5, 'txn.commit', { xid: 3, lsn: 21, timeline: 2, writes: { x: ship ? 6 : 4 }, op: u2.id });
    b.quiet(11);
    b.final('n1', 12, 'standby', { x: 2 }, false);
    b.final('n2', 12, 'primary', { x: ship ? 6 : 4 });
    return { h: b.build(), u1, r };
  }

  it('is lost when its write is not in the new primary\'s order, though its value is (teeth of the name)', () => {
    expect(checkLosslessFailover(equalValueAfterFailover(false).h)).toEqual([]); // the value alone passes
    const { h, u1, r } = equalValueAfterFailover(true);
    const vs = checkLosslessFailover(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'x', value: 4, readerOp: r.id, writerOp: u1.id, evidence: 'events' });
  });

  it('survives when its write is in the new primary\'s order', () => {
    expect(checkLosslessFailover(equalValueAfterFailover(true, true).h)).toEqual([]);
  });
});
