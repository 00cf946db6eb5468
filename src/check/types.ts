/**
 * Checker contracts and the registry of checkers by guarantee id. A checker is
 * a pure function from a history to violations; each violation names the
 * guarantee, says in one sentence what happened (keys, nodes, sessions, values,
 * true times) and carries the few history entries that prove it.
 */
import type { History, HistoryEntry } from '../history/types.js';
import { faultOutside, findAuthority } from '../history/ops.js';
import { checkConvergence } from './convergence.js';
import { checkDurability, checkLosslessFailover } from './durability.js';
import { checkCommittedPrefix, checkConsistentPrefix } from './ordering.js';
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
import { CDC_CHECKERS } from './cdc.js';
import { MIGRATION_CHECKERS } from './migration.js';

export interface Violation {
  /** Guarantee id, e.g. 'monotonic-reads'. */
  guarantee: string;
  /** One sentence a person understands, naming the anomaly. */
  sentence: string;
  /** The minimal set of history entries that prove it, in history order where it matters. */
  witness: HistoryEntry[];
  /** Machine-readable details (keys, values, op ids, nodes). */
  data?: Record<string, unknown>;
}

/** Options a checker may read; each ignores the ones it does not use. */
export interface CheckOptions {
  /**
   * Fault kinds the claim tolerates ('crash', 'crash:process', 'crash:machine',
   * 'partition', 'pause', 'clog'); undefined = all. Durability checkers report
   * nothing when the run injected a fault outside this set.
   */
  tolerates?: readonly string[];
  /**
   * Nodes that hold replicated data and must converge. Default: nodes that
   * emitted state-changing events or end with data (see dataNodes).
   */
  dataNodes?: readonly string[];
  /** Bounded staleness: most versions a read may lag behind. */
  kMax?: number;
  /** Bounded staleness: longest a read may lag behind, in ms. */
  tMsMax?: number;
}

export type Checker = (history: History, options?: CheckOptions) => Violation[];

/** Checkers a model family brings beyond the registry, by guarantee id (they take precedence). */
export type CheckerTable = Readonly<Record<string, Checker>>;

/** Every guarantee id the checkers know. */
export const GUARANTEE_IDS = [
  'convergence',
  'committed-prefix',
  'consistent-prefix',
  'no-aborted-read',
  'no-intermediate-read',
  'discarded-branch',
  'indeterminate-agreement',
  'replay-idempotent',
  'durability',
  'lossless-failover',
  'read-your-writes',
  'monotonic-reads',
  'monotonic-writes',
  'writes-follow-reads',
  'bounded-staleness',
  'linearizable-primary-reads',
  // change data capture (src/check/cdc.ts)
  'sink-convergence',
  'per-key-order',
  'completeness',
  'exactly-once',
  'delete-propagation',
  'snapshot-handover',
  // online migration (src/check/migration.ts)
  'migration-target-equals-source',
  'migration-no-loss',
  'migration-read-after-cutover',
] as const;

export type GuaranteeId = (typeof GUARANTEE_IDS)[number];

/**
 * Which guarantees make sense for which kind of system: a CDC sink holds
 * transformed data, so primary/replica convergence is meaningless there, and
 * so on. Reports measure a model only on its family's guarantees (plus claims).
 */
export const GUARANTEE_FAMILIES: Readonly<Record<'replication' | 'cdc' | 'migration', readonly GuaranteeId[]>> = {
  replication: GUARANTEE_IDS.slice(0, GUARANTEE_IDS.indexOf('sink-convergence')),
  cdc: ['sink-convergence', 'per-key-order', 'completeness', 'exactly-once', 'delete-propagation', 'snapshot-handover'],
  migration: ['migration-target-equals-source', 'migration-no-loss', 'migration-read-after-cutover'],
};

export const CHECKERS: Readonly<Record<GuaranteeId, Checker>> = {
  'convergence': checkConvergence,
  'committed-prefix': checkCommittedPrefix,
  'consistent-prefix': checkConsistentPrefix,
  'no-aborted-read': checkNoAbortedRead,
  'no-intermediate-read': checkNoIntermediateRead,
  'discarded-branch': checkDiscardedBranch,
  'indeterminate-agreement': checkIndeterminateAgreement,
  'replay-idempotent': checkReplayIdempotent,
  'durability': checkDurability,
  'lossless-failover': checkLosslessFailover,
  'read-your-writes': checkReadYourWrites,
  'monotonic-reads': checkMonotonicReads,
  'monotonic-writes': checkMonotonicWrites,
  'writes-follow-reads': checkWritesFollowReads,
  'bounded-staleness': checkBoundedStaleness,
  'linearizable-primary-reads': checkLinearizablePrimaryReads,
  ...CDC_CHECKERS,
  ...MIGRATION_CHECKERS,
};

export function isGuaranteeId(id: string): id is GuaranteeId {
  return (GUARANTEE_IDS as readonly string[]).includes(id);
}

/** The checker for a guarantee id; a clear error for an unknown one. */
export function checkerFor(id: string): Checker {
  if (!isGuaranteeId(id)) throw new Error(`unknown guarantee '${id}'; known: ${GUARANTEE_IDS.join(', ')}`);
  return CHECKERS[id];
}

/** A claimed guarantee as checkAll takes it (compatible with GuaranteeClaim). */
export interface ClaimRef {
  id: string;
  tolerates?: readonly string[];
}

/**
 * Runs the checker of every claim. A claim whose `tolerates` excludes a fault
 * the run injected is outside its promise and is skipped (measure it instead).
 * Throws on an unknown guarantee id (unless `extra` knows it).
 */
export function checkAll(
  history: History,
  claims: readonly ClaimRef[],
  options: CheckOptions = {},
  extra: CheckerTable = {},
): Violation[] {
  const checkers = claims.map((c) => ({ c, check: extra[c.id] ?? checkerFor(c.id) }));
  return checkers.flatMap(({ c, check }) => {
    if (faultOutside(history, c.tolerates)) return [];
    return check(history, c.tolerates === undefined ? options : { ...options, tolerates: c.tolerates });
  });
}

/** How one guarantee fared in one run, for the guarantee matrix. */
export interface GuaranteeMeasurement {
  id: GuaranteeId;
  /** False when the run cannot judge it (no live primary at the end). */
  judged: boolean;
  violations: number;
  /** The first violation's sentence, when any. */
  example?: string;
}

/**
 * Measures guarantees a model does not claim: how often each breaks in this
 * run, regardless of faults. Bounded staleness without bounds in `options`
 * counts stale reads (kMax 0). Sum over runs for "how often".
 */
export function measureGuarantees(
  history: History,
  ids: readonly GuaranteeId[] = GUARANTEE_IDS,
  options: CheckOptions = {},
): GuaranteeMeasurement[] {
  const judged = findAuthority(history) !== undefined;
  return ids.map((id) => {
    const opts = id === 'bounded-staleness' && options.kMax === undefined && options.tMsMax === undefined
      ? { ...options, kMax: 0 } : { ...options, tolerates: undefined };
    const vs = CHECKERS[id](history, opts);
    return { id, judged, violations: vs.length, ...(vs[0] ? { example: vs[0].sentence } : {}) };
  });
}
