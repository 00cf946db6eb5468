import { describe, expect, it } from 'vitest';
import { EventQueue } from '../src/sim/queue.js';

describe('event queue', () => {
  it('pops by time, then in scheduling order, whatever the push order', () => {
    // A small deterministic generator: many ties, pushes interleaved with pops.
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const q = new EventQueue<number>();
    const pending: { t: number; seq: number }[] = [];
    const out: number[] = [];
    const expected: number[] = [];
    let seq = 0;
    for (let i = 0; i < 2000; i++) {
      if (next() < 0.6 || pending.length === 0) {
        const t = Math.floor(next() * 50) / 4;
        pending.push({ t, seq });
        q.push(t, seq++);
      } else {
        pending.sort((a, b) => a.t - b.t || a.seq - b.seq);
        const first = pending.shift()!;
        expected.push(first.seq);
        out.push(q.pop()!);
        expect(q.lastT).toBe(first.t);
      }
    }
    expect(out).toEqual(expected);
    expect(q.size).toBe(pending.length);
  });

  it('is empty when every event has been popped', () => {
    const q = new EventQueue<string>();
    q.push(1, 'a');
    expect(q.pop()).toBe('a');
    expect(q.pop()).toBeUndefined();
  });
});
