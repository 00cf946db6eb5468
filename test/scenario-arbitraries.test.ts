import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  FAULT_PROFILES,
  FAULT_PROFILE_NAMES,
  clocksArb,
  faultsArb,
  knobNodes,
  networkArb,
  scenarioArb,
  workloadArb,
} from '../src/scenario/arbitraries.js';
import type { KnobSpace, ScenarioOptions } from '../src/scenario/arbitraries.js';
import { scenarioSize } from '../src/scenario/compact.js';
import type { Scenario } from '../src/scenario/types.js';
import { parseScenario, toSimConfig } from '../src/scenario/validate.js';
import type { LatencyDist } from '../src/sim/types.js';

const NODES = ['n1', 'n2', 'n3'];
const base: ScenarioOptions = { model: 'wal', nodes: NODES, config: { sync: 'on' }, opsMax: 12 };

const writes = (s: Scenario) => s.sessions.flatMap((x) => x.ops.flatMap((o) => o.req.txn.filter((m) => m.f === 'w')));
const microOps = (s: Scenario) => s.sessions.flatMap((x) => x.ops.flatMap((o) => o.req.txn));

describe('scenarioArb', () => {
  test.prop([fc.constantFrom(...FAULT_PROFILE_NAMES).chain((profile) => scenarioArb({ ...base, profile, marks: ['flushed', 'applied'] }))], { numRuns: 150 })(
    'every generated scenario survives JSON, validation and the topology check unchanged',
    (s) => {
      const parsed = parseScenario(JSON.parse(JSON.stringify(s)));
      expect(parsed).toEqual(s);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(s));
      expect(toSimConfig(parsed, NODES).sessions).toEqual(s.sessions);
    },
  );

  test.prop([scenarioArb({ ...base, opsMax: 30, sessionsMax: 4 })], { numRuns: 100 })(
    'written values are unique, sessions are s1..sN with time-sorted ops in the first 1.5 s',
    (s) => {
      const values = writes(s).map((w) => w.v);
      expect(new Set(values).size).toBe(values.length);
      expect(s.sessions.map((x) => x.id)).toEqual(s.sessions.map((_, i) => `s${i + 1}`));
      for (const sess of s.sessions) {
        expect(sess.ops.length).toBeGreaterThan(0);
        const times = sess.ops.map((o) => o.atMs);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const t of times) expect(t).toBeGreaterThanOrEqual(0), expect(t).toBeLessThanOrEqual(1500);
      }
      const size = scenarioSize(s).ops;
      expect(size).toBeGreaterThanOrEqual(1);
      expect(size).toBeLessThanOrEqual(30);
    },
  );

  it('honours opKinds, delete only when allowed, and txnOpsMax / rollback switches', () => {
    const noDel = fc.sample(scenarioArb(base), { numRuns: 200, seed: 1 });
    expect(noDel.flatMap(microOps).some((m) => m.f === 'del')).toBe(false);
    const withDel = fc.sample(scenarioArb({ ...base, opKinds: ['r', 'del'] }), { numRuns: 200, seed: 1 });
    const kinds = new Set(withDel.flatMap(microOps).map((m) => m.f));
    expect([...kinds].sort()).toEqual(['del', 'r']);
    const flat = fc.sample(scenarioArb({ ...base, txnOpsMax: 1, rollback: false }), { numRuns: 200, seed: 1 });
    for (const s of flat) for (const x of s.sessions) for (const o of x.ops) expect([o.req.txn.length, o.req.end]).toEqual([1, 'commit']);
  });

  it('draws every op kind, both transaction ends and every read policy by default', () => {
    const all = fc.sample(scenarioArb({ ...base, opKinds: ['r', 'w', 'upd', 'now', 'rand', 'del'] }), { numRuns: 300, seed: 2 });
    const ops = all.flatMap((s) => s.sessions.flatMap((x) => x.ops));
    expect(new Set(ops.flatMap((o) => o.req.txn.map((m) => m.f))).size).toBe(6);
    expect(new Set(ops.map((o) => o.req.end))).toEqual(new Set(['commit', 'rollback']));
    expect(ops.some((o) => o.req.txn.length > 1)).toBe(true);
    expect(new Set(all.flatMap((s) => s.sessions.map((x) => x.policy))).size).toBe(4);
  });

  it('keeps each profile within its bounds', () => {
    for (const name of FAULT_PROFILE_NAMES) {
      const p = FAULT_PROFILES[name];
      for (const s of fc.sample(scenarioArb({ ...base, profile: name }), { numRuns: 100, seed: 3 })) {
        expect(s.faults.length).toBeLessThanOrEqual(p.faultsMax);
        for (const f of s.faults) expect(p.faultKinds).toContain(f.kind);
        expect(s.network.defaultLink.lossRate).toBeLessThanOrEqual(p.lossRateMax);
        expect(s.network.defaultLink.dupRate).toBeLessThanOrEqual(p.dupRateMax);
        expect(p.latencyKinds).toContain(s.network.defaultLink.latency.kind);
        for (const c of Object.values(s.clocks ?? {})) expect(Math.abs(c.offsetMs)).toBeLessThanOrEqual(p.clockOffsetMsMax);
        if (p.clockOffsetMsMax === 0) expect(s.clocks).toBeUndefined();
      }
    }
    const calm = fc.sample(scenarioArb({ ...base, profile: 'calm' }), { numRuns: 50, seed: 4 });
    expect(calm.every((s) => s.faults.length === 0 && s.clocks === undefined)).toBe(true);
  });

  it('copies model, config, bug and limits into the scenario', () => {
    const [s] = fc.sample(scenarioArb({ ...base, bug: 'ack-on-write', limits: { maxEvents: 1000 } }), { numRuns: 1, seed: 5 });
    expect(s).toMatchObject({ model: 'wal', config: { sync: 'on' }, bug: 'ack-on-write', limits: { maxEvents: 1000 } });
  });

  it('rejects impossible options with a clear error', () => {
    expect(() => scenarioArb({ ...base, profile: 'stormy' as never })).toThrow(/unknown fault profile 'stormy'/);
    expect(() => scenarioArb({ ...base, nodes: [] })).toThrow(/nodes must not be empty/);
    expect(() => workloadArb({ opsMin: 5, opsMax: 2 })).toThrow(/opsMin <= opsMax/);
    expect(() => workloadArb({ opKinds: [] })).toThrow(/opKinds/);
  });
});

