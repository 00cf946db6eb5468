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
 */
import type { MicroOp, UpdateExpr, Value } from '../../src/index.js';

export type Stmt =
  | { f: 'w'; v: Value }
  | { f: 'del' }
  | { f: 'upd'; expr: UpdateExpr }
  /** NOW(); `ts` is the source's timestamp when context ships. */
  | { f: 'now'; ts?: number }
  /** RAND(); `seed` is the source's seed when context ships. */
  | { f: 'rand'; seed?: number };

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
  }
}

/**
 * The statement a mutating micro-op becomes on the source, with its context
 * bound (timestamp, seed) so the source itself evaluates it deterministically.
 */
export function bindStmt(op: MicroOp, env: ExecEnv): Stmt | undefined {
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
  if (withContext) return s;
  if (s.f === 'now') return { f: 'now' };
  if (s.f === 'rand') return { f: 'rand' };
  return s;
}
