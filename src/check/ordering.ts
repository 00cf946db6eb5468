/**
 * Ordering guarantees. A replica that replays a primary's log (PostgreSQL
 * streaming replication, MySQL binlog replication, a Debezium sink applying a
 * source's change stream in order) may lag, but what it shows must be a prefix
 * of the primary's commit order: no gaps, no reordering, nothing extra.
 */
import type { FinalEntry, History, ModelEventEntry, Value } from '../history/types.js';
import {
  type Authority,
  type Operation,
  type WriteRecord,
  findCommitted,
  opEntries,
  type LogEntry,
  type NodeReplay,
  type ObservedRead,
  type Version,
  externalReads,
  fmtMs,
  fmtValue,
  placeRead,
  replayLogs,
} from '../history/ops.js';
import { abortsOf, accountsFor, authorityOf, coreOf, finalsOf, opsOf, writeIndexOf, writesOf } from './views.js';
import type { CheckOptions, Violation } from './types.js';
import { type UniqueWrite, type WriteIndex, explainedAfter, precedes } from './evidence.js';

/** Per-node progress through the authority's order while replaying. */
interface PrefixState {
  /** Number of authority entries seen so far, in order. */
  known: number;
  /** Last entry that is not in the authority's order (a divergent tail), if any. */
  foreign?: LogEntry;
  broken: boolean;
}

/**
 * 'committed-prefix': at every change of every node's visible log, the entries
 * the authority also committed form a gap-free, duplicate-free prefix of the
 * authority's order, and entries it never committed (a branch that failover
 * discarded) only trail at the end; at the final entry a live node shows no
 * such entries at all. At most one violation per node: the first break.
 *
 * Judged from the final states first (see finalStateBreak): a live node that
 * ends holding a write the authority neither holds nor overwrote, or a write
 * without one acknowledged before it was invoked, is no prefix — whatever its
 * events say. The events then find breaks the final state hides (mid-run gaps,
 * duplicates, unrewound branches), where they account for what the authority
 * and the node hold.
 */
export function checkCommittedPrefix(history: History, _options: CheckOptions = {}): Violation[] {
  const auth = authorityOf(history);
  if (!auth) return [];
  const aborts = abortsOf(history);
  const states = new Map<string, PrefixState>();
  const out = new Map<string, Violation>();
  const trusted = accountsFor(history, auth.final);
  const finals = new Map(finalsOf(history).map((f) => [f.node, f]));
  const usable = (node: string): boolean => {
    const f = finals.get(node);
    return trusted && (f === undefined || !f.alive || accountsFor(history, f));
  };
  const replays = replayLogs(coreOf(history), (replay, cause) => {
    if (!usable(replay.node)) return;
    const s = states.get(replay.node) ?? { known: 0, broken: false };
    states.set(replay.node, s);
    if (s.broken) return;
    const v = cause.name === 'txn.commit' || cause.name === 'apply'
      ? checkAppend(auth, replay, s, aborts)
      : (recount(auth, replay, s), undefined);
    if (v) { s.broken = true; out.set(replay.node, v); }
  });
  for (const r of replays.values()) {
    if (!usable(r.node) || states.get(r.node)?.broken) continue;
    const v = checkFinalExtras(auth, r, aborts);
    if (v) out.set(r.node, v);
  }
  const ops = opsOf(history);
  const index = writeIndexOf(history);
  const values = writesOf(history);
  for (const f of finals.values()) {
    if (out.has(f.node) || !f.alive || f.node === auth.node) continue;
    const v = finalStateBreak(auth, f, index, values, trusted);
    if (v) out.set(f.node, v);
  }
  for (const op of ops) {
    if (out.has(op.node)) continue;
    const v = uncommittedRead(op, values);
    if (v) out.set(op.node, v);
  }
  return [...out.values()];
}

