/**
 * The built-in models mark their protocol moments (`ctx.mark`) and declare them
 * in `marks`. Checked here: every name marked at run time is declared and every
 * declared one occurs in ordinary generated runs; marking changes no history;
 * and a fault aimed at a mark lands exactly in the window it names — enough to
 * turn a planted bug into a failure in one hand-written run where the correct
 * model holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';
import { cdcModel } from '../models/cdc/index.js';
import { migrationModel } from '../models/migration/index.js';
import { walModel } from '../models/wal/index.js';
import { judgeScenario, runScenario, type Verdict } from '../src/verdict/judge.js';
import type { History, HistoryEntry, NodeId } from '../src/history/types.js';
import { formatScenario } from '../src/scenario/compact.js';
import { scenarioArb } from '../src/scenario/arbitraries.js';
import type { Scenario } from '../src/scenario/types.js';
import { parseScenario } from '../src/scenario/validate.js';
import { cli } from './helpers/cli.js';
import { tapMarks } from '../src/run/coverage.js';
import type { Fault, Model, NodeProgram } from '../src/sim/types.js';

// ───────────────────────────── observing marks ─────────────────────────────

interface MarkRecord {
  node: NodeId;
  name: string;
}

/**
 * The model with every node's context wrapped so that `ctx.mark` is also
 * recorded in `log`. The simulator is untouched; the wrapped model behaves
 * (and hashes) exactly as the original, which a test below checks.
 */
function withMarkLog<C>(model: Model<C>, log: MarkRecord[]): Model<C> {
  return { ...model, program: (node, config, bug) => observed(model.program(node, config, bug), log, node) };
}

function observed(p: NodeProgram, log: MarkRecord[], node: NodeId): NodeProgram {
  return tapMarks(p, (name) => log.push({ node, name }));
}

/**
 * A handful of generated scenarios per variant, with the model's own fault
 * profile and workload, denser than the default (20–40 ops in 400 ms) so that
 * failovers meet writes in flight.
 */
function ordinaryScenarios(name: string, perVariant: number): Scenario[] {
  const entry = BUILTIN_MODELS[name]!;
  return Object.values(entry.variants).flatMap((config) => {
    const nodes = entry.model.nodes(entry.model.configure(config));
    const arb = scenarioArb({
      model: name, nodes, config, profile: entry.profile ?? 'everything', ...(entry.workload ?? {}), opsMin: 20, opsMax: 40, spanMs: 400,
      swarm: false, // every fault kind on in every scenario: the moments of failover occur
    });
    return fc.sample(arb, { seed: 20261127, numRuns: perVariant });
  });
}

const withoutMeta = (h: History): History => h.filter((e) => e.type !== 'meta');

// Enough that rare moments (a rewind, a producer retry, a dual write) occur under other generators too.
const RUNS_PER_VARIANT: Record<string, number> = { wal: 16, cdc: 12, migration: 32 };

