/**
 * The leaderless checkers judge from what a Cassandra client observes (write
 * timestamps of acknowledged writes, values read, final data per replica),
 * on hand-built histories: each breaks on its anomaly and holds on the fix.
 */
import { describe, expect, it } from 'vitest';
import type { History, HistoryEntry, MicroOp } from '../src/analysis.js';
import { notJudgeable } from '../src/check/guarantees.js';
import {
  checkLwwConvergence, checkLwwDurability, checkLwwReadLatest, checkLwwRealTimeOrder, checkLwwStrictQuorum, checkReadLatest, fmtTs,
} from '../src/check/lww.js';

const EPOCH_US = 10 * 3600 * 1e6; // 10:00:00.000000
const ts = (ms: number) => EPOCH_US + ms * 1000;

interface Op { op: number; s: string; node: string; at: number; done: number; m: MicroOp; lsn?: number; status?: 'ok' | 'info' }

function history(ops: Op[], finals: Record<string, Record<string, string | number>>, clocks?: Record<string, { offsetMs: number; driftPpm: number }>): History {
  const h: HistoryEntry[] = [{ type: 'meta', t: 0, model: 'leaderless', seed: 1, nodes: Object.keys(finals), scenario: { model: 'leaderless', ...(clocks ? { clocks } : {}) } }];
  const events: HistoryEntry[] = [];
  for (const o of ops) {
    const req = { txn: [o.m.f === 'r' ? { f: 'r' as const, k: o.m.k } : o.m], end: 'commit' as const };
    events.push({ type: 'invoke', t: o.at, op: o.op, session: o.s, node: o.node, req });
    if (o.status === 'info') events.push({ type: 'info', t: o.done, op: o.op, session: o.s, node: o.node, reason: 'write timeout' });
    else events.push({ type: 'ok', t: o.done, op: o.op, session: o.s, node: o.node, txn: [o.m], ...(o.lsn !== undefined ? { commit: { lsn: o.lsn } } : {}) });
  }
  events.sort((a, b) => a.t - b.t);
  h.push(...events, { type: 'quiet', t: 100 });
  for (const [node, data] of Object.entries(finals)) {
    h.push({ type: 'final', t: 200, node, alive: true, view: { role: 'replica', data, positions: { 'owns:k1': 1 } } });
  }
  return h;
}

// The timestamp trap: n1's clock is 3 minutes fast. op 0 is stored at "10:03", op 1 comes
// later in real time but is stamped "10:00", so last-write-wins keeps op 0.
const trap: Op[] = [
  { op: 0, s: 's1', node: 'n1', at: 1, done: 2, m: { f: 'w', k: 'k1', v: 'a' }, lsn: ts(180_001) },
  { op: 1, s: 's2', node: 'n2', at: 5, done: 6, m: { f: 'w', k: 'k1', v: 'b' }, lsn: ts(5) },
  { op: 2, s: 's3', node: 'n2', at: 10, done: 11, m: { f: 'r', k: 'k1', v: 'a' } },
];
const skew = { n1: { offsetMs: 180_000, driftPpm: 0 } };

