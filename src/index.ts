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
export { RandomStreams } from './sim/random.js';
export type { Rng } from './sim/random.js';
