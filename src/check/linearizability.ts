/**
 * Linearizability checker: the Wing & Gong search with Lowe's memoisation, as
 * Porcupine does it, plus Horn & Kroening's P-compositionality (each partition
 * the model names, e.g. each key, is checked on its own: a history is
 * linearizable iff every partition is).
 *
 * The search walks a doubly linked list of call/return entries sorted by time.
 * At a call entry it tries to linearize that operation next: if the model
 * accepts it and the pair (set of linearized operations, new state) was never
 * seen before, both of the operation's entries are lifted out of the list and
 * the search restarts from the head. Reaching a return entry means the
 * operation it belongs to should already have taken effect: the last choice is
 * undone (unlifted) and the next candidate is tried. An empty stack at a return
 * entry proves that no linearization exists. The memo makes the search
 * polynomial in practice: a (set, state) pair that failed once fails again.
 *
 * Operations that never returned get an infinite return time, so they may take
 * effect anywhere after their call or, placed after everything, never.
 *
 * Limits: `timeoutMs` (wall clock for the whole check) and `maxSteps` (search
 * steps, deterministic). Hitting one gives the verdict `unknown`, never a guess.
 */

import type { LinModel, LinOperation } from './lin-models.js';

export type LinVerdict = 'ok' | 'illegal' | 'unknown';

export interface LinCheckOptions {
  /** Wall-clock budget for the whole check, in ms. Default: no limit. */
  timeoutMs?: number;
  /** Search steps (entries visited) for the whole check. Default: no limit. */
  maxSteps?: number;
  /**
   * Memoised (linearized set, state) pairs kept, over all partitions: the
   * checker's memory (tens of bytes each, plus the states). Checked between
   * search slices of SLICE_STEPS steps, so it may be overshot by one slice.
   * Default: no limit.
   */
  maxStates?: number;
  /**
   * Keep searching the other partitions after one is proven illegal (for a
   * full report). Default false: stop at the first violation, as the verdict
   * is then settled, and mark unfinished partitions `skipped`.
   */
  allPartitions?: boolean;
}

/** One operation as drawn and explained; `ret: null` = never returned. */
export interface LinOpView {
  id: number;
  client: string;
  call: number;
  ret: number | null;
  text: string;
  source?: string;
}

/** `skipped`: left unfinished because another partition was already illegal. */
export type LinPartitionVerdict = LinVerdict | 'skipped';

export interface LinPartitionResult {
  /** The partition's name (the key), '' when the model has one partition. */
  label: string;
  verdict: LinPartitionVerdict;
  ops: LinOpView[];
  /**
   * Operation ids in the order of the longest linearization found: all of
   * them when `ok`, the longest legal prefix found when `illegal`/`unknown`.
   */
  longest: number[];
  /** Described model state after `longest`. */
  stateAfterLongest: string;
  /**
   * When illegal: the operation that had to take effect next (the earliest
   * return among those not in `longest`) and could not, on any search path.
   */
  blocking?: number;
  /** When illegal: operations not in `longest` already invoked before `blocking` returned. */
  unplaced?: number[];
  steps: number;
  explanation: string;
}

export interface LinResult {
  verdict: LinVerdict;
  model: string;
  partitions: LinPartitionResult[];
  /** One sentence for people (the first violation, or why the check gave up). */
  explanation: string;
  steps: number;
  opCount: number;
}

interface Budget {
  deadline: number;
  stepsLeft: number;
  statesLeft: number;
  exhausted: 'time' | 'steps' | 'states' | null;
}

/**
 * Check a history for linearizability against `model`. Operation ids must be
 * unique; partitions come from `model.partition` when present and are searched
 * round-robin in slices, so one hard partition cannot hide an easy violation
 * in another (Porcupine runs them in parallel for the same reason).
 */
