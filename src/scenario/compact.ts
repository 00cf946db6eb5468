/**
 * Human-readable scenarios and copy-pasteable replay tokens, for failure output.
 *
 * The compact form lists the run's environment (model, network, clocks,
 * sessions) and then every client request and fault in true-time order, one
 * per line:
 *
 * ```
 *     12.0ms s1 w(k1,"s1-3")
 *     40.0ms crash n1 (machine, restart +200ms)
 * ```
 *
 * At equal times requests come before faults and each keeps its schedule order,
 * so the text is stable for a given scenario.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ClientRequest, MicroOp } from '../history/types.js';
import type { ClockParams, Fault, LatencyDist, LinkParams, NetworkParams } from '../sim/types.js';
import type { Scenario } from './types.js';
import { anchorText } from '../sim/run.js';

// ───────────────────────────── size ─────────────────────────────

/** Size of a scenario as counted for "minimal counterexample" claims: client requests (transactions) and faults. */
export function scenarioSize(s: Scenario): { ops: number; faults: number } {
  return { ops: s.sessions.reduce((n, sess) => n + sess.ops.length, 0), faults: s.faults.length };
}

/** "1 client op", "3 client ops". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ───────────────────────────── text form ─────────────────────────────

/** The whole scenario, header lines then one line per request or fault. No trailing newline. */
export function formatScenario(s: Scenario): string {
  return [...formatHeader(s), ...formatSchedule(s)].join('\n');
}

function formatHeader(s: Scenario): string[] {
  const size = scenarioSize(s);
  const lines = [
    `model ${s.model}${s.bug ? ` bug=${s.bug}` : ''} config=${JSON.stringify(s.config)} seed=${s.seed}`,
    `${plural(size.ops, 'op')}, ${plural(size.faults, 'fault')}`,
    `network: ${formatNetwork(s.network)}`,
    `clocks: ${formatClocks(s.clocks)}`,
  ];
  if (s.disk?.fsyncLatency) lines.push(`disk: fsync ${formatLatency(s.disk.fsyncLatency)}`);
  if (s.sessions.length > 0) lines.push(`sessions: ${s.sessions.map((x) => `${x.id} ${x.policy}`).join(', ')}`);
  return lines;
}

interface ScheduleLine {
  /** Infinity for a fault timed by a mark: it is listed last, with its anchor instead of a time. */
  atMs: number;
  rank: number;
  text: string;
}

/** Requests and faults merged by time; ties: requests first, then schedule order. */
export function formatSchedule(s: Scenario): string[] {
  const items: ScheduleLine[] = [];
  s.sessions.forEach((sess) => sess.ops.forEach((op) => items.push({ atMs: op.atMs, rank: 0, text: `${sess.id} ${formatRequest(op.req)}` })));
  s.faults.forEach((f) => items.push({ atMs: f.after ? Infinity : f.atMs, rank: 1, text: formatFault(f) }));
  const sorted = items.map((it, i) => ({ ...it, i })).sort((a, b) => a.atMs - b.atMs || a.rank - b.rank || a.i - b.i);
  const width = Math.max(8, ...sorted.map((it) => formatMs(it.atMs).length + 2));
  return sorted.map((it) => `${formatMs(it.atMs).padStart(width)} ${it.text}`);
}

const formatMs = (ms: number) => (ms === Infinity ? 'on mark' : `${ms.toFixed(1)}ms`);

/** `r(k1)`, or `BEGIN w(k1,"s1-2") r(k2) ROLLBACK` for a multi-op or rolled-back transaction. */
export function formatRequest(req: ClientRequest): string {
  const body = req.txn.map(formatMicroOp).join(' ');
  if (req.txn.length === 1 && req.end === 'commit') return body;
  return `BEGIN ${body} ${req.end.toUpperCase()}`;
}

export function formatMicroOp(m: MicroOp): string {
  switch (m.f) {
    case 'r':
      return `r(${m.k})`;
    case 'w':
      return `w(${m.k},${JSON.stringify(m.v)})`;
    case 'upd':
      return `upd(${m.k},${m.k}${m.expr.op === 'add' ? '+' : '*'}${m.expr.n})`;
    case 'now':
      return `w(${m.k},NOW())`;
    case 'rand':
      return `w(${m.k},RAND())`;
    case 'del':
      return `del(${m.k})`;
  }
}

export function formatFault(f: Fault): string {
  const text = formatFaultKind(f);
  return f.after ? `${text} ${anchorText(f.atMs, f.after)}` : text;
}

function formatFaultKind(f: Fault): string {
  switch (f.kind) {
    case 'crash': {
      const restart = f.restartAfterMs === undefined ? 'restart in quiet phase' : `restart +${f.restartAfterMs}ms`;
      return `crash ${f.node} (${f.mode}, ${restart})`;
    }
    case 'pause':
      return `pause ${f.node} for ${f.durationMs}ms`;
    case 'partition': {
      const arrow = f.oneWay ? '-/->' : '<-/->';
      const how = [f.oneWay ? 'one-way' : '', f.durationMs === undefined ? 'until quiet' : `for ${f.durationMs}ms`].filter(Boolean);
      return `partition ${f.from.join(',')} ${arrow} ${f.to.join(',')} (${how.join(', ')})`;
    }
    case 'clog':
      return `clog ${f.from} -> ${f.to} +${f.extraMs}ms for ${f.durationMs}ms`;
  }
}

