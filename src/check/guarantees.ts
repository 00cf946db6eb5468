/**
 * The guarantee table: the one place a guarantee is defined. Each row names
 * the guarantee, the kind of system it applies to, its property family, its
 * checker, default checker options, how it is judged, and what a run must
 * contain for the checker to judge it at all.
 *
 * "Could not judge" is a verdict: a checker whose evidence is missing (no
 * authority, no read, no acknowledged write, no sink …) would report nothing,
 * and nothing is not "held". `judgeable` says why instead, and the judge,
 * `replicheck run` and the report carry that reason.
 *
 * Everything else — GUARANTEE_IDS, GUARANTEE_FAMILIES, CHECKERS, the property
 * families, report column names — is derived from this table.
 */
import { externalReads, isWriteOp, type Operation } from '../history/ops.js';
import type { History } from '../history/types.js';
import type { StalenessBound } from '../sim/types.js';
import { checkConvergence } from './convergence.js';
import { checkDurability, checkLosslessFailover } from './durability.js';
import { checkCommittedPrefix, checkConsistentPrefix } from './ordering.js';
import { checkNoLongFork } from './long-fork.js';
import {
  checkDiscardedBranch,
  checkIndeterminateAgreement,
  checkNoAbortedRead,
  checkNoIntermediateRead,
  checkReplayIdempotent,
} from './rollback.js';
import { checkMonotonicReads, checkMonotonicWrites, checkReadYourWrites, checkWritesFollowReads } from './session.js';
import { checkBoundedStaleness } from './staleness.js';
import { checkLinearizablePrimaryReads } from './lin-guarantee.js';
import {
  checkCompleteness,
  checkDeletePropagation,
  checkExactlyOnce,
  checkPerKeyOrder,
  checkSinkConvergence,
  checkSnapshotHandover,
} from './cdc.js';
import { checkSinkTransactionAtomicity, sinkTxnJudgeable } from './cdc-txn.js';
import { checkMigrationNoLoss, checkReadAfterCutover, checkTargetEqualsSource } from './migration.js';
import {
  checkLwwConvergence, checkLwwDurability, checkLwwReadLatest, checkLwwRealTimeOrder, checkLwwSinkConvergence, checkLwwStrictQuorum,
  checkReadLatest, clockAnomaly, lwwAckedWrite, lwwOrderedWrites, lwwReadAfterAck, lwwReplicas, lwwSinkPresent, lwwSourceReplica,
  lwwStrictQuorumJudgeable,
} from './lww.js';
import type { Checker, CheckerTable, CheckOptions, Violation } from './types.js';
import { coreOf, dataNodesOf, faultOutsideOf, finalsOf, opsOf } from './views.js';

/** The kind of system a guarantee makes sense for (reports measure a model on its own kind). */
export type GuaranteeSystem = 'replication' | 'cdc' | 'migration' | 'leaderless';

/** Why a run cannot judge a guarantee, or undefined when it can. */
export type Judgeable = (history: History, options: CheckOptions) => string | undefined;

export interface GuaranteeDef {
  id: string;
  system: GuaranteeSystem;
  /** Property family (properties/families.ts): a group a test can target. */
  family: string;
  /** Column name in the terminal matrix (at most 9 characters). */
  short: string;
  checker: Checker;
  /**
   * The options it is *measured* with (unclaimed), given the caller's — e.g.
   * bounded staleness at K = 0 when no bound is given. A claim is judged with
   * the options it is given, never with invented ones.
   */
  measureWith?: (options: CheckOptions) => CheckOptions;
  /** Fault kinds a claim tolerates when it names none (undefined: every fault). */
  tolerates?: readonly string[];
  /** How it is judged: the evidence it reads, in words. */
  evidence: string;
  judgeable: Judgeable;
}

// ───────────────────────────── evidence ─────────────────────────────