export function checkLinearizable<S, I, O>(
  ops: LinOperation<I, O>[],
  model: LinModel<S, I, O>,
  options: LinCheckOptions = {},
): LinResult {
  const budget: Budget = {
    deadline: options.timeoutMs === undefined ? Infinity : performance.now() + options.timeoutMs,
    stepsLeft: options.maxSteps ?? Infinity,
    statesLeft: options.maxStates ?? Infinity,
    exhausted: null,
  };
  for (const op of ops) {
    if (!(op.call <= op.ret)) throw new RangeError(`operation ${op.id}${op.source ? ` (${op.source})` : ''} returns (${op.ret}) before it is called (${op.call})`);
  }
  const parts = model.partition ? model.partition(ops) : [{ label: '', ops }];
  const searches = parts.map((p) => makeSearch(p.ops, model));
  const verdicts = drive(searches, budget, options.allPartitions ?? false);
  const partitions = parts.map((p, i) => partitionResult(p.label, p.ops, model, searches[i]!, verdicts[i]!, budget));
  const verdict = combine(verdicts);
  return {
    verdict,
    model: model.name,
    partitions,
    explanation: explainResult(verdict, partitions, ops.length),
    steps: searches.reduce((a, s) => a + s.steps(), 0),
    opCount: ops.length,
  };
}

const SLICE_STEPS = 16384;

/** Run the searches round-robin until all finish, one is illegal (unless `all`), or the budget ends. */
function drive(searches: Search[], budget: Budget, all: boolean): LinPartitionVerdict[] {
  const verdicts: (LinPartitionVerdict | 'running')[] = searches.map(() => 'running');
  let running = searches.length;
  while (running > 0) {
    for (let i = 0; i < searches.length; i++) {
      if (verdicts[i] !== 'running') continue;
      const slice = Math.min(SLICE_STEPS, budget.stepsLeft);
      const before = searches[i]!.steps();
      const statesBefore = searches[i]!.states();
      const v = searches[i]!.advance(slice);
      budget.stepsLeft -= searches[i]!.steps() - before;
      budget.statesLeft -= searches[i]!.states() - statesBefore;
      if (v !== 'running') {
        verdicts[i] = v;
        running--;
        if (v === 'illegal' && !all) return verdicts.map((x) => (x === 'running' ? 'skipped' : x));
        continue;
      }
      if (budget.stepsLeft <= 0) budget.exhausted = 'steps';
      else if (budget.statesLeft <= 0) budget.exhausted = 'states';
      else if (performance.now() > budget.deadline) budget.exhausted = 'time';
      if (budget.exhausted) return verdicts.map((x) => (x === 'running' ? 'unknown' : x));
    }
  }
  return verdicts as LinPartitionVerdict[];
}

function combine(verdicts: LinPartitionVerdict[]): LinVerdict {
  if (verdicts.includes('illegal')) return 'illegal';
  return verdicts.includes('unknown') ? 'unknown' : 'ok';
}

function explainResult(verdict: LinVerdict, parts: LinPartitionResult[], n: number): string {
  if (verdict === 'ok') {
    const split = parts.length > 1 ? ` (${parts.length} partitions checked separately)` : '';
    return `Linearizable: a legal order exists for all ${n} operations${split}.`;
  }
  const bad = parts.filter((p) => p.verdict === verdict);
  const skipped = parts.filter((p) => p.verdict === 'skipped').length;
  const rest = skipped > 0 ? ` ${skipped} other partition${skipped === 1 ? ' was' : 's were'} not searched to the end.` : '';
  const more = bad.length > 1 ? ` (${bad.length - 1} more partition${bad.length > 2 ? 's' : ''} ${verdict === 'illegal' ? 'also fail' : 'also unfinished'})` : '';
  return bad[0]!.explanation + more + rest;
}

/** The prefix naming the partition in sentences: empty for the sole partition. */
function where(label: string): string {
  return label === '' ? '' : `key ${JSON.stringify(label)}: `;
}

function viewOf<S, I, O>(op: LinOperation<I, O>, model: LinModel<S, I, O>): LinOpView {
  const v: LinOpView = {
    id: op.id,
    client: op.client,
    call: op.call,
    ret: Number.isFinite(op.ret) ? op.ret : null,
    text: model.describeOperation(op.input, op.output),
  };
  if (op.source !== undefined) v.source = op.source;
  return v;
}

