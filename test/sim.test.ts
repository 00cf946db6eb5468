import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  DeterminismError,
  ModelError,
  SimLimitError,
  simulate,
  type Fault,
  type History,
  type LatencyDist,
  type NetEntry,
  type SimConfig,
} from '../src/analysis.js';
import { NodeClock } from '../src/sim/clock.js';
import { SimDisk } from '../src/sim/disk.js';
import { RandomStreams } from '../src/sim/random.js';
import { sampleLatency } from '../src/sim/latency.js';
import { broadcastModel, chattyModel, hookModel } from './helpers/sim-models.js';

const NODES = ['n1', 'n2', 'n3'];

function config(over: Partial<SimConfig> = {}): SimConfig {
  return {
    seed: 1,
    nodes: NODES,
    network: { defaultLink: { latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, lossRate: 0, dupRate: 0 } },
    faults: [],
    sessions: [],
    ...over,
  };
}

function writes(n: number, gapMs = 0.5): SimConfig['sessions'] {
  return [
    {
      id: 's1',
      policy: 'primary',
      ops: Array.from({ length: n }, (_, i) => ({
        atMs: i * gapMs,
        req: { txn: [{ f: 'w' as const, k: `k${i % 3}`, v: i + 1 }], end: 'commit' as const },
      })),
    },
  ];
}

const nets = (h: History, ev: NetEntry['ev']) => h.filter((e): e is NetEntry => e.type === 'net' && e.ev === ev);

const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    kind: fc.constant('crash' as const),
    atMs: fc.integer({ min: 0, max: 20 }),
    node: fc.constantFrom(...NODES),
    mode: fc.constantFrom('process' as const, 'machine' as const),
    restartAfterMs: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    kind: fc.constant('partition' as const),
    atMs: fc.integer({ min: 0, max: 20 }),
    from: fc.constant(['n1'] as string[]),
    to: fc.subarray(['n2', 'n3'], { minLength: 1 }),
    oneWay: fc.boolean(),
    durationMs: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    kind: fc.constant('pause' as const),
    atMs: fc.integer({ min: 0, max: 20 }),
    node: fc.constantFrom(...NODES),
    durationMs: fc.integer({ min: 1, max: 20 }),
  }),
);

describe('determinism', () => {
  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 30 }), fc.array(faultArb, { maxLength: 4 })], {
    numRuns: 40,
  })('same scenario and seed give the same trace hash', (seed, ops, faults) => {
    const cfg = config({ seed, faults, sessions: writes(ops) });
    const a = simulate({ model: broadcastModel({ channel: 'datagram' }), config: {}, sim: cfg });
    const b = simulate({ model: broadcastModel({ channel: 'datagram' }), config: {}, sim: structuredClone(cfg) });
    expect(a.hash).toBe(b.hash);
    expect(JSON.stringify(a.history)).toBe(JSON.stringify(b.history));
  });

  it('a different seed gives a different trace in general', () => {
    const hashes = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      hashes.add(simulate({ model: broadcastModel(), config: {}, sim: config({ seed, sessions: writes(10) }) }).hash);
    }
    expect(hashes.size).toBe(20);
  });

  it('adding a node does not reshuffle another stream', () => {
    const a = new RandomStreams(7);
    const b = new RandomStreams(7);
    b.stream('node:extra')();
    b.stream('node:extra')();
    const xs = Array.from({ length: 5 }, () => a.stream('net:n1->n2')());
    const ys = Array.from({ length: 5 }, () => b.stream('net:n1->n2')());
    expect(ys).toEqual(xs);
  });
});

