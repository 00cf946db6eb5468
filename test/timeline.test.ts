import { describe, expect, it } from 'vitest';
import { simulate } from '../src/sim/run.js';
import type { History } from '../src/history/types.js';
import { selectRows, textTimeline, timelineItems } from '../src/history/timeline.js';
import { broadcastModel } from './helpers/sim-models.js';

function run(): History {
  return simulate({
    model: broadcastModel(),
    config: {},
    sim: {
      seed: 1,
      nodes: ['n1', 'n2', 'n3'],
      network: { defaultLink: { latency: { kind: 'uniform', minMs: 1, maxMs: 3 }, lossRate: 0, dupRate: 0 } },
      faults: [
        { kind: 'partition', atMs: 5, from: ['n1'], to: ['n3'], durationMs: 10 },
        { kind: 'crash', atMs: 12, node: 'n2', mode: 'machine', restartAfterMs: 5 },
      ],
      sessions: [
        { id: 's1', policy: 'primary', ops: [0, 3, 6, 9, 12].map((atMs, i) => ({ atMs, req: { txn: [{ f: 'w', k: 'x', v: i }], end: 'commit' } })) },
        { id: 's2', policy: 'primary', ops: [2, 8].map((atMs) => ({ atMs, req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } })) },
      ],
    },
  }).history;
}

const history = run();

describe('textTimeline', () => {
  const text = textTimeline(history, { width: 90, maxRows: 200 });
  const lines = text.split('\n');

  it('has a client column and one lane per node, aligned on every row', () => {
    const head = lines[0] ?? '';
    expect(head).toMatch(/t ms\s+client\s+n1\s+n2\s+n3/);
    const col = head.indexOf('n3');
    for (const l of lines.slice(1)) expect(l.length <= col || '│┆●╳◇X↺‖▷○✓✗?─▶◀'.includes(l[col] ?? '')).toBe(true);
  });

  it('shows client ops with values, messages as arrows, faults and crashes', () => {
    expect(text).toMatch(/^\s+0\.000\s+s1 #0 w\(x,0\) ─+▶○/m);
    expect(text).toMatch(/s2 #1 ok r\(x\)=0 ◀─+✓/);
    expect(text).toMatch(/│─+put─+▶│/);
    expect(text).toMatch(/─put─+✗/); // dropped across the partition
    expect(text).toMatch(/FAULT partition n1 <-\/-> /);
    expect(text).toMatch(/n2 crash \(machine\)\s+│\s+X/);
    expect(text).toMatch(/n2 restart/);
    expect(text).toMatch(/quiet/);
    expect(text).not.toMatch(/FAULT crash/); // drawn once, as the node's crash row
  });

  it('draws a node lane dotted while it is down', () => {
    const crash = lines.findIndex((l) => l.includes('n2 crash'));
    const restart = lines.findIndex((l) => l.includes('n2 restart'));
    const col = (lines[0] ?? '').indexOf('n2');
    const between = lines.slice(crash + 1, restart).filter((l) => l.length > col && !l.includes('⋮'));
    expect(between.length).toBeGreaterThan(0);
    for (const l of between) expect('┆─✗●'.includes(l[col] ?? '')).toBe(true);
  });

  it('caps rows, keeps client ops before messages, and says how many were elided', () => {
    const capped = textTimeline(history, { maxRows: 20 }).split('\n');
    const body = capped.slice(1, -1);
    expect(body.length).toBeLessThanOrEqual(20);
    const total = timelineItems(history).items.length;
    const shown = body.filter((l) => !l.includes('elided')).length;
    expect(capped.at(-1)).toBe(`(${total - shown} of ${total} rows elided: ${capped.at(-1)?.match(/: (.*)\)$/)?.[1]})`);
    const elidedInGaps = body.reduce((n, l) => n + Number(l.match(/⋮\s+(\d+) rows? elided/)?.[1] ?? 0), 0);
    expect(elidedInGaps).toBe(total - shown);
    expect(capped.filter((l) => /s\d #\d/.test(l)).length).toBeGreaterThan(capped.filter((l) => /put/.test(l)).length);
  });

  it('prints everything when under the cap', () => {
    expect(text).not.toMatch(/elided/);
    expect(lines.length - 1).toBe(timelineItems(history).items.length);
  });

  it('draws right-to-left messages and ops that failed or were indeterminate', () => {
    const h: History = [
      { type: 'meta', t: 0, model: 'm', seed: 1, nodes: ['a', 'b'] },
      { type: 'invoke', t: 1, op: 0, session: 's', node: 'b', req: { txn: [{ f: 'w', k: 'k', v: 1 }], end: 'commit' } },
      { type: 'net', t: 1.5, ev: 'send', from: 'b', to: 'a', msg: 1, channel: 'stream', label: 'append' },
      { type: 'net', t: 2, ev: 'recv', from: 'b', to: 'a', msg: 1, channel: 'stream', label: 'append' },
      { type: 'event', t: 2, node: 'a', name: 'promote', data: { timeline: 2, lsn: 4 } },
      { type: 'info', t: 3, op: 0, session: 's', node: 'b', reason: 'timeout' },
      { type: 'invoke', t: 4, op: 1, session: 's', node: 'a', req: { txn: [{ f: 'r', k: 'k' }], end: 'rollback' } },
      { type: 'fail', t: 5, op: 1, session: 's', node: 'a', error: 'connection refused' },
    ];
    const t = textTimeline(h, { width: 100 });
    expect(t).toMatch(/│◀─+append─+│/);
    expect(t).toMatch(/●PROMOTE tl2/);
    expect(t).toMatch(/s #0 info timeout ◀─+/);
    expect(t).toMatch(/s #1 BEGIN r\(k\) ROLLBACK/);
    expect(t).toMatch(/s #1 fail connection re… ◀─*✗|s #1 fail connection refused ◀─*✗/);
  });
});

describe('selectRows', () => {
  it('never returns more rows plus gap lines than the cap', () => {
    const items = timelineItems(history).items;
    for (const cap of [1, 5, 12, 30]) {
      const keep = selectRows(items, cap);
      let gaps = 0;
      for (let i = 0; i < items.length; i++) if (!keep.has(i) && (i === 0 || keep.has(i - 1))) gaps++;
      expect(keep.size + gaps).toBeLessThanOrEqual(cap);
    }
  });
});
