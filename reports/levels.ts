/**
 * A leaderless model's guarantees per consistency level: every (write level,
 * read level) pair of its `writeLevel` / `readLevel` knobs on the default ring
 * (its other knobs at their defaults), run and judged like a variant of the
 * main matrix — and, beside it, the PBS t-visibility curves (Bailis et al.,
 * VLDB 2012) for R, W ∈ {1, …, N} with N the default replication factor.
 *
 * A model qualifies by its knobs alone (both level knobs, with their values
 * listed), so a user's Dynamo-style model gets the same table.
 */
import {
  meanLatency,
  pbsCurves,
  type WarsLatencies,
} from '../src/analysis.js';
import { describeWars } from '../src/metrics/pbs.js';
import type { ReportModelEntry } from './run.js';
import type { PbsDoc } from './schema.js';

/** Scenarios per (level pair, profile) in the default report: nine pairs, so a modest budget. */
export const DEFAULT_LEVEL_RUNS = 4;

export interface LevelPair {
  /** "W=QUORUM R=ONE". */
  name: string;
  config: Record<string, unknown>;
}

/** Every (write, read) level pair, writes outer; [] when the model has no level knobs. */
export function levelPairs(entry: ReportModelEntry): LevelPair[] {
  const knob = (name: string) => entry.model.knobs.find((k) => k.name === name);
  const w = knob('writeLevel');
  const r = knob('readLevel');
  if (!w || !r) return [];
  return w.values.flatMap((wl) => r.values.map((rl) => ({ name: `W=${String(wl)} R=${String(rl)}`, config: { writeLevel: wl, readLevel: rl } })));
}

/**
 * The network legs of the PBS curves. The paper fits them to measured
 * production latencies; here a LAN-like default (write leg slower than the
 * others: it includes the replica's commit-log append), exponential so the
 * tail matters.
 */
export const DEFAULT_PBS_LEGS: WarsLatencies = {
  w: { kind: 'exponential', meanMs: 1, minMs: 0.1 },
  a: { kind: 'exponential', meanMs: 0.5, minMs: 0.1 },
  r: { kind: 'exponential', meanMs: 0.5, minMs: 0.1 },
  s: { kind: 'exponential', meanMs: 0.5, minMs: 0.1 },
};

const PBS_TRIALS = 4000;
/** Times after commit (ms) at which P(consistent read) is estimated: fine where the legs' means lie. */
export const PBS_GRID_MS: readonly number[] = [0, 0.2, 0.5, 1, 2, 5, 10];

/**
 * The grid for given legs: the default grid stretched by how much slower the
 * legs are on average than the defaults, so slow measured latencies still show
 * the curve rising (the default legs keep the default grid).
 */
export function pbsGrid(legs: WarsLatencies): number[] {
  const sum = (l: WarsLatencies) => meanLatency(l.w) + meanLatency(l.a) + meanLatency(l.r) + meanLatency(l.s);
  const ratio = sum(legs) / sum(DEFAULT_PBS_LEGS);
  const scale = Number.isFinite(ratio) && ratio > 1 ? Math.min(ratio, 10_000) : 1;
  return PBS_GRID_MS.map((t) => Number((t * scale).toPrecision(3)));
}

/** The legs in words, and whether they are the default or the user's (`--pbs-latency`). */
export function pbsLegsText(legs: Record<string, unknown>): string {
  const own = JSON.stringify(legs) !== JSON.stringify(DEFAULT_PBS_LEGS);
  return `${own ? 'set with --pbs-latency' : 'the default, LAN-like'}: ${describeWars(legs as unknown as WarsLatencies)}`;
}

/** PBS curves for the model's default replication factor (or N = 3), every R, W in 1..N. */
export function pbsDoc(entry: ReportModelEntry, legs: WarsLatencies = DEFAULT_PBS_LEGS): PbsDoc {
  const rf = entry.model.knobs.find((k) => k.name === 'rf')?.default;
  const n = typeof rf === 'number' && Number.isInteger(rf) && rf >= 1 && rf <= 5 ? rf : 3;
  const curves = pbsCurves(n, legs, pbsGrid(legs), PBS_TRIALS);
  return {
    n,
    trials: PBS_TRIALS,
    legs: legs as unknown as Record<string, unknown>,
    curves: curves.map((c) => ({ r: c.r, w: c.w, points: c.points.map((p) => ({ tMs: p.tMs, probability: p.pConsistent })) })),
  };
}
