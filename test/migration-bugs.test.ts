/**
 * Online migration: the correct mover moves a live source to the target with
 * nothing lost, duplicated or invisible after the switch — also across crashes
 * and partitions — and the planted cut-over bug is caught on the same run.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, History, TimedRequest } from '../src/index.js';
import { simulate } from '../src/index.js';
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

  it('rejects bad configuration with a clear message', () => {
    expect(() => migrationModel.configure({ chunkSize: 0 })).toThrow(/chunkSize/);
    expect(() => migrationModel.configure({ speed: 1 })).toThrow(/unknown option 'speed'/);
    expect(() => migrationModel.configure({}, 'nope')).toThrow(/unknown bug 'nope'/);
  });
});
