/**
 * History importers for the linearizability checker:
 *
 * - Jepsen EDN histories: op maps such as
 *   `{:type :invoke, :process 0, :f :read, :value nil}`, either inside one
 *   vector or one map per line (Jepsen's history.edn; `#tag` prefixes such as
 *   `#jepsen.history.Op` are ignored and the tagged form is used); keys from
 *   `:key` or jepsen.independent `[key value]` tuples.
 * - Jepsen etcd log lines, as in Porcupine's test data:
 *   `INFO  jepsen.util - 3	:invoke	:cas	[1 2]`.
 * - Porcupine's kv logs: EDN op maps with a `:key` (`:f` get/put/append).
 * - Our own History (src/history/types.ts), converted to register operations
 *   per key so reads served by a primary can be checked.
 *
 * Every importer pairs each invocation with its process's next completion.
 * `:ok` took effect; `:fail` certainly did not and is dropped (except in the
 * etcd log, see parseEtcdLog); `:info`, or no completion at all, means the
 * outcome is unknown: the operation is pending (return time `Infinity`).
 * Malformed input raises HistoryParseError naming the line and what was expected.
 */

import type { History, InvokeEntry, MicroOp, OkEntry, Value } from './types.js';
import type { KvInput, KvOutput, LinOperation, RegisterInput, RegisterOutput } from '../check/lin-models.js';

export type RegisterOp = LinOperation<RegisterInput, RegisterOutput>;
export type KvOp = LinOperation<KvInput, KvOutput>;

/** A user-caused input error: `line` is 1-based, `expected` says what would have been valid. */
export class HistoryParseError extends Error {
  constructor(
    readonly line: number,
    readonly expected: string,
    found: string,
  ) {
    super(`line ${line}: expected ${expected}, found ${found}`);
    this.name = 'HistoryParseError';
  }
}

