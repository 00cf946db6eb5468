import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scenarioArb } from '../src/scenario/arbitraries.js';
import { TokenError, decodeToken, encodeToken, formatScenario, scenarioSize } from '../src/scenario/compact.js';
import type { Scenario } from '../src/scenario/types.js';
import { parseScenario } from '../src/scenario/validate.js';

const scenario: Scenario = {
  model: 'wal',
  config: { sync: 'on' },
  bug: 'no-fencing',
  seed: 7,
  sessions: [
    {
      id: 's1',
      policy: 'primary',
      ops: [
        { atMs: 12, req: { txn: [{ f: 'w', k: 'k1', v: 's1-3' }], end: 'commit' } },
        { atMs: 40, req: { txn: [{ f: 'upd', k: 'k1', expr: { op: 'add', n: 10 } }, { f: 'now', k: 'k2' }], end: 'rollback' } },
      ],
    },
    {
      id: 's2',
      policy: 'read-your-writes',
      ops: [
        { atMs: 0, req: { txn: [{ f: 'r', k: 'k1' }], end: 'commit' } },
        { atMs: 1250.25, req: { txn: [{ f: 'rand', k: 'k2' }, { f: 'del', k: 'k3' }, { f: 'upd', k: 'k1', expr: { op: 'mul', n: 2 } }], end: 'commit' } },
        { atMs: 1300, req: { txn: [{ f: 'w', k: 'k2', v: 5 }], end: 'rollback' } },
      ],
    },
  ],
  faults: [
    { kind: 'crash', atMs: 40, node: 'n1', mode: 'machine', restartAfterMs: 200 },
    { kind: 'partition', atMs: 55, from: ['n1'], to: ['n2', 'n3'], oneWay: true },
    { kind: 'partition', atMs: 60, from: ['n2'], to: ['n3'], durationMs: 100 },
    { kind: 'pause', atMs: 70, node: 'n3', durationMs: 25 },
    { kind: 'clog', atMs: 80, from: 'n1', to: 'n2', extraMs: 30, durationMs: 90 },
    { kind: 'crash', atMs: 90, node: 'n2', mode: 'process' },
  ],
  network: {
    defaultLink: {
      latency: { kind: 'mixture', parts: [{ weight: 95, dist: { kind: 'uniform', minMs: 0.2, maxMs: 1.5 } }, { weight: 5, dist: { kind: 'pareto', scaleMs: 1, shape: 1.5, capMs: 300 } }] },
      lossRate: 0.05,
      dupRate: 0.01,
    },
    links: { 'n1->n2': { latency: { kind: 'exponential', meanMs: 2, minMs: 0.5 } }, 'n2->n3': { lossRate: 0.2 } },
  },
  clocks: { n2: { offsetMs: 180000, driftPpm: -50, jumps: [{ atMs: 100, byMs: -20 }] }, n3: { offsetMs: 0, driftPpm: 0 } },
  disk: { fsyncLatency: { kind: 'constant', ms: 4 } },
};

describe('formatScenario', () => {
  it('prints the environment, then every op and fault in time order, one per line', () => {
    expect(formatScenario(scenario)).toBe(
      [
        'model wal bug=no-fencing config={"sync":"on"} seed=7',
        '5 ops, 6 faults',
        'network: latency mix[95% uniform 0.2-1.5ms | 5% pareto(scale 1ms, shape 1.5, cap 300ms)], loss 5%, dup 1%; n1->n2: latency 0.5ms + exp(mean 2ms); n2->n3: loss 20%',
        'clocks: n2 +180000ms -50ppm jump -20ms at 100.0ms; n3 exact',
        'disk: fsync const 4ms',
        'sessions: s1 primary, s2 read-your-writes',
        '     0.0ms s2 r(k1)',
        '    12.0ms s1 w(k1,"s1-3")',
        '    40.0ms s1 BEGIN upd(k1,k1+10) w(k2,NOW()) ROLLBACK',
        '    40.0ms crash n1 (machine, restart +200ms)',
        '    55.0ms partition n1 -/-> n2,n3 (one-way, until quiet)',
        '    60.0ms partition n2 <-/-> n3 (for 100ms)',
        '    70.0ms pause n3 for 25ms',
        '    80.0ms clog n1 -> n2 +30ms for 90ms',
        '    90.0ms crash n2 (process, restart in quiet phase)',
        '  1250.3ms s2 BEGIN w(k2,RAND()) del(k3) upd(k1,k1*2) COMMIT',
        '  1300.0ms s2 BEGIN w(k2,5) ROLLBACK',
      ].join('\n'),
    );
  });

  it('says "exact" and omits optional lines for a plain scenario', () => {
    const plain: Scenario = { model: 'm', config: {}, seed: 0, sessions: [], faults: [], network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } } };
    expect(formatScenario(plain)).toBe('model m config={} seed=0\n0 ops, 0 faults\nnetwork: latency const 1ms\nclocks: exact');
  });

  test.prop([scenarioArb({ model: 'wal', nodes: ['n1', 'n2', 'n3'], opsMax: 15 })], { numRuns: 50 })(
    'is a pure function of the scenario with one line per op and fault',
    (s) => {
      const text = formatScenario(s);
      expect(formatScenario(parseScenario(JSON.parse(JSON.stringify(s))))).toBe(text);
      const size = scenarioSize(s);
      expect(text.split('\n').filter((l) => /^ +\d+\.\dms /.test(l))).toHaveLength(size.ops + size.faults);
    },
  );
});

describe('scenarioSize', () => {
  it('counts transactions (not micro-ops) and faults', () => {
    expect(scenarioSize(scenario)).toEqual({ ops: 5, faults: 6 });
  });
});

describe('replay tokens', () => {
  test.prop([fc.jsonValue()])('round-trip any JSON value', (v) => {
    const token = encodeToken(v);
    expect(token).toMatch(/^rc1:[A-Za-z0-9_-]+$/);
    expect(decodeToken(token)).toEqual(JSON.parse(JSON.stringify(v)));
  });

  it('round-trips a scenario payload, tolerating whitespace and quotes from copy-paste', () => {
    const payload = { v: 1, scenario };
    const token = encodeToken(payload);
    expect(decodeToken(`  '${token}'\n`)).toEqual(payload);
    expect(token.length).toBeLessThan(JSON.stringify(payload).length);
  });

  it.each<[string, string, RegExp]>([
    ['no prefix', 'hello', /not a replay token: it must start with 'rc1:'/],
    ['future version', 'rc9:abc', /unsupported token version 'rc9:'/],
    ['empty body', 'rc1:', /empty after its prefix/],
    ['bad character', 'rc1:ab+c', /invalid character "\+" at position 6/],
    ['truncated', encodeToken({ a: 'x'.repeat(50), b: [1, 2, 3] }).slice(0, 20), /corrupt or truncated/],
    ['not deflate', 'rc1:' + Buffer.from('plain text').toString('base64url'), /corrupt or truncated|not JSON/],
    ['not JSON inside', 'rc1:' + deflateRawSync(Buffer.from('{oops')).toString('base64url'), /decompresses to text that is not JSON/],
  ])('reject a malformed token (%s) with a TokenError', (_n, token, message) => {
    expect(() => decodeToken(token)).toThrow(TokenError);
    expect(() => decodeToken(token)).toThrow(message);
  });

  it('refuses to encode what is not JSON', () => {
    expect(() => encodeToken(undefined)).toThrow(TokenError);
  });
});
