/**
 * Reads of values several versions could explain. A computed value (`upd`,
 * `now`, `rand`) is not unique: `x = x * 2` on 0 gives 0 every time. Every
 * checker that places a read in the commit order must judge such a read in the
 * interpretation most favourable to the model, flag it, and still report a
 * read that no interpretation explains.
 */
import { describe, expect, it } from 'vitest';
import type { History, MicroOp } from '../src/history/types.js';
import { ambiguousReads, findAuthority, readCandidates } from '../src/history/ops.js';
import { checkConsistentPrefix } from '../src/check/ordering.js';
import { checkMonotonicReads, checkReadYourWrites, checkWritesFollowReads, favouredSessionReads } from '../src/check/session.js';
import { measureStaleness } from '../src/check/staleness.js';
import { HistoryBuilder } from './helpers/history-builder.js';

const dbl = (v: number): MicroOp => ({ f: 'upd', k: 'k', expr: { op: 'mul', n: 2 }, v });

/**
 * k: 0 (xid 1, by s1's upd), 's2-1' (xid 2, s2's acknowledged write), 0 again
 * (xid 3, s1's second upd, invoked at `againAt`, shown by n2 5 ms later, committed
 * on the primary n1 only at 100 ms — as a remote_apply commit whose wait was
 * cancelled). Session s2 then reads k = 0 from n2 at 50–51 ms.
 */
function doubledZero(againAt: number, named?: 'first' | 'second'): History {
  const b = new HistoryBuilder(['n1', 'n2']);
  const u1 = b.op('s1', 'n1', 0, 6, [dbl(0)], { commit: { lsn: 1, timeline: 1 } });
  b.event('n1', 5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 0 }, op: u1.id });
  const w = b.write('s2', 'n1', 8, 11, 'k', 's2-1', { commit: { lsn: 2, timeline: 1 } });
  b.event('n1', 10, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 's2-1' }, op: w.id });
  const u2 = b.op('s1', 'n1', againAt, againAt + 80, [dbl(0)], { status: 'info' });
  b.event('n2', againAt + 5, 'apply', { xid: 3, lsn: 3, timeline: 1, writes: { k: 0 }, op: u2.id });
  b.event('n1', 100, 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { k: 0 }, op: u2.id });
  // The read may name the write whose 0 it returns (`w`, as n2's row would say).
  const writer = named === 'first' ? u1.id : named === 'second' ? u2.id : undefined;
  b.op('s2', 'n2', 50, 51, [{ f: 'r', k: 'k', v: 0, ...(writer !== undefined ? { w: writer } : {}) }]);
  b.final('n1', 120, 'primary', { k: 0 });
  b.final('n2', 120, 'standby', { k: 0 });
  return b.build();
}

