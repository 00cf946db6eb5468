import { describe, expect, it } from 'vitest';
import { CHECKERS, GUARANTEE_IDS, checkAll, checkerFor, judgeClaims, measureGuarantees } from '../src/check/types.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/**
 * A standby read that misses the session's own write to y, then an async
 * failover that loses an acknowledged write to x.
 */
function lossy() {
  const b = new HistoryBuilder();
  b.write('s1', 'n1', 1, 2, 'x', 'a');
  b.replicated('n1', 1.5, 1, 10, { x: 'a' }, { n2: 3 });
  b.write('s1', 'n1', 4, 5, 'y', 'c');
  b.replicated('n1', 4.5, 2, 20, { y: 'c' }, { n2: 6.5 });
  b.read('s1', 'n2', 5.5, 6, 'y', null);
  b.write('s1', 'n1', 7, 8, 'x', 'b');
  b.commit('n1', 7.5, 3, 30, { x: 'b' });
  b.crash('n1', 9, 'machine');
  b.event('n2', 10, 'promote', { timeline: 2, lsn: 20 });
  b.event('n1', 11, 'rewind', { toLsn: 20, timeline: 2 });
  b.quiet(12);
  b.final('n1', 14, 'standby', { x: 'a', y: 'c' });
  b.final('n2', 14, 'primary', { x: 'a', y: 'c' });
  return b.build();
}

describe('registry', () => {
  it('has a checker for every guarantee id and rejects unknown ids clearly', () => {
    expect(Object.keys(CHECKERS).sort()).toEqual([...GUARANTEE_IDS].sort());
    expect(() => checkerFor('linearizable')).toThrow(/unknown guarantee 'linearizable'; known: convergence, /);
    expect(() => checkAll(lossy(), [{ id: 'nope' }])).toThrow(/unknown guarantee 'nope'/);
  });

  it('checks claims, skipping those whose fault tolerance the run exceeds', () => {
    const h = lossy();
    expect(checkAll(h, [{ id: 'durability' }, { id: 'convergence' }]).map((v) => v.guarantee)).toEqual(['durability']);
    expect(checkAll(h, [{ id: 'durability', tolerates: ['crash:process'] }])).toEqual([]);
    expect(checkAll(h, [{ id: 'read-your-writes', tolerates: ['pause'] }])).toEqual([]);
    expect(checkAll(h, [{ id: 'read-your-writes', tolerates: ['crash'] }]).map((v) => v.guarantee)).toEqual(['read-your-writes']);
    expect(checkAll(h, [{ id: 'bounded-staleness' }], { kMax: 0 }).map((v) => v.guarantee)).toEqual(['bounded-staleness']);
  });

  it('says why a claim was not judged instead of passing it', () => {
    const h = lossy();
    const { outcomes } = judgeClaims(h, [{ id: 'bounded-staleness' }, { id: 'durability', tolerates: ['pause'] }, { id: 'durability' }]);
    expect(outcomes).toEqual([
      { id: 'bounded-staleness', notJudged: 'no staleness bound given (check options kMax or tMsMax)', violations: 0 },
      { id: 'durability', notJudged: 'the run injected a fault outside what the claim tolerates (crash:machine)', violations: 0 },
      { id: 'durability', violations: 1 },
    ]);
  });

  it('measures unclaimed guarantees regardless of faults', () => {
    const m = measureGuarantees(lossy());
    const broken = m.filter((x) => x.violations > 0).map((x) => x.id);
    expect(broken).toEqual(['durability', 'read-your-writes', 'bounded-staleness']);
    expect(m.filter((x) => x.judged).map((x) => x.id)).toEqual([
      'convergence', 'committed-prefix', 'discarded-branch', 'replay-idempotent', 'durability',
      'read-your-writes', 'monotonic-writes', 'writes-follow-reads', 'bounded-staleness',
    ]);
    // Guarantees whose evidence the run lacks say so instead of passing silently.
    expect(m.find((x) => x.id === 'no-aborted-read')!.notJudged).toMatch(/no write was rolled back or failed/);
    expect(m.find((x) => x.id === 'monotonic-reads')!.notJudged).toMatch(/no session read the same key twice/);
    expect(m.find((x) => x.id === 'sink-convergence')!.notJudged).toMatch(/no sink/);
    expect(m.find((x) => x.id === 'migration-no-loss')!.notJudged).toMatch(/never cut over/);
    expect(m.filter((x) => !x.judged).every((x) => x.violations === 0)).toBe(true);
    expect(m.find((x) => x.id === 'read-your-writes')!.example).toMatch(/key y: node n2 served nothing at 6\.0 ms to session s1, which had written c/);
  });
});
