/**
 * Online migration: the correct mover moves a live source to the target with
 * nothing lost, duplicated or invisible after the switch — also across crashes
 * and partitions — and the planted cut-over bug is caught on the same run.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, History, TimedRequest } from '../src/analysis.js';
import { simulate } from '../src/analysis.js';
import { checkMigration, type MigrationGuaranteeId } from '../src/check/migration.js';
import { migrationModel } from '../models/migration/index.js';
import { at, del, inc, r, simConfig, w } from '../models/cdc/testkit.js';

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
