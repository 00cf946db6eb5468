/**
 * Small helpers to hand-build CDC runs: a SimConfig from a compact list of
 * timed client transactions and faults, with the model's node list. Used by the
 * unit tests and the benchmark; a user can use them for their own consumer.
 */
import type { ClientRequest, Fault, MicroOp, NetworkParams, SimConfig, TimedRequest } from '../../src/analysis.js';

/** A LAN-ish network: 0.5–1.5 ms per message, no loss. */
export const LAN: NetworkParams = {
  defaultLink: { latency: { kind: 'uniform', minMs: 0.5, maxMs: 1.5 }, lossRate: 0, dupRate: 0 },
};

export const w = (k: string, v: string | number): MicroOp => ({ f: 'w', k, v });
export const inc = (k: string, n: number): MicroOp => ({ f: 'upd', k, expr: { op: 'add', n } });
export const del = (k: string): MicroOp => ({ f: 'del', k });
export const r = (k: string): MicroOp => ({ f: 'r', k });

/** One committed transaction at `atMs`. */
export function at(atMs: number, ...txn: MicroOp[]): TimedRequest {
  const req: ClientRequest = { txn, end: 'commit' };
  return { atMs, req };
}

export interface RunSpec {
  nodes: string[];
  ops: TimedRequest[];
  /** Further sessions running concurrently with the first. */
  moreSessions?: TimedRequest[][];
  faults?: Fault[];
  seed?: number;
  network?: NetworkParams;
  fsyncMs?: number;
}

/** One client session issuing `ops` in order (plus `moreSessions`, concurrently). */
export function simConfig(spec: RunSpec): SimConfig {
  return {
    seed: spec.seed ?? 1,
    nodes: spec.nodes,
    network: spec.network ?? LAN,
    disk: { fsyncLatency: { kind: 'constant', ms: spec.fsyncMs ?? 1 } },
    faults: spec.faults ?? [],
    sessions: [spec.ops, ...(spec.moreSessions ?? [])].map((ops, i) => ({ id: `s${i + 1}`, policy: 'primary' as const, ops })),
    limits: { maxEvents: 2_000_000, quietMaxMs: 20_000 },
  };
}
