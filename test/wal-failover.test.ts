/**
 * WAL model: failure detection, promotion, timelines, fencing, pg_rewind, and
 * the failover-related planted bugs.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import type { Fault } from '../src/sim/types.js';
import { at, completion, events, finals, foldVisible, run, sim, w, type Sess } from './wal-helpers.js';

/** One write per 2 ms to distinct keys k0, k1, … from t=1 ms. */
function writes(n: number, from = 1, every = 2): Sess {
  return { id: 'writer', ops: Array.from({ length: n }, (_, i) => at(from + i * every, w(`k${i}`, i + 1))) };
}

/** Keys whose write was acknowledged ok. */
function acked(h: History): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of h) if (e.type === 'ok') for (const op of e.txn) if (op.f === 'w') out[op.k] = op.v;
  return out;
}

function primaryOf(h: History): string {
  const f = finals(h);
  const ps = Object.entries(f).filter(([, v]) => v.role === 'primary');
  expect(ps).toHaveLength(1);
  return ps[0]![0];
}

function expectConverged(h: History): void {
  const f = finals(h);
  const folded = foldVisible(h);
  const p = primaryOf(h);
  for (const [node, v] of Object.entries(f)) {
    if (node === 'm') continue;
    expect(v.data, `node ${node}`).toEqual(f[p]!.data);
    expect(folded[node] ?? {}, `folded ${node}`).toEqual(v.data);
  }
}

const crashPrimary: Fault[] = [{ kind: 'crash', atMs: 30, node: 'n1', mode: 'machine' }];
const isolatePrimary: Fault[] = [{ kind: 'partition', atMs: 30, from: ['n1'], to: ['n2', 'n3', 'm'], durationMs: 300 }];

describe('failover', () => {
  it('promotes a standby to timeline 2 after the failure-detector timeout; no acknowledged write is lost under sync on', () => {
    const h = run({ synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' }, (n) => sim(n, [writes(120)], crashPrimary));
    const promos = events(h, 'promote');
    expect(promos).toHaveLength(1);
    expect(promos[0]!.data).toMatchObject({ timeline: 2 });
    expect(promos[0]!.t).toBeGreaterThan(30 + 120 - 10); // failoverTimeoutMs after the last heartbeat
    const p = primaryOf(h);
    expect(p).toBe(promos[0]!.node);
    expect(finals(h)[p]!.data).toMatchObject(acked(h));
    expect(h.filter((e) => e.type === 'ok' && e.node === p).length).toBeGreaterThan(0); // writes resumed there
    expectConverged(h);
  });

  it('the restarted old primary recovers, learns the new timeline and rewinds before streaming', () => {
    const h = run({ synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' }, (n) => sim(n, [writes(120)], crashPrimary));
    expect(events(h, 'recover', 'n1').map((e) => e.t > 0)).toEqual([false, true]); // first start, then the restart
    expect(finals(h).n1!.role).toBe('standby');
    expect(finals(h).n1!.positions!.timeline).toBe(2);
  });

  it('local-only commits on an isolated primary are lost on the new timeline and rewound away', () => {
    const h = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(120)], isolatePrimary));
    const lostKeys = Object.keys(acked(h)).filter((k) => !(k in finals(h)[primaryOf(h)]!.data));
    expect(lostKeys.length).toBeGreaterThan(0);
    const rewinds = events(h, 'rewind', 'n1');
    expect(rewinds).toHaveLength(1);
    expect(rewinds[0]!.data).toMatchObject({ timeline: 2 });
    expectConverged(h);
  });

  it('fencing: the isolated primary stops serving when its lease lapses, before the promotion', () => {
    const h = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(120)], isolatePrimary));
    const demote = events(h, 'demote', 'n1')[0]!;
    expect(demote.data).toMatchObject({ reason: 'lease expired' });
    expect(demote.t).toBeLessThan(events(h, 'promote')[0]!.t);
    const lastOkOnN1 = Math.max(...h.filter((e) => e.type === 'ok' && e.node === 'n1').map((e) => e.t));
    expect(lastOkOnN1).toBeLessThanOrEqual(demote.t + 1);
  });

  it('a commit whose synchronous wait is cancelled by demotion is indeterminate (info), never fail', () => {
    const h = run({ synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' }, (n) => sim(n, [writes(120)], isolatePrimary));
    const cancelled = h.filter((e) => e.type === 'info' && /canceling wait/.test(e.reason));
    expect(cancelled.length).toBeGreaterThan(0);
    // A write that fails was queued and never executed: certain not to commit, so its key
    // (each write has its own) is in no node's commit or apply events and no final view.
    const invoked = new Map(h.flatMap((e) => (e.type === 'invoke' ? [[e.op, e] as const] : [])));
    const failedKeys = h.flatMap((e) => (e.type === 'fail' ? invoked.get(e.op)!.req.txn.filter((m) => m.f === 'w').map((m) => m.k) : []));
    expect(failedKeys.length).toBeGreaterThan(0);
    const committedKeys = new Set([...events(h, 'txn.commit'), ...events(h, 'apply')]
      .flatMap((e) => Object.keys((e.data?.['writes'] ?? {}) as Record<string, unknown>)));
    for (const k of Object.keys(acked(h))) expect(committedKeys.has(k), `acknowledged ${k} has a commit event`).toBe(true);
    for (const k of failedKeys) {
      expect(committedKeys.has(k), `failed write of ${k} was committed`).toBe(false);
      for (const [node, v] of Object.entries(finals(h))) expect(v.data[k], `failed write of ${k} on ${node}`).toBeUndefined();
    }
    expect(finals(h)[primaryOf(h)]!.data).toMatchObject(acked(h));
    expectConverged(h);
  });

  it('promotion by priority picks the first named standby among those that answered', () => {
    const h = run({ synchronousCommit: 'local', promotion: 'priority', synchronousStandbyNames: '' }, (n) =>
      sim(n, [writes(120)], crashPrimary));
    expect(events(h, 'promote')[0]!.node).toBe('n2');
  });

  it('no failover when the primary only pauses shorter than the timeout', () => {
    const h = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(30)], [{ kind: 'pause', atMs: 20, node: 'n1', durationMs: 20 }]));
    expect(events(h, 'promote')).toHaveLength(0);
    expectConverged(h);
  });
});

