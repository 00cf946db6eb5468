/**
 * replicheck's public API. Models, properties and reports — ours and a user's —
 * import only from here.
 */
export type * from './history/types.js';
export { EVENT_NAMES } from './history/types.js';
export type * from './sim/types.js';
export type * from './scenario/types.js';
export { simulate, hashHistory, describeFault } from './sim/run.js';
export type { SimulateOptions } from './sim/run.js';
export { SimLimitError, DeterminismError, ModelError } from './sim/errors.js';
export { sampleLatency, meanLatency, validateLatency } from './sim/latency.js';
export { RandomStreams, fnv1a } from './sim/random.js';
export type { Rng } from './sim/random.js';

// scenarios
export * from './scenario/arbitraries.js';
export { parseScenario, toSimConfig, ScenarioError } from './scenario/validate.js';
export * from './scenario/compact.js';

// histories
export { readHistoryJsonl, writeHistoryJsonl, historyHash, HistoryFormatError } from './history/jsonl.js';
export * from './history/ops.js';
export {
  textTimeline,
  timelineItems,
  formatTxn,
  TIMELINE_EVENTS,
  type TimelineItem,
  type TimelineModel,
  type TextTimelineOptions,
} from './history/timeline.js';

// metrics
export * from './metrics/index.js';

// checkers and judging
export * from './check/types.js';
export * from './check/judge.js';
export * from './check/explain.js';
export * from './check/failures.js';
export { checkConvergence } from './check/convergence.js';
export * from './check/cdc.js';
export * from './check/migration.js';
export * from './check/linearizability.js';
export * from './check/lin-models.js';
export * from './check/lin-guarantee.js';
export * from './history/import.js';
export { measureStaleness, type StalenessSample } from './check/staleness.js';
export { requireOptional, MissingDependencyError } from './optional.js';
