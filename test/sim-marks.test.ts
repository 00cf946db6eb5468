/**
 * Faults timed by protocol moments: a model marks a moment with `ctx.mark(name)`
 * and a fault with `after: { mark, node, nth }` lands `atMs` after the nth mark
 * on that node — deterministic, validated, readable in the scenario text.
 */
import { describe, expect, it } from 'vitest';
import { tinyAsyncModel } from '../models/examples/tiny-async.js';
import { runScenario } from '../src/verdict/judge.js';
import { decodeToken, encodeToken, formatScenario } from '../src/scenario/compact.js';
import type { Scenario } from '../src/scenario/types.js';
import { parseScenario, ScenarioError } from '../src/scenario/validate.js';
import type { Fault } from '../src/sim/types.js';

function scenario(faults: Fault[]): Scenario {
  return parseScenario({
    model: 'tiny-async', config: {}, seed: 7,
    sessions: [{ id: 's1', policy: 'primary', ops: [0, 10, 20].map((atMs, i) => ({ atMs, req: { txn: [{ f: 'w', k: 'k1', v: `s1-${i + 1}` }], end: 'commit' } })) }],
    faults,
    network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
  });
}

const anchored: Fault = { kind: 'crash', atMs: 0.3, node: 'n2', mode: 'process', after: { mark: 'flushed', node: 'n1', nth: 2 } };

describe('faults timed by marks', () => {
  it('land the given delay after the n-th mark on the anchor node', () => {
    const h = runScenario(tinyAsyncModel, scenario([anchored])).history;
    const commits = h.filter((e) => e.type === 'event' && e.name === 'txn.commit');
    const inject = h.find((e) => e.type === 'fault' && e.phase === 'inject');
    expect(commits.length).toBe(3);
    expect(inject).toBeDefined();
    // The 2nd flush completes after the 2nd commit and before the 3rd one.
    expect(inject!.t).toBeGreaterThan(commits[1]!.t);
    expect(inject!.t).toBeLessThan(commits[2]!.t);
    expect(inject!.type === 'fault' && inject!.fault.text).toBe("crash n2 (process, until quiet) 0.3ms after n1's 2nd flushed");
    // The crash is the anchored one: n2 goes down exactly then.
    expect(h.some((e) => e.type === 'node' && e.ev === 'crash' && e.node === 'n2' && e.t === inject!.t)).toBe(true);
  });

  it('never happen when the mark is not reached that often', () => {
    const h = runScenario(tinyAsyncModel, scenario([{ ...anchored, after: { mark: 'flushed', node: 'n1', nth: 4 } }])).history;
    expect(h.some((e) => e.type === 'fault')).toBe(false);
    const wrongNode = runScenario(tinyAsyncModel, scenario([{ ...anchored, after: { mark: 'flushed', node: 'n2', nth: 1 } }])).history;
    expect(wrongNode.some((e) => e.type === 'fault')).toBe(false);
  });

  it('replay byte for byte and round-trip through a token', () => {
    const s = scenario([anchored]);
    expect(runScenario(tinyAsyncModel, s).hash).toBe(runScenario(tinyAsyncModel, structuredClone(s)).hash);
    expect(decodeToken(encodeToken(s))).toEqual(s);
    expect(formatScenario(s)).toContain("on mark crash n2 (process, restart in quiet phase) 0.3ms after n1's 2nd flushed");
  });

  it('reject a malformed anchor with its path', () => {
    expect(() => scenario([{ ...anchored, after: { mark: 'flushed', node: 'n1', nth: 0 } }])).toThrow(/faults\[0\]\.after\.nth/);
    expect(() => scenario([{ ...anchored, after: { mark: '', node: 'n1', nth: 1 } } as Fault])).toThrow(ScenarioError);
    const bad = { ...anchored, after: { mark: 'flushed', node: 'n1', nth: 1, extra: 1 } } as unknown as Fault;
    expect(() => scenario([bad])).toThrow(/after\.extra/);
  });
});