function excerpt(s: string): string {
  const t = s.trim();
  if (t === '') return 'an empty line';
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 57)}...` : t);
}

// ---------------------------------------------------------------------------
// Pairing invocations with completions, shared by all Jepsen-style formats.

/** A completed (or never completed) Jepsen operation before model conversion. */
export interface JepsenOp {
  process: number;
  f: string;
  /** `:key` when present (Porcupine's kv logs, keyed workloads). */
  key?: Edn;
  invokeValue: Edn;
  /** 'pending' = the history ended before any completion. */
  outcome: 'ok' | 'fail' | 'info' | 'pending';
  /** The completion's `:value` (null when none). */
  outputValue: Edn;
  call: number;
  /** Completion time; Infinity for info/pending. */
  ret: number;
  /** 1-based line of the invocation. */
  line: number;
}

interface RawEvent {
  type: 'invoke' | 'ok' | 'fail' | 'info';
  process: number;
  f: string;
  key?: Edn;
  value: Edn;
  time: number;
  line: number;
}

function pairEvents(events: RawEvent[]): JepsenOp[] {
  const open = new Map<number, JepsenOp>();
  const out: JepsenOp[] = [];
  for (const ev of events) {
    const cur = open.get(ev.process);
    if (ev.type === 'invoke') {
      if (cur) {
        throw new HistoryParseError(ev.line, `a completion for process ${ev.process} (its operation from line ${cur.line} is still open)`, 'another :invoke');
      }
      const op: JepsenOp = { process: ev.process, f: ev.f, invokeValue: ev.value, outcome: 'pending', outputValue: null, call: ev.time, ret: Infinity, line: ev.line };
      if (ev.key !== undefined) op.key = ev.key;
      open.set(ev.process, op);
      out.push(op);
      continue;
    }
    if (!cur) throw new HistoryParseError(ev.line, `an :invoke by process ${ev.process} before its :${ev.type}`, `:${ev.type} with no open operation`);
    if (cur.f !== ev.f) throw new HistoryParseError(ev.line, `a completion of :${cur.f} (invoked at line ${cur.line})`, `:${ev.f}`);
    cur.outcome = ev.type;
    cur.outputValue = ev.value;
    if (ev.type !== 'info') cur.ret = ev.time;
    open.delete(ev.process);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Jepsen etcd log lines (Porcupine's test_data/jepsen/*.log).

const ETCD_LINE = /^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s+(.*?)\s*$/;
const ETCD_EXPECTED = 'a line "INFO  jepsen.util - <process> :invoke|:ok|:fail|:info :read|:write|:cas <value>"';

function etcdValue(text: string, line: number): Edn {
  if (text === 'nil') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  const cas = /^\[(-?\d+)\s+(-?\d+)\]$/.exec(text);
  if (cas) return [Number(cas[1]), Number(cas[2])];
  if (text.startsWith(':')) return { kw: text.slice(1) };
  throw new HistoryParseError(line, 'a value: nil, an integer, [from to] or a :keyword', excerpt(text));
}

/**
 * Parse a Jepsen etcd log into register operations; time = line number.
 * Reads exactly as Porcupine's test parser does, so its labels apply:
 * `:fail :cas` means the compare did not match (the cas returned false, an
 * observation of the state), `:fail :read` (a timeout) is dropped, any other
 * `:fail` did not happen, and `:info` or a missing completion is pending.
 */
export function parseEtcdLog(text: string): RegisterOp[] {
  const events: RawEvent[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const m = ETCD_LINE.exec(raw);
    if (!m) throw new HistoryParseError(line, ETCD_EXPECTED, excerpt(raw));
    events.push({ type: m[2] as RawEvent['type'], process: Number(m[1]), f: m[3]!, value: etcdValue(m[4]!, line), time: line, line });
  });
  const ops: RegisterOp[] = [];
  for (const op of pairEvents(events)) {
    const failedCas = op.f === 'cas' && op.outcome === 'fail';
    if (op.outcome === 'fail' && !failedCas) continue;
    const input = registerInput(op);
    if (failedCas) op.outcome = 'ok';
    const output = registerOutput(op, !failedCas);
    if (input.f === 'read' && output === undefined) continue; // an unanswered read constrains nothing
    ops.push(linOp(ops.length, op, input, output));
  }
  return ops;
}

function linOp<I, O>(id: number, op: JepsenOp, input: I, output: O | undefined): LinOperation<I, O> {
  return { id, client: `process ${op.process}`, input, output, call: op.call, ret: output === undefined ? Infinity : op.ret, source: `line ${op.line}` };
}

// ---------------------------------------------------------------------------
// Conversions of Jepsen ops to model operations.

function toValue(v: Edn, line: number, what: string): Value {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'object' && 'kw' in v) return `:${v.kw}`;
  throw new HistoryParseError(line, `${what} to be nil, a number or a string`, describeEdn(v));
}

function keyOf(op: JepsenOp): string | undefined {
  if (op.key === undefined) return undefined;
  const k = toValue(op.key, op.line, ':key');
  return k === null ? 'nil' : String(k);
}

function registerInput(op: JepsenOp): RegisterInput {
  const key = keyOf(op);
  const withKey = <T extends RegisterInput>(i: T): T => (key === undefined ? i : { ...i, key });
  switch (op.f) {
    case 'read':
      return withKey({ f: 'read' });
    case 'write':
      return withKey({ f: 'write', value: toValue(op.invokeValue, op.line, ':write value') });
    case 'cas': {
      const v = op.invokeValue;
      if (!Array.isArray(v) || v.length !== 2) throw new HistoryParseError(op.line, ':cas value [from to]', describeEdn(v));
      return withKey({ f: 'cas', from: toValue(v[0]!, op.line, 'cas from'), to: toValue(v[1]!, op.line, 'cas to') });
    }
    default:
      throw new HistoryParseError(op.line, ':f :read, :write or :cas for the register model', `:f :${op.f}`);
  }
}

function registerOutput(op: JepsenOp, casOk: boolean): RegisterOutput | undefined {
  if (op.outcome !== 'ok') return undefined;
  if (op.f === 'read') return { value: toValue(op.outputValue, op.line, ':read result') };
  if (op.f === 'cas') return { ok: casOk };
  return {};
}

const isPair = (v: Edn): v is Edn[] => Array.isArray(v) && v.length === 2;

/**
 * Whether values are jepsen.independent tuples `[key value]`: every invoke
 * value is a pair and every cas value is `[key [from to]]`. A plain register
 * history never qualifies: its read invocations carry `nil`.
 */
function isIndependent(jops: JepsenOp[]): boolean {
  return jops.length > 0 && jops.every((o) => isPair(o.invokeValue) && (o.f !== 'cas' || isPair(o.invokeValue[1]!)));
}

function unpackIndependent(op: JepsenOp): JepsenOp {
  const [key, value] = op.invokeValue as Edn[];
  const out = isPair(op.outputValue) ? op.outputValue[1]! : null;
  return { ...op, key: key!, invokeValue: value!, outputValue: out };
}

/**
 * Jepsen ops (from parseEdn) as register operations: read/write/cas, one
 * register per key when ops carry `:key` or jepsen.independent `[key value]`
 * tuples. `:fail` ops are dropped (they did not happen, as in Knossos'
 * cas-register); `:info` and pending ops may or may not have happened.
 */
export function jepsenToRegisterOps(jops: JepsenOp[]): RegisterOp[] {
  const ops: RegisterOp[] = [];
  const independent = isIndependent(jops);
  for (const raw of jops) {
    const op = independent ? unpackIndependent(raw) : raw;
    if (op.outcome === 'fail') continue;
    const input = registerInput(op);
    const output = registerOutput(op, true);
    if (input.f === 'read' && output === undefined) continue;
    ops.push(linOp(ops.length, op, input, output));
  }
  return ops;
}

function kvString(v: Edn, line: number, what: string): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new HistoryParseError(line, `${what} to be a string, a number or nil`, describeEdn(v));
}

function kvInput(op: JepsenOp): KvInput {
  const key = keyOf(op);
  if (key === undefined) throw new HistoryParseError(op.line, 'a :key for the kv model', `:f :${op.f} without :key`);
  switch (op.f) {
    case 'get':
    case 'read':
      return { f: 'get', key };
    case 'put':
    case 'write':
      return { f: 'put', key, value: kvString(op.invokeValue, op.line, ':put value') };
    case 'append':
      return { f: 'append', key, value: kvString(op.invokeValue, op.line, ':append value') };
    default:
      throw new HistoryParseError(op.line, ':f :get, :put or :append for the kv model', `:f :${op.f}`);
  }
}

/** Jepsen ops with `:key` as kv operations (get/put/append; read/write accepted as aliases). */
export function jepsenToKvOps(jops: JepsenOp[]): KvOp[] {
  const ops: KvOp[] = [];
  for (const op of jops) {
    if (op.outcome === 'fail') continue;
    const input = kvInput(op);
    let output: KvOutput | undefined;
    if (op.outcome === 'ok') output = input.f === 'get' ? { value: kvString(op.outputValue, op.line, ':get result') } : {};
    if (input.f === 'get' && output === undefined) continue;
    ops.push(linOp(ops.length, op, input, output));
  }
  return ops;
}

/** Porcupine's kv logs (EDN op maps with :key, one per line) as kv operations. */
export function parseKvLog(text: string): KvOp[] {
  return jepsenToKvOps(parseEdn(text));
}

// ---------------------------------------------------------------------------
// EDN: just enough of it for Jepsen histories.

/** An EDN value: keywords as {kw}, symbols as {sym}, maps keyed by printed key, sets as {set}. */
export type Edn = null | boolean | number | string | Edn[] | { kw: string } | { sym: string } | { set: Edn[] } | { map: Map<string, Edn> };

function describeEdn(v: Edn): string {
  if (v === null) return 'nil';
  if (typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `a vector of ${v.length}`;
  if ('kw' in v) return `:${v.kw}`;
  if ('sym' in v) return `symbol ${v.sym}`;
  if ('set' in v) return 'a set';
  return 'a map';
}

function mapKey(k: Edn): string {
  if (k !== null && typeof k === 'object' && 'kw' in k) return `:${k.kw}`;
  return JSON.stringify(k);
}

interface Reader {
  s: string;
  i: number;
  line: number;
  /** Keywords met so far: one object per distinct keyword (histories repeat a handful). */
  kws: Map<string, { kw: string }>;
}

function reader(s: string): Reader {
  return { s, i: 0, line: 1, kws: new Map() };
}

// The reader works on char codes: a history is megabytes of short forms.
const NL = 10;
const QUOTE = 34;
const BACKSLASH = 92;
/** Characters that end an atom: whitespace, commas, brackets, quotes, comments. */
const DELIM = new Uint8Array(128);
for (const c of ' \t\n\r,()[]{}";') DELIM[c.charCodeAt(0)] = 1;

function skipSpace(r: Reader): void {
  const s = r.s;
  const n = s.length;
  let i = r.i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === NL) {
      r.line++;
      i++;
    } else if (c === 32 || c === 44 || c === 9 || c === 13) i++;
    else if (c === 59) {
      while (i < n && s.charCodeAt(i) !== NL) i++; // ; comment to the end of the line
    } else break;
  }
  r.i = i;
}

function readForm(r: Reader): Edn {
  skipSpace(r);
  if (r.i >= r.s.length) throw new HistoryParseError(r.line, 'an EDN value', 'the end of the input');
  switch (r.s.charCodeAt(r.i)) {
    case 91: // [
      return readSeq(r, 93);
    case 40: // (
      return readSeq(r, 41);
    case 123: // {
      return readMap(r);
    case QUOTE:
      return readString(r);
    case 35: // #
      return readDispatch(r);
    case 93:
    case 41:
    case 125:
      throw new HistoryParseError(r.line, 'an EDN value', JSON.stringify(r.s[r.i]));
    default:
      return readAtom(r);
  }
}

/** Read forms up to the closing char code `close` (the opening one is at r.i). */
function readSeq(r: Reader, close: number): Edn[] {
  const start = r.line;
  r.i++;
  const out: Edn[] = [];
  for (;;) {
    skipSpace(r);
    if (r.i >= r.s.length) throw new HistoryParseError(start, `a closing ${String.fromCharCode(close)}`, 'the end of the input');
    if (r.s.charCodeAt(r.i) === close) {
      r.i++;
      return out;
    }
    out.push(readForm(r));
  }
}

/** Skips space inside a map; true (past the `}`) at its end, an error at the end of the input. */
function atMapEnd(r: Reader, start: number): boolean {
  skipSpace(r);
  if (r.i >= r.s.length) throw new HistoryParseError(start, 'a closing }', 'the end of the input');
  if (r.s.charCodeAt(r.i) !== 125) return false;
  r.i++;
  return true;
}

function readMap(r: Reader): Edn {
  const start = r.line;
  const s = r.s;
  r.i++;
  const map = new Map<string, Edn>();
  let count = 0;
  let key = '';
  for (;; count++) {
    if (atMapEnd(r, start)) break;
    if (count & 1) map.set(key, readForm(r));
    else key = s.charCodeAt(r.i) === 58 ? keywordKey(r) : mapKey(readForm(r));
  }
  if (count & 1) throw new HistoryParseError(start, 'a map with an even number of forms', `${count} forms`);
  return { map };
}

/** A keyword map key as mapKey prints it (`:type`), without building the keyword. */
function keywordKey(r: Reader): string {
  const start = r.i;
  const end = atomEnd(r.s, start);
  if (end - start < 2) return mapKey(readAtom(r)); // a lone ':' is a symbol
  r.i = end;
  return r.s.slice(start, end);
}

function readDispatch(r: Reader): Edn {
  const next = r.s[r.i + 1];
  if (next === '{') {
    r.i++;
    return { set: readSeq(r, 125) };
  }
  if (next === '_') {
    r.i += 2;
    readForm(r);
    return readForm(r);
  }
  r.i++;
  readAtom(r); // the tag, e.g. #inst or #jepsen.history.Op: the tagged form stands for itself
  return readForm(r);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function readString(r: Reader): string {
  const s = r.s;
  const n = s.length;
  const start = r.line;
  let out = '';
  let i = r.i + 1;
  for (;;) {
    let j = i;
    for (; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === QUOTE || c === BACKSLASH) break;
      if (c === NL) r.line++;
    }
    if (j >= n) throw new HistoryParseError(start, 'a closing " for the string', 'the end of the input');
    out += s.slice(i, j);
    if (s.charCodeAt(j) === QUOTE) {
      r.i = j + 1;
      return out;
    }
    const e = s[j + 1] ?? '';
    if (e === 'u') {
      out += String.fromCharCode(parseInt(s.slice(j + 2, j + 6), 16));
      i = j + 6;
    } else {
      out += ESCAPES[e] ?? e;
      i = j + 2;
    }
  }
}

function atomEnd(s: string, i: number): number {
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && DELIM[c] === 1) break;
  }
  return i;
}

/** A plain decimal integer of at most 15 digits (exact in a double), else NaN. */
function smallInt(s: string, start: number, end: number): number {
  let i = start;
  const neg = s.charCodeAt(i) === 45;
  if (neg || s.charCodeAt(i) === 43) i++;
  if (i === end || end - i > 15) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function readAtom(r: Reader): Edn {
  const s = r.s;
  const start = r.i;
  const end = atomEnd(s, start);
  r.i = end;
  if (s.charCodeAt(start) === 58 && end - start > 1) {
    const name = s.slice(start + 1, end);
    let k = r.kws.get(name);
    if (!k) r.kws.set(name, (k = { kw: name }));
    return k;
  }
  const int = smallInt(s, start, end);
  if (int === int) return int; // not NaN
  const tok = s.slice(start, end);
  if (tok === 'nil') return null;
  if (tok === 'true' || tok === 'false') return tok === 'true';
  if (/^[+-]?\d+N?$/.test(tok)) return Number(tok.replace(/N$/, ''));
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?$/.test(tok)) return Number(tok.replace(/M$/, ''));
  if (tok.startsWith('\\')) return tok.slice(1);
  if (tok === '') throw new HistoryParseError(r.line, 'an EDN value', excerpt(s.slice(start, start + 20)));
  return { sym: tok };
}

/**
 * The fields of an op map that the importers read, with the line the map
 * starts on; `undefined` = absent. Other keys are read and dropped: an op map
 * is read straight into this record, without a Map per operation, as a
 * history is thousands of them.
 */
interface OpFields {
  type: Edn | undefined;
  process: Edn | undefined;
  f: Edn | undefined;
  key: Edn | undefined;
  value: Edn | undefined;
  time: Edn | undefined;
  line: number;
}

/** A top-level form that is not an op map: an error, reported once the whole input is known to be a sequence of forms. */
interface NotOp {
  notOp: Edn;
  line: number;
}

/** Op maps: a single top-level vector of maps, or maps one after another. */
function opMaps(text: string): OpFields[] {
  const tops = vectorElements(text) ?? readAllTop(text);
  return tops.map((t) => {
    if ('notOp' in t) throw new HistoryParseError(t.line, 'an operation map such as {:type :invoke, :process 0, :f :read, :value nil}', describeEdn(t.notOp));
    return t;
  });
}

/** Read every top-level form, op maps into their fields. */
function readAllTop(text: string): (OpFields | NotOp)[] {
  const r = reader(text);
  const out: (OpFields | NotOp)[] = [];
  for (;;) {
    skipSpace(r);
    if (r.i >= r.s.length) return out;
    out.push(readTop(r));
  }
}

/**
 * The elements of a history that is one top-level vector (or list), op maps
 * read into their fields; undefined when the text is anything else.
 */
function vectorElements(text: string): (OpFields | NotOp)[] | undefined {
  const r = reader(text);
  skipSpace(r);
  const open = text.charCodeAt(r.i);
  if (open !== 91 && open !== 40) return undefined;
  const close = open === 91 ? 93 : 41;
  const start = r.line;
  r.i++;
  const out: (OpFields | NotOp)[] = [];
  for (;;) {
    skipSpace(r);
    if (r.i >= text.length) throw new HistoryParseError(start, `a closing ${String.fromCharCode(close)}`, 'the end of the input');
    if (text.charCodeAt(r.i) === close) break;
    out.push(readTop(r));
  }
  r.i++;
  skipSpace(r);
  // More forms after the vector: read them all as a sequence of ops (the vector is then an error).
  return r.i >= text.length ? out : undefined;
}

/** One form at r.i (spaces skipped): a map, tagged or not (`#jepsen.history.Op{…}`), into its fields; anything else as is. */
function readTop(r: Reader): OpFields | NotOp {
  const line = r.line;
  const s = r.s;
  let at = r.i;
  // Tags stand for the tagged form, as in readDispatch; `#{` (a set) and `#_` (discard) take the general path.
  while (s.charCodeAt(at) === 35 && s.charCodeAt(at + 1) !== 123 && s.charCodeAt(at + 1) !== 95) {
    r.i = at + 1;
    readAtom(r);
    skipSpace(r);
    at = r.i;
  }
  if (at < s.length && s.charCodeAt(at) === 123) return readOpMap(r, line);
  const form = readForm(r);
  if (form !== null && typeof form === 'object' && !Array.isArray(form) && 'map' in form) return fieldsOf(form.map, line);
  return { notOp: form, line };
}