function checkAppend(auth: Authority, replay: NodeReplay, s: PrefixState, aborts: Aborts): Violation | undefined {
  const entry = replay.log[replay.log.length - 1]!;
  const idx = auth.indexByXid.get(entry.xid);
  if (idx === undefined) { s.foreign = entry; return undefined; }
  // The order is the authority's log order. A primary may show its own commits
  // (`txn.commit`) in another, as PostgreSQL backends leave the ProcArray; what a
  // node replays (`apply`) must follow it.
  // So a commit the authority has, shown after a later-logged one of the same
  // primary that the authority lacks, is that reorder, not a divergent branch.
  if (entry.event.name === 'txn.commit' && (!s.foreign || shownBefore(s.foreign, entry))) { s.known += 1; return undefined; }
  if (idx < s.known) return duplicate(replay, entry);
  if (s.foreign) return onForeign(auth, entry, s.foreign, aborts);
  if (idx > s.known) return gap(auth, entry, auth.log[s.known]!);
  s.known += 1;
  return undefined;
}

/** `earlier` is a commit the same primary logged after `entry` on its timeline but showed first. */
function shownBefore(earlier: LogEntry, entry: LogEntry): boolean {
  return earlier.event.name === 'txn.commit' && earlier.timeline === entry.timeline && earlier.lsn > entry.lsn;
}

/** After a rewind or recover truncated the log, recount from what is left. */
function recount(auth: Authority, replay: NodeReplay, s: PrefixState): void {
  s.known = 0;
  delete s.foreign;
  for (const e of replay.log) {
    if (auth.indexByXid.has(e.xid)) s.known += 1;
    else s.foreign = e;
  }
}

type Aborts = Map<string, ModelEventEntry>;

/** Why an entry is not in the authority's order: rolled back, or a branch the authority never had. */
function notCommitted(auth: Authority, e: LogEntry, aborts: Aborts): string {
  const abort = aborts.get(e.xid);
  return abort ? `which node ${abort.node} rolled back at ${fmtMs(abort.t)}` : `which authority ${auth.node} never committed`;
}

function describe(e: LogEntry): string {
  return `xid ${e.xid} (lsn ${e.lsn}${e.timeline === undefined ? '' : `, timeline ${e.timeline}`})`;
}

function gap(auth: Authority, entry: LogEntry, missing: LogEntry): Violation {
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${entry.node} made ${describe(entry)} visible at ${fmtMs(entry.t)} while ${describe(missing)}, ` +
      `committed before it on authority ${auth.node}, was missing — gap in the committed prefix`,
    witness: [missing.event, entry.event],
    data: { node: entry.node, xid: entry.xid, missingXid: missing.xid },
  };
}

function duplicate(replay: NodeReplay, entry: LogEntry): Violation {
  const first = replay.log.find((e) => e.xid === entry.xid)!;
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${entry.node} made ${describe(entry)} visible a second time at ${fmtMs(entry.t)} ` +
      `(first at ${fmtMs(first.t)}) — duplicate in the committed prefix`,
    witness: [first.event, entry.event],
    data: { node: entry.node, xid: entry.xid },
  };
}

function onForeign(auth: Authority, entry: LogEntry, foreign: LogEntry, aborts: Aborts): Violation {
  const why = aborts.has(foreign.xid) ? 'not a prefix' : 'divergent history was not rewound, not a prefix';
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${entry.node} made ${describe(entry)} visible at ${fmtMs(entry.t)} on top of ${describe(foreign)}, ` +
      `${notCommitted(auth, foreign, aborts)} — ${why}`,
    witness: [foreign.event, entry.event],
    data: { node: entry.node, xid: entry.xid, foreignXid: foreign.xid },
  };
}

function checkFinalExtras(auth: Authority, r: NodeReplay, aborts: Aborts): Violation | undefined {
  if (!r.final?.alive) return undefined;
  const extra = r.log.find((e) => !auth.indexByXid.has(e.xid));
  if (!extra) return undefined;
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${r.node} ends the run with ${describe(extra)} visible (since ${fmtMs(extra.t)}), ` +
      `${notCommitted(auth, extra, aborts)} — extra entry beyond the committed prefix`,
    witness: [extra.event, r.final],
    data: { node: r.node, xid: extra.xid },
  };
}

// ───────────── committed-prefix from the final states ─────────────

/**
 * A live node's final state against the authority's, black-box:
 * - extra: it holds a client's unique value that the authority does not hold
 *   and that no write which may follow it replaced there — a write outside
 *   the committed order (rolled back, overwritten inside its transaction, or
 *   lost on the authority);
 * - gap: it holds a committed write W2 but, for a write W1 acknowledged before
 *   W2 was invoked and committed on the authority, a value of W1's key that no
 *   write which may follow W1 produced — W1 is missing below W2.
 * Committed on the authority means it holds the value, or (events accounting
 * for its data) its log has the transaction; those events also clear a pair
 * whose order they show reversed.
 */