function partitionResult<S, I, O>(
  label: string,
  ops: LinOperation<I, O>[],
  model: LinModel<S, I, O>,
  search: Search,
  verdict: LinPartitionVerdict,
  budget: Budget,
): LinPartitionResult {
  const local = search.longest();
  let state = model.init();
  for (const i of local) state = model.step(state, ops[i]!.input, ops[i]!.output)!;
  const result: LinPartitionResult = {
    label,
    verdict,
    ops: ops.map((op) => viewOf(op, model)),
    longest: local.map((i) => ops[i]!.id),
    stateAfterLongest: model.describeState(state),
    steps: search.steps(),
    explanation: '',
  };
  if (verdict === 'illegal') markBlocking(result, ops, local);
  result.explanation = explainPartition(result, ops, model, budget);
  return result;
}

function markBlocking<I, O>(result: LinPartitionResult, ops: LinOperation<I, O>[], longestLocal: number[]): void {
  const placed = new Set(longestLocal);
  const rest = ops.map((_, i) => i).filter((i) => !placed.has(i));
  let blocking = rest[0]!;
  for (const i of rest) {
    const a = ops[i]!;
    const b = ops[blocking]!;
    if (a.ret < b.ret || (a.ret === b.ret && a.call < b.call)) blocking = i;
  }
  const deadline = ops[blocking]!.ret;
  result.blocking = ops[blocking]!.id;
  result.unplaced = rest.filter((i) => ops[i]!.call <= deadline).map((i) => ops[i]!.id);
}

function interval(v: LinOpView): string {
  return `[${v.call}, ${v.ret === null ? 'never returned' : v.ret}]`;
}

function explainPartition<S, I, O>(
  r: LinPartitionResult,
  ops: LinOperation<I, O>[],
  model: LinModel<S, I, O>,
  budget: Budget,
): string {
  const n = ops.length;
  if (r.verdict === 'ok') return `${where(r.label)}linearizable (${n} operations).`;
  if (r.verdict === 'skipped') {
    return `${where(r.label)}not searched to the end (another partition was already proven not linearizable); ${r.longest.length} of ${n} operations placed so far.`;
  }
  if (r.verdict === 'unknown') {
    const why = { steps: 'step limit', states: 'memory (state) limit', time: 'time limit' }[budget.exhausted ?? 'time'];
    return `${where(r.label)}unknown: the search hit the ${why} after ${r.steps} steps; the longest legal order found so far places ${r.longest.length} of ${n} operations and no violation was proven.`;
  }
  const byId = new Map(r.ops.map((v) => [v.id, v]));
  const blocking = byId.get(r.blocking!)!;
  const last = r.longest.length > 0 ? byId.get(r.longest[r.longest.length - 1]!)! : undefined;
  const prefix =
    last === undefined
      ? `no operation can be placed first from the initial state ${model.describeState(model.init())}`
      : `the longest legal order places ${r.longest.length} of ${n} operations (ending with ${last.text} by ${last.client}) and leaves the state ${r.stateAfterLongest}`;
  const others = (r.unplaced ?? []).length - 1;
  const alt = others > 0 ? `, whichever of the ${others} other concurrent operation${others === 1 ? '' : 's'} goes first` : '';
  return `${where(r.label)}not linearizable: ${prefix}, yet ${blocking.text} by ${blocking.client} ${interval(blocking)} must take effect before it returns and no legal order allows it${alt}.`;
}

// ---------------------------------------------------------------------------
// The search proper. Entries live in typed arrays: index 0 is the list head;
// entry 2k+1 / 2k+2 are not necessarily op k's pair — `opOf` and `matchOf` say.

/** A resumable search over one partition. */
interface Search {
  /** Run at most `maxSteps` more steps. */
  advance(maxSteps: number): LinVerdict | 'running';
  /** Local op indices of the longest linearization found so far. */
  longest(): number[];
  steps(): number;
  /** Memo entries held. */
  states(): number;
}

