/**
 * Errors a run can end with. Each names what happened and the seed to replay it.
 */

export type LimitName = 'maxEvents' | 'maxTimeMs' | 'quietMaxMs';

/** A run hit one of its limits (event budget, virtual-time bound, quiet-phase bound). */
export class SimLimitError extends Error {
  override name = 'SimLimitError';
  constructor(
    readonly limit: LimitName,
    readonly value: number,
    readonly seed: number,
    readonly atMs: number,
    detail: string,
  ) {
    super(`run stopped: limit ${limit}=${value} reached at t=${atMs.toFixed(3)} ms (seed ${seed}): ${detail}`);
  }
}

/** Model code reached for a non-deterministic global during a run. */
export class DeterminismError extends Error {
  override name = 'DeterminismError';
}

/** Model code threw. `cause` is what it threw. */
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly node: string,
    readonly atMs: number,
    readonly seed: number,
    readonly during: string,
    override readonly cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`model code on node ${node} threw during ${during} at t=${atMs.toFixed(3)} ms (seed ${seed}): ${why}`);
  }
}