describe('leaderless checkers', () => {
  it('formats µs timestamps as a time of day', () => {
    expect(fmtTs(ts(180_000))).toBe('10:03:00.000000');
    expect(fmtTs(ts(0.25))).toBe('10:00:00.000250');
  });

  it('lww-real-time-order shows the 10:00 / 10:03 trap: the later write is discarded', () => {
    const h = history(trap, { n1: { k1: 'a' }, n2: { k1: 'a' } }, skew);
    const vs = checkLwwRealTimeOrder(h);
    expect(vs).toHaveLength(1);
    expect(vs[0]!.data).toMatchObject({ kept: 0, lost: 1 });
    expect(vs[0]!.sentence).toContain('10:03:00.001000');
    expect(vs[0]!.sentence).toContain('10:00:00.005000');
    // In the LWW order nothing was lost and the read was the newest version.
    expect(checkLwwDurability(h)).toEqual([]);
    expect(checkLwwReadLatest(h)).toEqual([]);
    expect(checkLwwConvergence(h)).toEqual([]);
    // The read missed the later cancel in real time, but with skewed clocks no read-latest
    // promise is in force: not judged, and the checker stays silent rather than hide a finding.
    expect(notJudgeable(h, 'read-latest')).toMatch(/clocks are skewed \(n1\)/);
    expect(checkReadLatest(h)).toEqual([]);
    expect(checkReadLatest(history(trap, { n1: { k1: 'a' }, n2: { k1: 'a' } }))).toHaveLength(1);
    // With exact clocks (and honest timestamps) the same order holds.
    const fixed = trap.map((o) => (o.op === 0 ? { ...o, lsn: ts(1) } : o.op === 2 ? { ...o, m: { f: 'r' as const, k: 'k1', v: 'b' } } : o));
    const h2 = history(fixed, { n1: { k1: 'b' }, n2: { k1: 'b' } });
    expect(notJudgeable(h2, 'read-latest')).toBeUndefined();
    expect(checkReadLatest(h2)).toEqual([]);
    expect(checkLwwRealTimeOrder(h2)).toEqual([]);
  });

  it('lww-read-latest: a read older in the timestamp order than an acknowledged write', () => {
    const ops: Op[] = [
      { op: 0, s: 's1', node: 'n1', at: 1, done: 2, m: { f: 'w', k: 'k1', v: 'a' }, lsn: ts(1) },
      { op: 1, s: 's1', node: 'n1', at: 3, done: 4, m: { f: 'w', k: 'k1', v: 'b' }, lsn: ts(3) },
      { op: 2, s: 's2', node: 'n2', at: 5, done: 6, m: { f: 'r', k: 'k1', v: 'a' } },
      { op: 3, s: 's3', node: 'n3', at: 5, done: 6, m: { f: 'r', k: 'k1', v: 'b' } },
    ];
    const h = history(ops, { n1: { k1: 'b' }, n2: { k1: 'b' } });
    const vs = checkLwwReadLatest(h);
    expect(vs.map((v) => v.data?.['op'])).toEqual([2]);
    expect(checkReadLatest(h).map((v) => v.data?.['op'])).toEqual([2]);
    // A read concurrent with the write may return either.
    const concurrent = ops.map((o) => (o.op === 2 ? { ...o, at: 3.5 } : o));
    expect(checkLwwReadLatest(history(concurrent, { n1: { k1: 'b' } }))).toEqual([]);
    expect(checkReadLatest(history(concurrent, { n1: { k1: 'b' } }))).toEqual([]);
  });

  it('lww-durability: a zombie after an acknowledged delete, and a write lost to an older one', () => {
    const ops: Op[] = [
      { op: 0, s: 's1', node: 'n1', at: 1, done: 2, m: { f: 'w', k: 'k1', v: 'a' }, lsn: ts(1) },
      { op: 1, s: 's1', node: 'n1', at: 3, done: 4, m: { f: 'del', k: 'k1' }, lsn: ts(3) },
    ];
    const zombie = checkLwwDurability(history(ops, { n1: {}, n2: { k1: 'a' } }));
    expect(zombie).toHaveLength(1);
    expect(zombie[0]!.sentence).toMatch(/replica n2 ends with "?a"?.*zombie/);
    expect(checkLwwDurability(history(ops, { n1: {}, n2: {} }))).toEqual([]);
    const overwrite: Op[] = [ops[0]!, { op: 1, s: 's1', node: 'n1', at: 3, done: 4, m: { f: 'w', k: 'k1', v: 'b' }, lsn: ts(3) }];
    expect(checkLwwDurability(history(overwrite, { n1: { k1: 'a' } }))).toHaveLength(1);
    expect(checkLwwDurability(history(overwrite, { n1: { k1: 'b' } }))).toEqual([]);
    // An indeterminate write may be the newest: its value is not judged.
    const info: Op[] = [...overwrite, { op: 2, s: 's2', node: 'n2', at: 5, done: 50, m: { f: 'w', k: 'k1', v: 'c' }, status: 'info' }];
    expect(checkLwwDurability(history(info, { n1: { k1: 'c' } }))).toEqual([]);
  });

  it('lww-convergence: replicas of a key disagree after the quiet phase', () => {
    const ops: Op[] = [{ op: 0, s: 's1', node: 'n1', at: 1, done: 2, m: { f: 'w', k: 'k1', v: 'a' }, lsn: ts(1) }];
    const vs = checkLwwConvergence(history(ops, { n1: { k1: 'a' }, n2: {} }));
    expect(vs).toHaveLength(1);
    expect(vs[0]!.sentence).toContain('did not converge');
    expect(checkLwwConvergence(history(ops, { n1: { k1: 'a' }, n2: { k1: 'a' } }))).toEqual([]);
  });

  describe('lww-strict-quorum', () => {
    // k1 lives on n1, n2, n3; n4 is a fallback past them on the ring. W = 2.
    const apply = (t: number, node: string, v: string | null): HistoryEntry => ({ type: 'event', t, node, name: 'apply', data: { xid: 'x', lsn: 1, writes: { k1: v } } });
    function placed(ops: Op[], events: HistoryEntry[], writeAcks = 2): History {
      const h = history(ops, { n1: { k1: 'b' }, n2: { k1: 'b' }, n3: { k1: 'b' }, n4: {} });
      const meta = h[0]!;
      const rest = [...h.slice(1).filter((e) => e.type !== 'quiet' && e.type !== 'final'), ...events].sort((a, b) => a.t - b.t);
      const finals = h.filter((e) => e.type === 'final').map((e) => e.type === 'final'
        ? { ...e, view: { ...e.view, positions: { ...(e.node === 'n4' ? {} : { 'owns:k1': 1 }), writeAcks } } }
        : e);
      return [meta, ...rest, { type: 'quiet', t: 100 }, ...finals];
    }
    const ops: Op[] = [
      { op: 0, s: 's1', node: 'n1', at: 1, done: 2, m: { f: 'w', k: 'k1', v: 'a' }, lsn: ts(1) },
      { op: 1, s: 's1', node: 'n1', at: 3, done: 4, m: { f: 'w', k: 'k1', v: 'b' }, lsn: ts(3) },
    ];
    const first = [apply(1.1, 'n1', 'a'), apply(1.2, 'n2', 'a'), apply(1.3, 'n3', 'a')];

    it('breaks when the acknowledgement came while fewer than W of the key\'s replicas stored the write', () => {
      // op 1 stored on n1 and on the fallback n4 before its ack; n2 and n3 get it only later.
      const h = placed(ops, [...first, apply(3.1, 'n1', 'b'), apply(3.2, 'n4', 'b'), apply(9, 'n2', 'b'), apply(9, 'n3', 'b')]);
      const vs = checkLwwStrictQuorum(h);
      expect(vs.map((v) => v.data?.['op'])).toEqual([1]);
      expect(vs[0]!.data).toMatchObject({ w: 2, replicas: ['n1', 'n2', 'n3'], holders: ['n1'] });
      expect(vs[0]!.sentence).toMatch(/only 1 of its replicas n1, n2, n3 stored it \(n1 did; n2 held "?a"?, n3 held "?a"?\)/);
      expect(notJudgeable(h, 'lww-strict-quorum')).toBeUndefined();
      // The same run with W = 1 holds.
      expect(checkLwwStrictQuorum(placed(ops, [...first, apply(3.1, 'n1', 'b'), apply(3.2, 'n4', 'b')], 1))).toEqual([]);
    });

    it('holds when W replicas stored it, or hold a version at least as new in the LWW order', () => {
      expect(checkLwwStrictQuorum(placed(ops, [...first, apply(3.1, 'n1', 'b'), apply(3.5, 'n3', 'b')]))).toEqual([]);
      // n2 already holds c, written with a newer timestamp by an indeterminate write: it covers b.
      const withC: Op[] = [...ops, { op: 2, s: 's2', node: 'n2', at: 2.5, done: 50, m: { f: 'w', k: 'k1', v: 'c' }, status: 'info' }];
      expect(checkLwwStrictQuorum(placed(withC, [...first, apply(2.6, 'n2', 'c'), apply(3.1, 'n1', 'b')]))).toEqual([]);
      // n2 shows the key absent: a delete that may be newer covers the write; without one it does not.
      const withDel: Op[] = [...ops, { op: 2, s: 's2', node: 'n2', at: 2.5, done: 50, m: { f: 'del', k: 'k1' }, status: 'info' }];
      expect(checkLwwStrictQuorum(placed(withDel, [...first, apply(2.6, 'n2', null), apply(3.1, 'n1', 'b')]))).toEqual([]);
      expect(checkLwwStrictQuorum(placed(ops, [...first, apply(2.6, 'n2', null), apply(3.1, 'n1', 'b')]))).toHaveLength(1);
    });

    it('a restarted replica holds what it recovered, not what it showed before the crash', () => {
      const recover = (t: number, node: string): HistoryEntry => ({ type: 'event', t, node, name: 'recover', data: { lsn: 0 } });
      const evs = [...first, apply(3.1, 'n1', 'b'), apply(3.2, 'n2', 'b'), recover(3.3, 'n2')];
      expect(checkLwwStrictQuorum(placed(ops, evs))).toHaveLength(1);
      expect(checkLwwStrictQuorum(placed(ops, [...evs, apply(3.3, 'n2', 'b')]))).toEqual([]);
    });

    it('is not judged without the write acknowledgement count', () => {
      const h = placed(ops, first).map((e) => (e.type === 'final' ? { ...e, view: { ...e.view, positions: { 'owns:k1': 1 } } } : e));
      expect(notJudgeable(h, 'lww-strict-quorum')).toMatch(/writeAcks/);
      expect(checkLwwStrictQuorum(h)).toEqual([]);
    });
  });
});
