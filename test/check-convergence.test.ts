import { describe, expect, it } from 'vitest';
import { checkConvergence } from '../src/check/convergence.js';
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