interface EntryList {
  next: Int32Array;
  prev: Int32Array;
  /** Local op index of each entry. */
  opOf: Int32Array;
  /** For a call entry: its return entry; for a return entry: -1. */
  matchOf: Int32Array;
}

/** Sort call/return entries by time; at equal times calls come first (closed intervals). */
function buildEntries<I, O>(ops: LinOperation<I, O>[]): EntryList {
  const n = ops.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) order.push(2 * i, 2 * i + 1); // even = call, odd = return
  const timeOf = (e: number): number => (e & 1 ? ops[e >> 1]!.ret : ops[e >> 1]!.call);
  // Never-returned ops (ret = Infinity) end up last, among themselves by index.
  order.sort((a, b) => cmpTime(timeOf(a), timeOf(b)) || (a & 1) - (b & 1) || (a >> 1) - (b >> 1));
  const size = 2 * n + 1;
  const list: EntryList = {
    next: new Int32Array(size).fill(-1),
    prev: new Int32Array(size).fill(-1),
    opOf: new Int32Array(size).fill(-1),
    matchOf: new Int32Array(size).fill(-1),
  };
  const slotOfReturn = new Int32Array(n);
  order.forEach((e, pos) => {
    if (e & 1) slotOfReturn[e >> 1] = pos + 1;
  });
  order.forEach((e, pos) => {
    const slot = pos + 1;
    list.opOf[slot] = e >> 1;
    if (!(e & 1)) list.matchOf[slot] = slotOfReturn[e >> 1]!;
    list.prev[slot] = slot - 1;
    list.next[slot - 1] = slot;
  });
  return list;
}

function cmpTime(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Remove a call entry and its return entry from the list. */
function lift(l: EntryList, e: number): void {
  const { next, prev } = l;
  next[prev[e]!] = next[e]!;
  prev[next[e]!] = prev[e]!; // a call is never last: its return follows it
  const m = l.matchOf[e]!;
  next[prev[m]!] = next[m]!;
  if (next[m]! !== -1) prev[next[m]!] = prev[m]!;
}

/** Undo `lift`, in reverse order. */
function unlift(l: EntryList, e: number): void {
  const { next, prev } = l;
  const m = l.matchOf[e]!;
  next[prev[m]!] = m;
  if (next[m]! !== -1) prev[next[m]!] = m;
  next[prev[e]!] = e;
  prev[next[e]!] = e;
}

/** splitmix32: fixed per-op random words for Zobrist hashing of the linearized set. */
function zobrist(n: number, seed: number): Int32Array {
  const z = new Int32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    z[i] = x ^ (x >>> 16);
  }
  return z;
}

/**
 * Memo of (linearized set, state) pairs: an open hash table with chaining, the
 * bitsets packed in one growing Uint32Array. Hash collisions are resolved by
 * comparing the full bitset and `model.equal`, so the memo never prunes a
 * path it has not really seen (no false `illegal`).
 */
interface Memo<S> {
  words: number;
  heads: Int32Array;
  chain: Int32Array;
  hashes: Int32Array;
  bits: Uint32Array;
  states: S[];
  size: number;
}

function newMemo<S>(words: number): Memo<S> {
  const cap = 1024;
  return {
    words,
    heads: new Int32Array(cap * 2).fill(-1),
    chain: new Int32Array(cap),
    hashes: new Int32Array(cap),
    bits: new Uint32Array(cap * words),
    states: [],
    size: 0,
  };
}

function memoFind<S>(m: Memo<S>, h: number, set: Uint32Array, state: S, equal: (a: S, b: S) => boolean): boolean {
  const w = m.words;
  for (let i = m.heads[h & (m.heads.length - 1)]!; i !== -1; i = m.chain[i]!) {
    if (m.hashes[i] !== h) continue;
    let same = true;
    for (let k = 0, base = i * w; k < w; k++) {
      if (m.bits[base + k] !== set[k]) {
        same = false;
        break;
      }
    }
    if (same && equal(m.states[i]!, state)) return true;
  }
  return false;
}