describe('network', () => {
  it('streams never reorder, datagrams can', () => {
    const wide: LatencyDist = { kind: 'uniform', minMs: 0.1, maxMs: 30 };
    const net = { defaultLink: { latency: wide, lossRate: 0, dupRate: 0 } };
    const order = (channel: 'stream' | 'datagram') => {
      const r = simulate({ model: broadcastModel({ channel }), config: {}, sim: config({ network: net, sessions: writes(50, 0.1) }) });
      return nets(r.history, 'recv').filter((e) => e.to === 'n2').map((e) => e.msg);
    };
    const stream = order('stream');
    expect(stream).toHaveLength(50);
    expect(stream).toEqual([...stream].sort((a, b) => a - b));
    const dgram = order('datagram');
    expect(dgram).toHaveLength(50);
    expect(dgram).not.toEqual([...dgram].sort((a, b) => a - b));
  });

  it('a two-way partition drops both ways and breaks the stream; a one-way partition only one way', () => {
    const gossip = (oneWay: boolean) => {
      const faults: Fault[] = [{ kind: 'partition', atMs: 0, from: ['n1'], to: ['n2'], oneWay, durationMs: 100 }];
      const r = simulate({ model: broadcastModel({ channel: 'datagram', gossipMs: 5 }), config: {}, sim: config({ faults }) });
      const during = r.history.filter((e) => e.t > 0 && e.t < 100);
      const recv = nets(during, 'recv');
      return {
        n1ToN2: recv.filter((e) => e.from === 'n1' && e.to === 'n2').length,
        n2ToN1: recv.filter((e) => e.from === 'n2' && e.to === 'n1').length,
        n1ToN3: recv.filter((e) => e.from === 'n1' && e.to === 'n3').length,
      };
    };
    const both = gossip(false);
    expect(both.n1ToN2).toBe(0);
    expect(both.n2ToN1).toBe(0);
    expect(both.n1ToN3).toBeGreaterThan(10);
    const one = gossip(true);
    expect(one.n1ToN2).toBe(0);
    expect(one.n2ToN1).toBeGreaterThan(10);
  });

  it('a stream send across a partition is dropped and both ends learn of the break', () => {
    const faults: Fault[] = [{ kind: 'partition', atMs: 0, from: ['n1'], to: ['n2'], durationMs: 50 }];
    const r = simulate({ model: broadcastModel(), config: {}, sim: config({ faults, sessions: writes(1) }) });
    const drops = nets(r.history, 'drop').filter((e) => e.to === 'n2');
    expect(drops.map((e) => e.why)).toEqual(['partition']);
    expect(nets(r.history, 'break')).toHaveLength(1);
    expect(r.history.find((e) => e.type === 'final' && e.node === 'n2')).toMatchObject({ view: { data: {} } });
    expect(r.history.find((e) => e.type === 'final' && e.node === 'n3')).toMatchObject({ view: { data: { k0: 1 } } });
  });

  it('a crash loses what is in flight on its streams', () => {
    const slow = { defaultLink: { latency: { kind: 'constant', ms: 10 } as LatencyDist, lossRate: 0, dupRate: 0 } };
    const faults: Fault[] = [{ kind: 'crash', atMs: 2, node: 'n2', mode: 'process', restartAfterMs: 1 }];
    const r = simulate({ model: broadcastModel(), config: {}, sim: config({ network: slow, faults, sessions: writes(1) }) });
    expect(nets(r.history, 'drop').map((e) => [e.to, e.why])).toEqual([['n2', 'stream-broken']]);
  });

  it('loss and duplication rates land near their settings', () => {
    const lossy = { defaultLink: { latency: { kind: 'constant', ms: 1 } as LatencyDist, lossRate: 0.2, dupRate: 0.1 } };
    const r = simulate({
      model: broadcastModel({ channel: 'datagram' }),
      config: {},
      sim: config({ network: lossy, sessions: writes(2000, 0.01), limits: { clientTimeoutMs: 10_000 } }),
    });
    const sent = nets(r.history, 'send').length;
    const lost = nets(r.history, 'drop').filter((e) => e.why === 'loss').length;
    const recv = nets(r.history, 'recv').length;
    expect(sent).toBe(4000);
    expect(lost / sent).toBeGreaterThan(0.17);
    expect(lost / sent).toBeLessThan(0.23);
    const dups = recv - (sent - lost);
    expect(dups / (sent - lost)).toBeGreaterThan(0.08);
    expect(dups / (sent - lost)).toBeLessThan(0.12);
  });

  it('clogging delays but does not drop', () => {
    const fixed = { defaultLink: { latency: { kind: 'constant', ms: 1 } as LatencyDist, lossRate: 0, dupRate: 0 } };
    const faults: Fault[] = [{ kind: 'clog', atMs: 0, from: 'n1', to: 'n2', extraMs: 40, durationMs: 100 }];
    const r = simulate({ model: broadcastModel(), config: {}, sim: config({ network: fixed, faults, sessions: writes(1) }) });
    const recv = nets(r.history, 'recv');
    expect(recv.find((e) => e.to === 'n2')!.t).toBeCloseTo(41.2, 6);
    expect(recv.find((e) => e.to === 'n3')!.t).toBeCloseTo(1.2, 6);
  });

  test.prop([fc.integer({ min: 0, max: 1000 })])('latency samples follow their distributions', (seed) => {
    const rng = new RandomStreams(seed).stream('x');
    const pareto: LatencyDist = { kind: 'pareto', scaleMs: 2, shape: 3 };
    const mix: LatencyDist = {
      kind: 'mixture',
      parts: [
        { weight: 9, dist: { kind: 'constant', ms: 1 } },
        { weight: 1, dist: { kind: 'constant', ms: 100 } },
      ],
    };
    for (let i = 0; i < 50; i++) {
      expect(sampleLatency(pareto, rng)).toBeGreaterThanOrEqual(2);
      expect([1, 100]).toContain(sampleLatency(mix, rng));
      const u = sampleLatency({ kind: 'uniform', minMs: 3, maxMs: 4 }, rng);
      expect(u >= 3 && u <= 4).toBe(true);
    }
  });

  it('exponential samples have the configured mean', () => {
    const rng = new RandomStreams(3).stream('x');
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += sampleLatency({ kind: 'exponential', meanMs: 5, minMs: 1 }, rng);
    expect(sum / 20000).toBeGreaterThan(5.8);
    expect(sum / 20000).toBeLessThan(6.2);
  });
});