describe('shrinking', () => {
  const shrink = (opts: ScenarioOptions, fails: (s: Scenario) => boolean, seed: number): Scenario => {
    const out = fc.check(fc.property(scenarioArb(opts), (s) => !fails(s)), { seed, numRuns: 500 });
    expect(out.failed).toBe(true);
    return out.counterexample![0];
  };

  it.each([11, 12, 13])('a crash plus a write shrinks to exactly one fault and one op (seed %i)', (seed) => {
    const s = shrink({ ...base, profile: 'crashes' }, (x) => x.faults.some((f) => f.kind === 'crash') && writes(x).length > 0, seed);
    expect(scenarioSize(s)).toEqual({ ops: 1, faults: 1 });
    expect(s.sessions).toHaveLength(1);
    expect(s.sessions[0]!.ops[0]).toEqual({ atMs: 0, req: { txn: [{ f: 'w', k: 'k1', v: 's1-1' }], end: 'commit' } });
    expect(s.faults[0]).toEqual({ kind: 'crash', atMs: 0, node: 'n1', mode: 'process' });
    expect(s.network.defaultLink).toEqual({ latency: { kind: 'constant', ms: 0.1 }, lossRate: 0, dupRate: 0 });
    expect(s.disk).toBeUndefined();
  });

  it('clock skew shrinks to one node, the smallest offset and no drift or jumps', () => {
    const s = shrink({ ...base, profile: 'clock-skew' }, (x) => Object.values(x.clocks ?? {}).some((c) => Math.abs(c.offsetMs) >= 1000), 21);
    // Per-node parameters shrink independently, so the skewed node stays whichever it was.
    const entries = Object.entries(s.clocks ?? {});
    expect(entries).toHaveLength(1);
    expect(NODES).toContain(entries[0]![0]);
    expect([{ offsetMs: 1000, driftPpm: 0 }, { offsetMs: -1000, driftPpm: 0 }]).toContainEqual(entries[0]![1]);
    expect(scenarioSize(s)).toEqual({ ops: 1, faults: 0 });
  });

  it('a two-session read race shrinks to two single-read sessions', () => {
    const s = shrink(base, (x) => x.sessions.filter((y) => y.ops.some((o) => o.req.txn.some((m) => m.f === 'r'))).length >= 2, 31);
    expect(s.sessions.map((x) => [x.id, x.policy, x.ops.length])).toEqual([['s1', 'primary', 1], ['s2', 'primary', 1]]);
    expect(s.faults).toEqual([]);
  });

  it('a partition fault shrinks to "first node isolated, both ways, until quiet"', () => {
    const s = shrink({ ...base, profile: 'partitions' }, (x) => x.faults.some((f) => f.kind === 'partition'), 41);
    expect(s.faults).toEqual([{ kind: 'partition', atMs: 0, from: ['n1'], to: ['n2', 'n3'] }]);
  });
});

