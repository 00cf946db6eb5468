/**
 * Online migration: the correct mover moves a live source to the target with
 * nothing lost, duplicated or invisible after the switch — also across crashes
 * and partitions — and the planted cut-over bug is caught on the same run.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, History, ModelEventEntry, TimedRequest, Verdict } from '../src/analysis.js';
import { decodeToken, judgeScenario, parseScenario, scenarioSize, simulate } from '../src/analysis.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { checkMigration, type MigrationGuaranteeId } from '../src/check/migration.js';
import { migrationModel } from '../models/migration/index.js';
import { at, del, inc, r, simConfig, w } from '../models/cdc/testkit.js';
import { withoutEvents } from './helpers/suppress-events.js';

function run(raw: Record<string, unknown>, ops: TimedRequest[], faults: Fault[] = [], bug?: string,
  moreSessions: TimedRequest[][] = []): { history: History; ids: string[] } {
  const config = migrationModel.configure(raw, bug);
  const sim = simConfig({ nodes: migrationModel.nodes(config), ops, faults, moreSessions });
  const { history } = simulate({ model: migrationModel, config, sim, ...(bug ? { bug } : {}) });
  const claims = migrationModel.claims(config, bug).map((c) => c.id) as MigrationGuaranteeId[];
  return { history, ids: checkMigration(history, claims).map((v) => v.guarantee) };
}

/**
 * Writes every 0.3 ms (with increments, deletes and reads) so the source's queue
 * is busy at the freeze, then a read of every key well after the switch.
 */
function busyWorkload(n: number): TimedRequest[] {
  const writes = Array.from({ length: n }, (_, i) => {
    const op = i % 5 === 4 ? r(`row${i % 3}`) : i % 4 === 0 ? inc('n', 1) : i % 7 === 6 ? del(`row${i % 6}`) : w(`row${i % 6}`, `v${i}`);
    return at(i * 0.3, op);
  });
  const reads = ['n', 'row0', 'row1', 'row2', 'row3', 'row4', 'row5'].map((k) => at(150, r(k)));
  return [...writes, ...reads];
}