function memoAdd<S>(m: Memo<S>, h: number, set: Uint32Array, state: S): void {
  if (m.size === m.chain.length) memoGrow(m);
  const i = m.size++;
  m.hashes[i] = h;
  // A loop, not bits.set(set, offset): sets are a few words, where set()'s call overhead dominates.
  for (let k = 0, w = m.words, base = i * w; k < w; k++) m.bits[base + k] = set[k]!;
  m.states.push(state);
  const b = h & (m.heads.length - 1);
  m.chain[i] = m.heads[b]!;
  m.heads[b] = i;
}

function memoGrow<S>(m: Memo<S>): void {
  const cap = m.chain.length * 2;
  const grow = <T extends Int32Array | Uint32Array>(a: T, len: number): T => {
    const b = new (a.constructor as new (n: number) => T)(len);
    b.set(a);
    return b;
  };
  m.chain = grow(m.chain, cap);
  m.hashes = grow(m.hashes, cap);
  m.bits = grow(m.bits, cap * m.words);
  m.heads = new Int32Array(cap * 2).fill(-1);
  for (let i = 0; i < m.size; i++) {
    const b = m.hashes[i]! & (m.heads.length - 1);
    m.chain[i] = m.heads[b]!;
    m.heads[b] = i;
  }
}

function makeSearch<S, I, O>(ops: LinOperation<I, O>[], model: LinModel<S, I, O>): Search {
  const n = ops.length;
  if (n === 0) return { advance: () => 'ok', longest: () => [], steps: () => 0, states: () => 0 };
  const l = buildEntries(ops);
  const { next, opOf, matchOf } = l;
  const z = zobrist(n, 0x2545f491);
  const set = new Uint32Array((n + 31) >>> 5);
  const memo = newMemo<S>(set.length);
  const stackEntry = new Int32Array(n);
  const stackState: S[] = new Array<S>(n);
  let depth = 0;
  let setHash = 0;
  let state = model.init();
  let e = next[0]!;
  let steps = 0;
  let best: number[] = [];
  let done: LinVerdict | undefined;

  const advance = (maxSteps: number): LinVerdict | 'running' => {
    if (done) return done;
    const limit = steps + maxSteps;
    while (next[0] !== -1) {
      if (steps >= limit) return 'running';
      steps++;
      const m = matchOf[e]!;
      if (m !== -1) {
        const op = opOf[e]!;
        const o = ops[op]!;
        const ns = model.step(state, o.input, o.output);
        if (ns !== undefined) {
          const h1 = setHash ^ z[op]!;
          const h = h1 ^ Math.imul(model.hash(ns) | 0, 0x9e3779b1);
          set[op >>> 5]! |= 1 << (op & 31);
          if (!memoFind(memo, h, set, ns, model.equal)) {
            memoAdd(memo, h, set, ns);
            stackEntry[depth] = e;
            stackState[depth] = state;
            depth++;
            if (depth > best.length) best = snapshot(stackEntry, depth, opOf);
            setHash = h1;
            state = ns;
            lift(l, e);
            e = next[0]!;
            continue;
          }
          set[op >>> 5]! &= ~(1 << (op & 31));
        }
        e = next[e]!;
        continue;
      }
      if (depth === 0) return (done = 'illegal');
      depth--;
      e = stackEntry[depth]!;
      state = stackState[depth]!;
      const op = opOf[e]!;
      set[op >>> 5]! &= ~(1 << (op & 31));
      setHash ^= z[op]!;
      unlift(l, e);
      e = next[e]!;
    }
    best = snapshot(stackEntry, depth, opOf);
    return (done = 'ok');
  };
  return { advance, longest: () => best, steps: () => steps, states: () => memo.size };
}

function snapshot(stackEntry: Int32Array, depth: number, opOf: Int32Array): number[] {
  const out = new Array<number>(depth);
  for (let i = 0; i < depth; i++) out[i] = opOf[stackEntry[i]!]!;
  return out;
}

// ---------------------------------------------------------------------------
// Partial-linearization timeline, as a standalone SVG document.