describe('clocks', () => {
  it('offset, drift and jumps add up; timers ignore jumps but follow drift', () => {
    const c = new NodeClock({ offsetMs: 100, driftPpm: 1000, jumps: [{ atMs: 50, byMs: -30 }] });
    expect(c.wallAt(0)).toBe(100);
    expect(c.wallAt(40)).toBeCloseTo(140.04, 9);
    expect(c.wallAt(60)).toBeCloseTo(60 + 100 + 0.06 - 30, 9);
    expect(c.trueDuration(1001)).toBeCloseTo(1000, 9);
  });

  it('a node reads its own clock while the trace records true time', () => {
    const seen: number[] = [];
    const model = hookModel((ctx) => {
      seen.push(ctx.now());
      ctx.setTimer(10, 't');
    });
    model.program = () => ({
      start: (ctx) => {
        seen.push(ctx.now());
        ctx.setTimer(10, 't');
      },
      onTimer: (ctx) => {
        seen.push(ctx.now());
        ctx.emit('tick');
      },
      onMessage: () => {},
      onRequest: () => {},
      view: () => ({ role: 'node', data: {} }),
    });
    const r = simulate({
      model,
      config: {},
      sim: { ...config(), nodes: ['a'], clocks: { a: { offsetMs: 180_000, driftPpm: 0, jumps: [{ atMs: 5, byMs: 1000 }] } } },
    });
    expect(seen).toEqual([180_000, 181_010]);
    expect(r.history.find((e) => e.type === 'event')!.t).toBe(10);
  });
});