/** What a history offers the checkers, computed once per history. */
interface Evidence {
  authority: boolean;
  ops: Operation[];
  /** Live data nodes at the end, and whether any node ever held data. */
  liveDataNodes: number;
  anyData: boolean;
  sinks: boolean;
  /** A CDC connector reported an unknown gap and stopped (cdc.failed): its reason. */
  cdcFailed: string | undefined;
  cutover: boolean;
  aborts: boolean;
}

const cache = new WeakMap<History, Evidence>();

function evidence(h: History): Evidence {
  const hit = cache.get(h);
  if (hit) return hit;
  const ev: Evidence = { authority: false, ops: opsOf(h), liveDataNodes: 0, anyData: false, sinks: false, cdcFailed: undefined, cutover: false, aborts: false };
  for (const e of coreOf(h)) {
    if (e.type === 'final') {
      if (e.alive && e.view.role === 'primary') ev.authority = true;
      if (Object.keys(e.view.data).length > 0) ev.anyData = true;
    } else if (e.type === 'event') {
      if (e.name === 'cdc.sink') ev.sinks = true;
      else if (e.name === 'cdc.failed') ev.cdcFailed ??= String(e.data?.['reason'] ?? 'an unknown gap');
      else if (e.name === 'migration.cutover') ev.cutover = true;
      else if (e.name === 'txn.abort') ev.aborts = true;
      else if (STATE_EVENTS.has(e.name)) ev.anyData = true;
    }
  }
  cache.set(h, ev);
  return ev;
}

const STATE_EVENTS = new Set(['txn.commit', 'apply', 'cdc.apply', 'migration.apply']);

const NO_AUTHORITY = "no authority: no live node ends the run with role 'primary'";

/** LWW guarantees judge stores without a primary; a run with one is judged by the authority's order instead. */
const leaderless = (ev: Evidence) => (ev.authority ? "a live node ends the run with role 'primary': last-write-wins guarantees judge leaderless stores" : undefined);

/** Compose preconditions: the first reason wins. */
function all(...rules: ((ev: Evidence, h: History, o: CheckOptions) => string | undefined)[]): Judgeable {
  return (h, o) => {
    const ev = evidence(h);
    for (const r of rules) {
      const why = r(ev, h, o);
      if (why !== undefined) return why;
    }
    return undefined;
  };
}

const authority = (ev: Evidence) => (ev.authority ? undefined : NO_AUTHORITY);

const ackedWrite = (ev: Evidence) => (ev.ops.some(isAckedWrite) ? undefined : 'no write was acknowledged');

const anyRead = (ev: Evidence) => (ev.ops.some((op) => externalReads(op).length > 0) ? undefined : 'no read of any key returned a value');

const readValue = (ev: Evidence) =>
  ev.ops.some((op) => externalReads(op).some((r) => r.value !== null)) ? undefined : 'no read returned a written value';

function isAckedWrite(op: Operation): boolean {
  return op.status === 'ok' && isWriteOp(op);
}

function convergenceNodes(ev: Evidence, h: History, o: CheckOptions): string | undefined {
  if (!ev.anyData) return 'no node ever held data';
  const nodes = dataNodesOf(h, o.dataNodes);
  const live = finalsOf(h).filter((e) => e.alive && nodes.has(e.node)).length;
  return live >= 2 ? undefined : `fewer than two live data nodes at the end (${live})`;
}

/** Some session read a key in two different operations. */
function sessionReadTwice(ev: Evidence): string | undefined {
  const seen = new Set<string>();
  for (const op of ev.ops) {
    const keys = new Set(externalReads(op).map((r) => `${op.session}\u0000${r.key}`));
    for (const k of keys) {
      if (seen.has(k)) return undefined;
      seen.add(k);
    }
  }
  return 'no session read the same key twice';
}

