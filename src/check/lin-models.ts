/**
 * Sequential specifications for the linearizability checker, as plain records
 * of functions (no classes): `init`, `step`, `equal`, `hash`, `partition`,
 * `describeOperation`, `describeState`.
 *
 * An operation's `output` is `undefined` when the operation never returned
 * (Jepsen `:info`, a client that crashed, a request that timed out): its outcome
 * is unknown, so `step` must accept it from every state and apply its effect as
 * if it had succeeded. The checker decides *whether* and *when* it took effect.
 */

import type { Value } from '../history/types.js';

/**
 * One client operation, as the checker sees it. `[call, ret]` is a closed
 * interval of real time: two operations whose intervals merely touch
 * (a.ret === b.call) are concurrent, so either order is allowed. Example:
 * write(1) over [0, 10] and read()→1 over [10, 12] may be ordered either way.
 * `ret` is `Infinity` for an operation that never returned: it may take effect
 * at any instant after `call`, or never (an effect placed after everything
 * else is indistinguishable from no effect).
 */
export interface LinOperation<I, O> {
  /** Dense index, 0 … n-1, unique within one check. */
  id: number;
  /** Who issued it (Jepsen process, session); drawn as one row per client. */
  client: string;
  input: I;
  /** `undefined` when the operation never returned (outcome unknown). */
  output: O | undefined;
  call: number;
  ret: number;
  /** Where it came from in the input (line number, history op), for messages. */
  source?: string;
}

/**
 * A sequential object. `step` returns the next state, or `undefined` when the
 * operation with that output is impossible in `state` (states themselves must
 * therefore never be `undefined`). `hash` must agree with `equal`.
 */
export interface LinModel<S, I, O> {
  name: string;
  init(): S;
  step(state: S, input: I, output: O | undefined): S | undefined;
  equal(a: S, b: S): boolean;
  /** 32-bit hash of a state; equal states must hash alike. */
  hash(state: S): number;
  /**
   * Split a history into independent sub-histories (P-compositionality: the
   * whole is linearizable iff every part is). Absent: one partition.
   */
  partition?(ops: LinOperation<I, O>[]): { label: string; ops: LinOperation<I, O>[] }[];
  describeOperation(input: I, output: O | undefined): string;
  describeState(state: S): string;
}

/** An update statement applied to a register: `x = x + n`, `x = x * n` (absent = 0). */
export interface RegisterUpdate {
  op: 'add' | 'mul';
  n: number;
}

/**
 * Register operations. `key` is optional: operations with different keys are
 * independent registers (partitioned per key). `update` is a read-modify-write
 * whose output is the resulting value (as an SQL `UPDATE … RETURNING`).
 */
export type RegisterInput =
  | { f: 'read'; key?: string }
  | { f: 'write'; key?: string; value: Value }
  | { f: 'cas'; key?: string; from: Value; to: Value }
  | { f: 'update'; key?: string; expr: RegisterUpdate };

/**
 * Register outputs: a read or an update returns `value`; a cas returns `ok`
 * (false = the comparison failed and nothing changed); a write returns `{}`.
 */
export interface RegisterOutput {
  value?: Value;
  ok?: boolean;
}

/** Key-value operations in the style of Porcupine's kv tests; values are strings. */
export type KvInput =
  | { f: 'get'; key: string }
  | { f: 'put'; key: string; value: string }
  | { f: 'append'; key: string; value: string };

/** A get returns the value (`''` when the key was never written); put/append return `{}`. */
export interface KvOutput {
  value?: string;
}


