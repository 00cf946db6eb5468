/**
 * Coverage feedback: a run's behaviour signature, and a corpus of runs that
 * showed behaviour no earlier run showed, whose fault schedules later runs reuse
 * (each fault nudged, the workload, network and seed drawn afresh).
 *
 * A signature abstracts a history the way Mallory's happens-before summaries do:
 * not times, but what happened around each fault — its kind (and crash mode),
 * the model event its node emitted last before it and the one any other node
 * emitted last (within {@link WINDOW_MS}), what the other nodes did while a
 * crashed node was down (a restart before or after a promotion), and which
 * claims the run could judge. Nothing here knows a model or a bug.
 *
 * Determinism: runs are grouped in epochs of whole rounds over the targets.
 * The corpus a run of epoch e draws from is built from the signatures of every
 * run of the epochs before e, taken in run-index order, so run i's scenario
 * depends on (seed, i) and those earlier results only — never on the worker
 * count or on which run finished first.
 */
import type { History, NodeId } from '../history/types.js';
import type { Fault, Model, NodeContext, NodeProgram } from '../sim/types.js';
import type { AnchorPair, CoverageBias } from '../scenario/arbitraries.js';
import { fnv1a } from '../sim/random.js';

/** Rounds over the targets per epoch: the corpus is rebuilt between epochs. */
export const EPOCH_ROUNDS = 8;
/** Of the runs after the first epoch, those that reuse a corpus entry, in 1,024ths. */
const MUTANT_SHARE = 512;
/** An event within this long before a fault is "what the node was doing" when it struck. */
const WINDOW_MS = 5;
/** Most corpus entries kept per target (the newest), so old behaviour does not crowd out new. */
const CORPUS_MAX = 64;

/** What a run reports back for coverage: its signature, the faults that produced it, the moments its nodes marked. */
export interface RunCoverage {
  sig: string[];
  faults: Fault[];
  marks: AnchorPair[];
}

/**
 * A node program whose `ctx.mark(name)` calls `onMark(name)` first; every other
 * call and context member is the node's own.
 *
 * The wrapper context is one object literal delegating to the node's: every wrapper
 * has the same hidden class, run after run. (It once inherited from the node's context
 * through `Object.create`, which gives each context a hidden class of its own as a
 * prototype: every model call site reading `ctx.send` met a new class each run.)
 */
export function tapMarks(p: NodeProgram, onMark: (name: string) => void): NodeProgram {
  // A node's context is made once per incarnation, and a program lives one incarnation: remember the last.
  let last: NodeContext | undefined;
  let wrapped: NodeContext | undefined;
  const w = (ctx: NodeContext): NodeContext => {
    if (ctx === last) return wrapped!;
    last = ctx;
    return (wrapped = markingContext(ctx, onMark));
  };
  const q: NodeProgram = {
    start: (ctx) => p.start(w(ctx)),
    onMessage: (ctx, from, msg) => p.onMessage(w(ctx), from, msg),
    onTimer: (ctx, tag, payload) => p.onTimer(w(ctx), tag, payload),
    onRequest: (ctx, r) => p.onRequest(w(ctx), r),
    view: () => p.view(),
  };
  if (p.onStreamBreak) q.onStreamBreak = (ctx, peer) => p.onStreamBreak!(w(ctx), peer);
  return q;
}

function markingContext(ctx: NodeContext, onMark: (name: string) => void): NodeContext {
  return {
    get id() {
      return ctx.id;
    },
    get nodes() {
      return ctx.nodes;
    },
    get disk() {
      return ctx.disk;
    },
    now: () => ctx.now(),
    send: (to, msg, opts) => ctx.send(to, msg, opts),
    setTimer: (delayMs, tag, payload, opts) => ctx.setTimer(delayMs, tag, payload, opts),
    cancelTimer: (id) => ctx.cancelTimer(id),
    reply: (reqId, result) => ctx.reply(reqId, result),
    random: () => ctx.random(),
    emit: (name, data) => ctx.emit(name, data),
    mark: (name) => {
      onMark(name);
      ctx.mark(name);
    },
  };
}

/**
 * The model, its nodes' marks counted on the side (the simulator counts a mark
 * only when a fault waits for it, and never writes one into the history).
 * The wrapper changes nothing the model does: same calls, same context otherwise.
 */
export function countingMarks<C>(model: Model<C>): { model: Model<C>; take: () => AnchorPair[] } {
  // Per node, per mark name: no key string built per mark.
  const counts = new Map<NodeId, Map<string, AnchorPair>>();
  const wrapped = Object.create(model) as Model<C>;
  wrapped.program = (node, config, bug) => {
    const p = model.program(node, config, bug);
    let mine = counts.get(node);
    if (!mine) counts.set(node, (mine = new Map()));
    const own = mine;
    return tapMarks(p, (name) => {
      const e = own.get(name);
      if (e) e.count++;
      else own.set(name, { node, mark: name, count: 1 });
    });
  };
  const take = (): AnchorPair[] => {
    const out: AnchorPair[] = [];
    for (const m of counts.values()) {
      for (const e of m.values()) out.push(e);
      m.clear();
    }
    return out.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.mark < b.mark ? -1 : a.mark > b.mark ? 1 : 0));
  };
  return { model: wrapped, take };
}