function fieldsOf(m: Map<string, Edn>, line: number): OpFields {
  return { type: m.get(':type'), process: m.get(':process'), f: m.get(':f'), key: m.get(':key'), value: m.get(':value'), time: m.get(':time'), line };
}

const F_TYPE = 0;
const F_PROCESS = 1;
const F_F = 2;
const F_KEY = 3;
const F_VALUE = 4;
const F_TIME = 5;

/** Which OpFields field a printed map key (as mapKey prints it) fills, or -1. */
function fieldOf(key: string): number {
  switch (key) {
    case ':type':
      return F_TYPE;
    case ':process':
      return F_PROCESS;
    case ':f':
      return F_F;
    case ':key':
      return F_KEY;
    case ':value':
      return F_VALUE;
    case ':time':
      return F_TIME;
    default:
      return -1;
  }
}

/** The field a keyword key at r.i fills (or -1), read without slicing it out. */
function keywordField(r: Reader): number {
  const s = r.s;
  const start = r.i;
  const end = atomEnd(s, start);
  if (end - start < 2) return fieldOf(mapKey(readAtom(r))); // a lone ':' is a symbol
  r.i = end;
  switch (end - start) {
    case 2:
      return s.charCodeAt(start + 1) === 102 ? F_F : -1; // :f
    case 4:
      return s.startsWith(':key', start) ? F_KEY : -1;
    case 5:
      return s.startsWith(':type', start) ? F_TYPE : s.startsWith(':time', start) ? F_TIME : -1;
    case 6:
      return s.startsWith(':value', start) ? F_VALUE : -1;
    case 8:
      return s.startsWith(':process', start) ? F_PROCESS : -1;
    default:
      return -1;
  }
}