describe('component arbitraries', () => {
  test.prop([faultsArb({ nodes: NODES, kinds: ['crash', 'pause', 'partition', 'clog'], faultsMax: 6 })])(
    'faults name topology nodes, are time-sorted, and partitions/clogs have two distinct sides',
    (faults) => {
      expect(faults.map((f) => f.atMs)).toEqual([...faults].map((f) => f.atMs).sort((a, b) => a - b));
      for (const f of faults) {
        if (f.kind === 'partition') {
          expect(f.from.length).toBeGreaterThan(0);
          expect(f.to.length).toBeGreaterThan(0);
          expect(f.from.filter((n) => f.to.includes(n))).toEqual([]);
        }
        if (f.kind === 'clog') expect(f.from).not.toBe(f.to);
      }
    },
  );

  it('skips two-node fault kinds on a one-node topology', () => {
    const all = fc.sample(faultsArb({ nodes: ['n1'], kinds: ['partition', 'clog', 'pause'], faultsMax: 3 }), { numRuns: 50, seed: 6 });
    expect(all.flat().every((f) => f.kind === 'pause')).toBe(true);
  });

  test.prop([networkArb({ nodes: NODES, latencyKinds: ['constant', 'uniform', 'exponential', 'pareto', 'mixture'], lossRateMax: 0.3, dupRateMax: 0.2 })])(
    'network latencies are non-negative and well formed',
    (n) => {
      const check = (d: LatencyDist): void => {
        if (d.kind === 'uniform') expect(d.maxMs).toBeGreaterThanOrEqual(d.minMs);
        if (d.kind === 'pareto') expect(d.shape).toBeGreaterThan(1);
        if (d.kind === 'mixture') d.parts.forEach((p) => check(p.dist));
      };
      check(n.defaultLink.latency);
      for (const [k, l] of Object.entries(n.links ?? {})) {
        const [a, b] = k.split('->');
        expect(a).not.toBe(b);
        check(l.latency!);
      }
    },
  );

  test.prop([clocksArb({ nodes: NODES, offsetMsMax: 500, driftPpmMax: 100, jumpsMax: 2 })])('clocks list only skewed nodes', (c) => {
    for (const [node, p] of Object.entries(c ?? {})) {
      expect(NODES).toContain(node);
      expect(p.offsetMs !== 0 || p.driftPpm !== 0 || (p.jumps ?? []).length > 0).toBe(true);
    }
  });
});

