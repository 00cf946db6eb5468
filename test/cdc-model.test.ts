/**
 * The CDC model end to end: SQL sinks hold transform(source) as read back by
 * SQL, runs are deterministic, the claimed guarantees hold under random faults,
 * a user's consumer function plugs in, and bad configuration is refused.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import type { Fault, MicroOp, TimedRequest, Value } from '../src/analysis.js';
import { simulate } from '../src/analysis.js';
import { cdcTransformState, checkCdc, type CdcGuaranteeId, type CdcTransform } from '../src/check/cdc.js';
import { cdcModel, createCdcModel, type CdcConsumer } from '../models/cdc/index.js';
import { at, del, inc, simConfig, w } from '../models/cdc/testkit.js';

const mul = (k: string, n: number): MicroOp => ({ f: 'upd', k, expr: { op: 'mul', n } });

const MIXED: TimedRequest[] = [
  at(1, w('a', 'alpha')), at(2, inc('n', 5)), at(3, mul('n', -3)), at(4, w('b', 2.5)), at(5, del('row1')),
  at(6, del('a'), w('a2', 'moved')), at(7, w('b', 'text-now')), at(9, inc('row2', 1)), at(12, w('c', -7)),
];

function finals(history: ReturnType<typeof simulate>['history']): Map<string, Record<string, Value>> {
  const out = new Map<string, Record<string, Value>>();
  for (const e of history) if (e.type === 'final') out.set(e.node, e.view.data);
  return out;
}

describe('CDC model', () => {
  it('every transform holds transform(source) — read back through SQL for SQLite sinks', () => {
    const transforms: CdcTransform[] = ['identity', 'rename', 'split', 'derive', 'filter'];
    const sinks = transforms.flatMap((t) => [
      { name: `sink-sql-${t}`, store: 'sqlite', transform: t, consumer: 'upsert', exactlyOnce: 'txn-offset' },
      { name: `sink-mem-${t}`, store: 'memory', transform: t, consumer: 'upsert', exactlyOnce: 'none' },
    ]);
    const config = cdcModel.configure({ sinks });
    const { history } = simulate({ model: cdcModel, config, sim: simConfig({ nodes: cdcModel.nodes(config), ops: MIXED }) });
    expect(checkCdc(history)).toEqual([]);
    const views = finals(history);
    const source = views.get('source')!;
    expect(source).toMatchObject({ n: -15, a2: 'moved', b: 'text-now', row2: 1 });
    for (const t of transforms) {
      expect(views.get(`sink-sql-${t}`)).toEqual(cdcTransformState(t, source));
      expect(views.get(`sink-mem-${t}`)).toEqual(cdcTransformState(t, source));
    }
  });

  it('is deterministic: the same scenario gives the same history hash', () => {
    const config = cdcModel.configure({});
    const sim = simConfig({ nodes: cdcModel.nodes(config), ops: MIXED, faults: [{ kind: 'crash', atMs: 8, node: 'sink-sql', mode: 'machine', restartAfterMs: 4 }] });
    expect(simulate({ model: cdcModel, config, sim }).hash).toBe(simulate({ model: cdcModel, config, sim }).hash);
  });

  it('emits the events metrics need: publish, deliver, apply, offset commits, snapshot chunks, checkpoints', () => {
    const config = cdcModel.configure({});
    const { history } = simulate({ model: cdcModel, config, sim: simConfig({ nodes: cdcModel.nodes(config), ops: MIXED }) });
    const names = new Set(history.flatMap((e) => (e.type === 'event' ? [e.name] : [])));
    for (const n of ['txn.commit', 'cdc.publish', 'cdc.deliver', 'cdc.apply', 'offset.commit', 'snapshot.chunk', 'checkpoint', 'cdc.slot']) {
      expect(names).toContain(n);
    }
  });

  it('refuses bad configuration with a clear message', () => {
    expect(() => cdcModel.configure({ partitions: 0 })).toThrow(/partitions/);
    expect(() => cdcModel.configure({ colour: 'red' })).toThrow(/unknown option 'colour'/);
    expect(() => cdcModel.configure({ sinks: [{ name: 'x' }] })).toThrow(/starting with "sink-"/);
    expect(() => cdcModel.configure({ sinks: [{ name: 'sink-a', store: 'memory', exactlyOnce: 'txn-offset' }] })).toThrow(/needs store 'sqlite'/);
    expect(() => cdcModel.configure({ sinks: [{ name: 'sink-a', consumer: 'mine' }] })).toThrow(/consumer must be one of/);
    expect(() => cdcModel.configure({}, 'no-such-bug')).toThrow(/unknown bug 'no-such-bug'/);
  });
});

describe('a user consumer function plugs in', () => {
  /** Keeps a running total per key: x = x + (after − before). Not idempotent. */
  const total: CdcConsumer = (e, tx) => {
    const delta = (typeof e.after === 'number' ? e.after : 0) - (typeof e.before === 'number' ? e.before : 0);
    tx.put(e.key, (typeof tx.get(e.key) === 'number' ? (tx.get(e.key) as number) : 0) + delta);
  };
  const model = createCdcModel({ name: 'cdc-total', consumers: { total: { consume: total, idempotent: false } } });
  const ops = [at(10, inc('n', 5)), at(30, inc('n', 2))];
  const crashAfterApply = (history: ReturnType<typeof simulate>['history']): Fault => {
    const first = history.find((e) => e.type === 'event' && e.name === 'cdc.apply' && e.node === 'sink-t');
    return { kind: 'crash', atMs: first!.t + 0.5, node: 'sink-t', mode: 'process', restartAfterMs: 5 };
  };

  function runWith(exactlyOnce: 'none' | 'dedup'): string[] {
    const config = model.configure({ preloadRows: 0, sinks: [{ name: 'sink-t', store: 'memory', consumer: 'total', exactlyOnce }] });
    const sim = (faults: Fault[]) => simConfig({ nodes: model.nodes(config), ops, faults });
    const probe = simulate({ model, config, sim: sim([]) });
    const { history } = simulate({ model, config, sim: sim([crashAfterApply(probe.history)]) });
    // Judge every guarantee, claimed or not, to see what redelivery does to this consumer.
    return checkCdc(history, undefined, { judgeAll: true }).map((v) => v.guarantee);
  }

  it('with deduplication by source position it survives redelivery', () => {
    expect(runWith('dedup')).toEqual([]);
  });

  it('without it, a redelivered event is counted twice — and the model does not claim otherwise', () => {
    expect(runWith('none')).toEqual(expect.arrayContaining(['exactly-once', 'sink-convergence']));
    const config = model.configure({ sinks: [{ name: 'sink-t', consumer: 'total', exactlyOnce: 'none' }] });
    expect(model.claims(config).map((c) => c.id)).not.toContain('exactly-once');
  });
});

