/**
 * A Scenario is plain JSON data that fully determines a run: the model and its
 * configuration, the client workload, the fault schedule, network and clock
 * parameters, and one integer seed for the simulator's own random choices.
 * fast-check generates scenarios so that they shrink (see ./arbitraries.ts).
 */
import type { NodeId } from '../history/types.js';
import type { ClockParams, DiskParams, Fault, NetworkParams, SessionSpec, SimLimits } from '../sim/types.js';

export interface Scenario {
  /** Built-in model name (e.g. "wal") or a path to a user model module. */
  model: string;
  /** Model configuration (validated by the model's `configure`). */
  config: Record<string, unknown>;
  /** Planted bug to enable, if any. */
  bug?: string;
  seed: number;
  sessions: SessionSpec[];
  faults: Fault[];
  network: NetworkParams;
  clocks?: Record<NodeId, ClockParams>;
  disk?: DiskParams;
  limits?: SimLimits;
}