/** Some session read a key after its own acknowledged write to it. */
function readAfterOwnWrite(ev: Evidence): string | undefined {
  const written = new Map<string, number>(); // session+key → earliest acknowledgement
  for (const op of ev.ops) {
    if (isAckedWrite(op)) {
      for (const m of op.txn) {
        const id = `${op.session}\u0000${m.k}`;
        if (m.f !== 'r' && !written.has(id)) written.set(id, op.completeT ?? Infinity);
      }
    }
  }
  const hit = ev.ops.some((op) => externalReads(op).some((r) => op.invokeT >= (written.get(`${op.session}\u0000${r.key}`) ?? Infinity)));
  return hit ? undefined : 'no session read a key after its own acknowledged write to it';
}

function sessionWroteTwice(ev: Evidence): string | undefined {
  const count = new Map<string, number>();
  for (const op of ev.ops) {
    if (!isAckedWrite(op)) continue;
    const n = (count.get(op.session) ?? 0) + 1;
    if (n >= 2) return undefined;
    count.set(op.session, n);
  }
  return 'no session had two writes acknowledged';
}

function writeAfterRead(ev: Evidence): string | undefined {
  const readers = new Set<string>();
  for (const op of ev.ops) {
    if (externalReads(op).length > 0) readers.add(op.session);
    if (isAckedWrite(op) && readers.has(op.session)) return undefined;
  }
  return 'no session wrote after reading';
}

function multiKeyRead(ev: Evidence): string | undefined {
  return ev.ops.some((op) => new Set(externalReads(op).map((r) => r.key)).size >= 2) ? undefined : 'no transaction read two or more keys';
}

function abortedWrite(ev: Evidence): string | undefined {
  if (ev.aborts) return undefined;
  const hit = ev.ops.some((op) => (op.status === 'fail' || op.req.end === 'rollback') && op.txn.some((m) => m.f === 'w'));
  return hit ? undefined : 'no write was rolled back or failed, so no aborted value could be read';
}

function intermediateWrite(ev: Evidence): string | undefined {
  const hit = ev.ops.some((op) => op.status !== 'fail' && op.req.end === 'commit' &&
    op.txn.some((m, i) => m.f === 'w' && op.txn.slice(i + 1).some((l) => l.f !== 'r' && l.k === m.k)));
  return hit ? undefined : 'no transaction overwrote its own write, so no intermediate value existed';
}

function indeterminateWrite(ev: Evidence): string | undefined {
  const hit = ev.ops.some((op) => op.status === 'info' && op.req.end === 'commit' && op.txn.some((m) => m.f === 'w'));
  return hit ? undefined : 'no write ended indeterminate (info)';
}

/**
 * Some operation the linearizability check takes in (a primary session's, or
 * any write) observed a value: a read, or an update that returns what it computed.
 */
function observedForLin(ev: Evidence, h: History): string | undefined {
  const meta = h.find((e) => e.type === 'meta');
  const sessions = meta?.type === 'meta' ? (meta.scenario as { sessions?: { id: string; policy: string }[] } | undefined)?.sessions : undefined;
  const primary = new Set((sessions ?? []).filter((s) => s.policy === 'primary').map((s) => s.id));
  const hit = ev.ops.some((op) => (primary.has(op.session) || op.txn.some((m) => m.f !== 'r'))
    && op.txn.some((m) => m.f === 'r' || m.f === 'upd'));
  return hit ? undefined : 'no primary read and no write that read or updated a value, so nothing constrains the order';
}

const noBound = (o: CheckOptions) => o.kMax === undefined && o.tMsMax === undefined;

const sink = (ev: Evidence) => (ev.sinks ? undefined
  : 'no sink: no node announced itself with a cdc.sink event');
/** A pipeline that stopped on an unknown gap (a lost replication slot) said so: what follows is not owed. */
const gapReported = (ev: Evidence) => (ev.cdcFailed !== undefined ? `the connector failed loudly (cdc.failed: ${ev.cdcFailed})` : undefined);
const cutover = (ev: Evidence) => (ev.cutover ? undefined : 'the migration never cut over');

// ───────────────────────────── the table ─────────────────────────────

const FINAL_STATES = 'final views of every live node against the authority';

