import { describe, expect, it } from 'vitest';
import {
  checkDiscardedBranch,
  checkIndeterminateAgreement,
  checkNoAbortedRead,
  checkNoIntermediateRead,
  checkReplayIdempotent,
} from '../src/check/rollback.js';
import { HistoryBuilder } from './helpers/history-builder.js';

function primaryWithX(): HistoryBuilder {
  const b = new HistoryBuilder();
  b.write('s1', 'n1', 1, 2, 'x', 'a');
  b.replicated('n1', 1.5, 1, 10, { x: 'a' }, { n2: 3 });
  return b;
}

describe('no-aborted-read', () => {
  it('passes when rolled-back and failed writes stay invisible', () => {
    const b = primaryWithX();
    b.write('s1', 'n1', 4, 5, 'x', 'rb', { end: 'rollback' });
    b.write('s1', 'n1', 6, 7, 'x', 'failed', { status: 'fail' });
    b.read('s2', 'n2', 8, 9, 'x', 'a');
    b.final('n1', 12, 'primary', { x: 'a' });
    b.final('n2', 12, 'standby', { x: 'a' });
    expect(checkNoAbortedRead(b.build())).toEqual([]);
  });

  it('reports a read of a rolled-back value', () => {
    const b = primaryWithX();
    const w = b.write('s1', 'n1', 4, 5, 'x', 'rb', { end: 'rollback' });
    const r = b.read('s2', 'n2', 6, 7, 'x', 'rb');
    b.final('n1', 12, 'primary', { x: 'a' });
    const vs = checkNoAbortedRead(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'no-aborted-read', witness: [w.invoke, w.completion, r.invoke, r.completion] });
    expect(vs[0]!.sentence).toMatch(/key x: session s2 read rb from node n2 at 7\.0 ms, a value written only by op 2 of session s1, which rolled back at 5\.0 ms/);
  });

  it('reports a failed write that a node still holds at the end', () => {
    const b = primaryWithX();
    const w = b.write('s1', 'n1', 4, 5, 'x', 'failed', { status: 'fail' });
    b.final('n1', 12, 'primary', { x: 'a' });
    const fin = b.final('n2', 12, 'standby', { x: 'failed' });
    const vs = checkNoAbortedRead(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([w.invoke, w.completion, fin]);
    expect(vs[0]!.sentence).toMatch(/node n2 ends the run holding failed, .* which failed at 5\.0 ms/);
  });
});

