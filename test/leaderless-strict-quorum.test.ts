/**
 * lww-strict-quorum on the model: a strict quorum acknowledges a write only
 * once W of the key's own replicas store it. With sloppy-reported-as-strict the
 * coordinator counts a fallback node's hint towards W, which the check catches
 * from the replicas' stores at the moment of the acknowledgement; the correct
 * model times the same write out instead, and the sloppy variant (which does
 * not claim it) is measured breaking it.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, variantRunOptions } from '../models/index.js';
import { leaderlessModel, replicasOf } from '../models/leaderless/index.js';
import { checkModel } from '../properties/harness.js';
import { decodeToken, judgeScenario, parseScenario, type Scenario } from '../src/analysis.js';

const entry = BUILTIN_MODELS['leaderless']!;
const w = (k: string, v: string) => ({ txn: [{ f: 'w' as const, k, v }], end: 'commit' as const });

// Five nodes, W = ALL: one replica of k2 paused while the write is in flight; k3's replicas all answer.
const config = { nodes: 5, writeLevel: 'ALL', readLevel: 'ONE' };
function scenario(bug?: string, extra: Record<string, unknown> = {}): Scenario {
  return {
    model: 'leaderless', config: { ...config, ...extra }, ...(bug ? { bug } : {}), seed: 3,
    sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: w('k2', 'a') }, { atMs: 1, req: w('k3', 'b') }] }],
    faults: [{ atMs: 0, kind: 'pause', node: 'n5', durationMs: 500 }],
    network: { defaultLink: { latency: { kind: 'constant', ms: 2.8 }, lossRate: 0, dupRate: 0 } },
  };
}

describe('lww-strict-quorum on the leaderless model', () => {
  it('the scenario puts the paused node among k2\'s replicas and outside k3\'s', () => {
    const c = leaderlessModel.configure(config);
    expect(replicasOf('k2', c)).toContain('n5');
    expect(replicasOf('k3', c)).not.toContain('n5');
  });

  it('sloppy-reported-as-strict: the write acknowledged at ALL was on two of its three replicas', () => {
    const v = judgeScenario(leaderlessModel, scenario('sloppy-reported-as-strict'));
    const vs = v.violations.filter((x) => x.guarantee === 'lww-strict-quorum');
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ key: 'k2', w: 3, holders: expect.not.arrayContaining(['n5']) });
    expect(vs[0]!.sentence).toContain('n5 held nothing');
  });

  it('the correct model times the same write out and holds the claim, judged on the write that succeeded', () => {
    const v = judgeScenario(leaderlessModel, scenario());
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.outcomes.find((o) => o.id === 'lww-strict-quorum')).toEqual({ id: 'lww-strict-quorum', violations: 0 });
  });

  it('a sloppy quorum does not claim it and is measured breaking it', () => {
    const v = judgeScenario(leaderlessModel, scenario(undefined, { quorum: 'sloppy' }), { extraClaims: [{ id: 'lww-strict-quorum' }] });
    expect(v.violations.map((x) => x.guarantee)).toEqual(['lww-strict-quorum']);
  });

  it("the variant's own search (no trigger) catches the bug through it and shrinks it small", () => {
    const res = checkModel(entry.model, { ...variantRunOptions('leaderless', 'all-one'), bug: 'sloppy-reported-as-strict', numRuns: 200, seed: 1, failureFile: false });
    expect(res.found, `not caught in ${res.runs} runs`).toBe(true);
    expect(res.guarantee).toBe('lww-strict-quorum');
    expect(res.ops).toBeLessThanOrEqual(3);
    expect(res.faults).toBeLessThanOrEqual(1);
  });

  it('a late acknowledgement from before the coordinator restarted does not count towards a new write (false alarm found by the soak)', () => {
    // quorum-quorum-5: n4 coordinates w(k2) as its request 1, crashes, restarts and coordinates w(k3) as
    // request 1 again; n5's acknowledgement of the old write arrived and counted, so the new one was
    // acknowledged while only n4 held it. Ids now carry a tag drawn at each start.
    const token = 'rc1:nZExb8IwEIX_y5sPREKAykOl7u3StWKw4ktrxTmntikglP9e2QG6MNXT-c73vbvnCwZv2EHBsTYcHMcIQuuls59QF4g3HKE2EyEyG6i6anbN03pbb3ImRuslQn1cYA0UYgXC6J1tz1AYgx10OIPgx_mRTm8RqiIE_s74dJKS76BwBKGHQl-D8FNgiwrTnsCS2a0fBpswTXTj1A854cZZ_6P5-Nd8H6J-xNnnXKcPLs2b9XauBx2_QFeNDRUDoSANqHhdbPHt7HPgmHRIL13iUIzJUOF09KHPkxkuCq9WytXpxJKdvcsdxHY-DJlt5WrtoE852i53E8H5GN91YqgVwRzGa5wrVvpYvrhZPEv9mM-n0QtLstplDdZFpF5u74Kr5XrK5xc';
    const s = parseScenario(decodeToken(token));
    expect(s.faults.map((f) => f.kind)).toEqual(['crash']);
    const v = judgeScenario(leaderlessModel, s);
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.outcomes.find((o) => o.id === 'lww-strict-quorum')).toEqual({ id: 'lww-strict-quorum', violations: 0 });
  });
});