describe('migration', () => {
  it('moves a busy source to the target and switches routing', () => {
    const { history, ids } = run({ lagMax: 8, startAtMs: 2 }, busyWorkload(60));
    expect(ids).toEqual([]);
    const verify = history.find((e) => e.type === 'event' && e.name === 'migration.verify');
    expect(verify?.type === 'event' && verify.data?.['equal']).toBe(true);
    const servedByTarget = history.filter((e) => e.type === 'ok' && e.node === 'new').length;
    expect(servedByTarget).toBeGreaterThan(0);
  });

  it('survives a mover crash, a target crash and a partition during the move', () => {
    const faults: Fault[] = [
      { kind: 'crash', atMs: 6, node: 'mover', mode: 'machine', restartAfterMs: 5 },
      { kind: 'crash', atMs: 12, node: 'new', mode: 'process', restartAfterMs: 3 },
      { kind: 'partition', atMs: 14, from: ['old'], to: ['mover'], durationMs: 8 },
    ];
    expect(run({ lagMax: 8, startAtMs: 2 }, busyWorkload(60), faults).ids).toEqual([]);
  });

  it('a long partition of the source does not multiply the mover\'s retries, and the move completes after it heals', () => {
    // Each stream break used to resend at once, which broke the new stream too: traffic doubled per break.
    const faults: Fault[] = [
      { kind: 'partition', atMs: 21, from: ['old'], to: ['new', 'mover'], durationMs: 900 },
      { kind: 'partition', atMs: 198, from: ['old'], to: ['new', 'mover'], durationMs: 274 },
    ];
    const config = migrationModel.configure({});
    const network = { defaultLink: { latency: { kind: 'constant' as const, ms: 0.1 }, lossRate: 0, dupRate: 0 } };
    const sim = simConfig({ nodes: migrationModel.nodes(config), ops: [at(0, r('k1')), at(1000, w('k1', 'after'))], faults, network, fsyncMs: 9, seed: 0 });
    const { history, events } = simulate({ model: migrationModel, config, sim });
    expect(events).toBeLessThan(200_000);
    expect(history.some((e) => e.type === 'event' && e.name === 'migration.verify' && e.data?.['equal'] === true)).toBe(true);
    expect(checkMigration(history)).toEqual([]);
  });

  it('cutover-drops-inflight: writes committed just before the freeze are missing at the switch', () => {
    // Four writers, each key written once, keep the source's queue deep around
    // the freeze; a reader reads every key well after the switch.
    const writers = [0, 1, 2, 3].map((s) => Array.from({ length: 30 }, (_, j) => at(j * 0.3, w(`k${s}_${j}`, `v${s}_${j}`))));
    const reader = writers.flatMap((ops) => ops.map((o) => at(300, r(o.req.txn[0]!.k))));
    const [first, ...rest] = [reader, ...writers];
    expect(run({ lagMax: 8, startAtMs: 2, chunkSize: 16 }, first!, [], undefined, rest).ids).toEqual([]);
    const bad = run({ lagMax: 8, startAtMs: 2, chunkSize: 16 }, first!, [], 'cutover-drops-inflight', rest).ids;
    expect(bad).toContain('migration-target-equals-source');
    expect(bad).toContain('migration-no-loss');
  });

  it('dual-write cut-over: writes never pause, each commit after D is mirrored before its ack, and the move passes', () => {
    const { history, ids } = run({ lagMax: 8, startAtMs: 2, cutover: 'dual-write' }, busyWorkload(60));
    expect(ids).toEqual([]);
    const named = (n: string) => history.filter((e) => e.type === 'event' && e.name === n);
    expect(named('migration.dual')).toHaveLength(1);
    expect(named('migration.freeze')).toHaveLength(0);
    expect(named('migration.apply').some((e) => e.type === 'event' && e.data?.['dual'] === true)).toBe(true);
    expect(history.some((e) => e.type === 'fail' && /read-only/.test(e.error))).toBe(false);
    const verify = named('migration.verify')[0];
    expect(verify?.type === 'event' && verify.data?.['equal']).toBe(true);
    // The switch position is past D: mirrored commits count.
    const dual = named('migration.dual')[0]!;
    const cut = named('migration.cutover')[0]!;
    expect(Number(cut.type === 'event' && cut.data?.['freezeLsn'])).toBeGreaterThan(Number(dual.type === 'event' && dual.data?.['lsn']));
  });

  it('dual-write cut-over survives a target crash and a source↔target partition while mirroring', () => {
    const faults: Fault[] = [
      { kind: 'crash', atMs: 10, node: 'new', mode: 'machine', restartAfterMs: 4 },
      { kind: 'partition', atMs: 16, from: ['old'], to: ['new'], durationMs: 6 },
      { kind: 'crash', atMs: 18, node: 'old', mode: 'process', restartAfterMs: 3 },
    ];
    expect(run({ lagMax: 8, startAtMs: 2, cutover: 'dual-write' }, busyWorkload(60), faults).ids).toEqual([]);
  });

  it('cutover-drops-inflight is caught with dual writes too (the stream not drained up to D)', () => {
    const writers = [0, 1, 2, 3].map((s) => Array.from({ length: 30 }, (_, j) => at(j * 0.3, w(`k${s}_${j}`, `v${s}_${j}`))));
    const reader = writers.flatMap((ops) => ops.map((o) => at(300, r(o.req.txn[0]!.k))));
    const [first, ...rest] = [reader, ...writers];
    const cfg = { lagMax: 8, startAtMs: 2, chunkSize: 16, cutover: 'dual-write' };
    expect(run(cfg, first!, [], undefined, rest).ids).toEqual([]);
    expect(run(cfg, first!, [], 'cutover-drops-inflight', rest).ids).toContain('migration-target-equals-source');
  });

  it('rejects bad configuration with a clear message', () => {
    expect(() => migrationModel.configure({ chunkSize: 0 })).toThrow(/chunkSize/);
    expect(() => migrationModel.configure({ speed: 1 })).toThrow(/unknown option 'speed'/);
    expect(() => migrationModel.configure({ cutover: 'dual' })).toThrow(/'cutover' must be 'freeze' or 'dual-write', got "dual"/);
    expect(() => migrationModel.configure({}, 'nope')).toThrow(/unknown bug 'nope'/);
  });
});