export const GUARANTEES = [
  {
    id: 'convergence', system: 'replication', family: 'consistency', short: 'conv', checker: checkConvergence,
    evidence: `after the quiet phase, ${FINAL_STATES}; needs an authority, two live data nodes and some data`,
    judgeable: all(authority, convergenceNodes),
  },
  {
    id: 'committed-prefix', system: 'replication', family: 'ordering', short: 'c-prefix', checker: checkCommittedPrefix,
    evidence: "every node's visible log at every change against the authority's commit order",
    judgeable: all(authority),
  },
  {
    id: 'consistent-prefix', system: 'replication', family: 'ordering', short: 'cons-pfx', checker: checkConsistentPrefix,
    evidence: "multi-key reads placed in the authority's commit order",
    judgeable: all(authority, multiKeyRead),
  },
  {
    id: 'no-long-fork', system: 'replication', family: 'ordering', short: 'long-fork', checker: checkNoLongFork,
    evidence: 'pairs of multi-key reads, each value placed by the acknowledged commit position of its write',
    judgeable: all(multiKeyRead),
  },
  {
    id: 'no-aborted-read', system: 'replication', family: 'rollback', short: 'no-abort', checker: checkNoAbortedRead,
    evidence: 'reads, visible logs and final views against the values of rolled-back or failed writes',
    judgeable: all(abortedWrite),
  },
  {
    id: 'no-intermediate-read', system: 'replication', family: 'rollback', short: 'no-inter', checker: checkNoIntermediateRead,
    evidence: 'reads, visible logs and final views against values a transaction overwrote before committing',
    judgeable: all(intermediateWrite),
  },
  {
    id: 'discarded-branch', system: 'replication', family: 'rollback', short: 'discard', checker: checkDiscardedBranch,
    evidence: "final views against writes made visible off the authority's commit order",
    judgeable: all(authority),
  },
  {
    id: 'indeterminate-agreement', system: 'replication', family: 'rollback', short: 'indet', checker: checkIndeterminateAgreement,
    evidence: 'final visible logs of live data nodes for each indeterminate (info) write',
    judgeable: all(indeterminateWrite),
  },
  {
    id: 'replay-idempotent', system: 'replication', family: 'rollback', short: 'idempot', checker: checkReplayIdempotent,
    evidence: "each node's re-applied transactions and its final view against its own visible log",
    judgeable: all((ev) => (ev.anyData ? undefined : 'no node ever held data')),
  },
  {
    id: 'durability', system: 'replication', family: 'durability', short: 'durable', checker: checkDurability,
    evidence: "acknowledged writes against the authority's final commit order",
    judgeable: all(authority, ackedWrite),
  },
  {
    id: 'lossless-failover', system: 'replication', family: 'durability', short: 'lossless', checker: checkLosslessFailover,
    evidence: "values read from a primary against the authority's final commit order",
    judgeable: all(authority, readValue),
  },
  {
    id: 'read-your-writes', system: 'replication', family: 'session', short: 'ryw', checker: checkReadYourWrites,
    evidence: "each session's reads against its own earlier acknowledged writes, in the authority's order",
    judgeable: all(authority, readAfterOwnWrite),
  },
  {
    id: 'monotonic-reads', system: 'replication', family: 'session', short: 'mono-r', checker: checkMonotonicReads,
    evidence: "each session's successive reads of a key, in the authority's order",
    judgeable: all(authority, sessionReadTwice),
  },
  {
    id: 'monotonic-writes', system: 'replication', family: 'session', short: 'mono-w', checker: checkMonotonicWrites,
    evidence: "each session's acknowledged writes, in the authority's order",
    judgeable: all(authority, sessionWroteTwice),
  },
  {
    id: 'writes-follow-reads', system: 'replication', family: 'session', short: 'wfr', checker: checkWritesFollowReads,
    evidence: "each session's writes against the versions it read before, in the authority's order",
    judgeable: all(authority, writeAfterRead),
  },
  {
    id: 'bounded-staleness', system: 'replication', family: 'staleness', short: 'bounded', checker: checkBoundedStaleness,
    measureWith: (o) => (noBound(o) ? { ...o, kMax: 0 } : o),
    evidence: "versions behind and time behind of every read, in the authority's order, against the bound in the " +
      'check options (kMax, tMsMax); measured at K = 0',
    judgeable: all((_ev, _h, o) => (noBound(o) ? 'no staleness bound given (check options kMax or tMsMax)' : undefined), authority, anyRead),
  },
  {
    id: 'linearizable-primary-reads', system: 'replication', family: 'linearizability', short: 'lin-prim',
    checker: checkLinearizablePrimaryReads,
    evidence: "primary sessions' operations and every write, as one register per key",
    judgeable: all(observedForLin),
  },
  {
    id: 'sink-convergence', system: 'cdc', family: 'cdc', short: 'sink-conv', checker: checkSinkConvergence,
    evidence: "each sink's final view against transform(source's final data)",
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'per-key-order', system: 'cdc', family: 'cdc', short: 'key-order', checker: checkPerKeyOrder,
    evidence: "each sink's applied changes per key against the source's commit order",
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'completeness', system: 'cdc', family: 'cdc', short: 'complete', checker: checkCompleteness,
    evidence: "each sink's applied changes against the source's commits after the snapshot point",
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'exactly-once', system: 'cdc', family: 'cdc', short: 'exactly-1', checker: checkExactlyOnce,
    evidence: "each sink's applied changes, counted per source position",
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'delete-propagation', system: 'cdc', family: 'cdc', short: 'deletes', checker: checkDeletePropagation,
    evidence: "each sink's final view against the source's deletes",
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'snapshot-handover', system: 'cdc', family: 'cdc', short: 'snapshot', checker: checkSnapshotHandover,
    evidence: 'source changes between the snapshot point and the stream start against what was published',
    judgeable: all(authority, sink, gapReported),
  },
  {
    id: 'sink-transaction-atomicity', system: 'cdc', family: 'cdc', short: 'sink-txn', checker: checkSinkTransactionAtomicity,
    evidence: "multi-key reads served by sinks (identity or derive cells), each value placed among its key's source versions, against the source transactions clients acknowledged",
    judgeable: all(authority, sink, gapReported, (_ev, h) => sinkTxnJudgeable(h)),
  },
  {
    id: 'migration-target-equals-source', system: 'migration', family: 'migration', short: 'mig-equal',
    checker: checkTargetEqualsSource,
    evidence: "the target's final view against the source's on keys no client wrote on the target (events narrow: its rows at cut-over against the source's log up to the freeze position)",
    judgeable: all(cutover),
  },
  {
    id: 'migration-no-loss', system: 'migration', family: 'migration', short: 'mig-loss', checker: checkMigrationNoLoss,
    evidence: "every acknowledged write against the target's final view (events narrow: the target at cut-over)",
    judgeable: all(cutover),
  },
  {
    id: 'migration-read-after-cutover', system: 'migration', family: 'migration', short: 'mig-read',
    checker: checkReadAfterCutover,
    evidence: 'values read from the target against writes the source acknowledged before each read began',
    judgeable: all(cutover),
  },
  {
    id: 'lww-convergence', system: 'leaderless', family: 'leaderless', short: 'lww-conv', checker: checkLwwConvergence,
    evidence: 'after the quiet phase, the final views of every live replica of each key (no authority needed)',
    judgeable: all(leaderless, (_ev, h) => lwwReplicas(h)),
  },
  {
    id: 'lww-durability', system: 'leaderless', family: 'leaderless', short: 'lww-dur', checker: checkLwwDurability,
    evidence: "acknowledged writes' timestamps (commit.lsn) against each live replica's final value, in the LWW order",
    judgeable: all(leaderless, (_ev, h) => lwwAckedWrite(h)),
  },
  {
    id: 'lww-read-latest', system: 'leaderless', family: 'leaderless', short: 'lww-read', checker: checkLwwReadLatest,
    evidence: 'the write each read returned (by its value) against the timestamps of writes acknowledged before the read began',
    judgeable: all(leaderless, (_ev, h) => lwwReadAfterAck(h)),
  },
  {
    id: 'read-latest', system: 'leaderless', family: 'leaderless', short: 'rd-latest', checker: checkReadLatest,
    evidence: 'each read against the writes acknowledged before it began, in real time; judged only with exact clocks',
    judgeable: all(leaderless, (_ev, h) => clockAnomaly(h), (_ev, h) => lwwReadAfterAck(h)),
  },
  {
    id: 'lww-real-time-order', system: 'leaderless', family: 'leaderless', short: 'lww-rt', checker: checkLwwRealTimeOrder,
    evidence: "acknowledged writes' timestamps against their real-time order (a later write must not lose)",
    judgeable: all(leaderless, (_ev, h) => lwwOrderedWrites(h)),
  },
  {
    id: 'lww-strict-quorum', system: 'leaderless', family: 'leaderless', short: 'lww-sq', checker: checkLwwStrictQuorum,
    evidence: "each replica's store (its visible state folded from its apply events) when a write's acknowledgement reached the client: W of the key's own replicas hold it",
    judgeable: all(leaderless, (_ev, h) => lwwStrictQuorumJudgeable(h)),
  },
  {
    id: 'lww-sink-convergence', system: 'leaderless', family: 'leaderless', short: 'lww-sink', checker: checkLwwSinkConvergence,
    evidence: "each sink's table as read through its transformation against the replicas' final last-write-wins views",
    judgeable: all(leaderless, (_ev, h) => lwwSinkPresent(h), (_ev, h) => lwwSourceReplica(h)),
  },
] as const satisfies readonly GuaranteeDef[];

