/**
 * The event queue: a binary heap ordered by (time, sequence number). The sequence
 * number is assigned at scheduling time, so simultaneous events run in the order
 * they were scheduled — never by object identity or insertion accident. Keys are
 * unique, so the order events come out in does not depend on how the heap is built.
 *
 * The keys live in two number arrays beside the events, not on them: comparisons
 * read plain arrays whatever the event's shape, and an event keeps the shape it was
 * built with (setting `t` and `seq` on it afterwards cost an allocation per event).
 */
export class EventQueue<E> {
  private readonly events: E[] = [];
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;
  /** Below every `seq`: keys of events scheduled first at their time. */
  private frontSeq = -Number.MAX_SAFE_INTEGER;
  /** The time of the event `pop` returned last. */
  lastT = 0;

  /** Schedule `ev` at time `t`, after every event already scheduled at `t`. */
  push(t: number, ev: E): void {
    this.insert(t, ev, this.seq++);
  }

  /**
   * Schedule `ev` at time `t` before every event `push` scheduled at `t` (after
   * earlier `pushFirst`s): what was held back must not be overtaken by what
   * arrives at the very moment it is let go.
   */
  pushFirst(t: number, ev: E): void {
    this.insert(t, ev, this.frontSeq++);
  }

  private insert(t: number, ev: E, seq: number): void {
    const { events, times, seqs } = this;
    let i = events.length;
    events.push(ev);
    times.push(t);
    seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < seq)) break;
      events[i] = events[parent]!;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    events[i] = ev;
    times[i] = t;
    seqs[i] = seq;
  }

  /** The earliest event (its time in `lastT`), or undefined when none is left. */
  pop(): E | undefined {
    const { events, times, seqs } = this;
    if (events.length === 0) return undefined;
    const top = events[0]!;
    this.lastT = times[0]!;
    const ev = events.pop()!;
    const t = times.pop()!;
    const seq = seqs.pop()!;
    const n = events.length;
    if (n > 0) {
      // Sift the last event down from the root.
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        const right = child + 1;
        if (right < n && (times[right]! < times[child]! || (times[right] === times[child] && seqs[right]! < seqs[child]!))) child = right;
        const ct = times[child]!;
        if (t < ct || (t === ct && seq < seqs[child]!)) break;
        events[i] = events[child]!;
        times[i] = ct;
        seqs[i] = seqs[child]!;
        i = child;
      }
      events[i] = ev;
      times[i] = t;
      seqs[i] = seq;
    }
    return top;
  }

  get size(): number {
    return this.events.length;
  }
}
