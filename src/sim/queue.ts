/**
 * The event queue: a binary heap ordered by (time, sequence number). The sequence
 * number is assigned at scheduling time, so simultaneous events run in the order
 * they were scheduled — never by object identity or insertion accident.
 */
import TinyQueue from 'tinyqueue';

export interface Scheduled {
  t: number;
  seq: number;
}

function before(a: Scheduled, b: Scheduled): number {
  return a.t - b.t || a.seq - b.seq;
}

/** An event before it is scheduled (distributes over unions). */
export type Unscheduled<E> = E extends unknown ? Omit<E, 't' | 'seq'> : never;

export class EventQueue<E extends Scheduled> {
  private readonly heap = new TinyQueue<E>([], before);
  private seq = 0;

  /** Schedule `ev` at time `t` (ev.t and ev.seq are set here). */
  push(t: number, ev: Unscheduled<E>): void {
    const e = ev as unknown as E;
    e.t = t;
    e.seq = this.seq++;
    this.heap.push(e);
  }

  pop(): E | undefined {
    return this.heap.pop();
  }

  get size(): number {
    return this.heap.length;
  }
}