export type GuaranteeId = (typeof GUARANTEES)[number]['id'];

/** Every guarantee id the checkers know, in table order. */
export const GUARANTEE_IDS: readonly GuaranteeId[] = GUARANTEES.map((g) => g.id);

const BY_ID: ReadonlyMap<string, GuaranteeDef> = new Map(GUARANTEES.map((g) => [g.id, g as GuaranteeDef]));

/** Guarantee ids by the kind of system they make sense for. */
export const GUARANTEE_FAMILIES: Readonly<Record<GuaranteeSystem, readonly GuaranteeId[]>> = {
  replication: idsWhere((g) => g.system === 'replication'),
  cdc: idsWhere((g) => g.system === 'cdc'),
  migration: idsWhere((g) => g.system === 'migration'),
  leaderless: idsWhere((g) => g.system === 'leaderless'),
};

export const CHECKERS: Readonly<Record<GuaranteeId, Checker>> = Object.fromEntries(
  GUARANTEES.map((g) => [g.id, g.checker]),
) as Record<GuaranteeId, Checker>;

function idsWhere(p: (g: GuaranteeDef) => boolean): GuaranteeId[] {
  return GUARANTEES.filter((g) => p(g)).map((g) => g.id);
}

/** Ids of one property family, in table order. */
export function familyIds(family: string): GuaranteeId[] {
  return idsWhere((g) => g.family === family);
}