export function formatLatency(d: LatencyDist): string {
  switch (d.kind) {
    case 'constant':
      return `const ${d.ms}ms`;
    case 'uniform':
      return `uniform ${d.minMs}-${d.maxMs}ms`;
    case 'exponential':
      return `${d.minMs ? `${d.minMs}ms + ` : ''}exp(mean ${d.meanMs}ms)`;
    case 'pareto':
      return `pareto(scale ${d.scaleMs}ms, shape ${d.shape}${d.capMs === undefined ? '' : `, cap ${d.capMs}ms`})`;
    case 'mixture': {
      const total = d.parts.reduce((n, p) => n + p.weight, 0);
      return `mix[${d.parts.map((p) => `${round(p.weight / total * 100)}% ${formatLatency(p.dist)}`).join(' | ')}]`;
    }
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

function formatLink(l: Partial<LinkParams>): string {
  const parts: string[] = [];
  if (l.latency) parts.push(`latency ${formatLatency(l.latency)}`);
  if (l.lossRate) parts.push(`loss ${round(l.lossRate * 100)}%`);
  if (l.dupRate) parts.push(`dup ${round(l.dupRate * 100)}%`);
  return parts.join(', ');
}

export function formatNetwork(n: NetworkParams): string {
  const parts = [formatLink(n.defaultLink)];
  for (const [link, l] of Object.entries(n.links ?? {})) parts.push(`${link}: ${formatLink(l) || 'default'}`);
  if (n.breakDetectMs !== undefined) parts.push(`break detect ${n.breakDetectMs}ms`);
  if (n.clientLatency) parts.push(`client ${formatLatency(n.clientLatency)}`);
  return parts.join('; ');
}

const signed = (x: number) => (x < 0 ? `${x}` : `+${x}`);

function formatClock(node: string, c: ClockParams): string {
  const parts = [node];
  if (c.offsetMs !== 0) parts.push(`${signed(c.offsetMs)}ms`);
  if (c.driftPpm !== 0) parts.push(`${signed(c.driftPpm)}ppm`);
  for (const j of c.jumps ?? []) parts.push(`jump ${signed(j.byMs)}ms at ${formatMs(j.atMs)}`);
  return parts.length === 1 ? `${node} exact` : parts.join(' ');
}

export function formatClocks(clocks: Record<string, ClockParams> | undefined): string {
  const entries = Object.entries(clocks ?? {});
  return entries.length === 0 ? 'exact' : entries.map(([n, c]) => formatClock(n, c)).join('; ');
}

// ───────────────────────────── replay tokens ─────────────────────────────

/** A replay token that cannot be decoded; the message says what is wrong with it. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/** Version prefix; a future format gets `rc2:` and old tokens keep decoding. */
export const TOKEN_PREFIX = 'rc1:';
/** Decoded JSON larger than this is refused (a corrupted or hostile token must not exhaust memory). */
const TOKEN_JSON_BYTES_MAX = 16 * 1024 * 1024;

/**
 * Encode JSON data as `rc1:` + base64url(deflate-raw(JSON)). The result has no
 * characters a shell or a terminal would mangle, so it can be pasted as one argument.
 */
export function encodeToken(payload: unknown): string {
  const json = JSON.stringify(payload);
  if (json === undefined) throw new TokenError('cannot encode a token for a value that is not JSON data');
  return TOKEN_PREFIX + deflateRawSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64url');
}

/** Decode a token made by {@link encodeToken}. Surrounding whitespace and quotes from copy-paste are ignored. */
export function decodeToken(s: string): unknown {
  const t = s.trim().replace(/^['"]|['"]$/g, '');
  if (!t.startsWith(TOKEN_PREFIX)) {
    const prefix = /^[a-z]+\d+:/.exec(t)?.[0];
    throw new TokenError(
      prefix ? `unsupported token version '${prefix}' (this replicheck reads '${TOKEN_PREFIX}')` : `not a replay token: it must start with '${TOKEN_PREFIX}'`,
    );
  }
  const body = t.slice(TOKEN_PREFIX.length);
  if (body.length === 0) throw new TokenError('replay token is empty after its prefix');
  const bad = /[^A-Za-z0-9_-]/.exec(body);
  if (bad) throw new TokenError(`replay token has an invalid character ${JSON.stringify(bad[0])} at position ${TOKEN_PREFIX.length + bad.index} (was it cut or wrapped when copied?)`);
  const json = inflate(body);
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw new TokenError('replay token decompresses to text that is not JSON');
  }
}

function inflate(body: string): string {
  let bytes: Buffer;
  try {
    bytes = inflateRawSync(Buffer.from(body, 'base64url'), { maxOutputLength: TOKEN_JSON_BYTES_MAX });
  } catch (e) {
    throw new TokenError(`replay token is corrupt or truncated (${e instanceof Error ? e.message : String(e)})`);
  }
  return bytes.toString('utf8');
}