export interface LinSvgOptions {
  /** Labels of the partitions to draw. Default: the illegal ones, else the unknown ones, else the first. */
  partitions?: string[];
  /** Most operations drawn per partition, chosen around the blocking operation. Default 60. */
  maxOps?: number;
  /** Drawing width in px. Default 1200. */
  widthPx?: number;
}

const ROW_PX = 26;
const LABEL_PX = 110;
const HEAD_PX = 44;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The partitions to draw. */
function chosenPartitions(result: LinResult, labels: string[] | undefined): LinPartitionResult[] {
  if (labels) return result.partitions.filter((p) => labels.includes(p.label));
  for (const v of ['illegal', 'unknown'] as const) {
    const hit = result.partitions.filter((p) => p.verdict === v);
    if (hit.length > 0) return hit;
  }
  return result.partitions.slice(0, 1);
}

/** Up to `max` ops around the blocking op (or the end of the longest order), by call time. */
function windowOps(p: LinPartitionResult, max: number): LinOpView[] {
  const byCall = [...p.ops].sort((a, b) => a.call - b.call || a.id - b.id);
  if (byCall.length <= max) return byCall;
  const focus = p.blocking ?? p.longest[p.longest.length - 1] ?? byCall[0]!.id;
  const at = byCall.findIndex((o) => o.id === focus);
  const start = Math.max(0, Math.min(byCall.length - max, at - Math.floor((max * 2) / 3)));
  return byCall.slice(start, start + max);
}

/**
 * Render the longest (partial) linearization of each chosen partition: one
 * row per client, each operation a bar over [call, return] (dashed to the
 * right edge when it never returned), numbered in the order found, joined by a
 * line through feasible linearization points; the blocking operation in red,
 * other unplaceable ones in orange, unplaced ones grey.
 */
export function linearizationSvg(result: LinResult, options: LinSvgOptions = {}): string {
  const width = options.widthPx ?? 1200;
  const blocks: string[] = [];
  let y = 0;
  for (const p of chosenPartitions(result, options.partitions)) {
    const { svg, height } = partitionSvg(p, windowOps(p, options.maxOps ?? 60), width, y);
    blocks.push(svg);
    y += height + 16;
  }
  const legend = legendSvg(y, width);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 30}" viewBox="0 0 ${width} ${y + 30}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...blocks,
    legend,
    '</svg>',
  ].join('\n');
}

