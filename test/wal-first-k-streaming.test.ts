/**
 * FIRST k counts only standbys in streaming state (PostgreSQL syncrep.c,
 * SyncRepGetCandidateStandbys). synchronous_standby_names = 'FIRST 1 (n2, n3)':
 * n2 has the higher priority, but after a restart it reconnects behind the
 * primary (pg_stat_replication state 'catchup') and its link is slow, so it stays
 * behind while commits keep coming. Until it catches up, n3 is the synchronous
 * standby: commits are acknowledged on n3's reply, before n2 has them. Were n2
 * counted while catching up, FIRST 1 would pick it (it is connected and first in
 * the list) and no commit could be acknowledged before n2 reported it flushed.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import type { Fault } from '../src/sim/types.js';
import { at, completion, events, finals, run, sim, w, type Sess } from './wal-helpers.js';

const CONFIG = { nodes: 3, synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (n2, n3)', failover: 'none' };
const RESTART_MS = 40;
const WRITES = 60;

/** One session per write, to its own key (no row lock makes one commit wait for another). */
function writers(): Sess[] {
  return Array.from({ length: WRITES }, (_, i) => ({ id: `s${i}`, ops: [at(5 + i * 1.5, w(`k${i}`, i + 1))] }));
}

const FAULTS: Fault[] = [
  // n2 goes away and comes back behind the primary: it reconnects in 'catchup'.
  { kind: 'crash', atMs: 10, node: 'n2', mode: 'process', restartAfterMs: RESTART_MS - 10 },
  // ...over a slow link, so it stays behind while commits keep coming.
  { kind: 'clog', atMs: RESTART_MS, from: 'n1', to: 'n2', extraMs: 8, durationMs: 60 },
];

/** Connection breaks are noticed at once, so n2's crash drops its WAL sender before it reconnects. */
const NETWORK = { network: { defaultLink: { latency: { kind: 'constant' as const, ms: 1 }, lossRate: 0, dupRate: 0 }, breakDetectMs: 2 } };

interface Ack {
  op: number;
  t: number;
  lsn: number;
}

function acks(h: History): Ack[] {
  const out: Ack[] = [];
  for (let op = 0; op < WRITES; op++) {
    const c = completion(h, op);
    if (c?.type === 'ok' && c.commit) out.push({ op, t: c.t, lsn: c.commit.lsn });
  }
  return out;
}

/** When the primary first heard n2 report a flushed position ≥ lsn after `since`. */
function n2FlushedAt(h: History, lsn: number, since: number): number {
  const r = events(h, 'standby.report', 'n1').find((e) => e.t > since && (e.data as { from: string; flush: number }).from === 'n2' && (e.data as { flush: number }).flush >= lsn);
  return r ? r.t : Infinity;
}

describe('FIRST k counts only streaming standbys', () => {
  const h = run(CONFIG, (nodes) => sim(nodes, writers(), FAULTS, NETWORK));
  const all = acks(h);
  // n2 is connected again from its first report after the restart: its WAL sender exists.
  const reconnected = events(h, 'standby.report', 'n1').find((e) => e.t > RESTART_MS && (e.data as { from: string }).from === 'n2')!.t;

  it('every write commits and every node ends with all of them', () => {
    expect(all).toHaveLength(WRITES);
    for (const view of Object.values(finals(h))) expect(Object.keys(view.data)).toHaveLength(WRITES);
  });

  it('while n2 catches up, commits are acknowledged on n3 before n2 has them', () => {
    const passedOver = all.filter((a) => a.t > reconnected && a.t < n2FlushedAt(h, a.lsn, RESTART_MS));
    // Many, not one: the whole catch-up window, each commit acknowledged without n2.
    expect(passedOver.length).toBeGreaterThanOrEqual(10);
    // Each of them was on n3 when acknowledged: n3 is the synchronous standby meanwhile.
    for (const a of passedOver) {
      const n3 = events(h, 'standby.report', 'n1').find((e) => (e.data as { from: string; flush: number }).from === 'n3' && (e.data as { flush: number }).flush >= a.lsn);
      expect(n3 && n3.t <= a.t, `op ${a.op}`).toBe(true);
    }
  });

  it('once n2 streams again it is the synchronous standby: later commits wait for it', () => {
    // After the clog and the writes end, n3 goes away for good; n2 (streaming, first in the
    // list) alone can acknowledge, and does.
    const later: Sess[] = [{ id: 'late', ops: [at(150, w('late', 1))] }];
    const h2 = run(CONFIG, (nodes) => sim(nodes, [...writers(), ...later], [...FAULTS, { kind: 'crash', atMs: 140, node: 'n3', mode: 'process' }], NETWORK));
    const c = completion(h2, WRITES);
    expect(c?.type).toBe('ok');
    const lsn = (c as { commit: { lsn: number } }).commit.lsn;
    expect(n2FlushedAt(h2, lsn, 140)).toBeLessThanOrEqual(c!.t);
  });
});