function finalStateBreak(auth: Authority, f: FinalEntry, index: WriteIndex, values: Map<Value, WriteRecord>,
  trusted: boolean): Violation | undefined {
  const authData = auth.final.view.data;
  const held: UniqueWrite[] = [];
  for (const [k, v] of Object.entries(f.view.data)) {
    const w = values.get(v);
    if (!w || w.key !== k) continue; // a value no client chose (computed, preloaded): nothing to name
    const replaced = authData[k] !== v;
    if (replaced && (w.op.req.end === 'rollback' || !w.final || !explainedAfter(index, k, authData[k] ?? null, w.op))) {
      return extraValue(auth, f, w);
    }
    const u = index.byValue.get(v);
    if (u && u.key === k) held.push(u);
  }
  const committed = (w: UniqueWrite): boolean =>
    authData[w.key] === w.value || (trusted && findCommitted(auth, w.op) !== undefined);
  for (const w2 of held) {
    if (!committed(w2)) continue;
    for (const w1 of index.byValue.values()) {
      if (w1.key === w2.key || w1.op.status !== 'ok' || !precedes(w1.op, w2.op) || !committed(w1)) continue;
      const has = f.view.data[w1.key] ?? null;
      if (has === w1.value || explainedAfter(index, w1.key, has, w1.op)) continue;
      if (trusted && reversed(auth, w1.op, w2.op)) continue;
      return missingBelow(auth, f, w1, w2);
    }
  }
  return undefined;
}

/**
 * A read that returned a value no commit order can hold: written by a
 * transaction that rolled back, or overwritten inside its own transaction
 * before it committed. The serving node made an entry outside every committed
 * order visible — not a discarded branch of a failover, which holds only
 * committed transactions.
 */
function uncommittedRead(op: Operation, values: Map<Value, WriteRecord>): Violation | undefined {
  for (const r of externalReads(op)) {
    const w = r.value === null ? undefined : values.get(r.value);
    if (!w || w.key !== r.key || w.op === op || (w.op.req.end !== 'rollback' && w.final)) continue;
    const why = w.op.req.end === 'rollback' ? 'whose transaction rolled back' : 'which its own transaction overwrote before committing';
    return {
      guarantee: 'committed-prefix',
      sentence: `node ${op.node} served ${r.key} = ${fmtValue(r.value)} to session ${op.session} at ${fmtMs(op.completeT!)}, written by ` +
        `session ${w.op.session} at ${fmtMs(w.op.invokeT)} ${why} — an entry outside the committed order became visible`,
      witness: [...opEntries(w.op), ...opEntries(op)],
      data: { node: op.node, key: r.key, value: r.value, op: op.id, writerOp: w.op.id, evidence: 'observed' },
    };
  }
  return undefined;
}

function reversed(auth: Authority, first: Operation, second: Operation): boolean {
  const a = findCommitted(auth, first);
  const b = findCommitted(auth, second);
  return a !== undefined && b !== undefined && auth.log.indexOf(a) > auth.log.indexOf(b);
}