describe('swarm features', () => {
  const MARKS = ['flushed', 'applied'];
  const everything: ScenarioOptions = { ...base, opsMax: 20, marks: MARKS };
  const sample = (opts: ScenarioOptions, seed: number, n = 400) => fc.sample(scenarioArb(opts), { numRuns: n, seed });
  const ops = (s: Scenario) => s.sessions.flatMap((x) => x.ops);
  const share = (xs: Scenario[], p: (s: Scenario) => boolean) => xs.filter(p).length / xs.length;

  it('each scenario draws its own features: some calm, some single-kind, some one key, some packed into tens of ms', () => {
    const all = sample(everything, 7);
    const busy = all.filter((s) => ops(s).length >= 5);
    expect(busy.length).toBeGreaterThan(100);
    // Fault kinds: none at all, or several faults of one kind only.
    expect(share(all, (s) => s.faults.length === 0)).toBeGreaterThan(0.1);
    expect(all.some((s) => s.faults.length >= 2 && new Set(s.faults.map((f) => f.kind)).size === 1)).toBe(true);
    expect(all.some((s) => new Set(s.faults.map((f) => f.kind)).size >= 3)).toBe(true);
    // Keys and sessions: one of each despite many ops, or all of them.
    const keysOf = (s: Scenario) => new Set(microOps(s).map((m) => m.k)).size;
    expect(share(busy, (s) => keysOf(s) === 1)).toBeGreaterThan(0.15);
    expect(busy.some((s) => keysOf(s) === 3)).toBe(true);
    expect(share(busy, (s) => s.sessions.length === 1)).toBeGreaterThan(0.15);
    // Span on a log scale: short spans as common as long ones.
    const last = (s: Scenario) => Math.max(...ops(s).map((o) => o.atMs));
    expect(share(busy, (s) => last(s) <= 100)).toBeGreaterThan(0.25);
    expect(share(busy, (s) => last(s) >= 500)).toBeGreaterThan(0.2);
    // Op kinds beyond reads and writes, loss, skew and slow fsync: on in some scenarios, off in others.
    for (const kind of ['upd', 'now', 'rand'] as const) {
      const has = share(busy, (s) => microOps(s).some((m) => m.f === kind));
      expect(has, kind).toBeGreaterThan(0.2);
      expect(has, kind).toBeLessThan(0.8);
    }
    for (const [what, p] of [
      ['loss', (s: Scenario) => s.network.defaultLink.lossRate > 0 || s.network.defaultLink.dupRate > 0],
      ['skew', (s: Scenario) => s.clocks !== undefined],
      ['fsync', (s: Scenario) => s.disk !== undefined],
    ] as const) {
      expect(share(all, p), what).toBeGreaterThan(0.25);
      expect(share(all, p), what).toBeLessThan(0.75);
    }
    // Read policies: sessions all on the first policy in some busy scenarios, mixed in others.
    const multi = busy.filter((s) => s.sessions.length >= 2);
    expect(multi.some((s) => s.sessions.every((x) => x.policy === 'primary'))).toBe(true);
    expect(multi.some((s) => new Set(s.sessions.map((x) => x.policy)).size >= 2)).toBe(true);
  });

  it('pins what the caller gives: fault kinds, span, one key, one policy, and swarm: false turns everything on', () => {
    const pinned = sample({ ...base, profile: 'crashes', faultKinds: ['pause'], spanMs: 300, keys: 1, policies: ['sticky-standby'] }, 8, 200);
    expect(pinned.flatMap((s) => s.faults).every((f) => f.kind === 'pause')).toBe(true);
    // A pinned kind is never switched off: fault counts follow the slot draw alone (few empty schedules).
    expect(share(pinned, (s) => s.faults.length === 0)).toBeLessThan(0.35);
    const times = pinned.flatMap((s) => ops(s).map((o) => o.atMs));
    expect(Math.max(...times)).toBeLessThanOrEqual(300);
    expect(times.filter((t) => t > 150).length).toBeGreaterThan(times.length / 4);
    expect(new Set(pinned.flatMap(microOps).map((m) => m.k))).toEqual(new Set(['k1']));
    expect(new Set(pinned.flatMap((s) => s.sessions.map((x) => x.policy)))).toEqual(new Set(['sticky-standby']));
    const on = sample({ ...everything, swarm: false }, 9, 200);
    expect(share(on, (s) => s.clocks !== undefined)).toBeGreaterThan(0.9);
    expect(share(on, (s) => s.disk !== undefined)).toBeGreaterThan(0.9);
  });

  it('times some faults by marks: a node, a mark, its 1st–8th occurrence, 0–50 ms after it in 0.1 ms steps, mostly close', () => {
    const all = sample(everything, 10);
    const aimed = all.flatMap((s) => s.faults).filter((f) => f.after);
    const timed = all.flatMap((s) => s.faults).filter((f) => !f.after);
    expect(aimed.length).toBeGreaterThan(50);
    expect(timed.length).toBeGreaterThan(50);
    for (const f of aimed) {
      expect(MARKS).toContain(f.after!.mark);
      expect(NODES).toContain(f.after!.node);
      expect(f.after!.nth).toBeGreaterThanOrEqual(1);
      expect(f.after!.nth).toBeLessThanOrEqual(8);
      expect(f.atMs).toBeGreaterThanOrEqual(0);
      expect(f.atMs).toBeLessThanOrEqual(50);
      expect(Math.round(f.atMs * 10)).toBeCloseTo(f.atMs * 10, 9);
    }
    expect(aimed.filter((f) => f.atMs < 5).length).toBeGreaterThan(aimed.length / 2);
    // Without marks, every fault is timed by the clock.
    expect(sample(base, 11, 100).flatMap((s) => s.faults).some((f) => f.after)).toBe(false);
  });
});

