/**
 * Hints on disk: a sloppy fallback's hint counts towards W only once it is
 * fsynced, and a restarted node replays the hints its file holds.
 */
import { describe, expect, it } from 'vitest';
import { leaderlessModel, preferenceList } from '../models/leaderless/index.js';
import { judgeScenario, runScenario, type Scenario } from '../src/analysis.js';

const c = leaderlessModel.configure({ nodes: 5, quorum: 'sloppy' });
const pl = preferenceList('k1', c); // replicas pl[0..2], fallbacks pl[3], pl[4]
const coordinator = pl[0]!;
const view = { role: 'replica', data: {} };
const cluster = { nodes: leaderlessModel.nodes(c).map((id) => ({ id, alive: true, view })) };
const w = { txn: [{ f: 'w' as const, k: 'k1', v: 'x' }], end: 'commit' as const };
/** A session the token-aware client sends k1's writes to the coordinator with. */
const session = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'].find((id) => leaderlessModel.route(w, { id, policy: 'primary' }, cluster, c) === coordinator)!;

/**
 * The coordinator is cut off from the other two replicas, so its write goes to
 * the fallbacks as hints; every fsync takes 40 ms, longer than the 25 ms after
 * which a sloppy coordinator hands off. The coordinator and both fallbacks
 * crash (machine) at `crashAtMs`, and come back.
 */
function scenario(crashAtMs: number): Scenario {
  const crash = (node: string) => ({ kind: 'crash' as const, atMs: crashAtMs, node, mode: 'machine' as const, restartAfterMs: 30 });
  return {
    model: 'leaderless', config: { nodes: 5, quorum: 'sloppy' }, seed: 5,
    sessions: [{ id: session, policy: 'primary', ops: [{ atMs: 10, req: w }] }],
    faults: [
      { kind: 'partition', atMs: 1, from: [coordinator, pl[3]!, pl[4]!], to: [pl[1]!, pl[2]!], durationMs: 300 },
      crash(coordinator), crash(pl[3]!), crash(pl[4]!),
    ],
    network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
    disk: { fsyncLatency: { kind: 'constant', ms: 40 } },
  };
}

const outcome = (s: Scenario) => runScenario(leaderlessModel, s).history.find((e) => e.type === 'ok' || e.type === 'info' || e.type === 'fail')!;

describe('leaderless hints on disk', () => {
  it('a crash before the hints are fsynced leaves the write unacknowledged, and nothing acknowledged is lost', () => {
    expect(session).toBeDefined();
    // Hand-off at 35 ms, hints durable at 76 ms: a crash at 45 ms comes before any acknowledgement.
    expect(outcome(scenario(45)).type).not.toBe('ok');
    const v = judgeScenario(leaderlessModel, scenario(45));
    expect(v.failure).toBeUndefined();
    expect(v.violations.map((x) => x.sentence)).toEqual([]);
  });

  it('once the fallbacks fsynced their hints the write is acknowledged and reaches the replicas cut off during it despite the crash', () => {
    expect(outcome(scenario(90)).type).toBe('ok');
    const v = judgeScenario(leaderlessModel, scenario(90));
    expect(v.failure).toBeUndefined();
    expect(v.violations.map((x) => x.sentence)).toEqual([]);
    const h = runScenario(leaderlessModel, scenario(90)).history;
    // The replicas cut off during the write end with it.
    for (const n of [pl[1]!, pl[2]!]) {
      const f = h.find((e) => e.type === 'final' && e.node === n) as Extract<typeof h[number], { type: 'final' }>;
      expect(f.view.data['k1']).toBe('x');
    }
  });
});