describe('a repeated computed value', () => {
  it('is not a read-your-writes violation when a newer version could have produced it, and is flagged', () => {
    const h = doubledZero(20);
    expect(checkReadYourWrites(h)).toEqual([]);
    expect(favouredSessionReads(h, 'read-your-writes')).toEqual([
      { guarantee: 'read-your-writes', op: 4, key: 'k', value: 0, xids: ['1', '3'], chosenXid: '3' },
    ]);
    expect(ambiguousReads(h).map((p) => p.versions.map((v) => v.xid))).toEqual([['1', '3']]);
  });

  it('is still a read-your-writes violation when only an older version could have produced it (teeth)', () => {
    // The second upd is invoked after the read completed: 0 can only be xid 1, older than s2-1.
    const h = doubledZero(60);
    const v = checkReadYourWrites(h);
    expect(v).toHaveLength(1);
    expect(v[0]!.data).toMatchObject({ key: 'k', session: 's2', read: 0, written: 's2-1' });
    expect(v[0]!.data).not.toHaveProperty('ambiguous');
    expect(favouredSessionReads(h, 'read-your-writes')).toEqual([]);
  });

  it('names every candidate in a violation that holds under each interpretation', () => {
    // s2 wrote again after both zeros: neither xid 1 nor xid 3 is new enough.
    const b = new HistoryBuilder(['n1', 'n2']);
    b.event('n1', 5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 0 } });
    b.event('n1', 15, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 0 } });
    b.write('s2', 'n1', 18, 21, 'k', 's2-1', { commit: { lsn: 3, timeline: 1 } });
    b.event('n1', 20, 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { k: 's2-1' } });
    b.read('s2', 'n2', 50, 51, 'k', 0);
    b.final('n1', 120, 'primary', { k: 's2-1' });
    const v = checkReadYourWrites(b.build());
    expect(v).toHaveLength(1);
    expect(v[0]!.data).toMatchObject({ ambiguous: true, candidateXids: ['1', '2'] });
  });

  it('keeps monotonic reads when the later read may be the newer equal value; not when it cannot be (teeth)', () => {
    const reads = (againAt: number): History => {
      const b = new HistoryBuilder(['n1', 'n2']);
      b.event('n1', 5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 0 } });
      b.event('n1', 10, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 'a' } });
      b.event('n1', againAt, 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { k: 0 } });
      b.read('s9', 'n1', 30, 31, 'k', 'a');
      b.read('s9', 'n2', 50, 51, 'k', 0);
      b.final('n1', 120, 'primary', { k: 0 });
      return b.build();
    };
    expect(checkMonotonicReads(reads(40))).toEqual([]);
    expect(favouredSessionReads(reads(40), 'monotonic-reads')).toMatchObject([{ op: 2, xids: ['1', '3'], chosenXid: '3' }]);
    const v = checkMonotonicReads(reads(70));
    expect(v).toHaveLength(1);
    expect(v[0]!.data).toMatchObject({ key: 'k', earlier: 'a', later: 0 });
  });

  it('lets a write follow a read of a repeated value placed at its oldest version', () => {
    const b = new HistoryBuilder(['n1', 'n2']);
    b.event('n1', 5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 0 } });
    b.event('n1', 8, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 'a' } });
    const u = b.op('s1', 'n1', 10, 35, [dbl(0)], { status: 'info' });
    b.read('s3', 'n2', 20, 21, 'k', 0);
    b.write('s3', 'n1', 22, 25, 'j', 'j1', { commit: { lsn: 3, timeline: 1 } });
    b.event('n1', 24, 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { j: 'j1' } });
    b.event('n1', 30, 'txn.commit', { xid: 4, lsn: 4, timeline: 1, writes: { k: 0 }, op: u.id });
    b.final('n1', 120, 'primary', { k: 0, j: 'j1' });
    // The upd in flight at the read may have produced its 0 (xid 4, after j1); xid 1 (before j1) may too.
    const h = b.build();
    expect(checkWritesFollowReads(h)).toEqual([]);
    expect(favouredSessionReads(h, 'writes-follow-reads')).toMatchObject([{ op: 2, xids: ['1', '4'], chosenXid: '1' }]);
  });

  it('measures staleness from the newest candidate and marks the sample ambiguous', () => {
    const s = measureStaleness(doubledZero(20)).find((x) => x.session === 's2');
    expect(s).toMatchObject({ value: 0, xid: '3', versionsBehind: 0, ambiguous: true });
    const t = measureStaleness(doubledZero(60)).find((x) => x.session === 's2');
    expect(t).toMatchObject({ value: 0, xid: '1', versionsBehind: 1 });
    expect(t).not.toHaveProperty('ambiguous');
  });

  it('keeps a consistent prefix when some choice of versions gives one; breaks it when none does (teeth)', () => {
    const txn = (againAt: number): History => {
      const b = new HistoryBuilder(['n1', 'n2']);
      b.event('n1', 5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 0 } });
      b.event('n1', 10, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 'a' } });
      b.event('n1', 15, 'txn.commit', { xid: 3, lsn: 3, timeline: 1, writes: { j: 'j1' } });
      b.event('n1', againAt, 'txn.commit', { xid: 4, lsn: 4, timeline: 1, writes: { k: 0 } });
      b.op('s4', 'n2', 40, 41, [{ f: 'r', k: 'k', v: 0 }, { f: 'r', k: 'j', v: 'j1' }]);
      b.final('n1', 120, 'primary', { k: 0, j: 'j1' });
      return b.build();
    };
    // k=0 as xid 4 and j=j1 as xid 3: the prefix up to xid 4 shows both.
    expect(checkConsistentPrefix(txn(20))).toEqual([]);
    // xid 4 committed after the read: k=0 can only be xid 1, replaced by xid 2 before j1 — no prefix.
    const v = checkConsistentPrefix(txn(60));
    expect(v).toHaveLength(1);
    expect(v[0]!.data).toMatchObject({ keys: ['j', 'k'] });
  });

  it('a read that names its write is placed at that version, not flagged', () => {
    const h = doubledZero(20, 'second');
    const auth = findAuthority(h)!;
    expect(readCandidates(auth, 'k', 0, 51, 3).map((v) => v.xid)).toEqual(['3']);
    expect(ambiguousReads(h)).toEqual([]);
    expect(checkReadYourWrites(h)).toEqual([]);
    expect(favouredSessionReads(h, 'read-your-writes')).toEqual([]);
    expect(measureStaleness(h).find((x) => x.session === 's2')).not.toHaveProperty('ambiguous');
  });

  it('read-your-writes breaks only because the read names the older write (teeth of the name)', () => {
    // The same history passes unnamed (the newer 0 could explain it): the name alone decides.
    expect(checkReadYourWrites(doubledZero(20))).toEqual([]);
    const v = checkReadYourWrites(doubledZero(20, 'first'));
    expect(v).toHaveLength(1);
    expect(v[0]!.data).toMatchObject({ key: 'k', session: 's2', read: 0, written: 's2-1' });
    expect(v[0]!.data).not.toHaveProperty('ambiguous');
    expect(ambiguousReads(doubledZero(20, 'first'))).toEqual([]);
  });

  it('a name that no version of the value carries narrows nothing', () => {
    // Op 2 is s2's write of s2-1, which never left 0: the value alone decides, most favourably.
    const h = doubledZero(20);
    const auth = findAuthority(h)!;
    expect(readCandidates(auth, 'k', 0, 51, 2).map((v) => v.xid)).toEqual(['1', '3']);
    expect(readCandidates(auth, 'k', 0, 51, 1).map((v) => v.xid)).toEqual(['1']);
  });

  it('a unique written value names one version', () => {
    const b = new HistoryBuilder(['n1', 'n2']);
    b.write('s1', 'n1', 0, 3, 'k', 'a');
    b.event('n1', 2, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 'a' } });
    b.write('s1', 'n1', 4, 7, 'k', 'b');
    b.event('n1', 6, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 'b' } });
    b.read('s2', 'n2', 10, 11, 'k', 'a');
    b.final('n1', 20, 'primary', { k: 'b' });
    const h = b.build();
    expect(readCandidates(findAuthority(h)!, 'k', 'a', 11).map((v) => v.xid)).toEqual(['1']);
    expect(ambiguousReads(h)).toEqual([]);
  });
});