const NODES = cdcModel.nodes(cdcModel.configure({}));
const key = fc.constantFrom('a', 'b', 'row1', 'row2');
const txn: fc.Arbitrary<MicroOp[]> = fc.oneof(
  fc.tuple(key, fc.nat(99)).map(([k, n]): MicroOp[] => [w(k, `v${k}${n}`)]),
  fc.tuple(key, fc.integer({ min: 1, max: 5 })).map(([k, n]): MicroOp[] => [inc(k, n)]),
  key.map((k): MicroOp[] => [del(k)]),
  fc.tuple(key, key, fc.nat(99)).map(([a, b, n]): MicroOp[] => [del(a), w(b, `p${b}${n}`)]),
);
const op = fc.tuple(fc.integer({ min: 0, max: 120 }), txn).map(([atMs, t]) => at(atMs, ...t));
const node = fc.constantFrom(...NODES);
const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), atMs: fc.integer({ min: 0, max: 120 }), node, mode: fc.constantFrom('process' as const, 'machine' as const), restartAfterMs: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('partition' as const), atMs: fc.integer({ min: 0, max: 120 }), from: fc.subarray(NODES, { minLength: 1, maxLength: 2 }), to: fc.subarray(NODES, { minLength: 1, maxLength: 2 }), durationMs: fc.integer({ min: 1, max: 50 }) })
    .filter((p) => !p.from.some((x) => p.to.includes(x))),
  fc.record({ kind: fc.constant('pause' as const), atMs: fc.integer({ min: 0, max: 120 }), node, durationMs: fc.integer({ min: 1, max: 50 }) }),
);

