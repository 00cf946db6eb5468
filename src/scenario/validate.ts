/**
 * Validation of untrusted scenario JSON (a replay token, a failure file, a
 * hand-edited file) and its translation into a simulator configuration.
 *
 * Validation is strict: unknown keys are rejected (a typo such as `durationMS`
 * would otherwise silently change the run), and every error names the exact
 * path, e.g. `sessions[2].ops[0].req.txn[1].f: expected one of r,w,upd,now,rand,del`.
 */
import type { ClientRequest, CommitPos, MicroOp, NodeId, ReadPolicy, UpdateExpr } from '../history/types.js';
import type {
  ClockParams,
  DiskParams,
  Fault,
  FaultAnchor,
  LatencyDist,
  LinkParams,
  NetworkParams,
  SessionSpec,
  SimConfig,
  SimLimits,
  TimedRequest,
} from '../sim/types.js';
import type { Scenario } from './types.js';

/** A scenario that does not have the expected shape. `path` locates the offending value. */
export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path || '(scenario)'}: ${expected}`);
    this.name = 'ScenarioError';
  }
}

type Obj = Record<string, unknown>;

// ───────────────────────────── primitives ─────────────────────────────

function fail(path: string, expected: string, got?: unknown): never {
  throw new ScenarioError(path, arguments.length > 2 ? `${expected}, got ${describe(got)}` : expected);
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  if (typeof x !== 'string') return String(x);
  const s = JSON.stringify(x);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** An object with exactly the allowed keys (required ones present). */
function obj(x: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'expected an object', x);
  const o = x as Obj;
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) {
      fail(join(path, k), `unexpected key '${k}' (allowed: ${[...required, ...optional].join(', ')})`);
    }
  }
  for (const k of required) if (o[k] === undefined) fail(join(path, k), 'required');
  return o;
}

/** An object used as a map: any keys, except `__proto__` (it would replace the prototype on copy). */
function record(x: unknown, path: string): Obj {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'expected an object', x);
  if (Object.hasOwn(x, '__proto__')) fail(join(path, '__proto__'), 'not an allowed key');
  return x as Obj;
}

function arr(x: unknown, path: string, minLength = 0): unknown[] {
  if (!Array.isArray(x)) fail(path, 'expected an array', x);
  if (x.length < minLength) fail(path, `expected at least ${minLength} element(s)`);
  return x;
}

function str(x: unknown, path: string): string {
  if (typeof x !== 'string' || x.length === 0) fail(path, 'expected a non-empty string', x);
  return x;
}

function num(x: unknown, path: string, min = -Infinity, max = Infinity): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) fail(path, 'expected a finite number', x);
  if (x < min || x > max) fail(path, `expected a number in [${min}, ${max}]`, x);
  return x;
}

function int(x: unknown, path: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) fail(path, 'expected an integer', x);
  if (x < min || x > max) fail(path, `expected an integer in [${min}, ${max}]`, x);
  return x;
}

function oneOf<T extends string>(x: unknown, path: string, values: readonly T[]): T {
  if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) fail(path, `expected one of ${values.join(',')}`, x);
  return x as T;
}

/** The discriminant of a tagged object, checked before the rest of the object. */
function tag<T extends string>(x: unknown, path: string, key: string, values: readonly T[]): T {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(path, 'expected an object', x);
  return oneOf((x as Obj)[key], join(path, key), values);
}

function opt<T>(o: Obj, key: string, path: string, read: (x: unknown, p: string) => T): T | undefined {
  return o[key] === undefined ? undefined : read(o[key], join(path, key));
}

/** Copies only defined optional fields, so the result serialises like the input. */
function withOptional<T extends object>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
  return out as T;
}

function nodeList(x: unknown, path: string): NodeId[] {
  const list = arr(x, path, 1).map((n, i) => str(n, `${path}[${i}]`));
  const dup = list.find((n, i) => list.indexOf(n) !== i);
  if (dup !== undefined) fail(path, `node '${dup}' listed twice`);
  return list;
}

function jsonValue(x: unknown, path: string, depth = 0): void {
  if (depth > 64) fail(path, 'nested too deeply');
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return;
  if (typeof x === 'number') return void num(x, path);
  if (Array.isArray(x)) return x.forEach((v, i) => jsonValue(v, `${path}[${i}]`, depth + 1));
  if (typeof x === 'object') return Object.entries(x).forEach(([k, v]) => jsonValue(v, join(path, k), depth + 1));
  fail(path, 'expected JSON data', x);
}

// ───────────────────────────── workload ─────────────────────────────

const MICRO_OPS = ['r', 'w', 'upd', 'now', 'rand', 'del'] as const;
const POLICIES: readonly ReadPolicy[] = ['primary', 'any-standby', 'sticky-standby', 'read-your-writes'];

function updateExpr(x: unknown, path: string): UpdateExpr {
  const o = obj(x, path, ['op', 'n']);
  return { op: oneOf(o.op, join(path, 'op'), ['add', 'mul'] as const), n: num(o.n, join(path, 'n')) };
}

/** A request's micro-op. Values other than a write's are computed by the server, so they may not be given. */
function microOp(x: unknown, path: string): MicroOp {
  const f = tag(x, path, 'f', MICRO_OPS);
  if (f === 'w') {
    const o = obj(x, path, ['f', 'k', 'v']);
    const v = o.v;
    if (typeof v === 'number') num(v, join(path, 'v'));
    else if (typeof v !== 'string') fail(join(path, 'v'), 'expected a string or number (write null with {f:"del"})', v);
    return { f, k: str(o.k, join(path, 'k')), v };
  }
  if (f === 'upd') {
    const o = obj(x, path, ['f', 'k', 'expr']);
    return { f, k: str(o.k, join(path, 'k')), expr: updateExpr(o.expr, join(path, 'expr')) };
  }
  const o = obj(x, path, ['f', 'k']);
  return { f, k: str(o.k, join(path, 'k')) };
}

function commitPos(x: unknown, path: string): CommitPos {
  const o = obj(x, path, ['lsn'], ['timeline']);
  return withOptional({ lsn: int(o.lsn, join(path, 'lsn'), 0) }, { timeline: opt(o, 'timeline', path, (v, p) => int(v, p, 0)) });
}

function clientRequest(x: unknown, path: string): ClientRequest {
  const o = obj(x, path, ['txn', 'end'], ['after']);
  const txn = arr(o.txn, join(path, 'txn'), 1).map((m, i) => microOp(m, `${path}.txn[${i}]`));
  const end = oneOf(o.end, join(path, 'end'), ['commit', 'rollback'] as const);
  return withOptional({ txn, end }, { after: opt(o, 'after', path, commitPos) });
}

function timedRequest(x: unknown, path: string): TimedRequest {
  const o = obj(x, path, ['atMs', 'req']);
  return { atMs: num(o.atMs, join(path, 'atMs'), 0), req: clientRequest(o.req, join(path, 'req')) };
}

function session(x: unknown, path: string): SessionSpec {
  const o = obj(x, path, ['id', 'policy', 'ops']);
  return {
    id: str(o.id, join(path, 'id')),
    policy: oneOf(o.policy, join(path, 'policy'), POLICIES),
    ops: arr(o.ops, join(path, 'ops')).map((r, i) => timedRequest(r, `${path}.ops[${i}]`)),
  };
}

function sessions(x: unknown): SessionSpec[] {
  const list = arr(x, 'sessions').map((s, i) => session(s, `sessions[${i}]`));
  const ids = new Set<string>();
  const values = new Map<string, string>();
  list.forEach((s, i) => {
    if (ids.has(s.id)) fail(`sessions[${i}].id`, `session id '${s.id}' is used twice`);
    ids.add(s.id);
    s.ops.forEach((op, j) =>
      op.req.txn.forEach((m, k) => {
        if (m.f !== 'w') return;
        const here = `sessions[${i}].ops[${j}].req.txn[${k}].v`;
        const key = JSON.stringify(m.v);
        const first = values.get(key);
        if (first !== undefined) fail(here, `written value ${key} is not unique (also written at ${first})`);
        values.set(key, here);
      }),
    );
  });
  return list;
}

// ───────────────────────────── faults ─────────────────────────────

const FAULT_KINDS = ['crash', 'pause', 'partition', 'clog'] as const;

function fault(x: unknown, path: string): Fault {
  const f = faultOfKind(x, path);
  const after = (x as Obj).after;
  return after === undefined ? f : { ...f, after: anchor(after, join(path, 'after')) };
}

function anchor(x: unknown, path: string): FaultAnchor {
  const o = obj(x, path, ['mark', 'node', 'nth']);
  return { mark: str(o.mark, join(path, 'mark')), node: str(o.node, join(path, 'node')), nth: int(o.nth, join(path, 'nth'), 1) };
}

function faultOfKind(x: unknown, path: string): Fault {
  const kind = tag(x, path, 'kind', FAULT_KINDS);
  const p = (k: string) => join(path, k);
  switch (kind) {
    case 'crash': {
      const o = obj(x, path, ['kind', 'atMs', 'node', 'mode'], ['restartAfterMs', 'after']);
      const base: Fault = { kind, atMs: num(o.atMs, p('atMs'), 0), node: str(o.node, p('node')), mode: oneOf(o.mode, p('mode'), ['process', 'machine'] as const) };
      return withOptional(base, { restartAfterMs: opt(o, 'restartAfterMs', path, (v, q) => num(v, q, 0)) });
    }
    case 'pause': {
      const o = obj(x, path, ['kind', 'atMs', 'node', 'durationMs'], ['after']);
      return { kind, atMs: num(o.atMs, p('atMs'), 0), node: str(o.node, p('node')), durationMs: num(o.durationMs, p('durationMs'), 0) };
    }
    case 'partition':
      return partition(x, path);
    case 'clog': {
      const o = obj(x, path, ['kind', 'atMs', 'from', 'to', 'extraMs', 'durationMs'], ['after']);
      const f: Fault = { kind, atMs: num(o.atMs, p('atMs'), 0), from: str(o.from, p('from')), to: str(o.to, p('to')), extraMs: num(o.extraMs, p('extraMs'), 0), durationMs: num(o.durationMs, p('durationMs'), 0) };
      if (f.from === f.to) fail(p('to'), `a clog needs two different nodes, got '${f.to}' twice`);
      return f;
    }
  }
}

function partition(x: unknown, path: string): Fault {
  const o = obj(x, path, ['kind', 'atMs', 'from', 'to'], ['oneWay', 'durationMs', 'after']);
  const from = nodeList(o.from, join(path, 'from'));
  const to = nodeList(o.to, join(path, 'to'));
  const both = from.find((n) => to.includes(n));
  if (both !== undefined) fail(join(path, 'to'), `node '${both}' is on both sides of the partition`);
  if (o.oneWay !== undefined && typeof o.oneWay !== 'boolean') fail(join(path, 'oneWay'), 'expected a boolean', o.oneWay);
  return withOptional({ kind: 'partition', atMs: num(o.atMs, join(path, 'atMs'), 0), from, to } as Fault, {
    oneWay: o.oneWay,
    durationMs: opt(o, 'durationMs', path, (v, q) => num(v, q, 0)),
  });
}

// ───────────────────────────── network, clocks, disk, limits ─────────────────────────────

const LATENCY_KINDS = ['constant', 'uniform', 'exponential', 'pareto', 'mixture'] as const;

function latency(x: unknown, path: string, depth = 0): LatencyDist {
  const kind = tag(x, path, 'kind', LATENCY_KINDS);
  const p = (k: string) => join(path, k);
  switch (kind) {
    case 'constant': {
      const o = obj(x, path, ['kind', 'ms']);
      return { kind, ms: num(o.ms, p('ms'), 0) };
    }
    case 'uniform': {
      const o = obj(x, path, ['kind', 'minMs', 'maxMs']);
      const minMs = num(o.minMs, p('minMs'), 0);
      return { kind, minMs, maxMs: num(o.maxMs, p('maxMs'), minMs) };
    }
    case 'exponential': {
      const o = obj(x, path, ['kind', 'meanMs'], ['minMs']);
      return withOptional({ kind, meanMs: num(o.meanMs, p('meanMs'), 0) } as LatencyDist, { minMs: opt(o, 'minMs', path, (v, q) => num(v, q, 0)) });
    }
    case 'pareto': {
      const o = obj(x, path, ['kind', 'scaleMs', 'shape'], ['capMs']);
      const shape = num(o.shape, p('shape'), 0);
      if (shape === 0) fail(p('shape'), 'expected a positive number', shape);
      return withOptional({ kind, scaleMs: num(o.scaleMs, p('scaleMs'), 0), shape } as LatencyDist, { capMs: opt(o, 'capMs', path, (v, q) => num(v, q, 0)) });
    }
    case 'mixture':
      return mixture(x, path, depth);
  }
}

function mixture(x: unknown, path: string, depth: number): LatencyDist {
  if (depth >= 4) fail(path, 'mixtures may nest at most 4 deep');
  const o = obj(x, path, ['kind', 'parts']);
  const parts = arr(o.parts, join(path, 'parts'), 1).map((part, i) => {
    const q = `${path}.parts[${i}]`;
    const po = obj(part, q, ['weight', 'dist']);
    const weight = num(po.weight, join(q, 'weight'), 0);
    if (weight === 0) fail(join(q, 'weight'), 'expected a positive weight', weight);
    return { weight, dist: latency(po.dist, join(q, 'dist'), depth + 1) };
  });
  return { kind: 'mixture', parts };
}

function linkParams(x: unknown, path: string, partial: boolean): Partial<LinkParams> {
  const keys = ['latency', 'lossRate', 'dupRate'];
  const o = partial ? obj(x, path, [], keys) : obj(x, path, keys);
  return withOptional({}, {
    latency: opt(o, 'latency', path, (v, q) => latency(v, q)),
    lossRate: opt(o, 'lossRate', path, (v, q) => num(v, q, 0, 1)),
    dupRate: opt(o, 'dupRate', path, (v, q) => num(v, q, 0, 1)),
  });
}

function network(x: unknown): NetworkParams {
  const o = obj(x, 'network', ['defaultLink'], ['links', 'breakDetectMs', 'clientLatency']);
  const links = opt(o, 'links', 'network', (v, p) => {
    const out: Record<string, Partial<LinkParams>> = {};
    for (const [k, l] of Object.entries(record(v, p))) {
      if (!/^[^>]+->[^>]+$/.test(k) || k.startsWith('-')) fail(join(p, k), 'link keys look like "n1->n2"');
      out[k] = linkParams(l, join(p, k), true);
    }
    return out;
  });
  return withOptional({ defaultLink: linkParams(o.defaultLink, 'network.defaultLink', false) as LinkParams }, {
    links,
    breakDetectMs: opt(o, 'breakDetectMs', 'network', (v, p) => num(v, p, 0)),
    clientLatency: opt(o, 'clientLatency', 'network', (v, p) => latency(v, p)),
  });
}

function clockParams(x: unknown, path: string): ClockParams {
  const o = obj(x, path, ['offsetMs', 'driftPpm'], ['jumps']);
  const jumps = opt(o, 'jumps', path, (v, p) =>
    arr(v, p).map((j, i) => {
      const q = `${p}[${i}]`;
      const jo = obj(j, q, ['atMs', 'byMs']);
      return { atMs: num(jo.atMs, join(q, 'atMs'), 0), byMs: num(jo.byMs, join(q, 'byMs')) };
    }),
  );
  // A drift of ±1e6 ppm would stop or double the clock; real oscillators are within a few hundred ppm.
  return withOptional({ offsetMs: num(o.offsetMs, join(path, 'offsetMs')), driftPpm: num(o.driftPpm, join(path, 'driftPpm'), -100_000, 100_000) }, { jumps });
}

function clocks(x: unknown): Record<NodeId, ClockParams> {
  const out: Record<NodeId, ClockParams> = {};
  for (const [node, c] of Object.entries(record(x, 'clocks'))) out[node] = clockParams(c, `clocks.${node}`);
  return out;
}

function disk(x: unknown): DiskParams {
  const o = obj(x, 'disk', [], ['fsyncLatency']);
  return withOptional({}, { fsyncLatency: opt(o, 'fsyncLatency', 'disk', (v, p) => latency(v, p)) });
}

function limits(x: unknown): SimLimits {
  const o = obj(x, 'limits', [], ['maxEvents', 'maxTimeMs', 'quietMaxMs', 'clientTimeoutMs']);
  return withOptional({}, {
    maxEvents: opt(o, 'maxEvents', 'limits', (v, p) => int(v, p, 1)),
    maxTimeMs: opt(o, 'maxTimeMs', 'limits', (v, p) => num(v, p, 0)),
    quietMaxMs: opt(o, 'quietMaxMs', 'limits', (v, p) => num(v, p, 0)),
    clientTimeoutMs: opt(o, 'clientTimeoutMs', 'limits', (v, p) => num(v, p, 0)),
  });
}

// ───────────────────────────── entry points ─────────────────────────────

const SCENARIO_REQUIRED = ['model', 'config', 'seed', 'sessions', 'faults', 'network'] as const;
const SCENARIO_OPTIONAL = ['bug', 'clocks', 'disk', 'limits'] as const;

/**
 * Validate untrusted JSON as a Scenario. Returns a fresh object containing only
 * known fields, keys in the order the types declare them (so `JSON.stringify`
 * of the result is canonical whatever order the input had); the input is not modified. Throws {@link ScenarioError} naming
 * the first offending path. Node ids are checked against a topology only in
 * {@link toSimConfig}, since the topology comes from the model's configuration.
 */
export function parseScenario(json: unknown): Scenario {
  const o = obj(json, '', SCENARIO_REQUIRED, SCENARIO_OPTIONAL);
  const config = record(o.config, 'config');
  jsonValue(config, 'config');
  const head = withOptional({ model: str(o.model, 'model'), config: { ...config } } as Scenario, { bug: opt(o, 'bug', '', str) });
  const s: Scenario = {
    ...head,
    seed: int(o.seed, 'seed', 0, 0xffffffff),
    sessions: sessions(o.sessions),
    faults: arr(o.faults, 'faults').map((f, i) => fault(f, `faults[${i}]`)),
    network: network(o.network),
  };
  return withOptional(s, {
    clocks: opt(o, 'clocks', '', clocks),
    disk: opt(o, 'disk', '', disk),
    limits: opt(o, 'limits', '', limits),
  });
}

/**
 * The simulator configuration for a scenario on a topology. Throws
 * {@link ScenarioError} when a fault, clock or link override names a node the
 * topology does not have (a scenario saved for another configuration).
 */
export function toSimConfig(scenario: Scenario, nodes: NodeId[]): SimConfig {
  if (nodes.length === 0) throw new ScenarioError('nodes', 'the topology has no nodes');
  const known = (n: NodeId, path: string) => {
    if (!nodes.includes(n)) fail(path, `unknown node '${n}' (topology: ${nodes.join(', ')})`);
  };
  scenario.faults.forEach((f, i) => faultNodes(f).forEach(([n, key]) => known(n, `faults[${i}].${key}`)));
  for (const n of Object.keys(scenario.clocks ?? {})) known(n, `clocks.${n}`);
  for (const link of Object.keys(scenario.network.links ?? {})) {
    link.split('->').forEach((n) => known(n, `network.links.${link}`));
  }
  return withOptional(
    { seed: scenario.seed, nodes: [...nodes], network: scenario.network, faults: scenario.faults, sessions: scenario.sessions, scenario } as SimConfig,
    { clocks: scenario.clocks, disk: scenario.disk, limits: scenario.limits },
  );
}

function faultNodes(f: Fault): [NodeId, string][] {
  const own = faultKindNodes(f);
  return f.after ? [...own, [f.after.node, 'after.node']] : own;
}

function faultKindNodes(f: Fault): [NodeId, string][] {
  switch (f.kind) {
    case 'crash':
    case 'pause':
      return [[f.node, 'node']];
    case 'partition':
      return [...f.from.map((n, i): [NodeId, string] => [n, `from[${i}]`]), ...f.to.map((n, i): [NodeId, string] => [n, `to[${i}]`])];
    case 'clog':
      return [[f.from, 'from'], [f.to, 'to']];
  }
}