/** readMap for an op map: the same syntax and errors, the known keys stored as fields (the last of a repeated key wins, as in a Map). */
function readOpMap(r: Reader, line: number): OpFields {
  const start = r.line;
  const s = r.s;
  r.i++;
  const op: OpFields = { type: undefined, process: undefined, f: undefined, key: undefined, value: undefined, time: undefined, line };
  let count = 0;
  let field = -1;
  for (;; count++) {
    if (atMapEnd(r, start)) break;
    if (!(count & 1)) {
      field = s.charCodeAt(r.i) === 58 ? keywordField(r) : fieldOf(mapKey(readForm(r)));
      continue;
    }
    const v = readForm(r);
    switch (field) {
      case F_TYPE:
        op.type = v;
        break;
      case F_PROCESS:
        op.process = v;
        break;
      case F_F:
        op.f = v;
        break;
      case F_KEY:
        op.key = v;
        break;
      case F_VALUE:
        op.value = v;
        break;
      case F_TIME:
        op.time = v;
        break;
    }
  }
  if (count & 1) throw new HistoryParseError(start, 'a map with an even number of forms', `${count} forms`);
  return op;
}

function kwField(v: Edn | undefined, field: string, line: number): string | undefined {
  if (v === undefined) return undefined;
  if (v !== null && typeof v === 'object' && 'kw' in v) return v.kw;
  throw new HistoryParseError(line, `${field} to be a keyword`, describeEdn(v));
}

