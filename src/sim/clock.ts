/**
 * Node clocks. The wall clock a node reads at true time t is
 *   t + offsetMs + driftPpm·1e-6·t + (sum of jumps with atMs ≤ t).
 * Timers run on the monotonic clock: its rate includes the drift but it never
 * jumps, as CLOCK_MONOTONIC does next to CLOCK_REALTIME on Linux.
 */
import type { ClockParams } from './types.js';

export class NodeClock {
  private readonly jumps: { atMs: number; byMs: number }[];
  constructor(private readonly params: ClockParams = { offsetMs: 0, driftPpm: 0 }) {
    this.jumps = [...(params.jumps ?? [])].sort((a, b) => a.atMs - b.atMs);
  }

  /** Wall-clock reading (ms) at true time `tMs`. */
  wallAt(tMs: number): number {
    let jumped = 0;
    for (const j of this.jumps) {
      if (j.atMs > tMs) break;
      jumped += j.byMs;
    }
    return tMs + this.params.offsetMs + this.params.driftPpm * 1e-6 * tMs + jumped;
  }

  /** True duration (ms) of `localMs` on this node's monotonic clock. */
  trueDuration(localMs: number): number {
    return localMs / (1 + this.params.driftPpm * 1e-6);
  }
}
