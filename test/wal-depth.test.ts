/**
 * Where PostgreSQL and MySQL really misbehave, as the wal model now does by default
 * (issue 13): in-doubt commits, visibility order against WAL order, streaming-only
 * synchronous standbys, explicit rewind, MIXED binlog format.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sim/types.js';
import type { History } from '../src/history/types.js';
import { checkNoLongFork } from '../src/check/long-fork.js';
import { walModel } from '../models/wal/index.js';
import { injectedFaultKinds } from '../src/history/ops.js';
import { at, completion, events, finals, r, run, sim, w } from './wal-helpers.js';

const SYNC_ON = { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', nodes: 2 };

describe('statement_timeout cancels a synchronous wait', () => {
  const cut: Fault[] = [{ kind: 'partition', atMs: 5, from: ['n1'], to: ['n2'], durationMs: 200 }];
  const history = (bug?: string): History =>
    run({ ...SYNC_ON, statementTimeoutMs: 50, failover: 'none' }, (n) =>
      sim(n, [{ id: 'writer', ops: [at(10, w('k1', 'v1'))] }, { id: 'reader', ops: [at(80, r('k1'))] }], cut), bug);

  it('the commit stays, visible, and COMMIT succeeds with the WARNING as a notice (what drivers report)', () => {
    const h = history();
    expect(completion(h, 0)).toMatchObject({ type: 'ok', txn: [{ k: 'k1', v: 'v1' }] });
    expect(completion(h, 1)).toMatchObject({ type: 'ok', txn: [{ k: 'k1', v: 'v1' }] });
    const cancel = events(h, 'syncrep.cancel', 'n1');
    expect(cancel).toHaveLength(1);
    expect(JSON.stringify(cancel[0])).toMatch(/canceling wait for synchronous replication.*already committed locally/);
  });

  it('planted bug sync-cancel-reported-as-rollback: the same commit is reported failed, and read', () => {
    const h = history('sync-cancel-reported-as-rollback');
    expect(completion(h, 0)).toMatchObject({ type: 'fail' });
    expect(completion(h, 1)).toMatchObject({ type: 'ok', txn: [{ k: 'k1', v: 'v1' }] });
  });

  it('no lossless-failover claim with a statement_timeout: a cancelled commit may be on no standby', () => {
    const ids = walModel.claims(walModel.configure({ ...SYNC_ON, statementTimeoutMs: 50 })).map((c) => c.id);
    expect(ids).not.toContain('lossless-failover');
    // COMMIT succeeds after the cancel, so through failover it is as durable as async.
    expect(ids).not.toContain('durability');
    const noFailover = walModel.claims(walModel.configure({ ...SYNC_ON, statementTimeoutMs: 50, failover: 'none' })).map((c) => c.id);
    expect(noFailover).toContain('durability');
  });
});

describe('long fork', () => {
  const rr = { txn: [{ f: 'r' as const, k: 'k1' }, { f: 'r' as const, k: 'k2' }], end: 'commit' as const };
  /** Two commits on different keys, and readers of both keys on the primary and the standby every 0.25 ms. */
  const history = (extra: Record<string, unknown>, bug?: string): History =>
    run({ synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none', nodes: 2, procArrayDelayMs: 0, ...extra }, (n) => {
      const readers = [];
      for (let t = 2; t < 14; t += 0.25) {
        readers.push({ id: `p${t}`, policy: 'primary' as const, ops: [at(t, rr)] });
        readers.push({ id: `q${t}`, policy: 'sticky-standby' as const, ops: [at(t, rr)] });
      }
      return sim(n, [{ id: 'a', ops: [at(1, w('k1', 'a1'))] }, { id: 'b', ops: [at(3, w('k2', 'b1'))] }, ...readers]);
    }, bug);

  it('the checker has teeth: a standby applying out of commit order forks from the primary readers', () => {
    const h = history({}, 'apply-ignores-commit-order');
    const v = checkNoLongFork(h);
    expect(v.length).toBeGreaterThan(0);
    expect(v[0]!.sentence).toMatch(/long fork: .* the two readers saw ops 0 and \d+ in opposite orders/);
    expect(new Set((v[0]!.data as { nodes: string[] }).nodes)).toEqual(new Set(['n1', 'n2']));
  });

  it('commits shown in WAL order everywhere: no fork among the same readers', () => {
    expect(checkNoLongFork(history({}))).toEqual([]);
  });

  it('the claim: made only where the primary shows commits in WAL order and no failover discards a branch', () => {
    const claimed = (raw: Record<string, unknown>) => walModel.claims(walModel.configure(raw)).some((c) => c.id === 'no-long-fork');
    expect(claimed({ synchronousCommit: 'local', failover: 'none', procArrayDelayMs: 0 })).toBe(true);
    expect(claimed({ synchronousCommit: 'local', failover: 'none' })).toBe(false); // PostgreSQL's default
    expect(claimed({ synchronousCommit: 'local', procArrayDelayMs: 0 })).toBe(false); // failover
  });
});

