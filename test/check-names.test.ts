/**
 * A read's name for the write of its value (`w`) is the model's word: the
 * contract check holds it against the serving node's events.
 */
import { describe, expect, it } from 'vitest';
import type { History } from '../src/history/types.js';
import { checkModelContract } from '../src/check/contract.js';
import { HistoryBuilder } from './helpers/history-builder.js';

/** Two upds leave 4 on n1 (ops 1 and 2); s3 reads 4 from n1 naming `w`. */
function named(w: number | undefined, anonymous = false): History {
  const b = new HistoryBuilder(['n1']);
  const u1 = b.op('s1', 'n1', 1, 2, [{ f: 'upd', k: 'k', expr: { op: 'add', n: 4 }, v: 4 }], { commit: { lsn: 1, timeline: 1 } });
  b.event('n1', 1.5, 'txn.commit', { xid: 1, lsn: 1, timeline: 1, writes: { k: 4 }, ...(anonymous ? {} : { op: u1.id }) });
  const u2 = b.op('s2', 'n1', 3, 4, [{ f: 'upd', k: 'k', expr: { op: 'mul', n: 1 }, v: 4 }], { commit: { lsn: 2, timeline: 1 } });
  b.event('n1', 3.5, 'txn.commit', { xid: 2, lsn: 2, timeline: 1, writes: { k: 4 }, op: u2.id });
  b.op('s3', 'n1', 5, 6, [{ f: 'r', k: 'k', v: 4, ...(w !== undefined ? { w } : {}) }]);
  b.final('n1', 10, 'primary', { k: 4 });
  return b.build();
}

describe('a read that names its write', () => {
  it('is in the contract when the node\'s events name that write for that value', () => {
    expect(checkModelContract(named(1))).toEqual([]);
    expect(checkModelContract(named(2))).toEqual([]);
    expect(checkModelContract(named(undefined))).toEqual([]);
  });

  it('breaks the contract when the node\'s events name only other writes for that value (teeth)', () => {
    const [b, ...more] = checkModelContract(named(3));
    expect(more).toEqual([]);
    expect(b).toMatchObject({ kind: 'name', node: 'n1', key: 'k' });
    expect(b!.sentence).toMatch(/read 4 named as written by op 3 .* written only by ops 1, 2/);
  });

  it('cannot be held against events that name no operation', () => {
    expect(checkModelContract(named(3, true))).toEqual([]);
  });
});
