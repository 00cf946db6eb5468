/**
 * A fault timed by a mark plays out its duration, as a clock-timed fault does: the
 * quiet phase waits for it. Before, the quiet phase began as soon as the clients were
 * done and healed it, so an aimed partition of the primary lasted only until the
 * last answer — never the failover timeout — and no story that needs the monitor
 * to fail over (a commit visible before its replica ack, then lost) could follow it.
 *
 * The story, on the default three nodes: MySQL semi-sync AFTER_SYNC; a partition
 * aimed at the primary's commit fsync cuts it off from both replicas and the
 * monitor (clients still reach it). With the planted bug (AFTER_SYNC behaving as
 * AFTER_COMMIT) another session reads the unreplicated commit, the monitor promotes
 * a replica without it, and lossless-failover breaks; the correct model holds.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/scenario/types.js';
import { judgeScenario } from '../src/verdict/judge.js';
import { walModel } from '../models/wal/index.js';

const write = (k: string, v: string) => ({ txn: [{ f: 'w' as const, k, v }], end: 'commit' as const });
const read = (k: string) => ({ txn: [{ f: 'r' as const, k }], end: 'commit' as const });

function story(bug?: string): Scenario {
  return {
    model: 'wal',
    config: { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC', semisyncAcks: 1 },
    ...(bug ? { bug } : {}),
    seed: 1,
    sessions: [
      { id: 's1', policy: 'primary', ops: [{ atMs: 5, req: write('k1', 'v1') }] },
      { id: 's2', policy: 'primary', ops: [{ atMs: 7.6, req: read('k1') }] },
    ],
    faults: [{ kind: 'partition', atMs: 0, from: ['n1'], to: ['n2', 'n3', 'm'], durationMs: 400, after: { mark: 'flush-done', node: 'n1', nth: 1 } }],
    network: { defaultLink: { latency: { kind: 'constant', ms: 0.1 }, lossRate: 0, dupRate: 0 } },
  };
}

describe('a fault timed by a mark plays out its duration', () => {
  it('heals at its own end, not when the clients are done', () => {
    const v = judgeScenario(walModel, story());
    const faults = v.run!.history.filter((e) => e.type === 'fault');
    const inject = faults.find((e) => e.type === 'fault' && e.phase === 'inject')!;
    const heal = faults.find((e) => e.type === 'fault' && e.phase === 'heal')!;
    expect(heal.t - inject.t).toBeCloseTo(400, 3);
    const quiet = v.run!.history.find((e) => e.type === 'quiet')!;
    expect(quiet.t).toBeGreaterThanOrEqual(heal.t);
  });

  it('lets the monitor fail over under it: the correct model holds every claim', () => {
    const v = judgeScenario(walModel, story());
    expect(v.failure).toBeUndefined();
    expect(v.violations).toEqual([]);
    expect(v.run!.history.some((e) => e.type === 'final' && e.node !== 'n1' && e.view.role === 'primary')).toBe(true);
  });

  it('three nodes suffice for the AFTER_COMMIT story: the planted bug loses a commit another session read', () => {
    const v = judgeScenario(walModel, story('semisync-after-commit-visibility'));
    expect(v.violations.map((x) => x.guarantee)).toContain('lossless-failover');
  });
});