describe('built-in models declare the moments they mark', () => {
  for (const name of Object.keys(BUILTIN_MODELS)) {
    it(`${name}: every marked name is declared, every declared one occurs in ordinary runs`, () => {
      const model = BUILTIN_MODELS[name]!.model;
      const declared = (model.marks ?? []).map((m) => m.name);
      expect(declared.length).toBeGreaterThanOrEqual(8);
      expect(new Set(declared).size).toBe(declared.length);
      for (const m of model.marks ?? []) expect(m.description.length, m.name).toBeGreaterThan(20);
      const seen = new Map<string, number>();
      for (const s of ordinaryScenarios(name, RUNS_PER_VARIANT[name]!)) {
        const log: MarkRecord[] = [];
        runScenario(withMarkLog(model, log), s);
        for (const n of new Set(log.map((m) => m.name))) seen.set(n, (seen.get(n) ?? 0) + 1);
      }
      expect([...seen.keys()].filter((n) => !declared.includes(n)), 'marked but not declared').toEqual([]);
      expect(declared.filter((n) => !seen.has(n)), 'declared but never marked').toEqual([]);
    });
  }

  it('marking changes no history: observed, or counted for a fault that never fires, the hash stays', () => {
    for (const name of Object.keys(BUILTIN_MODELS)) {
      const model = BUILTIN_MODELS[name]!.model;
      for (const s of ordinaryScenarios(name, 1).slice(0, 3)) {
        const plain = runScenario(model, s);
        const log: MarkRecord[] = [];
        expect(runScenario(withMarkLog(model, log), s).hash, name).toBe(plain.hash);
        expect(log.length).toBeGreaterThan(0);
        // An anchored fault makes the simulator count marks; one that never fires changes
        // nothing but the scenario recorded in the history's meta entry.
        const first = log[0]!;
        const never: Fault = { kind: 'crash', atMs: 0, node: first.node, mode: 'process', after: { mark: first.name, node: first.node, nth: 1e6 } };
        const counted = runScenario(model, { ...s, faults: [...s.faults, never] });
        expect(JSON.stringify(withoutMeta(counted.history)), name).toBe(JSON.stringify(withoutMeta(plain.history)));
      }
    }
  });
});

describe('replicheck models MODEL', () => {
  it('lists the marked moments with their descriptions, as text and JSON', async () => {
    const text = await cli('models', 'wal');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/marked moments.*\n(.*\n)*\s+flush-ack\s+a standby sent a status update with a higher flushed position/);
    expect(text.out).not.toContain('cdc —'); // one model only
    const json = await cli('models', 'migration', '--json');
    expect(JSON.parse(json.out)).toMatchObject({ name: 'migration', marks: migrationModel.marks });
    const user = await cli('models', './models/examples/tiny-async.ts');
    expect(user.out).toMatch(/flushed\s+the primary flushed a commit/);
    const all = JSON.parse((await cli('models', '--json')).out) as { name: string; marks: unknown[] }[];
    expect(all.map((m) => m.name)).toEqual(expect.arrayContaining(['wal', 'cdc', 'migration']));
    expect(all.filter((m) => m.marks.length === 0)).toEqual([]);
    const unknown = await cli('models', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown model 'nope'/);
  });
});

// ───────────────────────────── faults aimed at marks ─────────────────────────────

const LINK_1MS = { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } } as const;
const write = (atMs: number, k: string, v: string) => ({ atMs, req: { txn: [{ f: 'w', k, v }], end: 'commit' } });
const read = (atMs: number, k: string) => ({ atMs, req: { txn: [{ f: 'r', k }], end: 'commit' } });

function events(h: History, name: string, node?: string): Extract<HistoryEntry, { type: 'event' }>[] {
  return h.filter((e): e is Extract<HistoryEntry, { type: 'event' }> => e.type === 'event' && e.name === name && (node === undefined || e.node === node));
}

function injected(h: History): Extract<HistoryEntry, { type: 'fault' }>[] {
  return h.filter((e): e is Extract<HistoryEntry, { type: 'fault' }> => e.type === 'fault' && e.phase === 'inject');
}

function broken(v: Verdict): string[] {
  expect(v.failure).toBeUndefined();
  return [...new Set(v.violations.map((x) => x.guarantee))].sort();
}