/**
 * The planted bugs as the untuned search found them (`replicheck run migration
 * --bug B --seed 1`, default budget) and shrank them: each token replays the
 * shrunk counterexample. The bug breaks a claimed guarantee, the correct model
 * passes the same scenario, the counterexample stays small, and the run still
 * holds the situation the bug is about (so a changed simulator cannot make
 * this pass vacuously).
 */
const SHRUNK: Record<string, { token: string; guarantee: MigrationGuaranteeId }> = {
  'dual-write-partial-failure': { guarantee: 'migration-no-loss', token: 'rc1:VZDNTsMwEITfZc4OakQDxUe4woVrlYNJNpUV2xvsTUNV-d2R3QqJm_fH38zOFZ5HctDw9hSNWA5QGDhM9gR9xbAKnylCY1yNa7ZohaBq8UoTR3rj5QItcaWs8LWe_m02i4lijWsmY90ay89ENEK3h93-qeue25fSSclySNDHK-wIjdRCYWFnhws0lmi9iRco8HJbMvKRoB87hUjfxaX8hDqYoLFBYYbGXCDnSmta5F6BQoEP7L0V5NyX3mRWJzfqbOu8Wr7ncBPatwpTZA99BLsRvYJwKQIVMV8DqrRAsnGci6WRKvrdhlo6IxTKOX86A4ckJkghFJGHQ1ZwnNKnEYLelZCX-zvn_As' },
  'verify-races-live-writes': { guarantee: 'migration-no-loss', token: 'rc1:rdI9T8QwDAbg__LO6Yn7rMjAAOuxsKIbQuOerKZJSdKWqsp_R-ndiARI3WI7fvQOntE6TQYSLV-9iuwsBCpna75Czqj66AbykNC9MsXoORLEUjxT7Ty9uG6CjL6nJPDRXyExkOd6KryqKBSGB7qtBQgEIg15LHeHw2lfPuZGCOxsgHyfwRoSYQuBzhmuJkh0nlvlJwi47vZJxdcA-SDg6TMnjF926deQGCHQQKLJxrBgxRbpIkA225VrW45ISfzf2a3k7FdyDis5x5Wc00pO-ZNzyb1a9SbmI7gIWIqj800GNS2DM9ulNCqSzbczo-G7YkNUNkKgzVE22yRgXAhvKtISTffd_Z0nbJuQ153RxZOl8U_qbnNMKSUBzWHJUYfJVuff1srNKaX0DQ' },
  'backfill-overwrites-newer': { guarantee: 'migration-target-equals-source', token: 'rc1:jZG7buMwEEX_5daUYRkIsGCxRdLuNmkXLmhp5AzE15KjyIahf18MvQkCJEVYzYP3cO7whpBG8rAIfC5OOEUYDClOfIa9YVgkvVKBxbg4362FhWBa8khTKvSU8hVWykKbwWk5w-Lkhnli7ztVNkXtIq1UYFCJRti9BrVyihX2zw08wqL2MMjJ83CFRS4cXLnCIOX7JSe_a5MW-qujySW2-gSLFQYzLGZlvDZY12M7GlBU9pBCYMG2mTfOof826PAV6Ki1yS1edLqjQSRZU5kVOFJr_OLYUu-Eopq6YeZGCXyRpegisytyt7cSn18E9sfeYOQqH64vkadUAgwCx7aEXW8Q3EXjfvfQbL3pD5_12RWSpNsfnKd3QH1xmRTQGwwua_1hr84MfKr12Qm1fY9L_h9rh-NclR30d7ufyY9fexxSrOKi6NT3Fzc9_wA' },
  'cutover-during-lag': { guarantee: 'migration-read-after-cutover', token: 'rc1:ldHBbtswDAbgd_nPcmA7hefqUKD37tJrkYNmMZ5gmfIkuWkQ6N0Huh12WBBkN4qUPlLSBXOw5KExuzGa7AJDYQh8dCP0BSmbmJ_z9wTd1UXhxzpCY1hzeKdY2TU6HitvRigkIgvd9G3fd3Xf1pJJyQVO0G8XOAuN1EBhCd4NZ2gs0c0mnqEQls9N5rNTqxDpl_TPH7wVjtA4QWGCxiTI-6ZVDcpBgVjwIcyzyyhF_YGaurtbam9LTX23tL8t7e-f6eG21D1eleJf6crxg-SOZvVZnvygwJRPIU6iWNoKL463pTeZWH7qgsltymIi5SCfPRhP2xC7bwrpp1lI4l5hMIvk901XFHxI6dVkgq4V7Lp8xVJxPCWRg7fVE9PpekP6WAITZ2c8FGYyLHi9axVmt8VNKXKHU_UUvP0f5EGm_ULqUoSxLm0XP6YzDy__OEPglA1nQRL0464vpfwG' },
};

