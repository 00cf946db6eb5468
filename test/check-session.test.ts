import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  checkMonotonicReads,
  checkMonotonicWrites,
  checkReadYourWrites,
  checkWritesFollowReads,
} from '../src/check/session.js';
import { GUARANTEE_IDS, checkAll } from '../src/check/types.js';
import type { MicroOp, Value } from '../src/history/types.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/** n1 primary commits x=a (xid 1) and x=b (xid 2); standby n2 only has x=a. */
function base(): HistoryBuilder {
  const b = new HistoryBuilder();
  b.write('s1', 'n1', 1, 2, 'x', 'a');
  b.replicated('n1', 1.5, 1, 10, { x: 'a' }, { n2: 3 });
  return b;
}

function finals(b: HistoryBuilder, data: Record<string, Value>): void {
  b.final('n1', 50, 'primary', data);
  b.final('n2', 50, 'standby', data);
}

describe('read-your-writes', () => {
  it('passes when the session reads its write or newer', () => {
    const b = base();
    b.write('s1', 'n1', 4, 5, 'x', 'b');
    b.replicated('n1', 4.5, 2, 20, { x: 'b' }, { n2: 5.5 });
    b.read('s1', 'n2', 6, 7, 'x', 'b');
    b.read('s2', 'n2', 6, 7, 'x', 'a'); // another session may be stale
    finals(b, { x: 'b' });
    expect(checkReadYourWrites(b.build())).toEqual([]);
  });

  it('reports a standby serving the session a value older than its acknowledged write', () => {
    const b = base();
    const w = b.write('s1', 'n1', 4, 5, 'x', 'b');
    b.replicated('n1', 4.5, 2, 20, { x: 'b' }, { n2: 9 });
    const r = b.read('s1', 'n2', 6, 7, 'x', 'a');
    finals(b, { x: 'b' });
    const vs = checkReadYourWrites(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'read-your-writes', witness: [w.invoke, w.completion, r.invoke, r.completion] });
    expect(vs[0]!.sentence).toMatch(/key x: node n2 served a at 7\.0 ms to session s1, which had written b \(acknowledged at 5\.0 ms\)/);
  });
});

describe('monotonic-reads', () => {
  it('reports a session that reads b from n1 and then a from n2', () => {
    const b = base();
    b.write('s1', 'n1', 4, 5, 'x', 'b');
    b.replicated('n1', 4.5, 2, 20, { x: 'b' });
    const r1 = b.read('s2', 'n1', 39, 39.5, 'x', 'b');
    const r2 = b.read('s2', 'n2', 40, 41, 'x', 'a');
    finals(b, { x: 'b' });
    const vs = checkMonotonicReads(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([r1.invoke, r1.completion, r2.invoke, r2.completion]);
    expect(vs[0]!.sentence).toBe('key x: node n2 served a at 41.0 ms after session s2 had read b from node n1 at 39.5 ms — monotonic reads');
  });

  it('passes non-decreasing reads and different sessions', () => {
    const b = base();
    b.write('s1', 'n1', 4, 5, 'x', 'b');
    b.replicated('n1', 4.5, 2, 20, { x: 'b' });
    b.read('s2', 'n2', 6, 7, 'x', null);
    b.read('s2', 'n2', 8, 9, 'x', 'a');
    b.read('s2', 'n1', 10, 11, 'x', 'b');
    b.read('s3', 'n2', 12, 13, 'x', 'a');
    finals(b, { x: 'b' });
    expect(checkMonotonicReads(b.build())).toEqual([]);
  });
});

describe('monotonic-writes', () => {
  it('reports writes committed in the opposite order of the session', () => {
    const b = new HistoryBuilder();
    const w1 = b.write('s1', 'n1', 1, 2, 'x', 'first');
    const w2 = b.write('s1', 'n1', 3, 4, 'y', 'second');
    b.commit('n1', 3.5, 1, 10, { y: 'second' });
    b.commit('n1', 5, 2, 20, { x: 'first' });
    finals(b, { x: 'first', y: 'second' });
    const vs = checkMonotonicWrites(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([w1.invoke, w1.completion, w2.invoke, w2.completion]);
    expect(vs[0]!.sentence).toMatch(/session s1 wrote x=first .* before y=second .* committed xid 1 before xid 2 — monotonic writes/);
  });

  it('passes writes committed in session order', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'first');
    b.commit('n1', 1.5, 1, 10, { x: 'first' });
    b.write('s1', 'n1', 3, 4, 'y', 'second');
    b.commit('n1', 3.5, 2, 20, { y: 'second' });
    finals(b, { x: 'first', y: 'second' });
    expect(checkMonotonicWrites(b.build())).toEqual([]);
  });
});