describe('rewind', () => {
  const isolate: Fault[] = [{ kind: 'partition', atMs: 20, from: ['n1'], to: ['n2', 'n3', 'm'], durationMs: 300 }];
  const history = (rewind: 'auto' | 'manual'): History =>
    run({ synchronousCommit: 'local', synchronousStandbyNames: '', rewind }, (n) =>
      sim(n, [{ id: 's', ops: [at(25, w('k1', 'lost')), at(400, w('k2', 'after'))] }], isolate));

  it("manual (plain PostgreSQL): the old primary refuses the new timeline until the operator's pg_rewind, then converges", () => {
    const h = history('manual');
    const refused = events(h, 'rewind.refused', 'n1');
    const rewound = events(h, 'rewind', 'n1');
    expect(refused.length).toBeGreaterThan(0);
    expect(rewound.length).toBeGreaterThan(0);
    expect(rewound[0]!.t - refused[0]!.t).toBeGreaterThanOrEqual(100);
    expect(finals(h)['n1']!.data).toEqual(finals(h)['n2']!.data);
  });

  it('auto (Patroni use_pg_rewind): pg_rewind runs at once', () => {
    const h = history('auto');
    expect(events(h, 'rewind.refused')).toEqual([]);
    expect(events(h, 'rewind', 'n1').length).toBeGreaterThan(0);
  });
});

describe('statement shipping (MySQL binlog_format)', () => {
  const history = (shipping: string, bug?: string): History =>
    run({ synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', failover: 'none', nodes: 2, shipping, randomFunction: 'UUID()', timeFunction: 'SYSDATE()' }, (n) =>
      sim(n, [{ id: 's', ops: [at(1, { txn: [{ f: 'rand', k: 'k1' }, { f: 'now', k: 'k2' }], end: 'commit' })] }],
        [], { clocks: { n2: { offsetMs: 180_000, driftPpm: 0 } } }), bug);

  it('MIXED logs UUID() and SYSDATE() as row images: the replica converges', () => {
    const f = finals(history('mixed'));
    expect(f['n2']!.data).toEqual(f['n1']!.data);
  });

  it('STATEMENT logs them with a warning and the replica computes its own; planted bug: MIXED does the same', () => {
    const h = history('statement');
    expect(events(h, 'binlog.unsafe', 'n1').map((e) => (e.data as { fn: string }).fn).sort()).toEqual(['sysdate', 'uuid']);
    expect(finals(h)['n2']!.data['k1']).not.toEqual(finals(h)['n1']!.data['k1']);
    const bugged = finals(history('mixed', 'mixed-logs-unsafe-as-statement'));
    expect(bugged['n2']!.data['k1']).not.toEqual(bugged['n1']!.data['k1']);
  });

  it('claims: convergence is not claimed for STATEMENT with unsafe functions, and is for MIXED', () => {
    const ids = (shipping: string) => walModel.claims(walModel.configure({ shipping, randomFunction: 'UUID()' })).map((c) => c.id);
    expect(ids('statement')).not.toContain('convergence');
    expect(ids('mixed')).toContain('convergence');
  });
});

describe('fault kinds name the crashed node', () => {
  it("a crash of the node clients write to is '@primary', of another '@replica'", () => {
    const h = run({ synchronousCommit: 'remote_write', synchronousStandbyNames: 'FIRST 1 (*)', failover: 'none' }, (n) =>
      sim(n, [{ id: 's', ops: [at(1, w('k1', 1))] }], [
        { kind: 'crash', atMs: 10, node: 'n1', mode: 'machine', restartAfterMs: 5 },
        { kind: 'crash', atMs: 30, node: 'n2', mode: 'machine', restartAfterMs: 5 },
      ]));
    const kinds = injectedFaultKinds(h).map((f) => f.kinds);
    expect(kinds[0]).toEqual(expect.arrayContaining(['crash:machine', 'crash:machine@primary', 'crash@primary']));
    expect(kinds[1]).toEqual(expect.arrayContaining(['crash:machine', 'crash:machine@replica']));
    // remote_write: the primary fsynced before acknowledging, the standby only wrote to its OS cache.
    const t = walModel.claims(walModel.configure({ synchronousCommit: 'remote_write', synchronousStandbyNames: 'FIRST 1 (*)' })).find((c) => c.id === 'durability')!.tolerates!;
    expect(t).toContain('crash:machine@primary');
    expect(t).not.toContain('crash:machine');
  });
});