describe('claimed guarantees hold under random faults', () => {
  test.prop([fc.array(op, { maxLength: 10 }), fc.array(fault, { maxLength: 3 }), fc.integer({ min: 1, max: 1000 })], { numRuns: 40 })(
    'default CDC configuration', (ops, faults, seed) => {
      const config = cdcModel.configure({});
      const sorted = [...ops].sort((x, y) => x.atMs - y.atMs);
      const { history } = simulate({ model: cdcModel, config, sim: simConfig({ nodes: NODES, ops: sorted, faults, seed }) });
      const claims = cdcModel.claims(config).map((c) => c.id) as CdcGuaranteeId[];
      expect(checkCdc(history, claims)).toEqual([]);
    });
});

describe('the pipeline always catches up after faults heal', () => {
  const quiesced = (h: ReturnType<typeof simulate>['history']): boolean => h.some((e) => e.type === 'quiet');

  it('without a snapshot, a write racing the connector start still reaches every sink (slot taken before the first write)', () => {
    const config = cdcModel.configure({ snapshot: false, preloadRows: 0 });
    const { history } = simulate({ model: cdcModel, config, sim: simConfig({ nodes: cdcModel.nodes(config), ops: [at(0, w('k1', 'first'))], fsyncMs: 1 }) });
    const claims = cdcModel.claims(config).map((c) => c.id) as CdcGuaranteeId[];
    expect(claims).toContain('sink-convergence');
    expect(checkCdc(history, claims)).toEqual([]);
    expect(finals(history).get('sink-mem')).toEqual({ k1: 'first' });
  });

  it('a sink whose clock jumps back ~10 s re-asks a fetch lost in a broker crash (stuck detection counts polls, not wall time)', () => {
    const config = cdcModel.configure({ replicas: 1 });
    const sim = simConfig({
      nodes: cdcModel.nodes(config),
      ops: [at(0, inc('k1', 1))],
      faults: [
        { kind: 'crash', atMs: 0, node: 'broker', mode: 'process' },
        { kind: 'partition', atMs: 0, from: ['source'], to: ['connector', 'broker', 'sink-mem', 'sink-sql', 'sink-ctr'], durationMs: 51 },
      ],
    });
    sim.clocks = { 'sink-sql': { offsetMs: 0, driftPpm: 0, jumps: [{ atMs: 51, byMs: -9890 }] } };
    sim.limits = { ...sim.limits, quietMaxMs: 2000 };
    const { history } = simulate({ model: cdcModel, config, sim });
    expect(quiesced(history)).toBe(true);
    expect(checkCdc(history, cdcModel.claims(config).map((c) => c.id) as CdcGuaranteeId[])).toEqual([]);
  });

  it('catches up after a long source↔connector partition that outlasts the writes', () => {
    const config = cdcModel.configure({});
    const sim = simConfig({
      nodes: cdcModel.nodes(config),
      ops: [at(1, w('a', 'x')), at(400, w('a', 'y'))],
      faults: [{ kind: 'partition', atMs: 0, from: ['source'], to: ['connector'], durationMs: 600 }],
    });
    const { history, events } = simulate({ model: cdcModel, config, sim });
    expect(checkCdc(history, cdcModel.claims(config).map((c) => c.id) as CdcGuaranteeId[])).toEqual([]);
    expect(events).toBeLessThan(200_000);
  });
});
