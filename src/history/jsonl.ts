/**
 * History as JSON lines: one entry per line, keys in the order the entry was
 * built, `\n` after every line (an empty history is the empty string).
 *
 * Round trip: `writeHistoryJsonl(readHistoryJsonl(text)) === text` for any
 * text `writeHistoryJsonl` produced — JSON.parse keeps key order and
 * JSON.stringify prints every finite number in its shortest round-trip form.
 *
 * `historyHash` is the sha256 of exactly these bytes, so a run's hash can be
 * recomputed from an exported file (`sha256sum history.jsonl`).
 *
 * Import is strict: each line is checked against the entry types of
 * ./types.ts, unknown keys are rejected, and times must not go backwards
 * (entries are in the order the simulator processed them).
 */
import { createHash } from 'node:crypto';
import type { History, HistoryEntry } from './types.js';

/** A line of a history file that is not a valid entry. `line` is 1-based. */
export class HistoryFormatError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'HistoryFormatError';
  }
}

export function writeHistoryJsonl(h: History): string {
  let out = '';
  for (const e of h) out += `${JSON.stringify(e)}\n`;
  return out;
}

/** sha256 (hex) of `writeHistoryJsonl(h)`. */
export function historyHash(h: History): string {
  return createHash('sha256').update(writeHistoryJsonl(h), 'utf8').digest('hex');
}

/**
 * Parse and validate a JSON-lines history. Blank lines are skipped and a
 * trailing `\r` is tolerated (files edited on Windows); anything else that is
 * not a valid entry throws {@link HistoryFormatError} naming the line.
 */
export function readHistoryJsonl(text: string): History {
  const lines = text.split('\n');
  const h: History = [];
  let lastT = 0;
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const e = parseLine(line, i + 1);
    if (e.t < lastT) throw new HistoryFormatError(i + 1, `t=${e.t} goes back in time (previous entry has t=${lastT})`);
    lastT = e.t;
    h.push(e);
  });
  return h;
}

function parseLine(line: string, n: number): HistoryEntry {
  let x: unknown;
  try {
    x = JSON.parse(line);
  } catch (err) {
    throw new HistoryFormatError(n, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObj(x)) throw new HistoryFormatError(n, 'expected a JSON object');
  const type = x.type;
  // hasOwn: a line with type "constructor" must not reach Object.prototype.
  const check = typeof type === 'string' && Object.hasOwn(CHECKS, type) ? CHECKS[type as HistoryEntry['type']] : undefined;
  if (!check) throw new HistoryFormatError(n, `entry needs 'type' to be one of ${Object.keys(CHECKS).join(',')}`);
  try {
    check(x);
  } catch (err) {
    if (err instanceof Problem) throw new HistoryFormatError(n, `entry of type '${type as string}' ${err.message}`);
    throw err;
  }
  return x as unknown as HistoryEntry;
}

// ───────────────────────────── field checks ─────────────────────────────

type Obj = Record<string, unknown>;

/** What is wrong with one field, phrased to follow "entry of type 'x' ". */
class Problem extends Error {}

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Rejects keys outside required ∪ optional; missing required keys are reported by their typed check. */
function keys(o: Obj, path: string, required: readonly string[], optional: readonly string[] = []): void {
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) throw new Problem(`has unexpected key '${at(path, k)}'`);
  }
}

const at = (path: string, k: string) => (path ? `${path}.${k}` : k);

function num(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Problem(`needs numeric '${path}'`);
}

function int(v: unknown, path: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Problem(`needs integer '${path}'`);
}

function str(v: unknown, path: string): void {
  if (typeof v !== 'string') throw new Problem(`needs string '${path}'`);
}

function bool(v: unknown, path: string): void {
  if (typeof v !== 'boolean') throw new Problem(`needs boolean '${path}'`);
}

function oneOf(v: unknown, path: string, values: readonly string[]): void {
  if (typeof v !== 'string' || !values.includes(v)) throw new Problem(`needs '${path}' to be one of ${values.join(',')}`);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Problem(`needs object '${path}'`);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Problem(`needs array '${path}'`);
  return v;
}

function optional(o: Obj, k: string, path: string, check: (v: unknown, p: string) => void): void {
  if (o[k] !== undefined) check(o[k], at(path, k));
}

/** A stored value: number, string or null (absent). */
function value(v: unknown, path: string): void {
  if (v !== null && typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Problem(`needs '${path}' to be a number, a string or null`);
  }
}

function strings(v: unknown, path: string): void {
  arr(v, path).forEach((s, i) => str(s, `${path}[${i}]`));
}

// ───────────────────────────── nested shapes ─────────────────────────────

