/**
 * `replicheck/analysis`: everything under the model and property authors'
 * face — checkers and the guarantee table, history views and formats,
 * metrics, failure files, the linearizability checker — for tools that
 * analyse histories and for the report builders. It includes the root API.
 */
export * from './index.js';
export type * from './history/types.js';
export type * from './sim/types.js';
export type * from './scenario/types.js';
export { hashHistory, describeFault } from './sim/run.js';
export type { SimulateOptions } from './sim/run.js';
export { sampleLatency, meanLatency, validateLatency } from './sim/latency.js';
export { RandomStreams } from './sim/random.js';
export type { Rng } from './sim/random.js';

// scenarios
export * from './scenario/arbitraries.js';
export { toSimConfig } from './scenario/validate.js';
export * from './scenario/compact.js';
export { deletionPass, pinTimes, type DeletionResult, type Probe } from './scenario/shrink.js';

// histories
export { historyHash, HistoryFormatError } from './history/jsonl.js';
export * from './history/ops.js';
export {
  timelineItems,
  formatTxn,
  TIMELINE_EVENTS,
  type TimelineItem,
  type TimelineModel,
  type TextTimelineOptions,
} from './history/timeline.js';
export * from './history/import.js';

// metrics
export * from './metrics/index.js';

// checkers and judging
export * from './check/types.js';
export * from './check/guarantees.js';
export * from './verdict/judge.js';
export * from './verdict/explain.js';
export * from './verdict/failures.js';
export * from './check/contract.js';
export { checkConvergence } from './check/convergence.js';
export * from './check/cdc.js';
export * from './check/migration.js';
export * from './check/linearizability.js';
export * from './check/lin-models.js';
export * from './check/lin-guarantee.js';
export { measureStaleness, type StalenessSample } from './check/staleness.js';