function replayShrunk(bug: string): { bad: Verdict; clean: Verdict; size: { ops: number; faults: number } } {
  const entry = BUILTIN_MODELS['migration']!;
  const scenario = parseScenario(decodeToken(SHRUNK[bug]!.token));
  expect(scenario.bug).toBe(bug);
  const { bug: _planted, ...clean } = scenario;
  return { bad: judgeScenario(entry.model, scenario), clean: judgeScenario(entry.model, clean), size: scenarioSize(scenario) };
}

function named(h: History, name: string, node?: string): ModelEventEntry[] {
  return h.filter((e): e is ModelEventEntry => e.type === 'event' && e.name === name && (node === undefined || e.node === node));
}

describe('migration planted bugs: the untuned search\'s shrunk counterexamples', () => {
  it('every planted bug has a shrunk counterexample here', () => {
    expect(Object.keys(SHRUNK).sort()).toEqual(migrationModel.bugs.map((b) => b.name).filter((b) => b !== 'cutover-drops-inflight').sort());
  });

  for (const bug of Object.keys(SHRUNK)) {
    it(`${bug}: caught, small, and the correct model passes the same scenario`, () => {
      const { bad, clean, size } = replayShrunk(bug);
      expect(bad.failure).toBeUndefined();
      expect(bad.violations.map((v) => v.guarantee)).toContain(SHRUNK[bug]!.guarantee);
      expect(size.ops).toBeLessThanOrEqual(12);
      expect(size.faults).toBeLessThanOrEqual(3);
      expect(clean.failure).toBeUndefined();
      expect(clean.violations.map((v) => v.sentence)).toEqual([]);
      expect(named(clean.run!.history, 'migration.verify')[0]?.data?.['equal']).toBe(true);
    });
  }

  it('dual-write-partial-failure: the source acknowledged a write past the switch position; the correct source retires instead', () => {
    const { bad, clean } = replayShrunk('dual-write-partial-failure');
    const f = (v: Verdict): number => Number(named(v.run!.history, 'migration.cutover')[0]?.data?.['freezeLsn']);
    const acked = (v: Verdict): number[] => v.run!.history.flatMap((e) => (e.type === 'ok' && e.node === 'old' && e.commit ? [e.commit.lsn] : []));
    expect(Math.max(...acked(bad))).toBeGreaterThan(f(bad));
    expect(acked(clean).every((l) => l <= f(clean))).toBe(true);
  });

  it('verify-races-live-writes: after the switch the target took a client write, then the resync overwrote it', () => {
    const h = replayShrunk('verify-races-live-writes').bad.run!.history;
    const cut = named(h, 'migration.cutover')[0]!;
    const commits = named(h, 'txn.commit', 'new').filter((e) => e.t > cut.t);
    const resync = named(h, 'migration.apply', 'new').filter((e) => e.t > cut.t);
    expect(commits.length).toBeGreaterThan(0);
    expect(resync.length).toBeGreaterThan(0);
    expect(resync[0]!.t).toBeGreaterThan(commits[0]!.t);
  });

  it('backfill-overwrites-newer: a copied row older than the key\'s live row replaced it', () => {
    const h = replayShrunk('backfill-overwrites-newer').bad.run!.history;
    const newest = new Map<string, number>();
    let regressed = false;
    for (const e of named(h, 'migration.apply', 'new')) {
      for (const [k, l] of Object.entries((e.data?.['lsns'] ?? {}) as Record<string, number>)) {
        if (l < (newest.get(k) ?? -1)) regressed = true;
        newest.set(k, Math.max(l, newest.get(k) ?? -1));
      }
    }
    expect(regressed).toBe(true);
  });

  it('cutover-during-lag: the target served a read before its switch, while the source took writes', () => {
    const h = replayShrunk('cutover-during-lag').bad.run!.history;
    const cut = named(h, 'migration.cutover')[0]!;
    const earlyReads = h.filter((e) => e.type === 'ok' && e.node === 'new' && e.t < cut.t);
    expect(earlyReads.length).toBeGreaterThan(0);
    const clean = replayShrunk('cutover-during-lag').clean.run!.history;
    const cleanCut = named(clean, 'migration.cutover')[0]!;
    expect(clean.some((e) => e.type === 'ok' && e.node === 'new' && e.t < cleanCut.t)).toBe(false);
  });
});

