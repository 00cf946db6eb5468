/**
 * Executing micro-operations and re-executing shipped statements.
 *
 * Statement-based replication (MySQL binlog_format=STATEMENT) ships the SQL, not
 * the row image; the replica re-executes it. That is safe for `x = x + 10` only
 * if the replica applies every statement exactly once and in source order, and
 * safe for NOW() and RAND() only if the source's context travels with it: MySQL
 * writes the session timestamp into every event header and a RAND_EVENT with the
 * seed. Without it, a replica whose clock is 3 minutes ahead stores 10:03 where
 * the source stored 10:00.
 *
 * Some functions are unsafe whatever travels (replication-rbr-safe-unsafe.html,
 * replication-features-functions.html): SYSDATE() reads the replica's clock (the
 * binlogged timestamp does not bind it), UUID() and USER() are evaluated anew
 * (USER() on the replica is its applier thread's user). STATEMENT format logs
 * them as statements with a warning; MIXED logs them (and RAND()) as row images.
 */
import type { MicroOp, UpdateExpr, Value } from '../../src/index.js';

export type Stmt =
  | { f: 'w'; v: Value }
  | { f: 'del' }
  | { f: 'upd'; expr: UpdateExpr }
  /** NOW(); `ts` is the source's timestamp when context ships. */
  | { f: 'now'; ts?: number }
  /** RAND(); `seed` is the source's seed when context ships. */
  | { f: 'rand'; seed?: number }
  /** SYSDATE(); `ts` only on the source (never binlogged). */
  | { f: 'sysdate'; ts?: number }
  /** UUID(); `seed` only on the source. */
  | { f: 'uuid'; seed?: number }
  /** USER(); `who` only on the source (a replica's applier runs as its own user). */
  | { f: 'user'; who?: string };

/** Which functions the workload's `now` and `rand` ops call. */
export interface SqlFunctions {
  timeFunction: 'NOW()' | 'SYSDATE()';
  randomFunction: 'RAND()' | 'UUID()' | 'USER()';
}

/** The user a replica's applier thread runs statements as. */
export const APPLIER_USER = 'system user';

/** Where a statement executes: the node's own clock and random stream. */
export interface ExecEnv {
  now(): number;
  random(): number;
}

/** Numeric view of a stored value for x = x + n / x * n; absent counts as 0. */
function asNumber(v: Value | undefined): number {
  return typeof v === 'number' ? v : 0;
}

/** RAND() from a seed, deterministic across nodes (mulberry32, one draw). */
export function randFromSeed(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return Math.floor(u * 1_000_000);
}

/** The value a statement produces given the current value of its key. */
export function evalStmt(s: Stmt, current: Value | undefined, env: ExecEnv): Value {
  switch (s.f) {
    case 'w':
      return s.v;
    case 'del':
      return null;
    case 'upd':
      return s.expr.op === 'add' ? asNumber(current) + s.expr.n : asNumber(current) * s.expr.n;
    case 'now':
      return s.ts ?? Math.round(env.now());
    case 'rand':
      return randFromSeed(s.seed ?? Math.floor(env.random() * 4294967296));
    case 'sysdate':
      return s.ts ?? Math.round(env.now());
    case 'uuid':
      return `uuid-${(s.seed ?? Math.floor(env.random() * 4294967296)).toString(16)}`;
    case 'user':
      return s.who ?? APPLIER_USER;
  }
}

/**
 * The statement a mutating micro-op becomes on the source, with its context
 * bound (timestamp, seed) so the source itself evaluates it deterministically.
 */
export function bindStmt(op: MicroOp, env: ExecEnv, fns: SqlFunctions = { timeFunction: 'NOW()', randomFunction: 'RAND()' }): Stmt | undefined {
  if (op.f === 'now' && fns.timeFunction === 'SYSDATE()') return { f: 'sysdate', ts: Math.round(env.now()) };
  if (op.f === 'rand' && fns.randomFunction === 'UUID()') return { f: 'uuid', seed: Math.floor(env.random() * 4294967296) };
  if (op.f === 'rand' && fns.randomFunction === 'USER()') return { f: 'user', who: 'app@client' };
  switch (op.f) {
    case 'r':
      return undefined;
    case 'w':
      return { f: 'w', v: op.v };
    case 'del':
      return { f: 'del' };
    case 'upd':
      return { f: 'upd', expr: op.expr };
    case 'now':
      return { f: 'now', ts: Math.round(env.now()) };
    case 'rand':
      return { f: 'rand', seed: Math.floor(env.random() * 4294967296) };
  }
}

/** The statement as shipped: context stripped when it does not travel. */
export function shipStmt(s: Stmt, withContext: boolean): Stmt {
  // Unsafe functions: nothing of the source's evaluation is binlogged.
  if (s.f === 'sysdate') return { f: 'sysdate' };
  if (s.f === 'uuid') return { f: 'uuid' };
  if (s.f === 'user') return { f: 'user' };
  if (withContext) return s;
  if (s.f === 'now') return { f: 'now' };
  if (s.f === 'rand') return { f: 'rand' };
  return s;
}

/** Statements MySQL flags unsafe for statement-based logging (a warning in STATEMENT, a row in MIXED). */
export function unsafeForStatement(s: Stmt): boolean {
  return s.f === 'sysdate' || s.f === 'uuid' || s.f === 'user' || s.f === 'rand';
}

/**
 * How binlog_format logs one change: 'row' (the row image) or 'statement'.
 * MIXED switches to row for unsafe statements; planted bug: it does not.
 */
export function logFormat(s: Stmt, shipping: 'row' | 'statement' | 'mixed', bug?: string): 'row' | 'statement' {
  if (shipping === 'row') return 'row';
  if (shipping === 'statement') return 'statement';
  return unsafeForStatement(s) && bug !== 'mixed-logs-unsafe-as-statement' ? 'row' : 'statement';
}
