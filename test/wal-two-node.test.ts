/**
 * Two-node wal deployments (one primary, one standby).
 *
 * Harness failure of the clean model found by soaking semisync AFTER_SYNC on two
 * nodes (`run wal --config '{"replication":"semisync",...,"nodes":2}' --seed 9004`,
 * run 72): the standby was paused from 0 to 7 ms, so the primary's `resync` (0 ms)
 * and `start` (0.1 ms) waited for it; the primary's first `wal` landed at exactly
 * 7 ms, when the pause ended, and the simulator ran it before the held ones (they
 * were re-queued behind everything already due then). On one TCP stream the standby
 * got WAL before `start`, dropped it, and streamed forever from a sender that had
 * already sent it: the run never quiesced. A stream is FIFO; held events now run
 * before anything else due at the moment of the resume.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../src/scenario/types.js';
import { EventQueue } from '../src/sim/queue.js';
import { judgeScenario } from '../src/verdict/judge.js';
import { walModel } from '../models/wal/index.js';

const scenario: Scenario = {
  model: 'wal',
  config: { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC', semisyncAcks: 1, nodes: 2 },
  seed: 0,
  sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 5, req: { txn: [{ f: 'w', k: 'k1', v: 's1-1' }], end: 'commit' } }] }],
  faults: [{ kind: 'pause', atMs: 0, node: 'n2', durationMs: 7 }],
  network: {
    defaultLink: { latency: { kind: 'constant', ms: 0.1 }, lossRate: 0, dupRate: 0 },
    links: { 'n1->n2': { latency: { kind: 'constant', ms: 0.8 } } },
  },
};

describe('two-node wal: a message landing as a pause ends', () => {
  it('is received after the messages held by the pause (one stream is FIFO)', () => {
    const v = judgeScenario(walModel, scenario);
    expect(v.failure).toBeUndefined();
    const net = v.run!.history.filter((e) => e.type === 'net' && e.from === 'n1' && e.to === 'n2' && e.channel === 'stream');
    const sent = net.filter((e) => e.type === 'net' && e.ev === 'send').map((e) => (e.type === 'net' ? e.msg : -1));
    const got = net.filter((e) => e.type === 'net' && e.ev === 'recv').map((e) => (e.type === 'net' ? e.msg : -1));
    // The held resync and start, then the WAL that landed at the resume.
    expect(got.length).toBeGreaterThanOrEqual(3);
    expect(got).toEqual(sent.slice(0, got.length));
  });

  it('holds every claim and the standby ends with the commit', () => {
    const v = judgeScenario(walModel, scenario);
    expect(v.violations).toEqual([]);
    const finals = v.run!.history.filter((e) => e.type === 'final' && e.node === 'n2');
    expect(finals.map((e) => (e.type === 'final' ? e.view.data : undefined))).toEqual([{ k1: 's1-1' }]);
  });
});

describe('event queue: pushFirst', () => {
  it('runs before events pushed at the same time, in its own push order, after earlier times', () => {
    const q = new EventQueue<string>();
    q.push(1, 'early');
    q.push(7, 'landed-at-7');
    q.pushFirst(7, 'held-a');
    q.pushFirst(7, 'held-b');
    q.push(7, 'later-at-7');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e);
    expect(out).toEqual(['early', 'held-a', 'held-b', 'landed-at-7', 'later-at-7']);
  });
});
