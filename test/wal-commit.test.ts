/**
 * WAL model: shipping, feedback and the ack point of every commit level
 * (PostgreSQL synchronous_commit, FIRST/ANY, MySQL semi-sync wait points).
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import type { Fault } from '../src/sim/types.js';
import { at, doneAt, events, finals, foldVisible, okTxn, r, run, sim, w, completion } from './wal-helpers.js';

const tOf = (h: History, name: string, node: string, pred: (d: Record<string, unknown>) => boolean) =>
  events(h, name, node).find((e) => pred(e.data ?? {}))?.t ?? Infinity;
const lsnOf = (h: History, op: number) => {
  const e = completion(h, op);
  if (!e || e.type !== 'ok' || !e.commit) throw new Error(`op ${op}: no commit`);
  return e.commit.lsn;
};
/** Standby fsyncs and replay slow enough that write < flush < replay are far apart. */
const slow = { disk: { fsyncLatency: { kind: 'constant', ms: 4 } } } as const;

describe('wal shipping and feedback', () => {
  const h = run({ synchronousCommit: 'local', failover: 'none' }, (n) =>
    sim(n, [{ id: 's', ops: [at(1, w('x', 1)), at(2, w('y', 2)), at(3, { txn: [{ f: 'w', k: 'x', v: 3 }, { f: 'w', k: 'z', v: 4 }], end: 'commit' }), at(60, r('x'))] }]),
  );

  it('every standby goes through write → flush → replay for each shipped position', () => {
    for (const node of ['n2', 'n3']) {
      const lsn = lsnOf(h, 2);
      const tw = tOf(h, 'standby.write', node, (d) => (d.lsn as number) >= lsn);
      const tf = tOf(h, 'standby.flush', node, (d) => (d.lsn as number) >= lsn);
      const tr = tOf(h, 'standby.replay', node, (d) => (d.lsn as number) >= lsn);
      expect(tw).toBeLessThan(Infinity);
      expect(tw).toBeLessThanOrEqual(tf);
      expect(tf).toBeLessThanOrEqual(tr);
    }
  });

  it('all nodes converge and each view equals its folded visible log', () => {
    const f = finals(h);
    const folded = foldVisible(h);
    for (const node of ['n1', 'n2', 'n3']) {
      expect(f[node]!.data).toEqual({ x: 3, y: 2, z: 4 });
      expect(folded[node]).toEqual(f[node]!.data);
    }
  });

  it('standbys report write, flush and replay progress to the primary, and stay silent when idle', () => {
    const lsn = lsnOf(h, 2);
    const reports = events(h, 'standby.report', 'n1');
    for (const from of ['n2', 'n3']) {
      const mine = reports.filter((e) => e.data!.from === from);
      expect(mine.some((e) => e.data!.write === lsn && (e.data!.flush as number) < lsn)).toBe(true);
      expect(mine.at(-1)!.data).toMatchObject({ write: lsn, flush: lsn, replay: lsn });
    }
    const settled = Math.max(...reports.map((e) => e.t));
    expect(reports.filter((e) => e.t > 30 && e.t < 60)).toHaveLength(0);
    expect(settled).toBeLessThan(30);
  });

  it('a multi-write transaction becomes visible on a standby in one apply', () => {
    const applies = events(h, 'apply', 'n2').filter((e) => (e.data!.lsn as number) === lsnOf(h, 2));
    expect(applies).toHaveLength(1);
    expect(applies[0]!.data!.writes).toEqual({ x: 3, z: 4 });
  });
});

