import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/scenario/types.js';
import { ScenarioError, parseScenario, toSimConfig } from '../src/scenario/validate.js';

const NODES = ['n1', 'n2', 'n3'];

/** A hand-built scenario using every optional part. */
function sample(): Scenario {
  return {
    model: 'wal',
    config: { sync: 'remote_apply', standbys: 2 },
    bug: 'ack-on-write',
    seed: 42,
    sessions: [
      {
        id: 's1',
        policy: 'primary',
        ops: [
          { atMs: 0, req: { txn: [{ f: 'w', k: 'k1', v: 's1-1' }], end: 'commit' } },
          { atMs: 12, req: { txn: [{ f: 'upd', k: 'k1', expr: { op: 'add', n: 10 } }, { f: 'now', k: 'k2' }, { f: 'rand', k: 'k3' }], end: 'rollback' } },
        ],
      },
      { id: 's2', policy: 'read-your-writes', ops: [{ atMs: 5.5, req: { txn: [{ f: 'r', k: 'k1' }, { f: 'del', k: 'k2' }], end: 'commit', after: { lsn: 3, timeline: 1 } } }] },
    ],
    faults: [
      { kind: 'crash', atMs: 40, node: 'n1', mode: 'machine', restartAfterMs: 200 },
      { kind: 'pause', atMs: 50, node: 'n2', durationMs: 30 },
      { kind: 'partition', atMs: 60, from: ['n1'], to: ['n2', 'n3'], oneWay: true, durationMs: 100 },
      { kind: 'clog', atMs: 70, from: 'n2', to: 'n3', extraMs: 20, durationMs: 50 },
    ],
    network: {
      defaultLink: { latency: { kind: 'mixture', parts: [{ weight: 95, dist: { kind: 'uniform', minMs: 0.1, maxMs: 1 } }, { weight: 5, dist: { kind: 'pareto', scaleMs: 1, shape: 1.5, capMs: 200 } }] }, lossRate: 0.1, dupRate: 0.01 },
      links: { 'n1->n2': { latency: { kind: 'exponential', meanMs: 2, minMs: 0.5 } } },
      breakDetectMs: 30,
      clientLatency: { kind: 'constant', ms: 0.2 },
    },
    clocks: { n2: { offsetMs: 180_000, driftPpm: -50, jumps: [{ atMs: 100, byMs: -20 }] } },
    disk: { fsyncLatency: { kind: 'constant', ms: 2 } },
    limits: { maxEvents: 100_000, maxTimeMs: 60_000, quietMaxMs: 10_000, clientTimeoutMs: 500 },
  };
}

