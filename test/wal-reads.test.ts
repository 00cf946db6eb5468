/**
 * WAL model: read routing and read-your-writes waits, standby crash recovery,
 * and the planted bugs that show up in what readers see.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import type { Fault } from '../src/sim/types.js';
import { at, completion, doneAt, events, finals, foldVisible, okTxn, r, run, sim, w } from './wal-helpers.js';

/** All values a session's reads returned for key k. */
function readsOf(h: History, session: string, k = 'x'): unknown[] {
  const out: unknown[] = [];
  for (const e of h) if (e.type === 'ok' && e.session === session) for (const op of e.txn) if (op.f === 'r' && op.k === k) out.push(op.v);
  return out;
}
const firstT = (h: History, name: string, node: string) => events(h, name, node)[0]?.t ?? Infinity;

describe('read routing', () => {
  const async = { synchronousCommit: 'local', failover: 'none', replayMsPerRecord: 2 };

  it('read-your-writes: the standby waits until it replayed the session commit', () => {
    const h = run(async, (n) => sim(n, [{ id: 's', policy: 'read-your-writes', ops: [at(1, w('x', 1)), at(1, r('x'))] }]));
    expect(completion(h, 1)?.node).not.toBe('n1');
    expect(okTxn(h, 1)[0]).toMatchObject({ v: 1 });
  });

  it('read-your-writes fails after rywWaitMs when the standby cannot catch up', () => {
    const cut: Fault[] = [{ kind: 'partition', atMs: 0.5, from: ['n1'], to: ['n2', 'n3'], durationMs: 500 }];
    const h = run({ ...async, rywWaitMs: 50 }, (n) => sim(n, [{ id: 's', policy: 'read-your-writes', ops: [at(1, w('x', 1)), at(1, r('x'))] }], cut));
    const done = completion(h, 1)!;
    expect(done.type).toBe('fail');
    expect(done.t - h.find((e) => e.type === 'invoke' && e.op === 1)!.t).toBeGreaterThanOrEqual(50);
  });

  it('any-standby under asynchronous replication can read stale data right after a write', () => {
    const h = run(async, (n) => sim(n, [{ id: 's', policy: 'any-standby', ops: [at(1, w('x', 1)), at(1, r('x'))] }]));
    expect(okTxn(h, 1)[0]).toMatchObject({ v: null });
  });

  it('remote_apply on every standby: any-standby reads see the session write at once', () => {
    const h = run({ ...async, synchronousCommit: 'remote_apply', synchronousStandbyNames: 'ANY 2 (*)' }, (n) =>
      sim(n, [{ id: 's', policy: 'any-standby', ops: [at(1, w('x', 1)), at(1, r('x'))] }]));
    expect(okTxn(h, 1)[0]).toMatchObject({ v: 1 });
  });

  it('writes sent to a standby fail as read-only, and the router sends writes to the primary', () => {
    const h = run(async, (n) => sim(n, [{ id: 's', policy: 'sticky-standby', ops: [at(1, w('x', 1))] }]));
    expect(completion(h, 0)).toMatchObject({ type: 'ok', node: 'n1' });
  });
});

describe('standby crash recovery', () => {
  it('a standby that crashes mid-replay recovers a committed prefix from disk and catches up', () => {
    const ops = Array.from({ length: 15 }, (_, i) => at(1 + i, { txn: [{ f: 'w', k: 'x', v: i + 1 }, { f: 'w', k: `y${i}`, v: i }], end: 'commit' as const }));
    for (const mode of ['process', 'machine'] as const) {
      const h = run({ synchronousCommit: 'local', failover: 'none', replayMsPerRecord: 1 }, (n) =>
        sim(n, [{ id: 's', ops }], [{ kind: 'crash', atMs: 18.3, node: 'n2', mode, restartAfterMs: 5 }]));
      const rec = events(h, 'recover', 'n2').filter((e) => e.t > 0); // the first start says 'recover' too (lsn 0)
      expect(rec).toHaveLength(1);
      const applied = events(h, 'apply', 'n2').filter((e) => e.t < rec[0]!.t).map((e) => e.data!.lsn as number);
      expect(rec[0]!.data!.lsn as number).toBeLessThanOrEqual(Math.max(0, ...applied));
      expect(applied).toContain(rec[0]!.data!.lsn); // recovered exactly to a replayed commit
      expect(foldVisible(h).n2).toEqual(finals(h).n2!.data);
      expect(finals(h).n2!.data).toEqual(finals(h).n1!.data);
    }
  });

  it('the primary restarts (no failover) with every flushed commit and keeps serving', () => {
    const ops = Array.from({ length: 20 }, (_, i) => at(1 + i * 2, w(`k${i}`, i)));
    const h = run({ synchronousCommit: 'local', failover: 'none' }, (n) =>
      sim(n, [{ id: 's', ops }], [{ kind: 'crash', atMs: 15, node: 'n1', mode: 'machine', restartAfterMs: 5 }]));
    const f = finals(h);
    for (const e of h) if (e.type === 'ok') for (const op of e.txn) expect(f.n1!.data).toHaveProperty(op.k);
    expect(foldVisible(h).n1).toEqual(f.n1!.data);
    expect(f.n2!.data).toEqual(f.n1!.data);
  });

  it('synchronous_commit=off loses acknowledged commits in a primary OS crash', () => {
    const ops = Array.from({ length: 10 }, (_, i) => at(1 + i * 0.3, w(`k${i}`, i)));
    const h = run({ synchronousCommit: 'off', failover: 'none', walWriterDelayMs: 20 }, (n) =>
      sim(n, [{ id: 's', ops }], [{ kind: 'crash', atMs: 5, node: 'n1', mode: 'machine', restartAfterMs: 5 }]));
    const okKeys = h.flatMap((e) => (e.type === 'ok' ? e.txn.map((op) => op.k) : []));
    expect(okKeys.length).toBeGreaterThan(0);
    expect(okKeys.filter((k) => !(k in finals(h).n1!.data)).length).toBeGreaterThan(0);
    expect(foldVisible(h).n1).toEqual(finals(h).n1!.data);
  });
});