describe('failover planted bugs', () => {
  /** n3 lags: its link from n1 is clogged, so it holds less WAL when n1 dies. */
  const lagN3: Fault[] = [{ kind: 'clog', atMs: 0, from: 'n1', to: 'n3', extraMs: 25, durationMs: 200 }, ...crashPrimary];

  it('promote-lagging-standby: the least advanced standby wins and acknowledged writes vanish', () => {
    const cfg = { synchronousCommit: 'on', synchronousStandbyNames: 'ANY 1 (*)' };
    const good = run(cfg, (n) => sim(n, [writes(120)], lagN3));
    expect(events(good, 'promote')[0]!.node).toBe('n2');
    expect(finals(good)[primaryOf(good)]!.data).toMatchObject(acked(good));
    const bad = run(cfg, (n) => sim(n, [writes(120)], lagN3), 'promote-lagging-standby');
    expect(events(bad, 'promote')[0]!.node).toBe('n3');
    const lost = Object.keys(acked(bad)).filter((k) => !(k in finals(bad)[primaryOf(bad)]!.data));
    expect(lost.length).toBeGreaterThan(0);
  });

  it('no-fencing: the isolated old primary keeps acknowledging writes while a new primary exists (two primaries)', () => {
    const bad = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(160)], isolatePrimary), 'no-fencing');
    const promo = events(bad, 'promote')[0]!;
    const okOnOldAfterPromotion = bad.filter((e) => e.type === 'ok' && e.node === 'n1' && e.t > promo.t);
    expect(okOnOldAfterPromotion.length).toBeGreaterThan(0);
    const lost = Object.keys(acked(bad)).filter((k) => !(k in finals(bad)[primaryOf(bad)]!.data));
    expect(lost.length).toBeGreaterThan(okOnOldAfterPromotion.length - 1);
    const good = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(160)], isolatePrimary));
    expect(good.filter((e) => e.type === 'ok' && e.node === 'n1' && e.t > events(good, 'promote')[0]!.t)).toHaveLength(0);
  });

  it('rejoin-without-rewind: the old primary keeps its divergent commits and never converges', () => {
    const bad = run({ synchronousCommit: 'local' }, (n) => sim(n, [writes(120)], isolatePrimary), 'rejoin-without-rewind');
    expect(events(bad, 'rewind', 'n1')).toHaveLength(0);
    const f = finals(bad);
    expect(f.n1!.data).not.toEqual(f[primaryOf(bad)]!.data);
  });

  it('silent-async-fallback: a synchronous commit is acknowledged with no standby reachable', () => {
    const cut: Fault[] = [{ kind: 'partition', atMs: 0.5, from: ['n1'], to: ['n2', 'n3'], durationMs: 1500 }];
    const cfg = { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', failover: 'none' };
    const one = (n: string[]) => sim(n, [{ id: 's', ops: [at(1, w('x', 1))] }], cut);
    expect(completion(run(cfg, one), 0)?.type).toBe('info');
    const bad = run(cfg, one, 'silent-async-fallback');
    const done = completion(bad, 0)!;
    expect(done.type).toBe('ok');
    expect(done.t).toBeLessThan(events(bad, 'standby.write', 'n2')[0]!.t);
  });
});
