import { describe, expect, it } from 'vitest';
import {
  HistoryError,
  diffStates,
  faultOutside,
  injectedFaultKinds,
  findAuthority,
  foldLog,
  operations,
  replayLogs,
  resolveVersion,
  visibleStates,
} from '../src/history/ops.js';
import type { History } from '../src/history/types.js';
import { HistoryBuilder } from './helpers/history-builder.js';

describe('operations', () => {
  it('pairs invokes with completions and treats an open op as info', () => {
    const b = new HistoryBuilder();
    b.write('s1', 'n1', 1, 2, 'x', 'a');
    b.write('s2', 'n1', 3, 4, 'x', 'b', { status: 'fail' });
    b.write('s3', 'n1', 5, 0, 'x', 'c', { status: 'open' });
    const ops = operations(b.build());
    expect(ops.map((o) => [o.id, o.status, o.completeT])).toEqual([[1, 'ok', 2], [2, 'fail', 4], [3, 'info', undefined]]);
  });

  it('rejects a completion without an invocation', () => {
    const h: History = [{ type: 'ok', t: 1, op: 9, session: 's1', node: 'n1', txn: [] }];
    expect(() => operations(h)).toThrow(/operation 9, which was never invoked/);
  });

  it('rejects a second completion', () => {
    const b = new HistoryBuilder();
    const op = b.write('s1', 'n1', 1, 2, 'x', 'a');
    const h = [...b.build(), { ...op.completion!, t: 3 }];
    expect(() => operations(h)).toThrow(HistoryError);
  });
});

describe('visible logs', () => {
  it('folds commits, then drops the rewound and unrecovered suffixes', () => {
    const b = new HistoryBuilder();
    b.commit('n1', 1, 1, 10, { x: 'a' });
    b.commit('n1', 2, 2, 20, { x: 'b', y: 'c' });
    b.commit('n1', 3, 3, 30, { y: null });
    const before = replayLogs(b.build()).get('n1')!;
    expect(foldLog(before.log)).toEqual({ x: 'b' });
    b.event('n1', 4, 'rewind', { toLsn: 20, timeline: 2 });
    expect(foldLog(replayLogs(b.build()).get('n1')!.log)).toEqual({ x: 'b', y: 'c' });
    b.event('n1', 5, 'recover', { lsn: 10, timeline: 2 });
    const after = replayLogs(b.build()).get('n1')!;
    expect(after.log.map((e) => e.xid)).toEqual(['1']);
    expect(after.applications).toHaveLength(3);
    expect(after.points).toMatchObject([{ kind: 'recover', lsn: 10, state: { x: 'a' } }]);
    expect(visibleStates(b.build()).get('n1')).toEqual({ x: 'a' });
  });

  it('names the event and field when event data is malformed', () => {
    const b = new HistoryBuilder();
    b.event('n2', 7, 'apply', { xid: 1, lsn: 'ten', writes: {} });
    expect(() => replayLogs(b.build())).toThrow(/apply event on n2 at 7.0 ms: data.lsn must be a number/);
    const c = new HistoryBuilder();
    c.event('n2', 7, 'txn.commit', { xid: 1, lsn: 1, writes: { x: [1] } });
    expect(() => replayLogs(c.build())).toThrow(/data.writes.x must be a string, number or null/);
  });

  it('diffs states treating absent as null', () => {
    expect(diffStates({ a: 1, b: null }, { a: 2, c: 3 })).toEqual(['a', 'c']);
  });
});

describe('authority', () => {
  it('is the live primary; with two, the one promoted last', () => {
    const b = new HistoryBuilder(['n1', 'n2', 'n3']);
    b.commit('n1', 1, 1, 10, { x: 'a' });
    b.event('n2', 2, 'promote', { timeline: 2, lsn: 10 });
    b.final('n1', 9, 'primary', { x: 'a' });
    b.final('n2', 9, 'primary', {});
    b.final('n3', 9, 'primary', {}, false);
    expect(findAuthority(b.build())?.node).toBe('n2');
  });

  it('is undefined when no live primary remains', () => {
    const b = new HistoryBuilder();
    b.final('n1', 9, 'primary', {}, false);
    b.final('n2', 9, 'standby', {});
    expect(findAuthority(b.build())).toBeUndefined();
  });

  it('resolves read values to versions, null to the initial state', () => {
    const b = new HistoryBuilder();
    b.commit('n1', 1, 1, 10, { x: 'a' });
    b.commit('n1', 2, 2, 20, { x: 'b' });
    b.final('n1', 9, 'primary', { x: 'b' });
    const auth = findAuthority(b.build())!;
    expect(resolveVersion(auth, 'x', 'b')).toMatchObject({ xid: '2', index: 1, commitT: 2 });
    expect(resolveVersion(auth, 'x', null)).toMatchObject({ index: -1 });
    expect(resolveVersion(auth, 'x', 'zzz')).toBeUndefined();
  });
});

describe('fault kinds', () => {
  it('counts simulator crashes as their mode and as plain crash; refines a bare crash from the node entry', () => {
    const b = new HistoryBuilder();
    b.crash('n1', 1, 'machine');
    b.fault(2, 'crash', ['n2']);
    const h = [...b.build(), { type: 'node' as const, t: 2, node: 'n2', ev: 'crash' as const, mode: 'process' as const }];
    expect(injectedFaultKinds(h).map((f) => f.kinds)).toEqual([['crash:machine', 'crash'], ['crash', 'crash:process']]);
    expect(faultOutside(h, ['crash'])).toBeUndefined();
    expect(faultOutside(h, ['crash:process'])).toMatchObject({ t: 1 });
    expect(faultOutside(h, undefined)).toBeUndefined();
  });
});
