/**
 * Probabilistically Bounded Staleness (Bailis, Venkataraman, Franklin,
 * Hellerstein, Stoica: "Probabilistically Bounded Staleness for Practical
 * Partial Quorums", VLDB 2012) for a leaderless store with N replicas, write
 * quorum W and read quorum R.
 *
 * k-staleness (§3.2, closed form): with quorums drawn uniformly, a read quorum
 * misses a given write quorum with p = C(N−W, R) / C(N, R); it returns one of
 * the last k versions with probability 1 − p^k.
 *
 * t-visibility (§4, the WARS model, Monte Carlo): a write goes to all N
 * replicas; replica i receives it after Wᵢ and its acknowledgement returns
 * after Aᵢ more; the write commits when the W-th acknowledgement arrives. A read
 * issued t ms after the commit reaches replica i after Rᵢ and its response
 * returns after Sᵢ more; the coordinator takes the first R responses. The read
 * is consistent when one of those R replicas had the write before the read
 * request arrived there: Wᵢ ≤ commit + t + Rᵢ. Each leg takes its own latency
 * distribution (the simulator's LatencyDist), so measured latencies plug in.
 */
import seedrandom from 'seedrandom';
import { sampleLatency } from '../sim/latency.js';
import type { LatencyDist } from '../sim/types.js';

/** The four WARS legs: write to replica, ack back, read request to replica, read response back. */
export interface WarsLatencies {
  w: LatencyDist;
  a: LatencyDist;
  r: LatencyDist;
  s: LatencyDist;
}

export interface PbsOptions {
  n: number;
  r: number;
  w: number;
  legs: WarsLatencies;
  /** Times after commit, in ms, at which to estimate P(consistent read). */
  tMs: readonly number[];
  /** Monte Carlo trials (default 10,000). */
  trials?: number;
  /** Seed of the sampler (default 1): the same inputs give the same curve. */
  seed?: number;
}

export interface PbsPoint {
  tMs: number;
  /** P(a read issued tMs after commit returns the committed write or newer). */
  pConsistent: number;
}

export interface PbsCurve {
  n: number;
  r: number;
  w: number;
  trials: number;
  points: PbsPoint[];
}

function checkQuorums(n: number, r: number, w: number): void {
  for (const [name, x] of [['N', n], ['R', r], ['W', w]] as const) {
    if (!Number.isInteger(x) || x < 1) throw new RangeError(`PBS: ${name} must be a positive integer (got ${x})`);
  }
  if (r > n || w > n) throw new RangeError(`PBS: R and W must be at most N (N=${n}, R=${r}, W=${w})`);
}

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let x = 1;
  for (let i = 1; i <= k; i++) x = (x * (n - k + i)) / i;
  return x;
}

/** P(a read returns one of the last k committed versions), §3.2: 1 − (C(N−W,R)/C(N,R))^k. */
export function kStaleness(n: number, r: number, w: number, k = 1): number {
  checkQuorums(n, r, w);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`PBS: k must be a positive integer (got ${k})`);
  const miss = choose(n - w, r) / choose(n, r);
  return 1 - Math.pow(miss, k);
}

/** t-visibility by Monte Carlo over the WARS model. */
export function tVisibility(o: PbsOptions): PbsCurve {
  checkQuorums(o.n, o.r, o.w);
  const trials = o.trials ?? 10_000;
  const rng = seedrandom.alea(`pbs/${o.seed ?? 1}`);
  const hits = o.tMs.map(() => 0);
  const wi = new Array<number>(o.n);
  const ack = new Array<number>(o.n);
  const reads = o.tMs.map(() => new Array<{ rt: number; back: number }>(o.n));
  for (let trial = 0; trial < trials; trial++) {
    for (let i = 0; i < o.n; i++) {
      wi[i] = sampleLatency(o.legs.w, rng);
      ack[i] = wi[i]! + sampleLatency(o.legs.a, rng);
    }
    const commit = [...ack].sort((x, y) => x - y)[o.w - 1]!;
    // One read per time point, each with its own read legs (independent reads).
    o.tMs.forEach((t, j) => {
      const rs = reads[j]!;
      for (let i = 0; i < o.n; i++) {
        const rt = sampleLatency(o.legs.r, rng);
        rs[i] = { rt, back: rt + sampleLatency(o.legs.s, rng) + rng() * 1e-9 }; // a vanishing jitter breaks ties at random
      }
      const first = rs.map((x, i) => ({ ...x, i })).sort((x, y) => x.back - y.back).slice(0, o.r);
      if (first.some((x) => wi[x.i]! <= commit + t + x.rt)) hits[j]!++;
    });
  }
  return { n: o.n, r: o.r, w: o.w, trials, points: o.tMs.map((tMs, j) => ({ tMs, pConsistent: hits[j]! / trials })) };
}

/** Curves for every R, W in 1..maxQuorum over one latency model (the paper's Figure 4 shape). */
export function pbsCurves(n: number, legs: WarsLatencies, tMs: readonly number[], trials?: number): PbsCurve[] {
  const out: PbsCurve[] = [];
  for (let r = 1; r <= n; r++) for (let w = 1; w <= n; w++) out.push(tVisibility({ n, r, w, legs, tMs, ...(trials ? { trials } : {}) }));
  return out;
}