export function isGuaranteeId(id: string): id is GuaranteeId {
  return BY_ID.has(id);
}

/** The table row of a guarantee id, or undefined for an id only a family checker knows. */
export function guaranteeDef(id: string): GuaranteeDef | undefined {
  return BY_ID.get(id);
}

/** The checker for a guarantee id; a clear error for an unknown one. */
export function checkerFor(id: string): Checker {
  const def = BY_ID.get(id);
  if (!def) throw new Error(`unknown guarantee '${id}'; known: ${GUARANTEE_IDS.join(', ')}`);
  return def.checker;
}

/** Why this run cannot judge guarantee `id`, or undefined when it can (or nothing is known about `id`). */
export function notJudgeable(history: History, id: string, options: CheckOptions = {}): string | undefined {
  return BY_ID.get(id)?.judgeable(history, options);
}


// ───────────────────────────── judging claims ─────────────────────────────

/** A claimed guarantee as checkAll takes it (compatible with GuaranteeClaim). */
export interface ClaimRef {
  id: string;
  tolerates?: readonly string[];
  bound?: StalenessBound;
}

/** How one claim fared in one run. */
export interface ClaimOutcome {
  id: string;
  /** Why the run could not judge the claim; undefined when it was judged. */
  notJudged?: string;
  violations: number;
}

