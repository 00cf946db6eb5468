/**
 * WAL model regressions: minimal scenarios (shrunk by the property suite) that
 * once broke a guarantee of a correct variant or never fell quiet. Each runs the
 * correct variant, checks every claim, and asserts the path it exercises.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import type { Scenario } from '../src/scenario/types.js';
import type { ClientRequest, ClusterView } from '../src/analysis.js';
import { walModel } from '../models/wal/index.js';
import { events, finals, judgeClean } from './wal-helpers.js';

const fast = { defaultLink: { latency: { kind: 'constant' as const, ms: 0.1 }, lossRate: 0, dupRate: 0 } };
const write = (k: string, v: string): ClientRequest => ({ txn: [{ f: 'w', k, v }], end: 'commit' });
const rand = (k: string): ClientRequest => ({ txn: [{ f: 'rand', k }], end: 'commit' });

function judge(s: Omit<Scenario, 'model'>): History {
  return judgeClean({ model: 'wal', ...s }).run!.history;
}

describe('wal regressions', () => {
  it('a demoted primary promoted again does not make its own commits visible a second time', () => {
    // Shrunk from semisync-timeout: n1 steps down at lease expiry (a clog delays its
    // heartbeats), the monitor loses touch with everyone, and n1 is later promoted back.
    const h = judge({
      config: { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC', semisyncTimeoutMs: 50 },
      seed: 0,
      sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: rand('k1') }] }],
      faults: [
        { kind: 'clog', atMs: 118, from: 'n1', to: 'm', extraMs: 118, durationMs: 94 },
        { kind: 'partition', atMs: 240, from: ['n1', 'n2', 'n3'], to: ['m'] },
        { kind: 'pause', atMs: 312, node: 'm', durationMs: 20 },
      ],
      network: { defaultLink: { latency: { kind: 'exponential', meanMs: 0.3, minMs: 0 }, lossRate: 0.06, dupRate: 0.03 } },
    });
    expect(events(h, 'demote', 'n1').length).toBeGreaterThan(0);
    for (const node of ['n1', 'n2', 'n3']) {
      const shown = [...events(h, 'txn.commit', node), ...events(h, 'apply', node)].map((e) => e.data?.['xid']);
      expect(new Set(shown).size, node).toBe(shown.length);
    }
  });

  it('a primary whose machine crashes before its first fsync says what it lost when it restarts', () => {
    // synchronous_commit=off: the first commit is visible, acknowledged and not yet on disk;
    // nothing at all is durable yet, so the restart looks like a first start.
    const h = judge({
      config: { synchronousCommit: 'off', synchronousStandbyNames: '' },
      seed: 0,
      sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: rand('k1') }, { atMs: 3, req: write('k1', 's1-1') }] }],
      faults: [{ kind: 'crash', atMs: 1, node: 'n1', mode: 'machine', restartAfterMs: 1 }],
      network: fast,
      disk: { fsyncLatency: { kind: 'constant', ms: 1.1 } },
    });
    expect(events(h, 'recover', 'n1').map((e) => [e.t, e.data?.['lsn']])).toEqual([[0, 0], [2, 0]]);
    expect(finals(h).n2!.data).toEqual({ k1: 's1-1' });
  });

  it('a primary restarted with an fsync in flight still ships its WAL to a standby that said hello early', () => {
    const h = judge({
      config: { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', nodes: 2 },
      seed: 0,
      sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: write('k1', 's1-1') }] }],
      faults: [
        { kind: 'crash', atMs: 0, node: 'n2', mode: 'process' },
        { kind: 'crash', atMs: 1, node: 'n1', mode: 'process' },
      ],
      network: fast,
      disk: { fsyncLatency: { kind: 'constant', ms: 3.2 } },
    });
    expect(finals(h).n2!.data).toEqual({ k1: 's1-1' });
  });

  it("a fenced primary's late fsync does not mark the new timeline's WAL flushed before the standby replays it", () => {
    const h = judge({
      config: { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', nodes: 2 },
      seed: 0,
      sessions: [
        { id: 's1', policy: 'primary', ops: [{ atMs: 0, req: write('k1', 's1-1') }, { atMs: 0, req: rand('k1') }] },
        { id: 's2', policy: 'primary', ops: [{ atMs: 0, req: rand('k2') }] },
      ],
      faults: [{ kind: 'pause', atMs: 0, node: 'n1', durationMs: 124 }],
      network: fast,
    });
    const f = finals(h);
    expect(f.n2!.role).toBe('primary');
    expect(f.n1!.role).toBe('standby');
    expect(f.n1!.data).toEqual(f.n2!.data);
  });

  it('a standby still streaming from a node that stepped down and was promoted again reconnects to its new timeline', () => {
    const h = judge({
      config: { synchronousCommit: 'local', synchronousStandbyNames: '' },
      seed: 0,
      sessions: [{ id: 's1', policy: 'primary', ops: [{ atMs: 0, req: write('k1', 's1-1') }] }],
      faults: [
        { kind: 'partition', atMs: 0, from: ['n2', 'm'], to: ['n3'], durationMs: 304 },
        { kind: 'partition', atMs: 0, from: ['n1', 'n3'], to: ['m'], durationMs: 96 },
        { kind: 'partition', atMs: 122, from: ['n2'], to: ['n1', 'n3', 'm'] },
      ],
      network: fast,
    });
    const f = finals(h);
    expect(f.n1!.role).toBe('primary');
    for (const n of ['n1', 'n2', 'n3']) expect(f[n]!.positions?.['timeline']).toBe(3);
  });
});

describe('wal routing', () => {
  const view = (roles: Record<string, string>): ClusterView => ({
    nodes: Object.entries(roles).map(([id, role]) => ({ id, alive: true, view: { role, data: {} } })),
  });
  const c = walModel.configure({});
  const route = (s: string, roles: Record<string, string>) =>
    walModel.route(write('k1', 'x'), { id: s, policy: 'primary' }, view(roles), c);

  it('sends every session to the one primary', () => {
    const roles = { n1: 'standby', n2: 'primary', n3: 'standby', m: 'monitor' };
    expect(['s1', 's2', 's3'].map((s) => route(s, roles))).toEqual(['n2', 'n2', 'n2']);
  });

  it('splits sessions between two primaries (split brain), each session staying with its own', () => {
    const roles = { n1: 'primary', n2: 'primary', n3: 'standby', m: 'monitor' };
    const picks = ['s1', 's2', 's3', 's4'].map((s) => route(s, roles));
    expect(new Set(picks)).toEqual(new Set(['n1', 'n2']));
    expect(['s1', 's2', 's3', 's4'].map((s) => route(s, roles))).toEqual(picks);
  });
});