function toRawEvent(m: OpFields, index: number, useTime: boolean): RawEvent | undefined {
  const line = m.line;
  const type = kwField(m.type, ':type', line);
  if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') {
    throw new HistoryParseError(line, ':type :invoke, :ok, :fail or :info', type === undefined ? 'no :type' : `:type :${type}`);
  }
  const process = m.process;
  if (typeof process !== 'number' || !Number.isInteger(process)) {
    if (process !== null && typeof process === 'object' && 'kw' in process) return undefined; // :nemesis and friends
    throw new HistoryParseError(line, ':process to be an integer (or a keyword such as :nemesis)', process === undefined ? 'no :process' : describeEdn(process));
  }
  const f = kwField(m.f, ':f', line);
  if (f === undefined) throw new HistoryParseError(line, 'an :f such as :read', 'no :f');
  const time = useTime ? (m.time as number) / 1e6 : index;
  const ev: RawEvent = { type, process, f, value: m.value ?? null, time, line };
  if (m.key !== undefined) ev.key = m.key;
  return ev;
}

/**
 * Parse a Jepsen EDN history into paired operations. Time is `:time` (ns,
 * converted to ms) when every op has one, else the op's position. Ops of
 * non-integer processes (the nemesis) are skipped.
 */
export function parseEdn(text: string): JepsenOp[] {
  const maps = opMaps(text);
  const useTime = maps.length > 0 && maps.every((m) => typeof m.time === 'number');
  const events: RawEvent[] = [];
  maps.forEach((m, index) => {
    const ev = toRawEvent(m, index, useTime);
    if (ev) events.push(ev);
  });
  return pairEvents(events);
}

