/** Metrics computed from a history with true time: lag, CDC progress, visibility, convergence, percentiles. */
export { summarize, type LatencySummary } from './summary.js';
export { standbyLag, type StandbyLag, type StandbyLagPoint, type LagPositionSample } from './standby.js';
export { LagTracker, LAG_HEADS, type LagHead, type WalSample, type HeadPositions } from './lag-tracker.js';
export {
  cdcMetrics,
  type CdcMetrics,
  type SinkLag,
  type SinkApplySample,
  type SlotLag,
  type SlotLagPoint,
  type PartitionLag,
  type OffsetLagPoint,
  type DuplicateDeliveries,
} from './cdc.js';
export {
  visibilityCurve,
  convergenceTime,
  stalenessSummary,
  DEFAULT_VISIBILITY_GRID_MS,
  type VisibilityCurve,
  type VisibilityPoint,
  type Convergence,
  type ReadStaleness,
  type StalenessSummary,
} from './visibility.js';
export { faultWindows, type FaultWindowSpan } from './faults.js';
export { kStaleness, tVisibility, pbsCurves, type WarsLatencies, type PbsOptions, type PbsCurve, type PbsPoint } from './pbs.js';
export {
  percentile,
  latencyPercentiles,
  completedOps,
  commitLatencies,
  readOps,
  readLoad,
  type LatencyPercentiles,
  type CompletedOp,
  type ReadLoad,
} from './costs.js';
