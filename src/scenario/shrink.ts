/**
 * A deletion pass over a failing scenario, after fast-check's shrink.
 *
 * fast-check shrinks the draw (features, draft ops, draft faults), one value at
 * a time, under a run budget. Two things leave ops and faults behind there: the
 * budget runs out on scenarios whose failures are fragile (a deterministic
 * simulator: removing one op moves every later message and random draw, so most
 * single steps lose the failure and each costs a run), and a draft can only go
 * where the feature mask lets it (a corpus schedule's faults, an op folded into
 * a transaction). This pass works on the scenario itself, plain data: it drops
 * whole faults, whole sessions, chunks of ops (halves, quarters … single ops,
 * as delta debugging does) and single micro-ops of a transaction, keeping a
 * candidate only if it still fails the same way. It only ever removes, so the
 * result replays exactly from its own token, and it is a function of the
 * scenario and the predicate: deterministic.
 */
import type { Fault, SessionSpec, TimedRequest } from '../sim/types.js';
import type { Scenario } from './types.js';
import { scenarioSize } from './compact.js';

/** What judging a candidate tells the pass. */
export interface Probe {
  /** It still fails the same way. */
  fails: boolean;
  /** When the run issued each op, per session in the scenario's order (absent: never issued). */
  issuedAt?: readonly (readonly (number | undefined)[])[];
}

export interface DeletionResult {
  scenario: Scenario;
  /** Candidates judged. */
  tries: number;
  /** Candidates kept. */
  kept: number;
}

/** Where an op sits: session index, op index within it. */
interface OpRef {
  s: number;
  o: number;
}

function opRefs(s: Scenario): OpRef[] {
  const refs: OpRef[] = [];
  s.sessions.forEach((sess, i) => sess.ops.forEach((_, j) => refs.push({ s: i, o: j })));
  return refs;
}

/** The scenario without the given ops; sessions left empty are dropped. */
function withoutOps(s: Scenario, drop: readonly OpRef[]): Scenario {
  const gone = new Set(drop.map((r) => `${r.s}/${r.o}`));
  const sessions: SessionSpec[] = [];
  s.sessions.forEach((sess, i) => {
    const ops = sess.ops.filter((_, j) => !gone.has(`${i}/${j}`));
    if (ops.length > 0) sessions.push({ ...sess, ops });
  });
  return { ...s, sessions };
}

function withoutFault(s: Scenario, i: number): Scenario {
  return { ...s, faults: s.faults.filter((_: Fault, j) => j !== i) };
}

function withoutSession(s: Scenario, i: number): Scenario {
  return { ...s, sessions: s.sessions.filter((_, j) => j !== i) };
}

/** Drop micro-op k of op (s, o), a transaction of two or more. */
function withoutMicroOp(s: Scenario, r: OpRef, k: number): Scenario {
  const sessions = s.sessions.map((sess, i) => {
    if (i !== r.s) return sess;
    const ops = sess.ops.map((op, j): TimedRequest => (j !== r.o ? op : { ...op, req: { ...op.req, txn: op.req.txn.filter((_, m) => m !== k) } }));
    return { ...sess, ops };
  });
  return { ...s, sessions };
}

/**
 * The ops timed at the moments the run issued them. A session issues an op at
 * its time or when the op before it completes, whichever is later, so this
 * changes nothing in the run; but once an op is removed, the ops after it keep
 * their moments instead of all moving earlier by its duration (which, in a
 * deterministic simulator, reshuffles every later interleaving).
 */
export function pinTimes(s: Scenario, issuedAt: readonly (readonly (number | undefined)[])[]): Scenario {
  const sessions = s.sessions.map((sess, i) => ({
    ...sess,
    ops: sess.ops.map((op, j): TimedRequest => {
      const t = issuedAt[i]?.[j];
      return t === undefined || t <= op.atMs ? op : { ...op, atMs: t };
    }),
  }));
  return { ...s, sessions };
}

const samePins = (a: Scenario, b: Scenario): boolean => a.sessions.every((x, i) => x.ops.every((op, j) => op.atMs === b.sessions[i]?.ops[j]?.atMs));

/** A scenario's size as one number, to accept only candidates that are smaller. */
function weight(s: Scenario): number {
  const { ops, faults } = scenarioSize(s);
  const micro = s.sessions.reduce((n, x) => n + x.ops.reduce((m, o) => m + o.req.txn.length, 0), 0);
  return (ops + faults) * 1000 + micro;
}

/**
 * Remove what the failure does not need. `fails` judges a candidate (true: it
 * still fails the same way); at most `budget` candidates are judged. Rounds
 * repeat until one keeps nothing: a removal can make another possible.
 */
export function deletionPass(start: Scenario, judge: (s: Scenario) => Probe, budget: number, opts: { pin?: boolean } = {}): DeletionResult {
  let cur = start;
  let issued: Probe['issuedAt'];
  let tries = 0;
  let kept = 0;
  const tryOne = (cand: Scenario): boolean => {
    tries++;
    const p = judge(cand);
    if (!p.fails) return false;
    cur = cand;
    issued = p.issuedAt;
    kept++;
    return true;
  };
  const attempt = (cand: Scenario): boolean => tries < budget && weight(cand) < weight(cur) && tryOne(cand);
  const pin = opts.pin !== false;
  for (let progress = true; progress && tries < budget; ) {
    progress = false;
    // Ops pinned to when the last failing run issued them: the same run, a sturdier base for removals.
    if (pin && tries < budget) {
      if (issued === undefined) {
        tries++;
        issued = judge(cur).issuedAt;
      }
      const pinned = issued ? pinTimes(cur, issued) : cur;
      if (!samePins(pinned, cur)) tryOne(pinned);
    }
    // Faults, from the last: each alone.
    for (let i = cur.faults.length - 1; i >= 0 && tries < budget; i--) if (attempt(withoutFault(cur, i))) progress = true;
    // Whole sessions.
    for (let i = cur.sessions.length - 1; i >= 0 && cur.sessions.length > 1 && tries < budget; i--) if (attempt(withoutSession(cur, i))) progress = true;
    // Chunks of ops in schedule order per session, halves down to single ops; from the end, where ops matter least.
    for (let size = Math.max(1, highestPowerOfTwoBelow(opRefs(cur).length)); size >= 1 && tries < budget; size = size >> 1) {
      let refs = opRefs(cur);
      for (let end = refs.length; end > 0 && tries < budget; ) {
        const from = Math.max(0, end - size);
        if (attempt(withoutOps(cur, refs.slice(from, end)))) {
          progress = true;
          refs = opRefs(cur);
          end = Math.min(from, refs.length);
        } else {
          end = from;
        }
      }
    }
    // Micro-ops of transactions.
    for (const r of opRefs(cur).reverse()) {
      for (let k = (cur.sessions[r.s]?.ops[r.o]?.req.txn.length ?? 0) - 1; k >= 0 && tries < budget; k--) {
        if ((cur.sessions[r.s]?.ops[r.o]?.req.txn.length ?? 0) < 2) break;
        if (attempt(withoutMicroOp(cur, r, k))) progress = true;
      }
    }
  }
  return { scenario: cur, tries, kept };
}

/** The largest power of two strictly below n (n ≥ 2), else 1. */
function highestPowerOfTwoBelow(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}
