/**
 * WAL model: statement-based shipping (re-execution of x = x + 10, x = x * 2,
 * NOW(), RAND()), clock skew with and without the source's context, and the
 * replica-side planted bugs that only statements make visible.
 */
import { describe, expect, it } from 'vitest';
import type { ClientRequest } from '../src/history/types.js';
import type { Fault } from '../src/sim/types.js';
import { at, events, finals, foldVisible, okTxn, readValue, run, sim, upd, w } from './wal-helpers.js';

const now = (k: string): ClientRequest => ({ txn: [{ f: 'now', k }], end: 'commit' });
const rand = (k: string): ClientRequest => ({ txn: [{ f: 'rand', k }], end: 'commit' });
/** n2's wall clock runs 3 minutes ahead: "10:00 on the primary, 10:03 on the replica". */
const skew = { clocks: { n2: { offsetMs: 180_000, driftPpm: 0 } } };
const stmt = { shipping: 'statement', synchronousCommit: 'on', synchronousStandbyNames: 'ANY 2 (*)', failover: 'none' };

describe('statement shipping', () => {
  it('the replica re-executes order-sensitive updates and reaches the same values', () => {
    const ops = [at(1, w('x', 5)), at(2, upd('x', 'add', 10)), at(3, upd('x', 'mul', 2)), at(4, upd('y', 'add', 3))];
    const h = run(stmt, (n) => sim(n, [{ id: 's', ops }]));
    expect(okTxn(h, 3)[0]).toMatchObject({ v: 3 });
    for (const v of Object.values(finals(h))) expect(v.data).toEqual({ x: 30, y: 3 });
  });

  it('with context, NOW() and RAND() replicate the source values despite clock skew', () => {
    const h = run(stmt, (n) => sim(n, [{ id: 's', ops: [at(1, now('t')), at(2, rand('r'))] }], [], skew));
    const t = readValue(h, 0) as number;
    expect(Math.abs(t - 1)).toBeLessThan(2); // the primary's clock reads ~1 ms
    for (const v of Object.values(finals(h))) expect(v.data).toEqual({ t, r: readValue(h, 1) });
  });

  it('without context (knob), the skewed replica stores its own NOW() and its own RAND()', () => {
    const h = run({ ...stmt, statementContext: false }, (n) => sim(n, [{ id: 's', ops: [at(1, now('t')), at(2, rand('r'))] }], [], skew));
    const f = finals(h);
    expect((f.n2!.data.t as number) - (f.n1!.data.t as number)).toBeGreaterThan(179_000);
    expect(f.n3!.data.r).not.toEqual(f.n1!.data.r);
    expect(foldVisible(h).n2).toEqual(f.n2!.data);
  });

  it('row shipping is immune to skew: the row image travels', () => {
    const h = run({ ...stmt, shipping: 'row', statementContext: false }, (n) => sim(n, [{ id: 's', ops: [at(1, now('t'))] }], [], skew));
    const f = finals(h);
    expect(f.n2!.data).toEqual(f.n1!.data);
  });

  it('statement-without-context (bug) diverges exactly like the knob', () => {
    const h = run(stmt, (n) => sim(n, [{ id: 's', ops: [at(1, now('t'))] }], [], skew), 'statement-without-context');
    const f = finals(h);
    expect(f.n2!.data.t).not.toEqual(f.n1!.data.t);
  });
});

describe('replica-side bugs around reconnects', () => {
  /** Slow replay builds a backlog; a short partition breaks the n1–n2 stream mid-backlog. */
  const base = { shipping: 'statement', synchronousCommit: 'local', failover: 'none', replayMsPerRecord: 1.5 };
  const blip: Fault[] = [{ kind: 'partition', atMs: 20, from: ['n1'], to: ['n2'], durationMs: 5 }];
  const adds = { id: 's', ops: Array.from({ length: 20 }, (_, i) => at(1 + i, upd('x', 'add', 10))) };

  it('correct replica: the reconnect retransmits nothing twice and all replicas reach x = 200', () => {
    const h = run(base, (n) => sim(n, [adds], blip));
    expect(events(h, 'node').length + h.filter((e) => e.type === 'net' && e.ev === 'break').length).toBeGreaterThan(0);
    for (const v of Object.values(finals(h))) expect(v.data).toEqual({ x: 200 });
    const xids = events(h, 'apply', 'n2').map((e) => e.data!.xid);
    expect(new Set(xids).size).toBe(xids.length);
  });

  it('retransmit-applied-twice: re-sent statements are applied again (x overshoots)', () => {
    const h = run(base, (n) => sim(n, [adds], blip), 'retransmit-applied-twice');
    const f = finals(h);
    expect(f.n1!.data).toEqual({ x: 200 });
    expect(f.n2!.data.x as number).toBeGreaterThan(200);
    const xids = events(h, 'apply', 'n2').map((e) => e.data!.xid);
    expect(new Set(xids).size).toBeLessThan(xids.length);
  });

  it('out-of-order-apply-after-reconnect: new transactions are applied before the backlog', () => {
    const ws = { id: 's', ops: Array.from({ length: 20 }, (_, i) => at(1 + i, w('x', i + 1))) };
    const good = run({ ...base, shipping: 'row' }, (n) => sim(n, [ws], blip));
    const lsnsGood = events(good, 'apply', 'n2').map((e) => e.data!.lsn as number);
    expect(lsnsGood).toEqual([...lsnsGood].sort((a, b) => a - b));
    const bad = run({ ...base, shipping: 'row' }, (n) => sim(n, [ws], blip), 'out-of-order-apply-after-reconnect');
    const lsns = events(bad, 'apply', 'n2').map((e) => e.data!.lsn as number);
    expect(lsns).not.toEqual([...lsns].sort((a, b) => a - b));
  });
});