describe('disks', () => {
  function disk() {
    const pending: (() => void)[] = [];
    const d = new SimDisk((complete) => pending.push(complete));
    const api = d.api((cb) => cb);
    const flushAll = () => {
      while (pending.length) pending.shift()!();
    };
    return { d, api, pending, flushAll };
  }

  it('fsync makes writes durable; a machine crash loses unsynced writes', () => {
    const { d, api, flushAll } = disk();
    api.append('wal', 1);
    api.append('wal', 2);
    let synced = false;
    api.fsync(() => (synced = true));
    api.append('wal', 3);
    api.put('state', 'a');
    flushAll();
    expect(synced).toBe(true);
    d.machineCrash();
    expect(api.records('wal')).toEqual([1, 2]);
    expect(api.get('state')).toBeUndefined();
  });

  it('a process crash keeps the OS cache', () => {
    const { api } = disk();
    api.append('wal', 1);
    api.put('state', 'a');
    // no fsync, no machine crash: a restarted program still reads both
    expect(api.records('wal')).toEqual([1]);
    expect(api.get('state')).toBe('a');
  });

  it('a crash during fsync voids it; fsyncs requested meanwhile join the next flush', () => {
    const { d, api, pending, flushAll } = disk();
    api.append('wal', 1);
    api.fsync();
    api.append('wal', 2);
    const order: string[] = [];
    api.fsync(() => order.push('second'));
    expect(pending).toHaveLength(1);
    d.machineCrash();
    flushAll();
    expect(api.records('wal')).toEqual([]);
    expect(order).toEqual([]);
    api.append('wal', 'x');
    api.fsync(() => order.push('a'));
    api.truncate('wal', 0);
    api.append('wal', 'y');
    api.fsync(() => order.push('b'));
    flushAll();
    expect(order).toEqual(['a', 'b']);
    d.machineCrash();
    expect(api.records('wal')).toEqual(['y']);
  });

  it('fsync latency is simulated and callbacks do not outlive a crash', () => {
    const model = hookModel(() => {});
    const log: string[] = [];
    model.program = () => ({
      start: (ctx) => {
        const n = ctx.disk.records('wal').length;
        log.push(`start with ${n}`);
        ctx.disk.append('wal', n);
        ctx.disk.fsync(() => log.push(`synced ${n} at ${ctx.now()}`));
      },
      onTimer: () => {},
      onMessage: () => {},
      onRequest: () => {},
      view: () => ({ role: 'node', data: {} }),
    });
    simulate({
      model,
      config: {},
      sim: {
        ...config(),
        nodes: ['a'],
        disk: { fsyncLatency: { kind: 'constant', ms: 5 } },
        faults: [
          { kind: 'crash', atMs: 2, node: 'a', mode: 'machine', restartAfterMs: 1 },
          { kind: 'crash', atMs: 20, node: 'a', mode: 'process', restartAfterMs: 1 },
        ],
      },
    });
    expect(log).toEqual(['start with 0', 'start with 0', 'synced 0 at 8', 'start with 1', 'synced 1 at 26']);
  });
});

describe('lifecycle and clients', () => {
  it('a pause holds events; a crash makes open requests indeterminate; a dead node refuses', () => {
    const fixed = { defaultLink: { latency: { kind: 'constant', ms: 1 } as LatencyDist, lossRate: 0, dupRate: 0 } };
    const model = broadcastModel();
    const slowReply = model.program;
    model.program = (node, cfg, bug) => {
      const p = slowReply(node, cfg, bug);
      return { ...p, onRequest: (ctx, r) => ctx.setTimer(5, 'answer', r), onTimer: (ctx, _tag, r) => p.onRequest(ctx, r as never) };
    };
    const r = simulate({
      model,
      config: {},
      sim: config({
        network: fixed,
        faults: [
          { kind: 'pause', atMs: 0.5, node: 'n1', durationMs: 10 },
          { kind: 'crash', atMs: 20, node: 'n1', mode: 'process', restartAfterMs: 30 },
        ],
        sessions: [
          {
            id: 's1',
            policy: 'primary',
            ops: [
              { atMs: 0, req: { txn: [{ f: 'w', k: 'a', v: 1 }], end: 'commit' } },
              { atMs: 18, req: { txn: [{ f: 'w', k: 'a', v: 2 }], end: 'commit' } },
              { atMs: 25, req: { txn: [{ f: 'w', k: 'a', v: 3 }], end: 'commit' } },
            ],
          },
        ],
      }),
    });
    const done = r.history.filter((e) => e.type === 'ok' || e.type === 'info' || e.type === 'fail');
    expect(done.map((e) => [e.type, e.t])).toEqual([
      ['ok', 10.7], // timer due at 5.2 was held by the pause until 10.5
      ['info', 20],
      ['fail', 25],
    ]);
  });

  it('the quiet phase heals faults and restarts nodes before the final views', () => {
    const faults: Fault[] = [
      { kind: 'crash', atMs: 1, node: 'n3', mode: 'machine' },
      { kind: 'partition', atMs: 1, from: ['n1'], to: ['n2'] },
    ];
    const r = simulate({ model: broadcastModel(), config: {}, sim: config({ faults, sessions: writes(1, 0) }) });
    const quiet = r.history.findIndex((e) => e.type === 'quiet');
    expect(quiet).toBeGreaterThan(0);
    const after = r.history.slice(quiet);
    expect(after.filter((e) => e.type === 'fault' && e.phase === 'heal')).toHaveLength(2);
    expect(after.some((e) => e.type === 'node' && e.ev === 'restart' && e.node === 'n3')).toBe(true);
    expect(r.history.filter((e) => e.type === 'final').every((e) => e.type === 'final' && e.alive)).toBe(true);
  });
});

