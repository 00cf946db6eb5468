import { describe, expect, it } from 'vitest';
import { checkConvergence, convergenceTime } from '../src/check/convergence.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/** n1 primary commits x=a then x=b; standby n2 applies both (optionally only the first). */
function base(applySecond = true): HistoryBuilder {
  const b = new HistoryBuilder();
  b.write('s1', 'n1', 1, 2, 'x', 'a');
  b.replicated('n1', 1.5, 1, 10, { x: 'a' }, { n2: 3 });
  b.write('s1', 'n1', 4, 5, 'x', 'b');
  b.replicated('n1', 4.5, 2, 20, { x: 'b' }, applySecond ? { n2: 6 } : {});
  b.quiet(10);
  return b;
}

describe('convergence', () => {
  it('passes when every live node ends with the authority state', () => {
    const b = base();
    b.final('n1', 12, 'primary', { x: 'b' });
    b.final('n2', 12, 'standby', { x: 'b' });
    expect(checkConvergence(b.build())).toEqual([]);
  });

  it('reports a replica that ends with a stale value', () => {
    const b = base(false);
    const a = b.final('n1', 12, 'primary', { x: 'b' });
    const s = b.final('n2', 12, 'standby', { x: 'a' });
    const vs = checkConvergence(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.guarantee).toBe('convergence');
    expect(vs[0]!.witness).toEqual([s, a]);
    expect(vs[0]!.sentence).toMatch(/key x: after the quiet phase \(began 10\.0 ms\) node n2 holds a but authority n1 holds b/);
  });

  it('counts extra keys on a replica and ignores dead nodes', () => {
    const b = base();
    b.final('n1', 12, 'primary', { x: 'b' });
    b.final('n2', 12, 'standby', { x: 'b', y: 'ghost', z: 'ghost2' });
    b.final('n3', 12, 'standby', { x: 'zzz' }, false);
    const vs = checkConvergence(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.sentence).toMatch(/key y: .*n2 holds ghost but authority n1 holds nothing \(and 1 more key\)/);
  });

  it('judges nothing without an authority', () => {
    const b = base(false);
    b.final('n1', 12, 'primary', { x: 'b' }, false);
    b.final('n2', 12, 'standby', { x: 'a' });
    expect(checkConvergence(b.build())).toEqual([]);
  });
});

describe('convergenceTime', () => {
  it('is the last visible-log change after quiet minus quiet time', () => {
    const b = base(false);
    b.apply('n2', 14.5, 2, 20, { x: 'b' });
    b.final('n1', 15, 'primary', { x: 'b' });
    b.final('n2', 15, 'standby', { x: 'b' });
    expect(convergenceTime(b.build())).toEqual({ quietT: 10, settledT: 14.5, convergenceMs: 4.5, byNodeMs: { n1: 0, n2: 4.5 } });
  });

  it('is zero when nothing changed after quiet, undefined without a quiet phase', () => {
    const b = base();
    b.final('n1', 12, 'primary', { x: 'b' });
    expect(convergenceTime(b.build())?.convergenceMs).toBe(0);
    expect(convergenceTime(new HistoryBuilder().build())).toBeUndefined();
  });
});

describe('convergence data nodes', () => {
  it('leaves out nodes with no data and no state events unless named', () => {
    const b = base();
    b.final('n1', 12, 'primary', { x: 'b' });
    b.final('n2', 12, 'standby', { x: 'b' });
    b.final('broker', 12, 'broker', {});
    const h = b.build();
    expect(checkConvergence(h)).toEqual([]);
    const vs = checkConvergence(h, { dataNodes: ['n2', 'broker'] });
    expect(vs.map((v) => v.data?.['node'])).toEqual(['broker']);
  });
});