describe('shrinking features and aimed faults', () => {
  const MARKS = ['flushed', 'applied'];
  const shrink = (opts: ScenarioOptions, fails: (s: Scenario) => boolean, seed: number): Scenario => {
    const out = fc.check(fc.property(scenarioArb(opts), (s) => !fails(s)), { seed, numRuns: 1000 });
    expect(out.failed).toBe(true);
    return out.counterexample![0];
  };

  it.each([51, 52, 53])('a crash aimed at any mark shrinks to "crash n1 at n1\'s 1st <mark>" (seed %i)', (seed) => {
    const s = shrink({ ...base, marks: MARKS, profile: 'crashes' }, (x) => x.faults.some((f) => f.kind === 'crash' && f.after !== undefined), seed);
    expect(s.faults).toEqual([{ kind: 'crash', atMs: 0, node: 'n1', mode: 'process', after: { mark: 'flushed', node: 'n1', nth: 1 } }]);
    expect(scenarioSize(s)).toEqual({ ops: 1, faults: 1 });
    expect(s.clocks).toBeUndefined();
  });

  it.each([61, 62, 63])('an aimed fault keeps exactly what the failure needs: n2, 2nd applied, 0.3 ms (seed %i)', (seed) => {
    const needs = (x: Scenario) =>
      x.faults.some((f) => f.after?.node === 'n2' && f.after.mark === 'applied' && f.after.nth >= 2 && f.atMs >= 0.3);
    const s = shrink({ ...base, marks: MARKS }, needs, seed);
    expect(s.faults).toHaveLength(1);
    expect(s.faults[0]!.after).toEqual({ mark: 'applied', node: 'n2', nth: 2 });
    expect(s.faults[0]!.atMs).toBe(0.3);
    expect(scenarioSize(s).ops).toBe(1);
  });

  it('a clock-timed fault still shrinks to its smallest time when marks are on', () => {
    const s = shrink({ ...base, marks: MARKS, profile: 'crashes' }, (x) => x.faults.some((f) => !f.after && f.atMs >= 100), 71);
    expect(s.faults).toHaveLength(1);
    expect(s.faults[0]!.after).toBeUndefined();
    expect(s.faults[0]!.atMs).toBeGreaterThanOrEqual(100);
    expect(s.faults[0]!.atMs).toBeLessThanOrEqual(101);
  });

  it('a failure needing two keys, an update and loss keeps those features and drops the rest', () => {
    const needs = (x: Scenario) =>
      new Set(microOps(x).map((m) => m.k)).size >= 2 && microOps(x).some((m) => m.f === 'upd') && x.network.defaultLink.lossRate > 0;
    const s = shrink(base, needs, 81);
    expect(microOps(s).map((m) => m.f).sort()).toEqual(['r', 'upd']);
    expect(new Set(microOps(s).map((m) => m.k))).toEqual(new Set(['k1', 'k2']));
    expect(s.network.defaultLink).toEqual({ latency: { kind: 'constant', ms: 0.1 }, lossRate: 0.01, dupRate: 0 });
    expect(s.faults).toEqual([]);
    expect(s.clocks).toBeUndefined();
    expect(s.sessions).toHaveLength(1);
  });
});