describe('writes-follow-reads', () => {
  it('reports a reply committed before the post it answers', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'post', 'p1');
    b.commit('n1', 1.5, 1, 10, { post: 'p1' });
    const r = b.read('s2', 'n1', 3, 4, 'post', 'p1');
    const w = b.write('s2', 'n2', 5, 6, 'reply', 'r1');
    // n2 is the authority: it committed the reply before applying the post
    b.commit('n2', 5.5, 2, 5, { reply: 'r1' });
    b.apply('n2', 7, 1, 10, { post: 'p1' });
    b.final('n1', 50, 'standby', { post: 'p1', reply: 'r1' });
    b.final('n2', 50, 'primary', { post: 'p1', reply: 'r1' });
    const vs = checkWritesFollowReads(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([r.invoke, r.completion, w.invoke, w.completion]);
    expect(vs[0]!.sentence).toMatch(/session s2 read post=p1 .* then wrote reply=r1, but authority n2 committed that write \(xid 2\) before xid 1/);
  });

  it('passes when the write follows what was read', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'post', 'p1');
    b.commit('n1', 1.5, 1, 10, { post: 'p1' });
    b.read('s2', 'n1', 3, 4, 'post', 'p1');
    b.write('s2', 'n1', 5, 6, 'reply', 'r1');
    b.commit('n1', 5.5, 2, 20, { reply: 'r1' });
    finals(b, { post: 'p1', reply: 'r1' });
    expect(checkWritesFollowReads(b.build())).toEqual([]);
  });
});

// ───────────── properties: serial single-node histories ─────────────

type Step = { s: number; kind: 'r' | 'w' | 'rr' | 'ww'; k: number; k2: number };
const stepArb: fc.Arbitrary<Step> = fc.record({
  s: fc.nat(2), kind: fc.constantFrom('r', 'w', 'rr', 'ww'), k: fc.nat(2), k2: fc.nat(2),
});

/**
 * A correct single primary: operations run one at a time, each write commits
 * at once, each read returns the current state. `versions` lists each key's
 * values in commit order (null first), `reads` what each session read.
 */
function serial(steps: Step[]) {
  const b = new HistoryBuilder(['n1']);
  const state: Record<string, Value> = {};
  const versions = new Map<string, Value[]>();
  const reads: { s: string; k: string; v: Value }[] = [];
  let t = 1;
  let xid = 0;
  const all: Step[] = [{ s: 0, kind: 'w', k: 0, k2: 0 }, { s: 0, kind: 'r', k: 0, k2: 0 }, ...steps];
  all.forEach((st, i) => {
    const session = `s${st.s}`;
    const [ka, kb] = [`k${st.k}`, `k${st.k2}`];
    let txn: MicroOp[];
    if (st.kind === 'r' || st.kind === 'rr') {
      const keys = st.kind === 'r' ? [ka] : [ka, kb];
      txn = keys.map((k) => ({ f: 'r', k, v: state[k] ?? null }));
      for (const m of txn) reads.push({ s: session, k: m.k, v: (m as { v: Value }).v });
    } else {
      txn = st.kind === 'w' ? [{ f: 'w', k: ka, v: `v${i}` }] : [{ f: 'w', k: ka, v: `i${i}` }, { f: 'w', k: ka, v: `v${i}` }];
      xid += 1;
      b.commit('n1', t + 0.5, xid, xid * 10, { [ka]: `v${i}` });
      state[ka] = `v${i}`;
      versions.set(ka, [...(versions.get(ka) ?? [null]), `v${i}`]);
    }
    b.op(session, 'n1', t, t + 1, txn);
    t += 2;
  });
  b.quiet(t);
  return { b, state, versions, reads, endT: t };
}

describe('properties', () => {
  test.prop([fc.array(stepArb, { maxLength: 30 })])('a correct serial single-node history violates nothing', (steps) => {
    const { b, state } = serial(steps);
    b.final('n1', 1e6, 'primary', state);
    const claims = GUARANTEE_IDS.map((id) => ({ id }));
    expect(checkAll(b.build(), claims, { kMax: 0, tMsMax: 0 })).toEqual([]);
  });

  test.prop([fc.array(stepArb, { maxLength: 30 }), fc.nat(), fc.nat()])(
    'one injected stale read gives exactly one monotonic-reads violation',
    (steps, pickRead, pickOlder) => {
      const { b, state, versions, reads, endT } = serial(steps);
      const candidates = reads.filter((r) => r.v !== null);
      const target = candidates[pickRead % candidates.length]!;
      const order = versions.get(target.k)!;
      const newestSeen = Math.max(...reads.filter((r) => r.s === target.s && r.k === target.k).map((r) => order.indexOf(r.v)));
      const stale = order[pickOlder % newestSeen]!;
      const injected = b.read(target.s, 'n1', endT, endT + 1, target.k, stale);
      b.final('n1', 1e6, 'primary', state);
      const vs = checkMonotonicReads(b.build());
      expect(vs).toHaveLength(1);
      expect(vs[0]!.witness.slice(2)).toEqual([injected.invoke, injected.completion]);
      expect(vs[0]!.sentence).toContain(`key ${target.k}: node n1 served ${stale === null ? 'nothing' : stale}`);
    },
  );
});