/** Apply an edit to a JSON copy of the sample and return the validation error message. */
function errorOf(edit: (s: any) => void): string {
  const s = JSON.parse(JSON.stringify(sample()));
  edit(s);
  try {
    parseScenario(s);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('parseScenario', () => {
  it('accepts a scenario using every part and returns an equal, independent copy', () => {
    const input = JSON.parse(JSON.stringify(sample()));
    const out = parseScenario(input);
    expect(out).toEqual(sample());
    expect(JSON.stringify(out)).toBe(JSON.stringify(sample()));
    out.sessions[0]!.ops.pop();
    expect(input.sessions[0].ops).toHaveLength(2);
  });

  it.each<[string, (s: any) => void, string]>([
    ['non-object', () => {}, ''],
    ['bad micro-op kind', (s) => (s.sessions[1].ops[0].req.txn[1].f = 'x'), 'sessions[1].ops[0].req.txn[1].f: expected one of r,w,upd,now,rand,del, got "x"'],
    ['missing model', (s) => delete s.model, 'model: required'],
    ['unknown top-level key', (s) => (s.faultz = []), 'faultz: unexpected key'],
    ['typo in a fault field', (s) => (s.faults[1].durationMS = 3), 'faults[1].durationMS: unexpected key'],
    ['negative time', (s) => (s.sessions[0].ops[1].atMs = -1), 'sessions[0].ops[1].atMs: expected a number in [0, Infinity], got -1'],
    ['empty transaction', (s) => (s.sessions[0].ops[0].req.txn = []), 'sessions[0].ops[0].req.txn: expected at least 1 element(s)'],
    ['bad end', (s) => (s.sessions[0].ops[0].req.end = 'abort'), 'sessions[0].ops[0].req.end: expected one of commit,rollback, got "abort"'],
    ['null write', (s) => (s.sessions[0].ops[0].req.txn[0].v = null), 'sessions[0].ops[0].req.txn[0].v: expected a string or number (write null with {f:"del"}), got null'],
    ['server value in a request', (s) => (s.sessions[1].ops[0].req.txn[0].v = 1), 'sessions[1].ops[0].req.txn[0].v: unexpected key'],
    ['bad update op', (s) => (s.sessions[0].ops[1].req.txn[0].expr.op = 'sub'), 'sessions[0].ops[1].req.txn[0].expr.op: expected one of add,mul'],
    ['duplicate value', (s) => s.sessions[0].ops[1].req.txn.push({ f: 'w', k: 'k2', v: 's1-1' }), 'sessions[0].ops[1].req.txn[3].v: written value "s1-1" is not unique (also written at sessions[0].ops[0].req.txn[0].v)'],
    ['duplicate session', (s) => (s.sessions[1].id = 's1'), "sessions[1].id: session id 's1' is used twice"],
    ['bad policy', (s) => (s.sessions[1].policy = 'nearest'), 'sessions[1].policy: expected one of primary,any-standby,sticky-standby,read-your-writes'],
    ['bad crash mode', (s) => (s.faults[0].mode = 'kernel'), 'faults[0].mode: expected one of process,machine'],
    ['unknown fault', (s) => (s.faults[0].kind = 'flood'), 'faults[0].kind: expected one of crash,pause,partition,clog'],
    ['partition overlap', (s) => s.faults[2].to.push('n1'), "faults[2].to: node 'n1' is on both sides of the partition"],
    ['empty partition side', (s) => (s.faults[2].from = []), 'faults[2].from: expected at least 1 element(s)'],
    ['clog to itself', (s) => (s.faults[3].to = 'n2'), "faults[3].to: a clog needs two different nodes, got 'n2' twice"],
    ['loss above 1', (s) => (s.network.defaultLink.lossRate = 1.5), 'network.defaultLink.lossRate: expected a number in [0, 1], got 1.5'],
    ['inverted uniform', (s) => (s.network.defaultLink.latency.parts[0].dist.maxMs = 0.05), 'network.defaultLink.latency.parts[0].dist.maxMs: expected a number in [0.1, Infinity], got 0.05'],
    ['zero pareto shape', (s) => (s.network.defaultLink.latency.parts[1].dist.shape = 0), 'network.defaultLink.latency.parts[1].dist.shape: expected a positive number, got 0'],
    ['bad link key', (s) => (s.network.links['n1n2'] = {}), 'network.links.n1n2: link keys look like "n1->n2"'],
    ['missing link field', (s) => delete s.network.defaultLink.dupRate, 'network.defaultLink.dupRate: required'],
    ['NaN-like clock', (s) => (s.clocks.n2.offsetMs = '3min'), 'clocks.n2.offsetMs: expected a finite number, got "3min"'],
    ['absurd drift', (s) => (s.clocks.n2.driftPpm = 2e6), 'clocks.n2.driftPpm: expected a number in [-100000, 100000], got 2000000'],
    ['fractional seed', (s) => (s.seed = 1.5), 'seed: expected an integer, got 1.5'],
    ['fractional maxEvents', (s) => (s.limits.maxEvents = 0), 'limits.maxEvents: expected an integer in [1, 9007199254740991], got 0'],
    ['config not JSON', (s) => (s.config = [1]), 'config: expected an object, got an array'],
  ])('%s → a path and what was expected', (_name, edit, message) => {
    if (message === '') {
      expect(() => parseScenario('wal')).toThrow('(scenario): expected an object, got "wal"');
      expect(() => parseScenario(null)).toThrow('(scenario): expected an object, got null');
      return;
    }
    expect(errorOf(edit)).toContain(message);
  });

  it('reports the error with its path as data', () => {
    try {
      parseScenario({ ...sample(), faults: [{ kind: 'pause', atMs: 1, node: 'n1' }] });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ name: 'ScenarioError', path: 'faults[0].durationMs', expected: 'required' });
    }
  });
});

describe('toSimConfig', () => {
  it('builds the simulator configuration, storing the scenario for the history meta entry', () => {
    const s = sample();
    const c = toSimConfig(s, NODES);
    expect(c).toMatchObject({ seed: 42, nodes: NODES, faults: s.faults, sessions: s.sessions, clocks: s.clocks, disk: s.disk, limits: s.limits });
    expect(c.scenario).toBe(s);
    const bare = toSimConfig({ model: 'm', config: {}, seed: 1, sessions: [], faults: [], network: { defaultLink: s.network.defaultLink } }, ['a']);
    expect(Object.keys(bare).sort()).toEqual(['faults', 'network', 'nodes', 'scenario', 'seed', 'sessions']);
  });

  it.each<[string, (s: Scenario) => void, string]>([
    ['crash', (s) => ((s.faults[0] as { node: string }).node = 'n9'), "faults[0].node: unknown node 'n9' (topology: n1, n2, n3)"],
    ['partition', (s) => ((s.faults[2] as { to: string[] }).to = ['n2', 'x']), "faults[2].to[1]: unknown node 'x'"],
    ['clog', (s) => ((s.faults[3] as { from: string }).from = 'n0'), "faults[3].from: unknown node 'n0'"],
    ['clock', (s) => (s.clocks = { n4: { offsetMs: 1, driftPpm: 0 } }), "clocks.n4: unknown node 'n4'"],
    ['link', (s) => (s.network.links = { 'n1->n7': {} }), "network.links.n1->n7: unknown node 'n7'"],
  ])('rejects a %s on a node the topology lacks', (_n, edit, message) => {
    const s = sample();
    edit(s);
    expect(() => toSimConfig(s, NODES)).toThrow(message);
  });
});

describe('hostile input', () => {
  it('refuses __proto__ keys in maps instead of replacing a prototype', () => {
    const s = JSON.parse(JSON.stringify(sample()));
    const withProto = JSON.parse('{"__proto__": {"offsetMs": 1, "driftPpm": 0}}');
    expect(() => parseScenario({ ...s, clocks: withProto })).toThrow('clocks.__proto__: not an allowed key');
    expect(() => parseScenario({ ...s, config: JSON.parse('{"__proto__": {}}') })).toThrow('config.__proto__: not an allowed key');
  });

  it('refuses non-JSON numbers deep inside config', () => {
    expect(() => parseScenario({ ...sample(), config: { a: { b: [1, Infinity] } } })).toThrow('config.a.b[1]: expected a finite number, got Infinity');
  });
});