function extraValue(auth: Authority, f: FinalEntry, w: WriteRecord): Violation {
  const why = w.op.req.end === 'rollback' ? 'which its transaction rolled back'
    : !w.final ? 'which its own transaction overwrote before committing'
      : `which authority ${auth.node} does not hold (it holds ${fmtValue(auth.final.view.data[w.key])}) and no later write replaced`;
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${f.node} ends the run holding ${w.key} = ${fmtValue(w.value)}, written by session ${w.op.session} ` +
      `at ${fmtMs(w.op.invokeT)}, ${why} — extra write beyond the committed prefix`,
    witness: [...opEntries(w.op), auth.final, f],
    data: { node: f.node, key: w.key, value: w.value, op: w.op.id, evidence: 'final-state' },
  };
}

function missingBelow(auth: Authority, f: FinalEntry, w1: UniqueWrite, w2: UniqueWrite): Violation {
  return {
    guarantee: 'committed-prefix',
    sentence: `node ${f.node} ends the run holding ${w2.key} = ${fmtValue(w2.value)} (written from ${fmtMs(w2.op.invokeT)}) but ` +
      `${w1.key} = ${fmtValue(f.view.data[w1.key])}, neither ${fmtValue(w1.value)} nor a later write, although ${fmtValue(w1.value)} was acknowledged at ` +
      `${fmtMs(w1.op.completeT!)} before that write began and is committed on authority ${auth.node} — gap in the committed prefix`,
    witness: [...opEntries(w1.op), ...opEntries(w2.op), auth.final, f],
    data: { node: f.node, key: w1.key, missing: w1.value, above: w2.value, evidence: 'final-state' },
  };
}

/** One observed read placed at one version of the commit order. */
interface PlacedRead {
  read: ObservedRead;
  version: Version;
  /** Index of the next version of the same key (Infinity when none). */
  nextIndex: number;
  next?: Version;
}

/**
 * 'consistent-prefix': a transaction that reads several keys must observe the
 * state after some prefix of the authority's commit order. With read versions
 * at indexes i_k and the next versions of those keys at n_k, some prefix p with
 * max(i_k) ≤ p < min(n_k) must exist. A read that several versions could
 * explain (a repeated computed value) may take any of them: the transaction
 * breaks the guarantee only when no choice leaves a prefix. Reads of values
 * absent from the order are left to the rollback and durability checkers.
 */
export function checkConsistentPrefix(history: History, _options: CheckOptions = {}): Violation[] {
  const auth = authorityOf(history);
  if (!auth) return [];
  const out: Violation[] = [];
  for (const op of opsOf(history)) {
    const options = externalReads(op).map((r) => place(auth, r));
    if (options.length < 2 || options.some((o) => o.length === 0)) continue;
    if (somePrefix(options)) continue;
    // No choice works, so any one shows the break: each read's newest version.
    const v = prefixBreak(options.map((o) => o[o.length - 1]!));
    const ambiguous = options.filter((o) => o.length > 1).flat().map((p) => p.version.xid);
    if (v) out.push(ambiguous.length === 0 ? v : { ...v, data: { ...v.data, ambiguous: true, candidateXids: ambiguous } });
  }
  return out;
}

/** Each version the read could have observed, with the next version of its key. */
function place(auth: Authority, read: ObservedRead): PlacedRead[] {
  const versions = placeRead(auth, read)?.versions ?? [];
  const all = auth.versions.get(read.key) ?? [];
  return versions.map((version) => {
    const next = all.find((v) => v.index > version.index);
    return { read, version, nextIndex: next ? next.index : Infinity, ...(next ? { next } : {}) };
  });
}

/**
 * True when one version per read leaves a common prefix. The intervals
 * [index, nextIndex) of one choice intersect from the largest start, which is
 * some candidate's start, so trying every candidate start as p suffices.
 */
function somePrefix(options: PlacedRead[][]): boolean {
  const starts = options.flat().map((p) => p.version.index);
  return starts.some((s) => options.every((o) => o.some((p) => p.version.index <= s && s < p.nextIndex)));
}

function prefixBreak(placed: PlacedRead[]): Violation | undefined {
  const newest = placed.reduce((a, b) => (b.version.index > a.version.index ? b : a));
  const stale = placed.reduce((a, b) => (b.nextIndex < a.nextIndex ? b : a));
  if (newest.version.index < stale.nextIndex || !stale.next) return undefined;
  const op = newest.read.op;
  const witness = [op.invoke, op.completion!, newest.version.commitEvent, stale.next.commitEvent]
    .filter((e): e is NonNullable<typeof e> => e !== undefined);
  return {
    guarantee: 'consistent-prefix',
    sentence: `session ${op.session} read from node ${op.node} at ${fmtMs(op.invokeT)} and saw ` +
      `${newest.read.key}=${fmtValue(newest.read.value)} (xid ${newest.version.xid}) but ` +
      `${stale.read.key}=${fmtValue(stale.read.value)}, which xid ${stale.next.xid} had already replaced with ` +
      `${fmtValue(stale.next.value)} earlier in the commit order — no prefix shows both, consistent prefix broken`,
    witness: dedupe(witness),
    data: { op: op.id, keys: [newest.read.key, stale.read.key], xids: [newest.version.xid, stale.next.xid] },
  };
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