describe('limits and guards', () => {
  it('a model that never quiesces ends with the quiet-phase limit, naming it and the seed', () => {
    expect(() => simulate({ model: chattyModel, config: {}, sim: { ...config(), nodes: ['a', 'b'], seed: 42 } })).toThrowError(
      /limit quietMaxMs=10000 .*seed 42.*never quiesced/,
    );
  });

  it('the event budget stops a runaway run', () => {
    try {
      simulate({ model: chattyModel, config: {}, sim: { ...config(), nodes: ['a', 'b'], limits: { maxEvents: 1000 } } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SimLimitError);
      expect((err as SimLimitError).limit).toBe('maxEvents');
    }
  });

  it('the virtual-time bound stops a long run', () => {
    expect(() =>
      simulate({ model: chattyModel, config: {}, sim: { ...config(), nodes: ['a', 'b'], limits: { maxTimeMs: 500 } } }),
    ).toThrowError(/limit maxTimeMs=500/);
  });

  it.each([
    ['Math.random', () => Math.random(), /ctx\.random\(\)/],
    ['Date.now', () => Date.now(), /ctx\.now\(\)/],
    ['setTimeout', () => setTimeout(() => {}, 1), /ctx\.setTimer\(\)/],
    ['setInterval', () => setInterval(() => {}, 1), /ctx\.setTimer\(\)/],
  ])('the determinism guard trips on %s and is removed afterwards', (_name, call, hint) => {
    const run = () => simulate({ model: hookModel(() => void call()), config: {}, sim: { ...config(), nodes: ['a'] } });
    expect(run).toThrowError(DeterminismError);
    expect(run).toThrowError(hint);
    expect(typeof Math.random()).toBe('number');
    expect(typeof Date.now()).toBe('number');
  });

  it('model code that throws becomes a ModelError naming node, hook and seed', () => {
    const run = () =>
      simulate({
        model: hookModel(() => {
          throw new Error('boom');
        }),
        config: {},
        sim: { ...config(), nodes: ['a'], seed: 9 },
      });
    expect(run).toThrowError(ModelError);
    expect(run).toThrowError(/node a threw during start \(start\) at t=0\.000 ms \(seed 9\): boom/);
  });

  it('a view that is not { role, data } is a ModelError saying what view() must return', () => {
    for (const bad of [undefined, 'x', { role: 'node' }, { role: 'node', data: null }, { role: 1, data: {} }, { role: 'node', data: [] }]) {
      const model = hookModel(() => {});
      const program = model.program;
      model.program = (...args) => ({ ...program(...args), view: () => bad as never });
      const run = () => simulate({ model, config: {}, sim: { ...config(), nodes: ['a'], seed: 9 } });
      expect(run, JSON.stringify(bad)).toThrowError(ModelError);
      expect(run, JSON.stringify(bad)).toThrowError(/node a threw during view\(\) .*view\(\) must return \{ role: string, data: \{ key: value \} \}, got /);
    }
  });
});

describe('background traffic', () => {
  function poller(background: boolean) {
    const model = hookModel(() => {});
    model.nodes = () => ['a', 'b'];
    model.program = () => ({
      start: (ctx) => {
        ctx.setTimer(5, 'poll', undefined, { background: true });
        ctx.send(ctx.id === 'a' ? 'b' : 'a', { type: 'poll' }, { background });
      },
      onTimer: (ctx) => {
        ctx.setTimer(5, 'poll', undefined, { background: true });
        ctx.send(ctx.id === 'a' ? 'b' : 'a', { type: 'poll' }, { background });
      },
      onMessage: () => {},
      onRequest: () => {},
      view: () => ({ role: 'node', data: {} }),
    });
    // Latency longer than the poll period: a poll is always in flight.
    const slow = { defaultLink: { latency: { kind: 'constant', ms: 7 } as LatencyDist, lossRate: 0, dupRate: 0 } };
    return () => simulate({ model, config: {}, sim: { ...config(), nodes: ['a', 'b'], network: slow, limits: { quietMaxMs: 200 } } });
  }

  it('background messages do not keep the quiet phase alive and are marked in the trace', () => {
    const r = poller(true)();
    expect(r.history.filter((e) => e.type === 'net').every((e) => e.type === 'net' && e.bg === true)).toBe(true);
  });

  it('the same polls sent in the foreground never let the run quiesce', () => {
    expect(poller(false)).toThrowError(/limit quietMaxMs=200/);
  });
});
