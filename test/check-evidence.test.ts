/**
 * Black-box evidence: durability and lossless-failover judge from what clients
 * saw and what the authority holds at the end, whatever the events say, and a
 * model that stays silent about a write it never stored cannot pass.
 */
import { describe, expect, it } from 'vitest';
import { checkDurability, checkLosslessFailover } from '../src/check/durability.js';
import { checkCommittedPrefix } from '../src/check/ordering.js';
import { checkModel } from '../properties/harness.js';
import { tinyAsyncModel } from '../models/examples/tiny-async.js';
import { forgetfulModel } from './fixtures/forgetful-model.js';
import { HistoryBuilder } from './helpers/history-builder.js';

describe('durability from the final state', () => {
  it('reports an acknowledged write that no event mentions and the final state lacks', () => {
    const b = new HistoryBuilder();
    const w = b.write('s1', 'n1', 1, 2, 'x', 'a');
    const fin = b.final('n1', 10, 'primary', {});
    const vs = checkDurability(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'durability', witness: [w.invoke, w.completion, fin], data: { key: 'x', value: 'a', op: w.id } });
  });

  it('reports a write the events claim committed when the final state lacks it', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a', { commit: { lsn: 1, timeline: 1 } });
    b.commit('n1', 1.5, 1, 1, { x: 'a' });
    const w = b.write('s1', 'n1', 3, 4, 'x', 'b', { commit: { lsn: 2, timeline: 1 } });
    b.commit('n1', 3.5, 2, 2, { x: 'b' });
    b.final('n1', 10, 'primary', { x: 'a' });
    const vs = checkDurability(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ op: w.id, evidence: 'final-state' });
    expect(vs[0]!.sentence).toMatch(/missing from authority n1's final state: it holds a for key x, which no later write produced, although its events list the write/);
  });

  it('passes a write overwritten by a later or concurrent one, with or without events', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    b.write('s2', 'n1', 1.5, 3, 'x', 'c'); // concurrent with the next write: may follow it
    b.write('s1', 'n1', 2.5, 4, 'x', 'b');
    b.final('n1', 10, 'primary', { x: 'c' });
    expect(checkDurability(b.build())).toEqual([]);
  });

  it('an indeterminate later write explains the final state; one that completed before does not', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'old', { status: 'info' });
    b.write('s1', 'n1', 3, 4, 'x', 'b');
    b.final('n1', 10, 'primary', { x: 'old' });
    expect(checkDurability(b.build())).toHaveLength(1);
    const later = new HistoryBuilder();
    later.write('s1', 'n1', 3, 4, 'x', 'b');
    later.write('s1', 'n1', 5, 6, 'x', 'late', { status: 'info' });
    later.final('n1', 10, 'primary', { x: 'late' });
    expect(checkDurability(later.build())).toEqual([]);
  });

  it('events narrow an overwritten key only when they account for the final state and mention the write', () => {
    // n1 made x=a visible, then x=b; the authority n2 only ever had x=b.
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a', { commit: { lsn: 1, timeline: 1 } });
    b.commit('n1', 1.5, 1, 1, { x: 'a' });
    b.write('s1', 'n1', 3, 4, 'x', 'b', { commit: { lsn: 2, timeline: 1 } });
    b.replicated('n1', 3.5, 2, 2, { x: 'b' }, { n2: 5 });
    b.final('n1', 10, 'standby', { x: 'b' }, false);
    b.final('n2', 10, 'primary', { x: 'b' });
    const vs = checkDurability(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ value: 'a', evidence: 'events' });
    // Same client history, no events at all: the final state cannot tell, so nothing is claimed.
    const silent = new HistoryBuilder();
    silent.write('s1', 'n1', 1, 2, 'x', 'a');
    silent.write('s1', 'n1', 3, 4, 'x', 'b');
    silent.final('n2', 10, 'primary', { x: 'b' });
    expect(checkDurability(silent.build())).toEqual([]);
  });
});

describe('lossless-failover from the final state', () => {
  it('reports a value read from the primary that the final state lacks, events or not', () => {
    for (const events of [true, false]) {
      const b = new HistoryBuilder();
      b.write('s1', 'n1', 1, 2, 'x', 'a', { status: 'info' });
      if (events) b.commit('n1', 1.5, 1, 1, { x: 'a' });
      const r = b.read('s2', 'n1', 3, 4, 'x', 'a');
      b.final('n1', 10, 'primary', {});
      const vs = checkLosslessFailover(b.build());
      expect(vs, `events: ${events}`).toHaveLength(1);
      expect(vs[0]!.data).toMatchObject({ readerOp: r.id, evidence: events ? 'final-state' : 'both' });
    }
  });
});