describe('a fault aimed at a mark lands in the window it names', () => {
  /**
   * Sync `on`, one standby, automatic failover. The standby crashes (power loss)
   * 1.5 ms after its first flush-ack — after the ack reached the primary (1 ms
   * away), before a 2 ms fsync started with it could finish — and the primary
   * crashes right after acknowledging the commit, so the standby is promoted.
   */
  function flushAckScenario(bug?: string): Scenario {
    return parseScenario({
      model: 'wal', config: { nodes: 2, synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' }, ...(bug ? { bug } : {}), seed: 1,
      sessions: [{ id: 's1', policy: 'primary', ops: [write(1, 'k1', 's1-1'), read(300, 'k1')] }],
      faults: [
        { kind: 'crash', atMs: 1.5, node: 'n2', mode: 'machine', restartAfterMs: 5, after: { mark: 'flush-ack', node: 'n2', nth: 1 } },
        { kind: 'crash', atMs: 0.1, node: 'n1', mode: 'machine', after: { mark: 'commit-acked', node: 'n1', nth: 1 } },
      ],
      network: LINK_1MS,
      disk: { fsyncLatency: { kind: 'constant', ms: 2 } },
    });
  }

  it('wal: a standby crash just after its flush-ack keeps an acknowledged commit — unless the ack came before the fsync', () => {
    const s = flushAckScenario();
    expect(formatScenario(s)).toContain("on mark crash n2 (machine, restart +5ms) 1.5ms after n2's 1st flush-ack");
    const ok = judgeScenario(walModel, s);
    const h = ok.run!.history;
    const [primaryDown, standbyDown] = injected(h);
    const flushed = events(h, 'standby.flush', 'n2')[0]!;
    // The standby's flush-ack follows its fsync: the crash comes 1.5 ms after it, with the WAL on disk.
    expect(standbyDown!.t).toBeCloseTo(flushed.t + 1.5, 6);
    expect(primaryDown!.t).toBeLessThan(standbyDown!.t);
    expect(h.find((e) => e.type === 'ok' && e.op === 0)).toBeDefined();
    expect(events(h, 'promote', 'n2')[0]!.data).toMatchObject({ timeline: 2, lsn: 3 });
    expect(broken(ok)).toEqual([]);
    // The same two faults, with a standby that acknowledges a flush on write: the acknowledged
    // commit is in no durable log when the standby is promoted.
    const bad = judgeScenario(walModel, flushAckScenario('ack-on-write-not-flush'));
    expect(events(bad.run!.history, 'promote', 'n2')[0]!.data).toMatchObject({ timeline: 2, lsn: 0 });
    expect(broken(bad)).toContain('durability');
  });

  /**
   * Asynchronous, automatic failover. The primary's process crashes 0.1 ms after
   * its 3rd flush-start (1st at start-up, 2nd and 3rd for the two commits): the
   * second commit is in its WAL (the OS cache survives) but was never shipped.
   */
  function flushStartScenario(bug?: string): Scenario {
    return parseScenario({
      model: 'wal', config: { synchronousCommit: 'local', synchronousStandbyNames: '' }, ...(bug ? { bug } : {}), seed: 1,
      sessions: [{ id: 's1', policy: 'primary', ops: [write(1, 'k1', 's1-1'), write(10, 'k2', 's1-2'), read(400, 'k1')] }],
      faults: [{ kind: 'crash', atMs: 0.1, node: 'n1', mode: 'process', restartAfterMs: 200, after: { mark: 'flush-start', node: 'n1', nth: 3 } }],
      network: LINK_1MS,
      disk: { fsyncLatency: { kind: 'constant', ms: 2 } },
    });
  }

  it('wal: a primary crash while a commit is being flushed leaves an unshipped suffix the old primary must rewind', () => {
    const ok = judgeScenario(walModel, flushStartScenario());
    const h = ok.run!.history;
    const second = events(h, 'wal.append', 'n1').filter((e) => e.data?.rec === 'commit')[1]!;
    expect(injected(h)[0]!.t).toBeCloseTo(second.t + 0.1, 6);
    expect(h.find((e) => e.type === 'info' && e.op === 1)).toBeDefined(); // the client cannot know
    expect(events(h, 'promote', 'n2')[0]!.data).toMatchObject({ timeline: 2, lsn: 3 });
    expect(events(h, 'rewind', 'n1').map((e) => e.data)).toEqual([{ toLsn: 3, timeline: 2 }]);
    expect(broken(ok)).toEqual([]);
    const bad = judgeScenario(walModel, flushStartScenario('rejoin-without-rewind'));
    expect(events(bad.run!.history, 'rewind', 'n1')).toEqual([]);
    expect(broken(bad)).toContain('convergence');
  });

  /**
   * One partition, no snapshot. sink-mem crashes 1.5 ms after it received its
   * first batch: while the batch is being processed (applyMs 2), after an offset
   * commit sent on receipt would have reached the broker (1 ms away).
   */
  function sinkScenario(bug?: string): Scenario {
    return parseScenario({
      model: 'cdc', config: { snapshot: false, preloadRows: 0, partitions: 1 }, ...(bug ? { bug } : {}), seed: 1,
      sessions: [{ id: 's1', policy: 'primary', ops: [write(1, 'k1', 's1-1'), write(2, 'k2', 's1-2'), read(100, 'k1')] }],
      faults: [{ kind: 'crash', atMs: 1.5, node: 'sink-mem', mode: 'process', restartAfterMs: 10, after: { mark: 'batch-received', node: 'sink-mem', nth: 1 } }],
      network: LINK_1MS,
    });
  }

  it('cdc: a sink crash while a received batch is processed means redelivery — or loss when the offset was committed on receipt', () => {
    const ok = judgeScenario(cdcModel, sinkScenario());
    const h = ok.run!.history;
    const delivered = events(h, 'cdc.deliver', 'sink-mem');
    expect(injected(h)[0]!.t).toBeCloseTo(delivered[0]!.t + 1.5, 6);
    // Both events come again after the restart and are applied then, once each.
    expect(delivered.map((e) => e.data?.pos)).toEqual(['1:0', '2:0', '1:0', '2:0']);
    expect(events(h, 'cdc.apply', 'sink-mem').map((e) => e.data?.pos)).toEqual(['1:0', '2:0']);
    expect(events(h, 'cdc.apply', 'sink-mem')[0]!.t).toBeGreaterThan(injected(h)[0]!.t);
    expect(broken(ok)).toEqual([]);
    const bad = judgeScenario(cdcModel, sinkScenario('commit-before-processing'));
    expect(events(bad.run!.history, 'cdc.apply', 'sink-mem')).toEqual([]);
    expect(broken(bad)).toContain('completeness');
  });

  it('migration: pausing the mover right after the write freeze stretches the outage; every write in it is refused, none lost', () => {
    const ops = Array.from({ length: 60 }, (_, i) => write(2 * i, `k${i % 4}`, `s1-${i + 1}`));
    const base = { model: 'migration', config: {}, seed: 1, sessions: [{ id: 's1', policy: 'primary', ops }], network: LINK_1MS };
    const refused = (h: History) => h.filter((e) => e.type === 'fail' && /read-only/.test(e.error));
    const calm = judgeScenario(migrationModel, parseScenario({ ...base, faults: [] }));
    const pause: Fault = { kind: 'pause', atMs: 0.1, node: 'mover', durationMs: 40, after: { mark: 'writes-frozen', node: 'old', nth: 1 } };
    const paused = judgeScenario(migrationModel, parseScenario({ ...base, faults: [pause] }));
    const h = paused.run!.history;
    const cutover = events(h, 'migration.cutover')[0]!;
    // The freeze lasts the pause longer: 20 more writes (one per 2 ms) meet a read-only source.
    expect(refused(h).length - refused(calm.run!.history).length).toBe(20);
    const later = cutover.t - events(calm.run!.history, 'migration.cutover')[0]!.t;
    expect(later).toBeGreaterThan(35);
    expect(later).toBeLessThan(45);
    expect(refused(h).every((e) => e.t > injected(h)[0]!.t - 0.1 && e.t < cutover.t)).toBe(true);
    expect(events(h, 'migration.verify')[0]!.data).toMatchObject({ equal: true });
    expect(broken(paused)).toEqual([]);
    expect(broken(calm)).toEqual([]);
  });
});
