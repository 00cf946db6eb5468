import { describe, expect, it } from 'vitest';
import type { FaultEntry, History } from '../src/history/types.js';
import { faultWindows } from '../src/metrics/faults.js';

const fault = (t: number, phase: 'inject' | 'heal', kind: string, text: string, nodes = ['n1']): FaultEntry => ({ type: 'fault', t, phase, fault: { kind, nodes, text } });

describe('faultWindows', () => {
  it('pairs injections with heals; open faults last until the quiet phase', () => {
    const h: History = [
      fault(5, 'inject', 'partition', 'partition n1 <-/-> n3', ['n1', 'n3']),
      fault(12, 'inject', 'crash:machine', 'crash n2 (machine)', ['n2']),
      fault(15, 'heal', 'partition', 'partition n1 <-/-> n3', ['n1', 'n3']),
      fault(20, 'inject', 'partition', 'partition n1 <-/-> n3', ['n1', 'n3']),
      { type: 'quiet', t: 30 },
      fault(30, 'heal', 'crash:machine', 'crash n2 (machine)', ['n2']),
      { type: 'final', t: 40, node: 'n1', alive: true, view: { role: 'primary', data: {} } },
    ];
    expect(faultWindows(h).map((w) => [w.kind, w.startMs, w.endMs])).toEqual([
      ['partition', 5, 15],
      ['crash:machine', 12, 30],
      ['partition', 20, 30],
    ]);
  });

  it('a heal without an injection is ignored; no faults gives no windows', () => {
    expect(faultWindows([fault(3, 'heal', 'clog', 'clog n1->n2')])).toEqual([]);
    expect(faultWindows([])).toEqual([]);
  });
});