/** FNV-1a of `s` from a seed, so numbers' and strings' hashes differ without building a tagged string. */
function hashText(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

// Called once per legal search step: no allocation on the common small-integer path.
function hashValue(v: Value): number {
  if (v === null) return 0x9e3779b9;
  if (typeof v === 'number') {
    if ((v | 0) === v) return Math.imul(v ^ 0x27d4eb2f, 0x165667b1) ^ 0x85ebca6b; // -0 | 0 === 0, as -0 === 0
    return hashText(0x811c9dc5, String(v));
  }
  return hashText(0x050c5d1f, v);
}

function showValue(v: Value | undefined): string {
  if (v === undefined) return '?';
  return v === null ? 'nil' : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function applyUpdate(state: Value, expr: RegisterUpdate): Value {
  const base = typeof state === 'number' ? state : 0;
  return expr.op === 'add' ? base + expr.n : base * expr.n;
}

function stepRegister(state: Value, input: RegisterInput, output: RegisterOutput | undefined): Value | undefined {
  switch (input.f) {
    case 'read':
      return output === undefined || output.value === state ? state : undefined;
    case 'write':
      return input.value;
    case 'cas': {
      const matches = input.from === state;
      if (output !== undefined && output.ok !== matches) return undefined;
      return matches ? input.to : state;
    }
    case 'update': {
      const next = applyUpdate(state, input.expr);
      return output === undefined || output.value === next ? next : undefined;
    }
  }
}

function describeRegister(input: RegisterInput, output: RegisterOutput | undefined): string {
  const k = input.key === undefined ? '' : `${input.key}: `;
  const unknown = output === undefined;
  switch (input.f) {
    case 'read':
      return `${k}read() → ${unknown ? '?' : showValue(output.value)}`;
    case 'write':
      return `${k}write(${showValue(input.value)})${unknown ? ' → ?' : ''}`;
    case 'cas':
      return `${k}cas(${showValue(input.from)}, ${showValue(input.to)}) → ${unknown ? '?' : output.ok ? 'ok' : 'fail'}`;
    case 'update':
      return `${k}${input.expr.op === 'add' ? '+=' : '*='} ${input.expr.n} → ${unknown ? '?' : showValue(output.value)}`;
  }
}

/** Group operations by a key (sorted by key for a stable report order). */
export function partitionByKey<I, O>(
  ops: LinOperation<I, O>[],
  keyOf: (input: I) => string | undefined,
): { label: string; ops: LinOperation<I, O>[] }[] {
  const groups = new Map<string, LinOperation<I, O>[]>();
  for (const op of ops) {
    const k = keyOf(op.input) ?? '';
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(op);
  }
  return [...groups.keys()].sort().map((label) => ({ label, ops: groups.get(label)! }));
}

/**
 * A read/write/compare-and-set register (Jepsen's cas-register, etcd's test),
 * starting absent (`null`, Jepsen's `nil`). Partitioned by `input.key`.
 */
export const registerModel: LinModel<Value, RegisterInput, RegisterOutput> = {
  name: 'register',
  init: () => null,
  step: stepRegister,
  equal: (a, b) => a === b,
  hash: hashValue,
  partition: (ops) => partitionByKey(ops, (i) => i.key),
  describeOperation: describeRegister,
  describeState: (s) => showValue(s),
};

/**
 * Knossos' `cas-register` (knossos.model/cas-register): read, write and
 * cas(from, to) on one register per key, starting at `initial` (Knossos'
 * default: nil). As there, a read that returned nil tells nothing (the client
 * did not learn the value) and is legal in every state, and a cas that returned
 * ok must have found `from`. A cas that returned false (an etcd log's `:fail
 * :cas`) observed a value other than `from`; Knossos never sees one, since Jepsen
 * drops failed ops. Updates behave as in {@link registerModel}.
 */
export function casRegisterModel(initial: Value = null): LinModel<Value, RegisterInput, RegisterOutput> {
  return {
    ...registerModel,
    name: 'cas-register',
    init: () => initial,
    step: (state, input, output) => {
      if (input.f === 'read' && output !== undefined && output.value === null) return state;
      return stepRegister(state, input, output);
    },
  };
}

/**
 * A kv register's value, kept as a chain of appended pieces so that an append
 * costs one shared node instead of a copy of the whole string: the search
 * visits millions of states on 50-client histories. Nodes are interned per
 * parent (the same append from the same state is the same node), `hash` is a
 * polynomial hash of the full text, and equality falls back to comparing text.
 */
export interface KvState {
  readonly parent: KvState | null;
  readonly piece: string;
  /** Length of the whole value. */
  readonly len: number;
  /** Polynomial hash (base 31, mod 2^32) of the whole value. */
  readonly hash: number;
  readonly tree: KvTree;
  /** The first append from here, inline: most states have at most one (saves a Map each). */
  firstPiece?: string;
  firstChild?: KvState;
  children?: Map<string, KvState>;
}

interface KvTree {
  puts: Map<string, KvState>;
}

function polyHash(prefixHash: number, piece: string): number {
  let h = prefixHash;
  for (let i = 0; i < piece.length; i++) h = (Math.imul(h, 31) + piece.charCodeAt(i)) | 0;
  return h;
}

function kvNode(parent: KvState | null, piece: string, tree: KvTree): KvState {
  const base = parent === null ? 0 : parent.hash;
  // All fields present from the start so every node shares one hidden class.
  return { parent, piece, len: (parent?.len ?? 0) + piece.length, hash: polyHash(base, piece), tree, firstPiece: undefined, firstChild: undefined, children: undefined };
}

function kvPut(state: KvState, value: string): KvState {
  let n = state.tree.puts.get(value);
  if (!n) state.tree.puts.set(value, (n = kvNode(null, value, state.tree)));
  return n;
}

function kvAppend(state: KvState, piece: string): KvState {
  if (piece === '') return state;
  if (state.firstPiece === piece) return state.firstChild!;
  let n = state.children?.get(piece);
  if (n) return n;
  n = kvNode(state, piece, state.tree);
  if (state.firstChild === undefined) {
    state.firstPiece = piece;
    state.firstChild = n;
  } else (state.children ??= new Map()).set(piece, n);
  return n;
}

/** Whether the value equals `text`, without building the value. */
function kvMatches(state: KvState, text: string): boolean {
  if (state.len !== text.length) return false;
  let end = text.length;
  for (let n: KvState | null = state; n !== null; n = n.parent) {
    end -= n.piece.length;
    if (!text.startsWith(n.piece, end)) return false;
  }
  return end === 0;
}

/** The whole value as a string. */
export function kvText(state: KvState): string {
  const pieces: string[] = [];
  for (let n: KvState | null = state; n !== null; n = n.parent) pieces.push(n.piece);
  return pieces.reverse().join('');
}

function kvEqual(a: KvState, b: KvState): boolean {
  return a === b || (a.len === b.len && a.hash === b.hash && kvMatches(a, kvText(b)));
}

function stepKv(state: KvState, input: KvInput, output: KvOutput | undefined): KvState | undefined {
  switch (input.f) {
    case 'get':
      return output === undefined || kvMatches(state, output.value ?? '') ? state : undefined;
    case 'put':
      return kvPut(state, input.value);
    case 'append':
      return kvAppend(state, input.value);
  }
}

function describeKv(input: KvInput, output: KvOutput | undefined): string {
  const k = JSON.stringify(input.key);
  switch (input.f) {
    case 'get':
      return `get(${k}) → ${output === undefined ? '?' : JSON.stringify(output.value ?? '')}`;
    case 'put':
      return `put(${k}, ${JSON.stringify(input.value)})`;
    case 'append':
      return `append(${k}, ${JSON.stringify(input.value)})`;
  }
}

/**
 * A string key-value store with get/put/append. Each key starts as `''` and
 * keys are independent, so the model partitions per key and its state is the
 * one key's value.
 */
export const kvModel: LinModel<KvState, KvInput, KvOutput> = {
  name: 'kv',
  init: () => kvNode(null, '', { puts: new Map() }),
  step: stepKv,
  equal: kvEqual,
  hash: (s) => s.hash,
  partition: (ops) => partitionByKey(ops, (i) => i.key),
  describeOperation: describeKv,
  describeState: (s) => JSON.stringify(kvText(s)),
};