describe('no-aborted-read evidence', () => {
  it('reports a standby that showed a rolled-back write nobody read, once per value', () => {
    const b = primaryWithX();
    const w = b.write('s1', 'n1', 4, 5, 'x', 'rb', { end: 'rollback' });
    const shown = b.apply('n2', 4.5, 7, 15, { x: 'rb' });
    b.apply('n2', 6, 8, 16, { x: 'a' });
    b.final('n1', 12, 'primary', { x: 'a' });
    b.final('n2', 12, 'standby', { x: 'a' });
    const vs = checkNoAbortedRead(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([w.invoke, w.completion, shown]);
    expect(vs[0]!.sentence).toMatch(/key x: node n2 made rb visible at 4\.5 ms \(xid 7\), a value written only by op 2/);
  });

  it('cites the first read and lists every reader when several read the value', () => {
    const b = primaryWithX();
    b.write('s1', 'n1', 4, 5, 'x', 'rb', { status: 'fail' });
    b.apply('n2', 4.5, 7, 15, { x: 'rb' });
    const r1 = b.read('s2', 'n2', 6, 7, 'x', 'rb');
    const r2 = b.read('s3', 'n2', 8, 9, 'x', 'rb');
    b.final('n1', 12, 'primary', { x: 'a' });
    b.final('n2', 12, 'standby', { x: 'rb' });
    const vs = checkNoAbortedRead(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness.slice(2)).toEqual([r1.invoke, r1.completion]);
    expect(vs[0]!.data).toMatchObject({ readerOps: [r1.id, r2.id], heldAtEndBy: ['n2'], shownBy: ['n2'] });
  });
});

describe('no-aborted-read by xid', () => {
  /** A rolled-back `x = NOW()` (value 426, not unique) that a standby exposes as xid 3. */
  function exposed(read: boolean) {
    const b = primaryWithX();
    b.op('s1', 'n1', 4, 5, [{ f: 'now', k: 'x', v: 426 }], { end: 'rollback' });
    const abort = b.event('n1', 4.8, 'txn.abort', { xid: 3, lsn: 30, timeline: 1 });
    const shown = b.apply('n2', 5.5, 3, 29, { x: 426 });
    const undo = b.apply('n2', 5.6, '3/undo', 30, { x: 'a' });
    const r = read ? b.read('s2', 'n2', 5.55, 5.58, 'x', 426) : undefined;
    b.final('n1', 12, 'primary', { x: 'a' });
    b.final('n2', 12, 'standby', { x: 'a' });
    return { h: b.build(), abort, shown, undo, r };
  }

  it('reports a node that made a rolled-back transaction visible', () => {
    const { h, abort, shown } = exposed(false);
    const vs = checkNoAbortedRead(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([abort, shown]);
    expect(vs[0]!.sentence).toBe('key x: node n2 made 426 visible at 5.5 ms, written by xid 3, which node n1 rolled back at 4.8 ms — no aborted read');
  });

  it('blames a read whose value only aborted transactions wrote', () => {
    const { h, abort, shown, r } = exposed(true);
    const vs = checkNoAbortedRead(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([abort, shown, r!.invoke, r!.completion]);
    expect(vs[0]!.sentence).toMatch(/key x: session s2 read 426 from node n2 at 5\.6 ms, written only by xid 3, which node n1 rolled back/);
  });

  it('does not blame a value that a committed transaction also wrote', () => {
    const b = primaryWithX();
    b.event('n1', 4.8, 'txn.abort', { xid: 3 });
    b.read('s2', 'n2', 6, 7, 'x', 'a');
    b.final('n1', 12, 'primary', { x: 'a' });
    expect(checkNoAbortedRead(b.build())).toEqual([]);
  });
});

describe('no-intermediate-read', () => {
  it('passes when only the final write of a transaction is seen', () => {
    const b = primaryWithX();
    b.op('s1', 'n1', 4, 5, [{ f: 'w', k: 'x', v: 'i1' }, { f: 'w', k: 'x', v: 'f1' }]);
    b.read('s2', 'n1', 6, 7, 'x', 'f1');
    b.final('n1', 12, 'primary', { x: 'f1' });
    expect(checkNoIntermediateRead(b.build())).toEqual([]);
  });

  it('reports a read of a value its transaction overwrote', () => {
    const b = primaryWithX();
    const w = b.op('s1', 'n1', 4, 5, [{ f: 'w', k: 'x', v: 'i1' }, { f: 'w', k: 'x', v: 'f1' }]);
    const r = b.read('s2', 'n2', 6, 7, 'x', 'i1');
    b.final('n1', 12, 'primary', { x: 'f1' });
    const vs = checkNoIntermediateRead(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([w.invoke, w.completion, r.invoke, r.completion]);
    expect(vs[0]!.sentence).toMatch(/key x: session s2 read i1 .* an intermediate value overwritten within by op 2/);
  });
});

/** n1 commits x=lost (never shipped), crashes; n2 is promoted and commits x=new. */
function failover(): { b: HistoryBuilder; lost: ReturnType<HistoryBuilder['commit']>; promote: ReturnType<HistoryBuilder['event']> } {
  const b = primaryWithX();
  b.write('s1', 'n1', 4, 5, 'x', 'lost');
  const lost = b.commit('n1', 4.5, 2, 20, { x: 'lost' });
  b.crash('n1', 6);
  const promote = b.event('n2', 7, 'promote', { timeline: 2, lsn: 10 });
  b.commit('n2', 8, 3, 20, { y: 'new' }, 2);
  return { b, lost, promote };
}

describe('discarded-branch', () => {
  it('passes when the old primary rewinds and follows', () => {
    const { b } = failover();
    b.event('n1', 9, 'rewind', { toLsn: 10, timeline: 2 });
    b.apply('n1', 10, 3, 20, { y: 'new' }, 2);
    b.final('n1', 12, 'standby', { x: 'a', y: 'new' });
    b.final('n2', 12, 'primary', { x: 'a', y: 'new' });
    expect(checkDiscardedBranch(b.build())).toEqual([]);
  });

  it('reports a discarded write that survives on the old primary', () => {
    const { b, lost, promote } = failover();
    const fin = b.final('n1', 12, 'standby', { x: 'lost' });
    b.final('n2', 12, 'primary', { x: 'a', y: 'new' });
    const vs = checkDiscardedBranch(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'discarded-branch', witness: [lost, promote, fin] });
    expect(vs[0]!.sentence).toMatch(/key x: lost was made visible by xid 2 on node n1 at 4\.5 ms .* authority n2 never committed, yet node n1 still holds it/);
  });
});

describe('indeterminate-agreement', () => {
  it('passes when an indeterminate write ends visible everywhere or nowhere', () => {
    const b = primaryWithX();
    b.write('s1', 'n1', 4, 5, 'x', 'q', { status: 'info' });
    b.replicated('n1', 4.5, 2, 20, { x: 'q' }, { n2: 6 });
    b.write('s1', 'n1', 7, 8, 'y', 'never', { status: 'info' });
    b.final('n1', 12, 'primary', { x: 'q' });
    b.final('n2', 12, 'standby', { x: 'q' });
    expect(checkIndeterminateAgreement(b.build())).toEqual([]);
  });

  it('reports an indeterminate write visible on the primary but not the standby', () => {
    const b = primaryWithX();
    const w = b.write('s1', 'n1', 4, 5, 'x', 'q', { status: 'info' });
    const c = b.commit('n1', 4.5, 2, 20, { x: 'q' });
    b.final('n1', 12, 'primary', { x: 'q' });
    const fin = b.final('n2', 12, 'standby', { x: 'a' });
    b.final('n3', 12, 'standby', { x: 'a' }, false);
    b.final('m', 12, 'monitor', {});
    const vs = checkIndeterminateAgreement(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness).toEqual([w.invoke, w.completion, c, fin]);
    expect(vs[0]!.sentence).toMatch(/key x: indeterminate write of q .* ends visible on n1 but not on n2 — /);
  });
});

describe('replay-idempotent', () => {
  /** n1 commits x=1 then `x = x + 5` (x=6); standby n2 applies both. */
  function base(): HistoryBuilder {
    const b = new HistoryBuilder();
    b.replicated('n1', 1, 1, 10, { x: 1 }, { n2: 2 });
    b.replicated('n1', 3, 2, 20, { x: 6 }, { n2: 4 });
    b.event('n2', 4.5, 'checkpoint', { lsn: 20 });
    return b;
  }

  it('passes a replica that recovers and re-applies the same records', () => {
    const b = base();
    b.event('n2', 5, 'recover', { lsn: 10, timeline: 1 });
    b.apply('n2', 6, 2, 20, { x: 6 });
    b.final('n1', 9, 'primary', { x: 6 });
    b.final('n2', 9, 'standby', { x: 6 });
    expect(checkReplayIdempotent(b.build())).toEqual([]);
  });

  it('reports a replica that re-executed x = x + 5 after recovering from an older point', () => {
    const b = base();
    const first = b.apply('n2', 4.2, 9, 30, { x: 11 }); // a later record, re-done below
    const rec = b.event('n2', 5, 'recover', { lsn: 20, timeline: 1 });
    const again = b.apply('n2', 6, 9, 30, { x: 16 });
    b.final('n1', 9, 'primary', { x: 6 });
    b.final('n2', 9, 'standby', { x: 16 });
    const vs = checkReplayIdempotent(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]).toMatchObject({ guarantee: 'replay-idempotent', witness: [first, rec, again] });
    expect(vs[0]!.sentence).toMatch(/key x: node n2 applied xid 9 \(lsn 30\) again at 6\.0 ms after recover at 5\.0 ms and wrote 16, where its first application at 4\.2 ms wrote 11/);
  });

  it('reports a replica whose state shows a record applied twice that its log shows once', () => {
    const b = base();
    const fin = b.final('n2', 9, 'standby', { x: 11 });
    b.final('n1', 9, 'primary', { x: 6 });
    const vs = checkReplayIdempotent(b.build());
    expect(vs).toHaveLength(1);
    expect(vs[0]!.witness[1]).toBe(fin);
    expect(vs[0]!.sentence).toMatch(/key x: node n2 ends holding 11, but re-applying its visible log from its checkpoint at lsn 20 \(4\.5 ms\) gives 6/);
  });
});
