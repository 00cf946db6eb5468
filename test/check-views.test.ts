import { describe, expect, it } from 'vitest';
import { authorityOf, coreOf, opsOf, replaysOf } from '../src/check/views.js';
import { findAuthority, operations, replayLogs } from '../src/history/ops.js';
import type { History, HistoryEntry } from '../src/history/types.js';
import { HistoryBuilder } from './helpers/history-builder.js';

const net = (t: number): HistoryEntry => ({ type: 'net', t, ev: 'send', from: 'n1', to: 'n2', msg: t, channel: 'stream', label: 'x' });

describe('shared history views', () => {
  it('derive once per history and agree with the helpers they share', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    b.write('s2', 'n1', 3, 4, 'x', 'b', { status: 'fail' });
    const h = b.build();
    expect(opsOf(h)).toBe(opsOf(h));
    expect(opsOf(h)).toEqual(operations(h));
    expect(replaysOf(h)).toEqual(replayLogs(h));
    expect(authorityOf(h)).toEqual(findAuthority(h));
  });

  it('drop the message trace but keep every other entry, in order', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    const h: History = [...b.build()];
    h.splice(1, 0, net(1.5));
    h.push(net(9));
    expect(coreOf(h)).toEqual(h.filter((e) => e.type !== 'net'));
    expect(coreOf(h).length).toBe(h.length - 2);
  });

  it('are derived again when the history grows', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    const h: History = [...b.build()];
    expect(opsOf(h)).toHaveLength(1);
    h.push({ type: 'invoke', t: 5, op: 7, session: 's2', node: 'n1', req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } });
    expect(opsOf(h).map((o) => o.id)).toContain(7);
  });
});
