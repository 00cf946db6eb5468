import { describe, expect, it } from 'vitest';
import { checkLinearizablePrimaryReads } from '../src/check/lin-guarantee.js';
import type { History, MetaEntry } from '../src/analysis.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/** The check reads session policies from the scenario in the meta entry. */
function withPolicies(h: History, policies: Record<string, string>): History {
  const meta = h[0] as MetaEntry;
  const sessions = Object.entries(policies).map(([id, policy]) => ({ id, policy, ops: [] }));
  return [{ ...meta, scenario: { sessions } }, ...h.slice(1)];
}

describe('linearizable-primary-reads', () => {
  it('passes when primary reads follow acknowledged writes in real time', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 0, 2, 'x', 'a');
    b.read('s2', 'n1', 3, 4, 'x', 'a');
    b.write('s1', 'n1', 5, 6, 'x', 'b');
    b.read('s2', 'n1', 7, 8, 'x', 'b');
    const h = withPolicies(b.build(), { s1: 'primary', s2: 'primary' });
    expect(checkLinearizablePrimaryReads(h)).toEqual([]);
  });

  it('catches a primary read that misses an acknowledged write (a write lost on failover)', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 0, 2, 'x', 'a');
    const lost = b.write('s1', 'n1', 3, 4, 'x', 'b');
    const stale = b.read('s2', 'n2', 10, 11, 'x', 'a');
    const h = withPolicies(b.build(), { s1: 'primary', s2: 'primary' });
    const vs = checkLinearizablePrimaryReads(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.guarantee).toBe('linearizable-primary-reads');
    expect(vs[0]!.sentence).toMatch(/not linearizable/);
    const ops = new Set(vs[0]!.witness.map((e) => (e as { op: number }).op));
    expect(ops.has(stale.id) || ops.has(lost.id)).toBe(true);
  });

  it('ignores stale reads of sessions that read from standbys', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 0, 2, 'x', 'a');
    b.write('s1', 'n1', 3, 4, 'x', 'b');
    b.read('s2', 'n2', 10, 11, 'x', 'a');
    const h = withPolicies(b.build(), { s1: 'primary', s2: 'any-standby' });
    expect(checkLinearizablePrimaryReads(h)).toEqual([]);
  });
});
