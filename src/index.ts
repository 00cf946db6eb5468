/**
 * replicheck's public API for model and property authors (the package root):
 * the Model contract and its context, scenarios and their tokens, the
 * simulator, judging a scenario and explaining the verdict. Checkers,
 * metrics, history formats and report internals are in `replicheck/analysis`.
 */

// the model contract, histories, scenarios (types)
export type {
  Model, ModelKnob, ModelBehaviour, PlantedBug, GuaranteeClaim, StalenessBound, NodeProgram, NodeContext, IncomingRequest, TimerId,
  ClusterView, SessionInfo, SimConfig, NetworkParams, Fault, FaultAnchor, MarkSpec, RunResult, TimedRequest,
} from './sim/types.js';
export type {
  NodeId, SessionId, Value, UpdateExpr, MicroOp, ClientRequest, ClientResult, CommitPos, ReadPolicy, NodeView,
  History, HistoryEntry, EventData, EventName, EmitData, LogPosData, VisibleTxnData, CdcPosData,
} from './history/types.js';
export { EVENT_NAMES } from './history/types.js';
export type { Scenario } from './scenario/types.js';

// running
export { simulate } from './sim/run.js';
export { SimLimitError, DeterminismError, ModelError } from './sim/errors.js';
export { fnv1a } from './sim/random.js';
// last-write-wins reconcile order (Cassandra's), shared by LWW models and the LWW checkers
export { compareLww } from './check/lww.js';

// scenarios and replay tokens
export { scenarioArb, type FaultKind, type FaultProfileName, type WorkloadOptions } from './scenario/arbitraries.js';
export { parseScenario, ScenarioError } from './scenario/validate.js';
export { encodeToken, decodeToken, scenarioSize } from './scenario/compact.js';

// judging and explaining
export { judgeScenario, runScenario, failed, type Verdict, type JudgeOptions, type ModelEntry } from './verdict/judge.js';
export type { Violation, CheckOptions, Checker, CheckerTable } from './check/types.js';
export { GUARANTEES, type GuaranteeId } from './check/guarantees.js';
export { explainVerdict, replayCommand } from './verdict/explain.js';
export { textTimeline } from './history/timeline.js';
export { readHistoryJsonl, writeHistoryJsonl } from './history/jsonl.js';

export { requireOptional, MissingDependencyError } from './optional.js';
