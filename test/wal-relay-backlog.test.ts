/**
 * Teeth for monotonic-writes and writes-follow-reads from a planted bug the search
 * can reach: promote-before-relay-applied. A MySQL replica promoted
 * before its SQL thread applied the relay log applies that backlog afterwards as the
 * new source's own commits, behind writes clients make on it meanwhile.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../src/sim/types.js';
import type { History } from '../src/history/types.js';
import { checkMonotonicWrites, checkWritesFollowReads } from '../src/check/session.js';
import { checkClaims } from '../src/verdict/judge.js';
import { walModel, walVariants } from '../models/wal/index.js';
import { at, events, finals, r, run, sim, w } from './wal-helpers.js';

const LAGGING = walVariants['semisync-after-sync']!;
// The old source is cut off from everyone: its lease lapses and the monitor promotes a replica
// whose SQL thread (50 ms a record) has not yet applied s1's first write.
const cut: Fault[] = [{ kind: 'partition', atMs: 8, from: ['n1'], to: ['n2', 'n3', 'm'], durationMs: 400 }];
const history = (bug?: string, faults: Fault[] = cut): History =>
  run(LAGGING, (n) => sim(n, [
    { id: 's1', ops: [at(0, w('k1', 'a')), at(210, w('k3', 'c'))] },
    { id: 's2', ops: [at(5, r('k1')), at(200, w('k2', 'b'))] },
  ], faults), bug);

describe('promote-before-relay-applied', () => {
  it('the lagging semi-sync variant claims both guarantees under partitions', () => {
    const claims = walModel.claims(walModel.configure(LAGGING));
    for (const id of ['monotonic-writes', 'writes-follow-reads']) {
      expect(claims.find((c) => c.id === id)?.tolerates).toContain('partition');
    }
  });

  it('clean: the promoted replica applies its relay log first, every claim holds', () => {
    const h = history();
    expect(events(h, 'promote')).toHaveLength(1);
    expect(checkClaims(h, walModel.claims(walModel.configure(LAGGING)))).toEqual([]);
  });

  it('bug: the backlog lands behind later writes, breaking monotonic writes and writes-follow-reads', () => {
    const h = history('promote-before-relay-applied');
    expect(events(h, 'relay.backlog')).toHaveLength(1);
    expect(checkMonotonicWrites(h).map((v) => v.data?.['session'])).toEqual(['s1']);
    expect(checkWritesFollowReads(h).map((v) => v.data?.['session'])).toEqual(['s2']);
    // Nothing else the variant claims breaks here: the backlog is not lost, only late.
    const broken = checkClaims(h, walModel.claims(walModel.configure(LAGGING))).map((v) => v.guarantee);
    expect([...new Set(broken)].sort()).toEqual(['monotonic-writes', 'writes-follow-reads']);
  });

  it('the relay log is on disk: a machine crash of the promoted replica keeps it, and the restart applies it', () => {
    // n2 is promoted at ~131 ms with s1's write in its relay log; it loses power at 230 ms, before applying it.
    const h = history('promote-before-relay-applied', [...cut, { kind: 'crash', atMs: 230, node: 'n2', mode: 'machine', restartAfterMs: 20 }]);
    expect(events(h, 'relay.backlog', 'n2')).toHaveLength(1);
    const back = events(h, 'recover', 'n2').at(-1)!.t;
    expect(back).toBe(250);
    const applied = events(h, 'txn.commit', 'n2').filter((e) => (e.data as { writes: Record<string, unknown> }).writes['k1'] === 'a');
    expect(applied.map((e) => e.t > back)).toEqual([true]);
    const f = finals(h);
    for (const n of ['n1', 'n2', 'n3']) expect(f[n]!.data['k1']).toBe('a');
  });
});