// ---------------------------------------------------------------------------
// Our own History → register operations per key.

/** A key left out of the conversion, and why (the check stays sound without it). */
export interface SkippedKey {
  op: number;
  key: string;
  reason: string;
}

export interface HistoryToLinOptions {
  /** Keep only these invocations (e.g. reads served by the primary, and all writes). Default: all. */
  include?: (invoke: InvokeEntry) => boolean;
  /** The 1-based input line of history entry `i`, for messages. Default: `i + 1`. */
  lineOf?: (index: number) => number;
}

/**
 * Convert client operations to register operations, one per (operation, key).
 * Checking each key's register separately is a necessary condition for the
 * whole history being linearizable (strictly serializable transactions project
 * to linearizable registers), so a violation found per key is real.
 *
 * Per key, a transaction becomes: a read (it only read), a write of the final
 * value (it wrote without reading first), a cas(from = value read, to = final)
 * (it read, then wrote), or an update (`x = x + n`, its result as output).
 * A `fail` op is dropped; an `info` op is pending and contributes only what its
 * request alone determines (written values, updates), never read values. A
 * rolled-back transaction contributes its reads only. When a pending write's
 * value is unknowable (NOW(), RAND() that never returned), that key is skipped
 * for this operation and reported, rather than guessed.
 */