function microOp(v: unknown, path: string): void {
  const o = obj(v, path);
  oneOf(o.f, at(path, 'f'), ['r', 'w', 'upd', 'now', 'rand', 'del']);
  str(o.k, at(path, 'k'));
  switch (o.f) {
    case 'w':
      keys(o, path, ['f', 'k', 'v']);
      return value(o.v, at(path, 'v'));
    case 'upd': {
      keys(o, path, ['f', 'k', 'expr'], ['v']);
      const e = obj(o.expr, at(path, 'expr'));
      keys(e, at(path, 'expr'), ['op', 'n']);
      oneOf(e.op, at(path, 'expr.op'), ['add', 'mul']);
      num(e.n, at(path, 'expr.n'));
      return optional(o, 'v', path, value);
    }
    case 'r':
      keys(o, path, ['f', 'k'], ['v', 'w']);
      optional(o, 'w', path, int);
      return optional(o, 'v', path, value);
    // A server may echo every micro-op with the value it saw, a delete included;
    // `v` on a delete is tolerated so such histories still import.
    default:
      keys(o, path, ['f', 'k'], ['v']);
      return optional(o, 'v', path, value);
  }
}

function txn(v: unknown, path: string): void {
  const list = arr(v, path);
  if (list.length === 0) throw new Problem(`needs non-empty '${path}'`);
  list.forEach((m, i) => microOp(m, `${path}[${i}]`));
}

function commitPos(v: unknown, path: string): void {
  const o = obj(v, path);
  keys(o, path, ['lsn'], ['timeline']);
  num(o.lsn, at(path, 'lsn'));
  optional(o, 'timeline', path, num);
}

function request(v: unknown, path: string): void {
  const o = obj(v, path);
  keys(o, path, ['txn', 'end'], ['after']);
  txn(o.txn, at(path, 'txn'));
  oneOf(o.end, at(path, 'end'), ['commit', 'rollback']);
  optional(o, 'after', path, commitPos);
}

function nodeView(v: unknown, path: string): void {
  const o = obj(v, path);
  keys(o, path, ['role', 'data'], ['positions']);
  str(o.role, at(path, 'role'));
  for (const [k, x] of Object.entries(obj(o.data, at(path, 'data')))) value(x, at(path, `data.${k}`));
  optional(o, 'positions', path, (p, pp) => {
    for (const [k, x] of Object.entries(obj(p, pp))) num(x, `${pp}.${k}`);
  });
}

// ───────────────────────────── entry types ─────────────────────────────

/** Common to client-op completions and invocations. */
function clientOp(o: Obj, extra: readonly string[], optionalKeys: readonly string[] = []): void {
  keys(o, '', ['type', 't', 'op', 'session', 'node', ...extra], optionalKeys);
  num(o.t, 't');
  int(o.op, 'op');
  str(o.session, 'session');
  str(o.node, 'node');
}

const CHECKS: Record<HistoryEntry['type'], (o: Obj) => void> = {
  meta(o) {
    keys(o, '', ['type', 't', 'model', 'seed', 'nodes'], ['bug', 'scenario']);
    if (o.t !== 0) throw new Problem("needs 't' to be 0");
    str(o.model, 'model');
    optional(o, 'bug', '', str);
    num(o.seed, 'seed');
    strings(o.nodes, 'nodes');
  },
  invoke(o) {
    clientOp(o, ['req']);
    request(o.req, 'req');
  },
  ok(o) {
    clientOp(o, ['txn'], ['commit']);
    txn(o.txn, 'txn');
    optional(o, 'commit', '', commitPos);
  },
  fail(o) {
    clientOp(o, ['error']);
    str(o.error, 'error');
  },
  info(o) {
    clientOp(o, ['reason']);
    str(o.reason, 'reason');
  },
  event(o) {
    keys(o, '', ['type', 't', 'node', 'name'], ['data']);
    num(o.t, 't');
    str(o.node, 'node');
    str(o.name, 'name');
    optional(o, 'data', '', obj);
  },
  net(o) {
    keys(o, '', ['type', 't', 'ev', 'from', 'to', 'msg', 'channel', 'label'], ['why', 'bg']);
    num(o.t, 't');
    oneOf(o.ev, 'ev', ['send', 'recv', 'drop', 'break']);
    str(o.from, 'from');
    str(o.to, 'to');
    int(o.msg, 'msg');
    oneOf(o.channel, 'channel', ['stream', 'datagram']);
    str(o.label, 'label');
    optional(o, 'why', '', str);
    if (o.bg !== undefined && o.bg !== true) throw new Error("'bg' must be true when present");
  },
  fault(o) {
    keys(o, '', ['type', 't', 'phase', 'fault']);
    num(o.t, 't');
    oneOf(o.phase, 'phase', ['inject', 'heal']);
    const f = obj(o.fault, 'fault');
    keys(f, 'fault', ['kind', 'nodes', 'text']);
    str(f.kind, 'fault.kind');
    strings(f.nodes, 'fault.nodes');
    str(f.text, 'fault.text');
  },
  node(o) {
    keys(o, '', ['type', 't', 'node', 'ev'], ['mode']);
    num(o.t, 't');
    str(o.node, 'node');
    oneOf(o.ev, 'ev', ['start', 'crash', 'restart', 'pause', 'resume']);
    optional(o, 'mode', '', (v, p) => oneOf(v, p, ['process', 'machine']));
  },
  quiet(o) {
    keys(o, '', ['type', 't']);
    num(o.t, 't');
  },
  final(o) {
    keys(o, '', ['type', 't', 'node', 'alive', 'view']);
    num(o.t, 't');
    str(o.node, 'node');
    bool(o.alive, 'alive');
    nodeView(o.view, 'view');
  },
};