/**
 * Judge every claim on one history. A claim is not judged when the run
 * injected a fault outside what it tolerates (the promise is not in force) or
 * when the table says its evidence is missing; otherwise its checker runs.
 * Throws on an unknown guarantee id (unless `extra` knows it).
 */
export function judgeClaims(
  history: History,
  claims: readonly ClaimRef[],
  options: CheckOptions = {},
  extra: CheckerTable = {},
): { outcomes: ClaimOutcome[]; violations: Violation[] } {
  const checkers = claims.map((c) => ({ c, check: extra[c.id] ?? checkerFor(c.id), def: BY_ID.get(c.id) }));
  const outcomes: ClaimOutcome[] = [];
  const violations: Violation[] = [];
  for (const { c, check, def } of checkers) {
    const tolerates = c.tolerates ?? def?.tolerates;
    const outside = faultOutsideOf(history, tolerates);
    const opts: CheckOptions = { ...options, ...(tolerates !== undefined ? { tolerates } : {}), ...boundOptions(c.bound) };
    const why = outside && outside.type === 'fault'
      ? `the run injected a fault outside what the claim tolerates (${outside.fault.kind})`
      : def?.judgeable(history, opts);
    if (why !== undefined) {
      outcomes.push({ id: c.id, notJudged: why, violations: 0 });
      continue;
    }
    const vs = check(history, opts);
    outcomes.push({ id: c.id, violations: vs.length });
    violations.push(...vs);
  }
  return { outcomes, violations };
}

/** A claim's own staleness bound as check options (it overrides the caller's). */
function boundOptions(b: StalenessBound | undefined): CheckOptions {
  if (!b) return {};
  return {
    ...(b.kMax !== undefined ? { kMax: b.kMax } : {}),
    ...(b.tMsMax !== undefined ? { tMsMax: b.tMsMax } : {}),
    ...(b.since !== undefined ? { stalenessSince: b.since } : {}),
  };
}

/** The violations of every judged claim (see judgeClaims). */
export function checkAll(
  history: History,
  claims: readonly ClaimRef[],
  options: CheckOptions = {},
  extra: CheckerTable = {},
): Violation[] {
  return judgeClaims(history, claims, options, extra).violations;
}

/** How one guarantee fared in one run, for the guarantee matrix. */
export interface GuaranteeMeasurement {
  id: GuaranteeId;
  /** False when the run cannot judge it; `notJudged` says why. */
  judged: boolean;
  notJudged?: string;
  violations: number;
  /** The first violation's sentence, when any. */
  example?: string;
}

/**
 * Measures guarantees a model does not claim: how often each breaks in this
 * run, regardless of faults, with each guarantee's `measureWith` options
 * (bounded staleness counts stale reads at K = 0 unless a bound is given). Sum over runs for "how often".
 */
export function measureGuarantees(
  history: History,
  ids: readonly GuaranteeId[] = GUARANTEE_IDS,
  options: CheckOptions = {},
): GuaranteeMeasurement[] {
  return ids.map((id) => {
    const def = BY_ID.get(id)!;
    const opts = def.measureWith ? def.measureWith({ ...options, tolerates: undefined }) : { ...options, tolerates: undefined };
    const why = def.judgeable(history, opts);
    if (why !== undefined) return { id, judged: false, notJudged: why, violations: 0 };
    const vs = def.checker(history, opts);
    return { id, judged: true, violations: vs.length, ...(vs[0] ? { example: vs[0].sentence } : {}) };
  });
}