export function historyToLinOps(history: History, options: HistoryToLinOptions = {}): { ops: RegisterOp[]; skipped: SkippedKey[] } {
  const invokes = new Map<number, InvokeEntry>();
  // Every op ever invoked, included or not: a completion of none of them is malformed input.
  const invoked = new Set<number>();
  const ops: RegisterOp[] = [];
  const skipped: SkippedKey[] = [];
  for (const [i, e] of history.entries()) {
    if (e.type === 'ok' || e.type === 'info' || e.type === 'fail') {
      // Dropping it would lose a write and turn a well-formed history into a confident violation.
      if (!invoked.has(e.op)) {
        throw new HistoryParseError(options.lineOf?.(i) ?? i + 1, `an invoke of op ${e.op} before its ${e.type}`, `${e.type === 'fail' ? 'a' : 'an'} ${e.type} of op ${e.op} with no invocation`);
      }
    }
    if (e.type === 'invoke') {
      invoked.add(e.op);
      if (!options.include || options.include(e)) invokes.set(e.op, e);
    } else if (e.type === 'ok' || e.type === 'info') {
      const inv = invokes.get(e.op);
      invokes.delete(e.op);
      if (inv) convertOp(inv, e.type === 'ok' ? e : undefined, e.t, ops, skipped);
    } else if (e.type === 'fail') invokes.delete(e.op);
  }
  for (const inv of invokes.values()) convertOp(inv, undefined, Infinity, ops, skipped);
  return { ops, skipped };
}