/** Split text into at most `maxLines` lines of about `cols` characters, at spaces. */
function wrap(text: string, cols: number, maxLines: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur !== '' && cur.length + 1 + word.length > cols) {
      lines.push(cur);
      cur = word;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  if (cur !== '') lines.push(cur);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${kept[maxLines - 1]!} …`;
  return kept;
}

function legendSvg(y: number, width: number): string {
  const items: [string, string][] = [
    ['#cdeccd', '#n: position in longest legal order'],
    ['#f6b3b3', 'must take effect next; cannot'],
    ['#fbd7a6', 'concurrent, not placed'],
    ['#e4e4e4', 'not placed'],
  ];
  const step = Math.floor((width - 20) / items.length);
  return items
    .map(([fill, text], i) => `<rect x="${10 + i * step}" y="${y + 8}" width="12" height="12" fill="${fill}" stroke="#666"/><text x="${26 + i * step}" y="${y + 18}">${esc(text)}</text>`)
    .join('\n');
}

/**
 * Time → x by rank: only the order of calls and returns matters to
 * linearizability, so equal gaps keep short operations readable whatever the
 * time units (line numbers, ms). Monotonic: real-time order is preserved.
 */
function rankAxis(ops: LinOpView[], left: number, right: number): (t: number) => number {
  const times = [...new Set(ops.flatMap((o) => (o.ret === null ? [o.call] : [o.call, o.ret])))].sort((a, b) => a - b);
  const rank = new Map(times.map((t, i) => [t, i]));
  const gap = (right - left) / Math.max(1, times.length - 1);
  return (t) => left + rank.get(t)! * gap;
}

/** The label inside its bar, cut to fit (about 6.2 px per character at 11 px); nothing when under 3 characters fit. */
function fitText(label: string, widthPx: number, xPx: number, yPx: number): string {
  const fits = Math.floor((widthPx - 4) / 6.2);
  if (fits < 3) return '';
  const text = label.length > fits ? `${label.slice(0, fits - 1)}…` : label;
  return `<text x="${xPx.toFixed(1)}" y="${yPx}">${esc(text)}</text>`;
}

function partitionSvg(p: LinPartitionResult, ops: LinOpView[], width: number, top: number): { svg: string; height: number } {
  const clients = [...new Set(ops.map((o) => o.client))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const row = new Map(clients.map((c, i) => [c, i]));
  const right = width - 10;
  const x = rankAxis(ops, LABEL_PX, right - 30);
  const head = HEAD_PX + 14 * (wrap(p.explanation, Math.floor((width - 20) / 6), 3).length - 1);
  const rowY = (c: string): number => top + head + row.get(c)! * ROW_PX;
  const order = new Map(p.longest.map((id, i) => [id, i + 1]));
  const unplaced = new Set(p.unplaced ?? []);
  const parts: string[] = [];
  const title = `${p.label === '' ? 'history' : `key ${JSON.stringify(p.label)}`} — ${p.verdict}${ops.length < p.ops.length ? ` (${ops.length} of ${p.ops.length} operations shown)` : ''}`;
  parts.push(`<text x="10" y="${top + 16}" font-size="13" font-weight="bold">${esc(title)}</text>`);
  wrap(p.explanation, Math.floor((width - 20) / 6), 3).forEach((line, i) => {
    parts.push(`<text x="10" y="${top + 32 + i * 14}" fill="#333">${esc(line)}</text>`);
  });
  clients.forEach((c) => parts.push(`<text x="10" y="${rowY(c) + 15}">${esc(c)}</text>`));
  for (const o of ops) {
    const fill = o.id === p.blocking ? '#f6b3b3' : order.has(o.id) ? '#cdeccd' : unplaced.has(o.id) ? '#fbd7a6' : '#e4e4e4';
    const x0 = x(o.call);
    const x1 = o.ret === null ? right : Math.max(x0 + 3, x(o.ret));
    const dash = o.ret === null ? ' stroke-dasharray="4 2"' : '';
    const label = `${order.has(o.id) ? `#${order.get(o.id)} ` : ''}${o.text}`;
    const tip = `${o.text} [${o.call}, ${o.ret ?? '∞'}]${o.source ? ` (${o.source})` : ''}`;
    parts.push(
      `<g><title>${esc(tip)}</title><rect x="${x0.toFixed(1)}" y="${rowY(o.client) + 3}" width="${(x1 - x0).toFixed(1)}" height="${ROW_PX - 6}" fill="${fill}" stroke="#555"${dash}/>` +
        fitText(label, x1 - x0, x0 + 3, rowY(o.client) + 16) + '</g>',
    );
  }
  parts.push(orderLine(p, ops, x, rowY));
  return { svg: `<g>${parts.join('\n')}</g>`, height: head + clients.length * ROW_PX };
}

/**
 * A line through linearization points of the longest order: the k-th point is
 * the latest call among the first k operations, which lies inside every
 * operation's interval for any order that respects real time.
 */
function orderLine(p: LinPartitionResult, ops: LinOpView[], x: (t: number) => number, rowY: (c: string) => number): string {
  const shown = new Map(ops.map((o) => [o.id, o]));
  const all = new Map(p.ops.map((o) => [o.id, o]));
  const pts: string[] = [];
  let t = -Infinity;
  for (const id of p.longest) {
    t = Math.max(t, all.get(id)!.call);
    const o = shown.get(id);
    if (o) pts.push(`${x(t).toFixed(1)},${rowY(o.client) + ROW_PX / 2}`);
  }
  if (pts.length === 0) return '';
  const dots = pts.map((pt) => `<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="2.5" fill="#1a7f37"/>`).join('');
  return `<polyline points="${pts.join(' ')}" fill="none" stroke="#1a7f37" stroke-width="1.2"/>${dots}`;
}