describe('workloads without reads or writes', () => {
  it('a switched-off kind falls back to the first kind, well formed', () => {
    for (const s of fc.sample(scenarioArb({ ...base, opKinds: ['upd', 'del'] }), { numRuns: 200, seed: 12 })) {
      expect(parseScenario(JSON.parse(JSON.stringify(s)))).toEqual(s);
      for (const m of microOps(s)) {
        expect(['upd', 'del']).toContain(m.f);
        if (m.f === 'upd') expect(m.expr).toHaveProperty('op');
      }
    }
  });
});

describe('knobs drawn per scenario', () => {
  // A toy model: `size` database nodes plus a monitor; `lag` is accepted only below `timeout`.
  const nodesOf = (c: Record<string, unknown>): string[] | undefined => {
    const size = (c.size as number | undefined) ?? 3;
    if (((c.lag as number | undefined) ?? 10) >= ((c.timeout as number | undefined) ?? 100)) return undefined;
    return [...Array.from({ length: size }, (_, i) => `n${i + 1}`), 'm'];
  };
  const space: KnobSpace = {
    knobs: [
      { name: 'size', values: [2, 3, 4], default: 3 },
      { name: 'lag', values: [10, 50, 200], default: 10 },
      { name: 'timeout', values: [50, 100], default: 100 },
    ],
    nodesOf,
  };
  const all = knobNodes({}, space);
  const opts: ScenarioOptions = { model: 'toy', nodes: all, config: { mode: 'x' }, knobs: space, marks: ['tick'] };

  it('the union of node lists puts the base topology first', () => {
    expect(all).toEqual(['n1', 'n2', 'n3', 'm', 'n4']);
  });

  test.prop([scenarioArb(opts)], { numRuns: 300 })('every scenario is a configuration the model accepts, and names only its own nodes', (s) => {
    const nodes = nodesOf(s.config);
    expect(nodes).toBeDefined();
    expect(s.config.mode).toBe('x');
    expect(parseScenario(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(toSimConfig(s, nodes!).sessions).toEqual(s.sessions);
    for (const f of s.faults) {
      const named = f.kind === 'partition' ? [...f.from, ...f.to] : f.kind === 'clog' ? [f.from, f.to] : [f.node];
      for (const n of [...named, ...(f.after ? [f.after.node] : [])]) expect(nodes).toContain(n);
      if (f.kind === 'partition') expect(f.from.some((n) => f.to.includes(n))).toBe(false);
    }
    for (const n of Object.keys(s.clocks ?? {})) expect(nodes).toContain(n);
    for (const l of Object.keys(s.network.links ?? {})) for (const n of l.split('->')) expect(nodes).toContain(n);
  });

  it('draws every topology, keeps the base in most scenarios, and varies timings only sometimes', () => {
    const ss = fc.sample(scenarioArb(opts), { seed: 5, numRuns: 600 });
    const sizes = new Map<unknown, number>();
    for (const s of ss) sizes.set(s.config.size, (sizes.get(s.config.size) ?? 0) + 1);
    expect([...sizes.keys()].sort()).toEqual([2, 4, undefined]);
    expect(sizes.get(undefined)! / ss.length).toBeGreaterThan(0.5);
    const tuned = ss.filter((s) => s.config.lag !== undefined || s.config.timeout !== undefined).length / ss.length;
    expect(tuned).toBeGreaterThan(0.1);
    expect(tuned).toBeLessThan(0.6);
    // A rejected combination (lag ≥ timeout) falls back to the topology alone, never to an invalid config.
    expect(ss.some((s) => (s.config.lag as number) >= ((s.config.timeout as number | undefined) ?? 100))).toBe(false);
    expect(ss.some((s) => s.config.size === 4 && s.faults.some((f) => f.kind !== 'partition' && f.kind !== 'clog' && f.node === 'n4'))).toBe(true);
  });

  it('a failure needing two nodes shrinks to the smallest topology, and one needing none back to the base', () => {
    const out = fc.check(fc.property(scenarioArb(opts), (s) => s.config.size !== 2), { seed: 9, numRuns: 1000 });
    expect(out.failed).toBe(true);
    expect(out.counterexample![0].config).toEqual({ mode: 'x', size: 2 });
    const plain = fc.check(fc.property(scenarioArb(opts), (s) => writes(s).length === 0), { seed: 9, numRuns: 1000 });
    expect(plain.counterexample![0].config).toEqual({ mode: 'x' });
  });

  it('swarm: false keeps the base configuration', () => {
    for (const s of fc.sample(scenarioArb({ ...opts, nodes: ['n1', 'n2', 'n3', 'm'], swarm: false }), { seed: 3, numRuns: 50 })) {
      expect(s.config).toEqual({ mode: 'x' });
    }
  });
});

describe('knobSpace (the harness)', () => {
  it('offers a model\'s topology knob, smaller clusters only, and not when the variant sets it', async () => {
    const { knobSpace } = await import('../properties/harness.js');
    const { BUILTIN_MODELS } = await import('../models/index.js');
    const wal = BUILTIN_MODELS.wal!.model;
    const space = knobSpace(wal, { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' });
    expect(space?.knobs).toEqual([{ name: 'nodes', values: [2, 3], default: 3 }]);
    expect(space?.nodesOf({ nodes: 2 })).toEqual(['n1', 'n2', 'm']);
    // ANY 2 needs two standbys: the model rejects two nodes, so no scenario runs it.
    expect(knobSpace(wal, { synchronousStandbyNames: 'ANY 2 (*)' })?.nodesOf({ synchronousStandbyNames: 'ANY 2 (*)', nodes: 2 })).toBeUndefined();
    expect(knobSpace(wal, { nodes: 5 })).toBeUndefined();
    // The replicated broker's replication factor is cdc's topology: one broker is the smaller cluster.
    expect(knobSpace(BUILTIN_MODELS.cdc!.model, {})?.knobs).toEqual([{ name: 'replicas', values: [1, 3], default: 3 }]);
    expect(knobSpace(BUILTIN_MODELS.cdc!.model, { replicas: 1 })).toBeUndefined();
  });

  it('scenariosFor draws the topology only when asked', async () => {
    const { scenariosFor } = await import('../properties/harness.js');
    const { BUILTIN_MODELS } = await import('../models/index.js');
    const wal = BUILTIN_MODELS.wal!.model;
    const config = { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' };
    const sizes = (drawTopology: boolean) =>
      new Set(fc.sample(scenariosFor(wal, { modelRef: 'wal', config, drawTopology }), { seed: 4, numRuns: 120 }).map((s) => s.config.nodes));
    expect(sizes(false)).toEqual(new Set([undefined]));
    expect(sizes(true)).toEqual(new Set([undefined, 2]));
  });
});
