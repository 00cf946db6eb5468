/**
 * The leaderless model: what `models` lists, determinism, every named variant
 * holding its claims, and each planted bug caught by its trigger and shrunk
 * small while the correct model passes the very same scenario.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, bugRunOptions, variantRunOptions } from '../models/index.js';
import { leaderlessModel, replicasOf } from '../models/leaderless/index.js';
import { checkModel } from '../properties/harness.js';
import { readFileSync } from 'node:fs';
import { decodeToken, judgeScenario, parseScenario, runScenario, type Scenario } from '../src/analysis.js';

const entry = BUILTIN_MODELS['leaderless']!;

const w = (k: string, v: string) => ({ txn: [{ f: 'w' as const, k, v }], end: 'commit' as const });
const r = (k: string) => ({ txn: [{ f: 'r' as const, k }], end: 'commit' as const });

function scenario(config: Record<string, unknown>, bug?: string, clocks?: Scenario['clocks']): Scenario {
  return {
    model: 'leaderless', config, ...(bug ? { bug } : {}), seed: 7,
    sessions: [
      { id: 's1', policy: 'primary', ops: [{ atMs: 1, req: w('k1', 'a') }, { atMs: 20, req: r('k1') }] },
      { id: 's2', policy: 'primary', ops: [{ atMs: 5, req: w('k1', 'b') }, { atMs: 30, req: { txn: [{ f: 'del', k: 'k1' }], end: 'commit' } }] },
    ],
    faults: [],
    network: { defaultLink: { latency: { kind: 'uniform', minMs: 0.2, maxMs: 3 }, lossRate: 0, dupRate: 0 } },
    ...(clocks ? { clocks } : {}),
  };
}

describe('leaderless model', () => {
  it('declares knobs, variants, marks, at least six planted bugs with sources, and claims per variant', () => {
    expect(leaderlessModel.bugs.length).toBeGreaterThanOrEqual(6);
    for (const b of leaderlessModel.bugs) expect(b.source).toMatch(/https?:\/\/|§|docs/);
    expect(leaderlessModel.marks!.length).toBeGreaterThan(4);
    const claims = (v: string) => leaderlessModel.claims(leaderlessModel.configure(entry.variants[v]!)).map((c) => c.id);
    expect(claims('quorum-quorum')).toEqual(['lww-convergence', 'lww-durability', 'lww-strict-quorum', 'lww-read-latest', 'read-latest']);
    expect(claims('one-one')).toEqual(['lww-convergence', 'lww-durability', 'lww-strict-quorum']);
    expect(claims('sloppy')).not.toContain('lww-strict-quorum');
    expect(claims('quorum-quorum-ms')).not.toContain('read-latest');
    expect(claims('sloppy')).not.toContain('lww-read-latest');
    // LWW losing real-time-later writes is measured, never claimed.
    for (const v of Object.keys(entry.variants)) expect(claims(v)).not.toContain('lww-real-time-order');
    expect(entry.guarantees).toContain('lww-real-time-order');
  });

  it('places each key on RF consecutive ring nodes and routes to a live replica', () => {
    const c = leaderlessModel.configure({ nodes: 5 });
    const reps = replicasOf('k1', c);
    expect(new Set(reps).size).toBe(3);
    const view = { role: 'replica', data: {} };
    const cluster = { nodes: leaderlessModel.nodes(c).map((id) => ({ id, alive: id !== reps[0], view })) };
    const to = leaderlessModel.route(r('k1'), { id: 's1', policy: 'primary' }, cluster, c);
    expect(reps.slice(1)).toContain(to);
  });

  it('is deterministic: the same scenario gives a byte-identical history', () => {
    const s = scenario({}, undefined, { n1: { offsetMs: 180_000, driftPpm: 0 } });
    expect(runScenario(leaderlessModel, s).hash).toBe(runScenario(leaderlessModel, s).hash);
  });

  it('a clean run converges and holds every claim', () => {
    const v = judgeScenario(leaderlessModel, scenario({ nodes: 5 }));
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.outcomes.filter((o) => o.notJudged === undefined).map((o) => o.id)).toContain('lww-convergence');
  });

  it("the README's timestamp trap replays from its token: the later cancel is lost, no claim breaks", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### The timestamp trap'));
    const token = /rc1:[A-Za-z0-9_-]+/.exec(section)![0];
    const s = parseScenario(decodeToken(token));
    const own = judgeScenario(leaderlessModel, s);
    expect(own.violations).toEqual([]);
    expect(own.outcomes.find((o) => o.id === 'read-latest')?.notJudged).toMatch(/clocks are skewed \(n1\)/);
    const v = judgeScenario(leaderlessModel, s, { extraClaims: [{ id: 'lww-real-time-order' }] });
    expect(v.violations).toHaveLength(1);
    expect(v.violations[0]!.sentence).toContain("order-shipped stamped 10:03:00.010200 by n1's clock");
    expect(v.violations[0]!.sentence).toContain("order-cancelled stamped 10:00:00.020200 by n2's clock");
    expect(section).toContain(v.violations[0]!.sentence.slice(0, 60));
  });

  for (const variant of Object.keys(entry.variants)) {
    it(`variant ${variant} raises no alarm`, () => {
      const res = checkModel(entry.model, { ...variantRunOptions('leaderless', variant), numRuns: 40, failureFile: false });
      expect(res.found, res.verdict?.violations[0]?.sentence ?? res.verdict?.failure?.message).toBe(false);
    });
  }

  for (const bug of leaderlessModel.bugs.map((b) => b.name)) {
    it(`planted bug ${bug} is caught, shrinks to ≤ 12 ops and ≤ 3 faults, and the correct model passes the same scenario`, () => {
      const res = checkModel(entry.model, { ...bugRunOptions('leaderless', bug), failureFile: false });
      expect(res.found, `${bug} not caught in ${res.runs} runs`).toBe(true);
      expect(entry.triggers![bug]!.guarantees).toContain(res.guarantee);
      expect(res.ops).toBeLessThanOrEqual(12);
      expect(res.faults).toBeLessThanOrEqual(3);
      const { bug: _b, ...clean } = res.verdict!.scenario;
      const v = judgeScenario(entry.model, clean);
      expect(v.violations.map((x) => x.sentence)).toEqual([]);
      expect(v.failure).toBeUndefined();
    });
  }
});
