/**
 * Black-box evidence: what clients saw (invocations, completions, values read)
 * and what each node holds at the end (the `final` entries' view.data), judged
 * without the model's events — as Jepsen judges a real system by its final
 * reads. Checkers use these first; events only explain, order, or narrow what
 * the final state leaves ambiguous, and only where they agree with that state.
 *
 * Written values of `w` micro-ops are unique per scenario, so a value in a
 * final state names the write that produced it. Real-time order: operation A
 * precedes B when A completed before B was invoked (A.completeT < B.invokeT);
 * otherwise B may take effect after A.
 */
import type { FinalEntry, MicroOp, NodeId, Value } from '../history/types.js';
import {
  type Authority,
  type NodeReplay,
  type Operation,
  finalWrites,
  writeKey,
} from '../history/ops.js';

/** A unique client-chosen value (`w` micro-op, final in its transaction) and its writer. */
export interface UniqueWrite {
  key: string;
  value: string | number;
  op: Operation;
}

/** What the final state says about one write on one node. */
export type Survival =
  /** The node ends holding the value. */
  | 'present'
  /** The node ends with another value that a write which may follow this one produced: overwritten, maybe. */
  | 'overwritten'
  /** The node ends with a value nothing after this write explains: the write is gone. */
  | 'lost';

/** Client writes indexed for black-box questions, built once per history. */
export interface WriteIndex {
  /** value → the unique `w` write that produced it (final in its transaction). */
  byValue: Map<Value, UniqueWrite>;
  /** key → every operation that may have written it (any status; `rollback` excluded). */
  writersByKey: Map<string, Operation[]>;
}

/** True when `b` may take effect after `a`: `b` did not complete before `a` was invoked. */
export function mayFollow(b: Operation, a: Operation): boolean {
  return b !== a && !(b.completeT !== undefined && b.completeT < a.invokeT);
}

/** True when `a` completed before `b` was invoked (real-time precedence). */
export function precedes(a: Operation, b: Operation): boolean {
  return a.completeT !== undefined && a.completeT < b.invokeT;
}

export function writeIndex(ops: readonly Operation[]): WriteIndex {
  const byValue = new Map<Value, UniqueWrite>();
  const writersByKey = new Map<string, Operation[]>();
  for (const op of ops) {
    if (op.req.end !== 'commit') continue;
    const keys = new Set<string>();
    op.txn.forEach((m, i) => {
      if (m.f === 'r') return;
      keys.add(m.k);
      if (m.f !== 'w' || m.v === null || byValue.has(m.v)) return;
      const final = !op.txn.slice(i + 1).some((later) => later.f !== 'r' && later.k === m.k);
      if (final) byValue.set(m.v, { key: m.k, value: m.v, op });
    });
    for (const k of keys) writersByKey.set(k, [...(writersByKey.get(k) ?? []), op]);
  }
  return { byValue, writersByKey };
}

/** The unique-value writes an acknowledged operation made (empty for computed values and deletes). */
export function uniqueWritesOf(index: WriteIndex, op: Operation): UniqueWrite[] {
  const out: UniqueWrite[] = [];
  for (const [k, v] of finalWrites(op)) {
    const w = v === null ? undefined : index.byValue.get(v);
    if (w && w.op === op && w.key === k) out.push(w);
  }
  return out;
}

/**
 * Whether an operation other than `after`'s writer, one that may follow it,
 * could have left `value` in `key`: it wrote exactly that value, or computed
 * its last value of the key on the server (`upd`/`now`/`rand`: a replica that
 * re-executes the statement may compute another value, which is convergence's
 * finding, not a loss — but always a value: a computed write never leaves the
 * key absent). The most favourable reading for the model: any status counts
 * (a failed write showing up is another checker's finding).
 */
export function explainedAfter(index: WriteIndex, key: string, value: Value, after: Operation): Operation | undefined {
  for (const op of index.writersByKey.get(key) ?? []) {
    if (!mayFollow(op, after)) continue;
    if (couldLeave(op, key, value)) return op;
  }
  return undefined;
}

/**
 * Whether `op`'s last write of `key` could be `value` on some node: the value
 * it wrote or deleted, or — for a server-computed write, which a replica may
 * re-execute differently — any value but absence.
 */
export function couldLeave(op: Operation, key: string, value: Value): boolean {
  const last = lastWrite(op, key);
  if (!last) return false;
  if (last.f === 'upd' || last.f === 'now' || last.f === 'rand') return value !== null;
  return (last.f === 'del' ? null : last.v) === value;
}

/** The last micro-op of `op` that writes `key` (undefined when it writes none). */
function lastWrite(op: Operation, key: string): MicroOp | undefined {
  for (let i = op.txn.length - 1; i >= 0; i--) {
    const m = op.txn[i]!;
    if (m.f !== 'r' && m.k === key) return m;
  }
  return undefined;
}

/** What `data` (a node's final state) says about the unique write `w`. */
export function survival(index: WriteIndex, data: Record<string, Value>, w: UniqueWrite): Survival {
  const now = data[w.key] ?? null;
  if (now === w.value) return 'present';
  return explainedAfter(index, w.key, now, w.op) ? 'overwritten' : 'lost';
}

/**
 * Whether a node's events account for what it holds: every key/value in its
 * final data was made visible by one of its own `txn.commit`/`apply` events.
 * A node holding a value its events never showed is silent about its state,
 * so its events may not be used to find anything (the model's word is checked
 * elsewhere). A dead node's final view holds nothing and contradicts nothing.
 */
export function eventsAccountFor(replay: NodeReplay | undefined, final: FinalEntry): boolean {
  const shown = new Set<string>();
  for (const e of replay?.applications ?? []) for (const [k, v] of Object.entries(e.writes)) shown.add(writeKey(k, v));
  return Object.entries(final.view.data).every(([k, v]) => shown.has(writeKey(k, v)));
}

/** eventsAccountFor for the authority. */
export function authorityAccountable(logs: Map<NodeId, NodeReplay>, auth: Authority): boolean {
  return eventsAccountFor(logs.get(auth.node), auth.final);
}

/**
 * writeKey(k, v) pairs that any node's events ever made visible — what the
 * model admits to having committed or applied somewhere.
 */
export function mentionedWrites(logs: Map<NodeId, NodeReplay>): Set<string> {
  const out = new Set<string>();
  for (const r of logs.values()) {
    for (const e of r.applications) for (const [k, v] of Object.entries(e.writes)) out.add(writeKey(k, v));
  }
  return out;
}

/** Client operation numbers that any node's events name (`op` on txn.commit/apply). */
export function mentionedOps(logs: Map<NodeId, NodeReplay>): Set<number> {
  const out = new Set<number>();
  for (const r of logs.values()) {
    for (const e of r.applications) {
      const op = e.event.data?.['op'];
      if (typeof op === 'number') out.add(op);
    }
  }
  return out;
}