interface KeyEffect {
  /** Value the transaction read before it wrote the key (undefined = did not / unknown). */
  readBefore?: Value;
  readKnown: boolean;
  wrote: boolean;
  /** Final written value; undefined = unknown. */
  final?: Value;
  /** The write was one update statement as the first effect on the key. */
  update?: { expr: { op: 'add' | 'mul'; n: number }; result?: Value };
  /** Anything past a single update (later writes) makes `update` moot. */
  writes: number;
}

function convertOp(inv: InvokeEntry, ok: OkEntry | undefined, retT: number, ops: RegisterOp[], skipped: SkippedKey[]): void {
  const micro: MicroOp[] = ok ? ok.txn : inv.req.txn;
  const committed = inv.req.end === 'commit';
  const effects = new Map<string, KeyEffect>();
  for (const m of micro) foldMicro(effects, m, ok !== undefined);
  for (const [key, eff] of effects) {
    const io = keyOperation(key, eff, committed, ok !== undefined);
    if (io === 'skip') {
      skipped.push({ op: inv.op, key, reason: 'a pending write whose value the server computes (NOW(), RAND()) cannot be known' });
      continue;
    }
    if (!io) continue;
    ops.push({ id: ops.length, client: inv.session, input: io.input, output: io.output, call: inv.t, ret: io.output === undefined ? Infinity : retT, source: `op ${inv.op}` });
  }
}

function foldMicro(effects: Map<string, KeyEffect>, m: MicroOp, returned: boolean): void {
  let eff = effects.get(m.k);
  if (!eff) effects.set(m.k, (eff = { readKnown: false, wrote: false, writes: 0 }));
  if (m.f === 'r') {
    if (!eff.wrote && !eff.readKnown && returned && m.v !== undefined) {
      eff.readBefore = m.v;
      eff.readKnown = true;
    }
    return;
  }
  eff.writes++;
  if (m.f === 'upd' && !eff.wrote && !eff.readKnown) {
    eff.update = returned && m.v !== undefined ? { expr: m.expr, result: m.v } : { expr: m.expr };
  }
  eff.wrote = true;
  eff.final = m.f === 'del' ? null : m.v;
  if (m.f === 'upd' && eff.final === undefined && eff.readKnown && eff.writes === 1) {
    eff.final = applyExpr(eff.readBefore ?? null, m.expr);
  }
}

function applyExpr(v: Value, expr: { op: 'add' | 'mul'; n: number }): Value {
  const base = typeof v === 'number' ? v : 0;
  return expr.op === 'add' ? base + expr.n : base * expr.n;
}

function keyOperation(
  key: string,
  eff: KeyEffect,
  committed: boolean,
  returned: boolean,
): { input: RegisterInput; output: RegisterOutput | undefined } | 'skip' | undefined {
  if (!committed || !eff.wrote) {
    return eff.readKnown ? { input: { f: 'read', key }, output: { value: eff.readBefore! } } : undefined;
  }
  if (eff.update && eff.writes === 1 && !eff.readKnown) {
    const output = returned && eff.update.result !== undefined ? { value: eff.update.result } : undefined;
    return { input: { f: 'update', key, expr: eff.update.expr }, output };
  }
  if (eff.final === undefined) return 'skip';
  const output = returned ? {} : undefined;
  if (eff.readKnown) {
    return { input: { f: 'cas', key, from: eff.readBefore!, to: eff.final }, output: returned ? { ok: true } : undefined };
  }
  return { input: { f: 'write', key, value: eff.final }, output };
}

// ---------------------------------------------------------------------------

export type HistoryFormat = 'edn' | 'etcd' | 'kv' | 'jsonl';

/** Guess the format from the first non-blank, non-comment character(s): `INFO` etcd, `{"` JSON lines, `{:`/`[`/`#` EDN. */
export function detectFormat(text: string): HistoryFormat | undefined {
  // EDN files may open with `;` comment lines (a header naming the test): skip them.
  const t = text.replace(/^(?:[ \t\r,]*(?:;[^\n]*)?\n)*/, '').trimStart();
  if (t.startsWith('INFO')) return 'etcd';
  if (/^\{\s*"/.test(t)) return 'jsonl';
  if (/^(\{\s*:|\[|\(|#)/.test(t)) return 'edn';
  return undefined;
}
