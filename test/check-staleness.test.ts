import { describe, expect, it } from 'vitest';
import { checkBoundedStaleness, measureStaleness } from '../src/check/staleness.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/** x=a at 1, x=b at 4, x=c at 6 on n1; standby n2 only applied x=a. */
function base() {
  const b = new HistoryBuilder();
  const commits = [
    b.replicated('n1', 1, 1, 10, { x: 'a' }, { n2: 2 }),
    b.commit('n1', 4, 2, 20, { x: 'b' }),
    b.commit('n1', 6, 3, 30, { x: 'c' }),
    b.commit('n1', 12, 4, 40, { x: 'd' }), // after the reads: never counted
  ];
  const stale = b.read('s1', 'n2', 8, 9, 'x', 'a');
  const fresh = b.read('s2', 'n1', 8, 9, 'x', 'c');
  b.read('s3', 'n1', 8, 9, 'x', 'ghost'); // not in the commit order: not measured
  b.final('n1', 20, 'primary', { x: 'd' });
  return { h: b.build(), commits, stale, fresh };
}

describe('bounded staleness', () => {
  it('measures versions behind and time behind per read', () => {
    expect(measureStaleness(base().h)).toEqual([
      { op: 1, session: 's1', node: 'n2', key: 'x', value: 'a', invokeT: 8, versionsBehind: 2, staleMs: 4, xid: '1' },
      { op: 2, session: 's2', node: 'n1', key: 'x', value: 'c', invokeT: 8, versionsBehind: 0, staleMs: 0, xid: '3' },
    ]);
  });

  it('counts the initial state as a version and reads of values committed during the read as fresh', () => {
    const b = new HistoryBuilder();
    b.commit('n1', 1, 1, 10, { x: 'a' });
    b.read('s1', 'n2', 5, 6, 'x', null);
    b.read('s1', 'n1', 0.5, 2, 'x', 'a');
    b.final('n1', 20, 'primary', { x: 'a' });
    expect(measureStaleness(b.build()).map((s) => [s.versionsBehind, s.staleMs])).toEqual([[0, 0], [1, 4]]);
  });

  it('reports nothing without bounds, and only reads beyond a bound', () => {
    const { h, commits, stale } = base();
    expect(checkBoundedStaleness(h)).toEqual([]);
    expect(checkBoundedStaleness(h, { kMax: 2, tMsMax: 4 })).toEqual([]);
    const vs = checkBoundedStaleness(h, { kMax: 1 });
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'bounded-staleness', witness: [stale.invoke, stale.completion, commits[1], commits[2]] });
    expect(vs[0]!.sentence).toBe(
      'key x: node n2 served a to session s1 at 8.0 ms, 2 versions behind (latest c) and 4.0 ms stale ' +
      '(b committed at 4.0 ms) — bounded staleness K ≤ 1 exceeded');
    expect(checkBoundedStaleness(h, { tMsMax: 3.5 })).toHaveLength(1);
  });
});

describe('bounded staleness from acknowledgement (the remote_apply claim)', () => {
  /** x=a acknowledged to s1 at 5 (committed on n1 at 3); standby n2 never applied it. */
  function acked() {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 2, 5, 'x', 'a'); // the unique value names the write in the commit
    b.commit('n1', 3, 1, 10, { x: 'a' });
    const before = b.read('s2', 'n2', 4, 4.5, 'x', null); // began before the ack: not due yet
    const after = b.read('s3', 'n2', 6, 6.5, 'x', null); // began after the ack: must see it
    b.final('n1', 20, 'primary', { x: 'a' });
    return { h: b.build(), before, after };
  }

  it('a read that began after the acknowledgement and missed the write breaks K = 0', () => {
    const { h, after } = acked();
    const vs = checkBoundedStaleness(h, { kMax: 0, stalenessSince: 'ack' });
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ op: after.id, versionsBehind: 1, staleMs: 1 });
    expect(vs[0]!.sentence).toMatch(/a acknowledged at 5\.0 ms\) — bounded staleness K ≤ 0 exceeded/);
  });

  it('counted from commit, the read that began before the acknowledgement is stale too', () => {
    expect(checkBoundedStaleness(acked().h, { kMax: 0 })).toHaveLength(2);
  });

  it('a version no client was told about is never due from acknowledgement', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 2, 5, 'x', 'a', { status: 'info' });
    b.commit('n1', 3, 1, 10, { x: 'a' });
    b.read('s3', 'n2', 6, 6.5, 'x', null);
    b.final('n1', 20, 'primary', { x: 'a' });
    expect(checkBoundedStaleness(b.build(), { kMax: 0, stalenessSince: 'ack' })).toEqual([]);
  });
});