describe('ack point of each synchronous_commit level', () => {
  const one = (level: string, names = 'FIRST 1 (n2)', extra: Record<string, unknown> = {}) =>
    run({ synchronousCommit: level, synchronousStandbyNames: names, failover: 'none', replayMsPerRecord: 3, ...extra }, (n) =>
      sim(n, [{ id: 's', ops: [at(1, w('x', 1))] }], [], slow),
    );

  it('off acknowledges before the local flush', () => {
    const h = one('off');
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'wal.flush', 'n1', (d) => (d.lsn as number) >= 3));
  });

  it('local acknowledges after the local flush, before any standby has the WAL', () => {
    const h = one('local');
    expect(doneAt(h, 0)).toBeGreaterThanOrEqual(tOf(h, 'wal.flush', 'n1', (d) => (d.lsn as number) >= 3));
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'standby.write', 'n2', (d) => (d.lsn as number) >= 3));
  });

  it('remote_write acknowledges after the standby wrote, before it flushed', () => {
    const h = one('remote_write');
    expect(doneAt(h, 0)).toBeGreaterThan(tOf(h, 'standby.write', 'n2', (d) => (d.lsn as number) >= 3));
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'standby.flush', 'n2', (d) => (d.lsn as number) >= 3));
  });

  it('on acknowledges after the standby flushed, before it replayed', () => {
    const h = one('on');
    expect(doneAt(h, 0)).toBeGreaterThan(tOf(h, 'standby.flush', 'n2', (d) => (d.lsn as number) >= 3));
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'apply', 'n2', (d) => (d.lsn as number) >= 3));
  });

  it('remote_apply acknowledges only after the commit is visible on the standby', () => {
    const h = one('remote_apply');
    expect(doneAt(h, 0)).toBeGreaterThan(tOf(h, 'apply', 'n2', (d) => (d.lsn as number) >= 3));
  });

  it('the primary shows a synchronous commit to other sessions only when it is acknowledged', () => {
    const h = one('on');
    expect(tOf(h, 'txn.commit', 'n1', () => true)).toBeGreaterThan(tOf(h, 'standby.flush', 'n2', () => true));
  });

  it('with no synchronous standby names, on behaves like local', () => {
    const h = one('on', '');
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'standby.write', 'n2', () => true));
  });

  const crashN2: Fault[] = [{ kind: 'crash', atMs: 0.5, node: 'n2', mode: 'machine' }];
  const withFault = (names: string) =>
    run({ synchronousCommit: 'on', synchronousStandbyNames: names, failover: 'none' }, (n) =>
      sim(n, [{ id: 's', ops: [at(1, w('x', 1))] }], crashN2),
    );

  it('FIRST 1 (n2, n3) falls to the next priority standby when n2 is down', () => {
    const h = withFault('FIRST 1 (n2, n3)');
    expect(completion(h, 0)?.type).toBe('ok');
    expect(doneAt(h, 0)).toBeGreaterThan(tOf(h, 'standby.flush', 'n3', () => true));
  });

  it('FIRST 2 (n2, n3) and ANY 2 wait while a named standby is down', () => {
    for (const names of ['FIRST 2 (n2, n3)', 'ANY 2 (n2, n3)']) {
      const h = withFault(names);
      expect(completion(h, 0)?.type).toBe('info'); // client timeout: still waiting, may commit later
    }
  });

  it('ANY 1 (n2, n3) acknowledges on the first standby that flushed', () => {
    const h = withFault('ANY 1 (n2, n3)');
    expect(completion(h, 0)?.type).toBe('ok');
  });
});

describe('MySQL semi-sync', () => {
  const cut: Fault[] = [{ kind: 'partition', atMs: 0.5, from: ['n1'], to: ['n2', 'n3'], durationMs: 300 }];
  const scenario = (extra: Record<string, unknown>, bug?: string) =>
    run({ replication: 'semisync', failover: 'none', ...extra }, (n) =>
      sim(n, [{ id: 'writer', ops: [at(1, w('x', 1))] }, { id: 'reader', ops: [at(20, r('x'))] }], cut), bug);

  it('AFTER_SYNC hides the transaction from other sessions until a replica acknowledges', () => {
    const h = scenario({ semisyncWaitPoint: 'AFTER_SYNC' });
    expect(okTxn(h, 1)[0]).toMatchObject({ v: null });
  });

  it('AFTER_COMMIT shows it to other sessions before the acknowledgement', () => {
    const h = scenario({ semisyncWaitPoint: 'AFTER_COMMIT' });
    expect(okTxn(h, 1)[0]).toMatchObject({ v: 1 });
    expect(doneAt(h, 1)).toBeLessThan(doneAt(h, 0) === Infinity ? Infinity : doneAt(h, 0));
  });

  it('rpl_semi_sync_source_timeout: the wait times out and the commit succeeds asynchronously', () => {
    const h = scenario({ semisyncTimeoutMs: 50 });
    expect(completion(h, 0)?.type).toBe('ok');
    expect(events(h, 'semisync.off', 'n1')).toHaveLength(1);
    expect(doneAt(h, 0)).toBeLessThan(tOf(h, 'standby.write', 'n2', () => true));
    expect(events(h, 'semisync.on', 'n1').length).toBeGreaterThan(0); // back on once a replica caught up
  });

  it('semisyncAcks = 2 waits for both replicas', () => {
    const h = run({ replication: 'semisync', semisyncAcks: 2, failover: 'none' }, (n) =>
      sim(n, [{ id: 'w', ops: [at(1, w('x', 1))] }], [{ kind: 'crash', atMs: 0.5, node: 'n3', mode: 'machine' }]));
    expect(completion(h, 0)?.type).toBe('info');
  });
});

describe('rollback', () => {
  it('a ROLLBACK replies ok, is logged as aborted and is never visible anywhere', () => {
    const h = run({ synchronousCommit: 'on', synchronousStandbyNames: 'ANY 1 (*)' }, (n) =>
      sim(n, [{ id: 's', ops: [at(1, { txn: [{ f: 'w', k: 'x', v: 7 }, { f: 'r', k: 'x' }], end: 'rollback' }), at(5, r('x'))] }]),
    );
    expect(okTxn(h, 0)[1]).toMatchObject({ v: 7 }); // the transaction saw its own write
    expect(events(h, 'txn.abort', 'n1')).toHaveLength(1);
    expect(okTxn(h, 1)[0]).toMatchObject({ v: null });
    for (const e of [...events(h, 'apply'), ...events(h, 'txn.commit')]) expect(e.data!.writes).not.toHaveProperty('x');
    for (const v of Object.values(finals(h))) expect(v.data).toEqual({});
  });
});