describe('reader-visible planted bugs', () => {
  const slow = { disk: { fsyncLatency: { kind: 'constant', ms: 4 } } } as const;

  it('ack-on-write-not-flush: "on" acknowledges before the standby fsync', () => {
    const cfg = { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (n2)', failover: 'none' };
    const one = (n: string[]) => sim(n, [{ id: 's', ops: [at(1, w('x', 1))] }], [], slow);
    const good = run(cfg, one);
    expect(doneAt(good, 0)).toBeGreaterThan(firstT(good, 'standby.flush', 'n2'));
    const bad = run(cfg, one, 'ack-on-write-not-flush');
    expect(doneAt(bad, 0)).toBeLessThan(firstT(bad, 'standby.flush', 'n2'));
  });

  it('ack-on-write-not-flush: a standby OS crash then loses an acknowledged commit that failover needed', () => {
    const cfg = { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (n2)', nodes: 2 };
    const faults: Fault[] = [
      { kind: 'crash', atMs: 11, node: 'n2', mode: 'machine', restartAfterMs: 1 },
      { kind: 'crash', atMs: 11.5, node: 'n1', mode: 'machine' },
    ];
    const mk = (n: string[]) => sim(n, [{ id: 's', ops: [at(1, w('x', 1)), at(200, w('y', 2))] }], faults, slow);
    const bad = run(cfg, mk, 'ack-on-write-not-flush');
    expect(completion(bad, 0)?.type).toBe('ok');
    const p = Object.entries(finals(bad)).find(([, v]) => v.role === 'primary')![0];
    expect(finals(bad)[p]!.data).not.toHaveProperty('x');
    const good = run(cfg, mk);
    expect(completion(good, 0)?.type).not.toBe('ok');
  });

  it('remote-apply-ack-before-replay: remote_apply acknowledges before the commit is visible on the standby', () => {
    const cfg = { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'FIRST 1 (n2)', failover: 'none', replayMsPerRecord: 3 };
    const mk = (n: string[]) => sim(n, [{ id: 's', policy: 'sticky-standby', ops: [at(1, w('x', 1)), at(1, r('x'))] }]);
    const good = run(cfg, mk);
    expect(okTxn(good, 1)[0]).toMatchObject({ v: 1 });
    const bad = run(cfg, mk, 'remote-apply-ack-before-replay');
    expect(doneAt(bad, 0)).toBeLessThan(firstT(bad, 'apply', 'n2'));
    expect(completion(bad, 1)?.node).toBe('n2');
    expect(okTxn(bad, 1)[0]).toMatchObject({ v: null });
  });

  it('semisync-after-commit-visibility: AFTER_SYNC shows an unacknowledged transaction to other sessions', () => {
    const cut: Fault[] = [{ kind: 'partition', atMs: 0.5, from: ['n1'], to: ['n2', 'n3'], durationMs: 300 }];
    const mk = (n: string[]) => sim(n, [{ id: 'w', ops: [at(1, w('x', 1))] }, { id: 'rd', ops: [at(20, r('x'))] }], cut);
    const cfg = { replication: 'semisync', failover: 'none' };
    expect(readsOf(run(cfg, mk), 'rd')).toEqual([null]);
    expect(readsOf(run(cfg, mk, 'semisync-after-commit-visibility'), 'rd')).toEqual([1]);
  });

  it('expose-in-progress-txn: a standby reader sees a rolled-back and an intermediate value', () => {
    const txns = [
      at(1, { txn: [{ f: 'w', k: 'x', v: 99 }, { f: 'w', k: 'x', v: 100 }], end: 'rollback' as const }),
      at(30, { txn: [{ f: 'w', k: 'x', v: 1 }, { f: 'w', k: 'x', v: 2 }], end: 'commit' as const }),
    ];
    const reads = Array.from({ length: 70 }, (_, i) => at(1 + i, r('x')));
    const mk = (n: string[]) => sim(n, [{ id: 'w', ops: txns }, { id: 'rd', policy: 'sticky-standby', ops: reads }]);
    const cfg = { synchronousCommit: 'local', failover: 'none', replayMsPerRecord: 2 };
    const good = readsOf(run(cfg, mk), 'rd');
    expect(good.filter((v) => v === 99 || v === 100 || v === 1)).toEqual([]);
    const badH = run(cfg, mk, 'expose-in-progress-txn');
    const bad = readsOf(badH, 'rd');
    expect(bad).toContain(99);
    expect(bad).toContain(1);
    expect(foldVisible(badH).n2).toEqual(finals(badH).n2!.data);
  });
});