/** The behaviour signature of one run: a sorted set of short strings. */
export function signatureOf(history: History, judged: readonly { id: string; notJudged?: string }[]): string[] {
  const out = new Set<string>();
  // Last model event per node, as the history is walked in time order.
  const last = new Map<NodeId, { t: number; name: string }>();
  // Crashed nodes → the first and the latest event another node emitted while it was down.
  const down = new Map<NodeId, { first?: string; latest?: string }>();
  const near = (n: NodeId, t: number): string => {
    const e = last.get(n);
    return e && t - e.t <= WINDOW_MS ? e.name : '-';
  };
  const nearOther = (nodes: readonly NodeId[], t: number): string => {
    let best: { t: number; name: string } | undefined;
    for (const [n, e] of last) if (!nodes.includes(n) && t - e.t <= WINDOW_MS && (!best || e.t > best.t)) best = e;
    return best?.name ?? '-';
  };
  for (const e of history) {
    if (e.type === 'event') {
      last.set(e.node, { t: e.t, name: e.name });
      for (const [n, d] of down) {
        if (n === e.node) continue;
        d.first ??= e.name;
        d.latest = e.name;
      }
    } else if (e.type === 'fault' && e.phase === 'inject') {
      const kind = e.fault.kind;
      const node = e.fault.nodes[0];
      // A crash is told by its node's lifecycle entry, which carries the mode.
      if (!kind.startsWith('crash') && node !== undefined) {
        out.add(`f:${kind}:${near(node, e.t)}`);
        out.add(`o:${kind}:${nearOther(e.fault.nodes, e.t)}`);
      }
    } else if (e.type === 'node') {
      if (e.ev === 'crash') {
        const kind = `crash-${e.mode ?? 'process'}`;
        out.add(`f:${kind}:${near(e.node, e.t)}`);
        out.add(`o:${kind}:${nearOther([e.node], e.t)}`);
        down.set(e.node, {});
      } else if (e.ev === 'restart') {
        const d = down.get(e.node);
        // How the others reacted while it was down, first and last: a restart before they noticed is its own behaviour.
        out.add(`r:${d?.first ?? '-'}:${d?.latest ?? '-'}`);
        down.delete(e.node);
      } else if (e.ev === 'pause') {
        out.add(`f:pause:${near(e.node, e.t)}`);
      }
    } else if (e.type === 'quiet') {
      // Still down when the quiet phase began: it restarts only then.
      if (down.size > 0) out.add('q:down');
    }
  }
  for (const j of judged) out.add(j.notJudged === undefined ? `j:${j.id}` : `n:${j.id}`);
  return [...out].sort();
}

/** Per target, the fault schedules of runs that showed something new, and every signature element seen. */
export class Corpus {
  private readonly seen = new Set<string>();
  /** Per target, every (node, mark) pair seen, with the most occurrences in one run. */
  private readonly pairs: Map<string, AnchorPair>[];
  private readonly anchorLists: (AnchorPair[] | undefined)[];
  private readonly entries: Fault[][][];
  /** Runs below this index have been folded in. */
  private upTo = 0;

  constructor(targets: number) {
    this.entries = Array.from({ length: targets }, () => []);
    this.pairs = Array.from({ length: targets }, () => new Map());
    this.anchorLists = Array.from({ length: targets }, () => undefined);
  }

  /**
   * Fold in runs [upTo, end) in index order; `at(i)` is run i's coverage, or
   * undefined for a run that reported none (a failure).
   */
  advance(end: number, targets: number, at: (index: number) => RunCoverage | undefined): void {
    for (let i = this.upTo; i < end; i++) {
      const c = at(i);
      if (!c) continue;
      const t = i % targets;
      const pairs = this.pairs[t]!;
      for (const m of c.marks) {
        const key = `${m.node}\0${m.mark}`;
        const e = pairs.get(key);
        if (!e) {
          pairs.set(key, { ...m });
          this.anchorLists[t] = undefined;
        } else if (m.count > e.count) {
          e.count = m.count;
          this.anchorLists[t] = undefined;
        }
      }
      let fresh = false;
      for (const s of c.sig) {
        if (!this.seen.has(s)) {
          this.seen.add(s);
          fresh = true;
        }
      }
      if (!fresh || c.faults.length === 0) continue;
      const list = this.entries[t]!;
      list.push(c.faults);
      if (list.length > CORPUS_MAX) list.shift();
    }
    this.upTo = Math.max(this.upTo, end);
  }

  /**
   * How run `index` is steered: the (node, mark) pairs its target's runs reached
   * so far, and for some runs a corpus entry's fault schedule to start from.
   */
  bias(seed: number, index: number, targets: number, mutants: boolean): CoverageBias | undefined {
    const t = index % targets;
    let anchors = this.anchorLists[t];
    if (!anchors) {
      anchors = [...this.pairs[t]!.values()].map((a) => ({ ...a }))
        .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : a.mark < b.mark ? -1 : a.mark > b.mark ? 1 : 0));
      this.anchorLists[t] = anchors;
    }
    const list = this.entries[t]!;
    const h = fnv1a(`coverage/${seed}/${index}`);
    const seedFaults = mutants && list.length > 0 && (h & 1023) < MUTANT_SHARE ? list[(h >>> 10) % list.length] : undefined;
    if (anchors.length === 0 && !seedFaults) return undefined;
    return { ...(anchors.length > 0 ? { anchors } : {}), ...(seedFaults ? { seedFaults } : {}) };
  }

  get size(): number {
    return this.entries.reduce((n, l) => n + l.length, 0);
  }

  get elements(): number {
    return this.seen.size;
  }
}

/** The first run index of run `index`'s epoch. */
export function epochStart(index: number, targets: number): number {
  const size = EPOCH_ROUNDS * targets;
  return Math.floor(index / size) * size;
}