describe('models that acknowledge writes they never store', () => {
  for (const mode of ['silent', 'lying'] as const) {
    it(`${mode} events: durability fails`, () => {
      const r = checkModel(forgetfulModel(mode), { numRuns: 50, seed: 1, failureFile: false, profile: 'calm', guarantees: ['durability'] });
      expect(r.found).toBe(true);
      // Events that lie are a broken model contract, reported first; durability,
      // judged from the final state, breaks all the same.
      expect(r.guarantee).toBe(mode === 'lying' ? 'run-failure:contract' : 'durability');
      expect(r.verdict!.violations.map((v) => v.guarantee)).toContain('durability');
    });
  }

  it('the honest tiny-async model passes the same search', () => {
    const r = checkModel(tinyAsyncModel, { numRuns: 50, seed: 1, failureFile: false, profile: 'calm', guarantees: ['durability'] });
    expect(r.found).toBe(false);
  });
});

describe('committed-prefix from the final states', () => {
  /** x=a acknowledged before y=b was invoked; the authority n1 holds both. No events at all. */
  function twoWrites(replica: Record<string, string>) {
    const b = new HistoryBuilder();
    const w1 = b.write('s1', 'n1', 1, 2, 'x', 'a');
    const w2 = b.write('s1', 'n1', 3, 4, 'y', 'b');
    b.final('n1', 10, 'primary', { x: 'a', y: 'b' });
    const fin = b.final('n2', 10, 'standby', replica);
    return { h: b.build(), w1, w2, fin };
  }

  it('passes a lagging replica', () => {
    expect(checkCommittedPrefix(twoWrites({}).h)).toEqual([]);
    expect(checkCommittedPrefix(twoWrites({ x: 'a' }).h)).toEqual([]);
    expect(checkCommittedPrefix(twoWrites({ x: 'a', y: 'b' }).h)).toEqual([]);
  });

  it('reports a replica holding a later write without an earlier acknowledged one', () => {
    const { h, w1, fin } = twoWrites({ y: 'b' });
    const vs = checkCommittedPrefix(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ node: 'n2', key: 'x', missing: 'a', above: 'b', evidence: 'final-state' });
    expect(vs[0]!.witness).toContain(w1.completion);
    expect(vs[0]!.witness).toContain(fin);
  });

  it('reports a replica ending with a write the authority lost, events or not', () => {
    for (const events of [false, true]) {
      const b = new HistoryBuilder();
      b.write('s1', 'n1', 1, 2, 'x', 'a');
      b.write('s1', 'n1', 3, 4, 'x', 'lost', { status: 'info' });
      if (events) b.replicated('n1', 1.5, 1, 1, { x: 'a' }, { n2: 1.7 }); // the events never show 'lost' anywhere
      b.final('n1', 10, 'primary', { x: 'a' });
      b.final('n2', 10, 'standby', { x: 'lost' });
      const vs = checkCommittedPrefix(b.build());
      expect(vs, `events: ${events}`).toHaveLength(1);
      expect(vs[0]!.sentence).toMatch(/node n2 ends the run holding x = lost, .* extra write beyond the committed prefix/);
    }
  });

  it('a replica whose events do not account for its state is judged by its state alone', () => {
    // n2's events claim it applied y=b before x=a (a gap), but it holds a value they never showed.
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    b.write('s1', 'n1', 3, 4, 'y', 'b');
    b.commit('n1', 1.5, 1, 1, { x: 'a' });
    b.commit('n1', 3.5, 2, 2, { y: 'b' });
    b.apply('n2', 5, 2, 2, { y: 'b' });
    b.final('n1', 10, 'primary', { x: 'a', y: 'b' });
    b.final('n2', 10, 'standby', { x: 'a', y: 'b' });
    expect(checkCommittedPrefix(b.build())).toEqual([]);
  });
});

describe('committed-prefix from what readers saw', () => {
  it('reports a node serving a rolled-back or intermediate value, with no events', () => {
    const b = new HistoryBuilder();
    const rb = b.write('s1', 'n1', 1, 2, 'x', 'gone', { end: 'rollback' });
    const r = b.read('s2', 'n2', 1.5, 1.8, 'x', 'gone');
    b.op('s1', 'n1', 3, 4, [{ f: 'w', k: 'y', v: 'mid' }, { f: 'w', k: 'y', v: 'end' }]);
    b.read('s3', 'n3', 3.5, 3.8, 'y', 'mid');
    b.final('n1', 10, 'primary', { y: 'end' });
    b.final('n2', 10, 'standby', { y: 'end' });
    b.final('n3', 10, 'standby', { y: 'end' });
    const vs = checkCommittedPrefix(b.build());
    expect(vs.map((v) => v.data?.['node'])).toEqual(['n2', 'n3']);
    expect(vs[0]!.witness).toEqual([rb.invoke, rb.completion, r.invoke, r.completion]);
    expect(vs[0]!.sentence).toMatch(/node n2 served x = gone .* whose transaction rolled back — an entry outside the committed order became visible/);
    expect(vs[1]!.sentence).toMatch(/which its own transaction overwrote before committing/);
  });
});
