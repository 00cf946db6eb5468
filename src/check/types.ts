/**
 * Checker contracts. A checker is a pure function from a history to
 * violations; each violation names the guarantee, says in one sentence what
 * happened (keys, nodes, sessions, values, true times) and carries the few
 * history entries that prove it. Which guarantees exist and which checker
 * judges each is the guarantee table's business (./guarantees.ts).
 */
import type { History, HistoryEntry } from '../history/types.js';

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
  /**
   * Bounded staleness: when a version is due — once committed anywhere
   * ('commit', default) or once its write was acknowledged ('ack').
   */
  stalenessSince?: 'commit' | 'ack';
  /** Bounded staleness: longest a read may lag behind, in ms. */
  tMsMax?: number;
}

export type Checker = (history: History, options?: CheckOptions) => Violation[];

/** Checkers a model family brings beyond the registry, by guarantee id (they take precedence). */
export type CheckerTable = Readonly<Record<string, Checker>>;

// The registry — ids, families, checkers, judging claims and measuring the
// rest — is derived from the guarantee table; re-exported here for callers
// that import it with the contracts.
export {
  CHECKERS,
  GUARANTEE_FAMILIES,
  GUARANTEE_IDS,
  GUARANTEES,
  checkAll,
  checkerFor,
  familyIds,
  guaranteeDef,
  isGuaranteeId,
  judgeClaims,
  measureGuarantees,
  notJudgeable,
  type ClaimOutcome,
  type ClaimRef,
  type GuaranteeDef,
  type GuaranteeId,
  type GuaranteeMeasurement,
  type GuaranteeSystem,
  type Judgeable,
} from './guarantees.js';
