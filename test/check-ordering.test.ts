import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { checkCommittedPrefix, checkConsistentPrefix } from '../src/check/ordering.js';
import { HistoryBuilder } from './helpers/history-builder.js';

describe('committed-prefix', () => {
  it('passes a lagging replica whose log is a prefix', () => {
    const b = new HistoryBuilder();
    b.replicated('n1', 1, 1, 10, { x: 'a' }, { n2: 2 });
    b.replicated('n1', 3, 2, 20, { x: 'b' });
    b.final('n1', 9, 'primary', { x: 'b' });
    b.final('n2', 9, 'standby', { x: 'a' });
    expect(checkCommittedPrefix(b.build())).toEqual([]);
  });

  it('reports a gap: a replica applies xid 2 without xid 1', () => {
    const b = new HistoryBuilder();
    const c1 = b.commit('n1', 1, 1, 10, { x: 'a' });
    b.commit('n1', 2, 2, 20, { y: 'b' });
    const bad = b.apply('n2', 3, 2, 20, { y: 'b' });
    b.apply('n2', 4, 1, 10, { x: 'a' });
    b.final('n1', 9, 'primary', { x: 'a', y: 'b' });
    b.final('n2', 9, 'standby', { x: 'a', y: 'b' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'committed-prefix', witness: [c1, bad] });
    expect(vs[0]!.sentence).toMatch(/node n2 made xid 2 \(lsn 20, timeline 1\) visible at 3\.0 ms while xid 1 .* missing — gap/);
  });

  it('reports a transaction applied twice', () => {
    const b = new HistoryBuilder();
    b.commit('n1', 1, 1, 10, { x: 'a' });
    const first = b.apply('n2', 2, 1, 10, { x: 'a' });
    const again = b.apply('n2', 3, 1, 10, { x: 'a' });
    b.final('n1', 9, 'primary', { x: 'a' });
    b.final('n2', 9, 'standby', { x: 'a' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([first, again]);
    expect(vs[0]!.sentence).toMatch(/second time .* duplicate/);
  });

  /** n1 commits xid 2 that never reaches n2; n2 is promoted and commits xid 3 at the same lsn. */
  function failover(rewind: boolean, followNew: boolean): { b: HistoryBuilder; lost: ReturnType<HistoryBuilder['commit']> } {
    const b = new HistoryBuilder();
    b.replicated('n1', 1, 1, 10, { x: 'a' }, { n2: 2 });
    const lost = b.commit('n1', 3, 2, 20, { x: 'lost' });
    b.crash('n1', 4);
    b.event('n2', 5, 'promote', { timeline: 2, lsn: 10 });
    b.commit('n2', 6, 3, 20, { x: 'new' }, 2);
    if (rewind) b.event('n1', 7, 'rewind', { toLsn: 10, timeline: 2 });
    if (followNew) b.apply('n1', 8, 3, 20, { x: 'new' }, 2);
    return { b, lost };
  }

  it('passes a failover where the old primary rewinds its divergent suffix', () => {
    const { b } = failover(true, true);
    b.final('n1', 9, 'standby', { x: 'new' });
    b.final('n2', 9, 'primary', { x: 'new' });
    expect(checkCommittedPrefix(b.build())).toEqual([]);
  });

  it('reports an old primary that follows the new timeline without rewinding', () => {
    const { b, lost } = failover(false, true);
    b.final('n1', 9, 'standby', { x: 'new' });
    b.final('n2', 9, 'primary', { x: 'new' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness[0]).toBe(lost);
    expect(vs[0]!.sentence).toMatch(/node n1 made xid 3 .* on top of xid 2 .* never committed — divergent history was not rewound/);
  });

  it('reports a live node that ends with an entry the authority never committed', () => {
    const { b, lost } = failover(false, false);
    const fin = b.final('n1', 9, 'standby', { x: 'lost' });
    b.final('n2', 9, 'primary', { x: 'new' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([lost, fin]);
    expect(vs[0]!.sentence).toMatch(/node n1 ends the run with xid 2 .* extra entry/);
  });
});

describe('consistent-prefix', () => {
  /** Commit order: x=a, y=b, x=c, y=d. */
  function base(): { b: HistoryBuilder; commits: ReturnType<HistoryBuilder['commit']>[] } {
    const b = new HistoryBuilder();
    const commits = [
      b.commit('n1', 1, 1, 10, { x: 'a' }),
      b.commit('n1', 2, 2, 20, { y: 'b' }),
      b.commit('n1', 3, 3, 30, { x: 'c' }),
      b.commit('n1', 4, 4, 40, { y: 'd' }),
    ];
    b.final('n1', 9, 'primary', { x: 'c', y: 'd' });
    return { b, commits };
  }

  it('passes reads that match some prefix, including the empty one', () => {
    const { b } = base();
    b.op('s1', 'n2', 5, 6, [{ f: 'r', k: 'x', v: 'c' }, { f: 'r', k: 'y', v: 'b' }]);
    b.op('s1', 'n2', 5, 6, [{ f: 'r', k: 'x', v: null }, { f: 'r', k: 'y', v: null }]);
    b.op('s1', 'n2', 5, 6, [{ f: 'r', k: 'x', v: 'a' }, { f: 'r', k: 'y', v: null }]);
    expect(checkConsistentPrefix(b.build())).toEqual([]);
  });

  it('reports a read that saw y=d but the x=a that xid 3 had replaced before it', () => {
    const { b, commits } = base();
    const r = b.op('s2', 'n2', 5, 6, [{ f: 'r', k: 'x', v: 'a' }, { f: 'r', k: 'y', v: 'd' }]);
    const vs = checkConsistentPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.guarantee).toBe('consistent-prefix');
    expect(vs[0]!.witness).toEqual([r.invoke, r.completion, commits[3], commits[2]]);
    expect(vs[0]!.sentence).toMatch(/session s2 read from node n2 at 5\.0 ms and saw y=d \(xid 4\) but x=a, which xid 3 had already replaced with c/);
  });

  it('ignores reads of the transaction’s own writes', () => {
    const { b } = base();
    b.op('s1', 'n1', 5, 6, [{ f: 'w', k: 'x', v: 'own' }, { f: 'r', k: 'x', v: 'own' }, { f: 'r', k: 'y', v: 'd' }], { end: 'rollback' });
    expect(checkConsistentPrefix(b.build())).toEqual([]);
  });
});

describe('committed-prefix properties', () => {
  /** n commits on n1; replica n2 applies the first `lag` of them in order, optionally swapping one adjacent pair. */
  function replicaRun(n: number, applied: number, swapAt?: number) {
    const b = new HistoryBuilder();
    const recs = Array.from({ length: n }, (_, i) => ({ xid: i + 1, lsn: (i + 1) * 10, writes: { [`k${i % 3}`]: `v${i}` } }));
    recs.forEach((r, i) => b.commit('n1', i + 1, r.xid, r.lsn, r.writes));
    const order = recs.slice(0, applied);
    if (swapAt !== undefined) [order[swapAt], order[swapAt + 1]] = [order[swapAt + 1]!, order[swapAt]!];
    order.forEach((r, i) => b.apply('n2', n + i + 1, r.xid, r.lsn, r.writes));
    b.final('n1', 1000, 'primary', {});
    b.final('n2', 1000, 'standby', {});
    return b.build();
  }

  test.prop([fc.integer({ min: 1, max: 15 }), fc.nat()])('a replica applying any prefix in order passes', (n, lag) => {
    expect(checkCommittedPrefix(replicaRun(n, lag % (n + 1)))).toEqual([]);
  });

  test.prop([fc.integer({ min: 2, max: 15 }), fc.nat(), fc.nat()])(
    'swapping two adjacent applications gives exactly one gap', (n, a, s) => {
      const applied = 2 + (a % (n - 1));
      const swapAt = s % (applied - 1);
      const vs = checkCommittedPrefix(replicaRun(n, applied, swapAt));
      expect(vs).toHaveLength(1);
      expect(vs[0]!.sentence).toMatch(new RegExp(`node n2 made xid ${swapAt + 2} .* while xid ${swapAt + 1} .* gap`));
    });
});

describe('committed-prefix and rolled-back transactions', () => {
  it('names the rollback when a replica shows an aborted transaction', () => {
    const b = new HistoryBuilder();
    b.replicated('n1', 1, 1, 10, { x: 'a' }, { n2: 2 });
    b.event('n1', 3, 'txn.abort', { xid: 2 });
    const shown = b.apply('n2', 3.5, 2, 20, { x: 'in-progress' });
    b.replicated('n1', 4, 3, 30, { y: 'b' }, { n2: 5 });
    b.final('n1', 9, 'primary', { x: 'a', y: 'b' });
    b.final('n2', 9, 'standby', { x: 'in-progress', y: 'b' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness[0]).toBe(shown);
    expect(vs[0]!.sentence).toMatch(/node n2 made xid 3 .* on top of xid 2 .*, which node n1 rolled back at 3\.0 ms — not a prefix/);
  });
});