/** Every event by which the source or the target describes what it holds (as in meta-silent-bugs.slow.test.ts). */
const SILENT = ['migration.apply', 'migration.recover', 'migration.verify', 'txn.commit', 'recover'];

/**
 * verify-races-live-writes' shrunk counterexample is left out: the target's
 * write that the resync overwrote (s1-7) was invoked in the very millisecond
 * the source acknowledged the value that replaced it (s1-6), so by real time
 * alone s1-6 may follow s1-7 (evidence.ts's precedence is strict) and only the
 * events order them. The test below checks that tie; the slow meta-test
 * (meta-silent-bugs) catches the bug silent in its other runs.
 */
const TIED = 'verify-races-live-writes';

describe('migration planted bugs are caught from what clients saw and the final views alone', () => {
  it(`${TIED}: the shrunk counterexample's lost write was invoked when the overwriting one was acknowledged`, () => {
    const ok = replayShrunk(TIED).bad.run!.history.filter((e) => e.type === 'ok' || e.type === 'invoke');
    const lost = ok.find((e) => e.type === 'invoke' && e.node === 'new' && e.req.txn.some((m) => m.f === 'w'));
    expect(lost).toBeDefined();
    expect(ok.some((e) => e.type === 'ok' && e.node === 'old' && e.t === lost!.t)).toBe(true);
  });

  for (const bug of Object.keys(SHRUNK).filter((b) => b !== TIED)) {
    it(`${bug}: the shrunk counterexample with the nodes silent about their state`, () => {
      const silent = withoutEvents(BUILTIN_MODELS['migration']!.model, SILENT);
      const scenario = parseScenario(decodeToken(SHRUNK[bug]!.token));
      const bad = judgeScenario(silent, scenario);
      expect(bad.failure).toBeUndefined();
      expect(named(bad.run!.history, 'migration.apply')).toEqual([]);
      expect(bad.violations.map((v) => v.data?.['evidence'])).not.toContain('events');
      expect(bad.violations.map((v) => v.guarantee)).toContain(SHRUNK[bug]!.guarantee);
      const { bug: _planted, ...clean } = scenario;
      expect(judgeScenario(silent, clean).violations.map((v) => v.sentence)).toEqual([]);
    });
  }
});
