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

// ───────────────────────────── user-supplied legs ─────────────────────────────

const LEG_NAMES: Record<string, keyof WarsLatencies> = { W: 'w', A: 'a', R: 'r', S: 's' };

/** A bad `--pbs-latency` spec or legs file; the message says which leg and what is wrong. */
export class PbsLatencyError extends Error {
  override name = 'PbsLatencyError';
}

const nonNeg = (raw: string, what: string, leg: string): number => {
  const x = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(x) || x < 0) throw new PbsLatencyError(`leg ${leg}: ${what} must be a number ≥ 0 (ms), got '${raw}'`);
  return x;
};

/**
 * One leg in the short form: `const:MS`, `uniform:MIN:MAX`, `exp:MEAN[:MIN]`
 * (MIN + an exponential of mean MEAN) or `pareto:SCALE:SHAPE[:CAP]`, all in ms.
 */
export function parseLatency(text: string, leg = '?'): LatencyDist {
  const [kind, ...args] = text.trim().split(':');
  const arity = (min: number, max: number, form: string) => {
    if (args.length < min || args.length > max) throw new PbsLatencyError(`leg ${leg}: '${text}' — expected ${form}`);
  };
  switch (kind) {
    case 'const':
    case 'constant':
      arity(1, 1, 'const:MS');
      return { kind: 'constant', ms: nonNeg(args[0]!, 'the latency', leg) };
    case 'uniform': {
      arity(2, 2, 'uniform:MIN:MAX');
      const minMs = nonNeg(args[0]!, 'MIN', leg);
      const maxMs = nonNeg(args[1]!, 'MAX', leg);
      if (maxMs < minMs) throw new PbsLatencyError(`leg ${leg}: '${text}' — MAX must be at least MIN`);
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'exp':
    case 'exponential': {
      arity(1, 2, 'exp:MEAN or exp:MEAN:MIN');
      const meanMs = nonNeg(args[0]!, 'the mean', leg);
      return args[1] === undefined ? { kind: 'exponential', meanMs } : { kind: 'exponential', meanMs, minMs: nonNeg(args[1], 'MIN', leg) };
    }
    case 'pareto': {
      arity(2, 3, 'pareto:SCALE:SHAPE or pareto:SCALE:SHAPE:CAP');
      const scaleMs = nonNeg(args[0]!, 'the scale', leg);
      const shape = nonNeg(args[1]!, 'the shape', leg);
      if (shape === 0) throw new PbsLatencyError(`leg ${leg}: '${text}' — the shape must be positive`);
      return args[2] === undefined ? { kind: 'pareto', scaleMs, shape } : { kind: 'pareto', scaleMs, shape, capMs: nonNeg(args[2], 'the cap', leg) };
    }
    default:
      throw new PbsLatencyError(`leg ${leg}: unknown distribution '${kind ?? ''}' in '${text}'; use const:MS, uniform:MIN:MAX, exp:MEAN[:MIN] or pareto:SCALE:SHAPE[:CAP]`);
  }
}

/**
 * The WARS legs from `W=exp:2,A=exp:1,R=exp:1,S=exp:1` (the paper's names: W
 * write to replica, A ack back, R read request, S read response); a leg left
 * out keeps its value in `base`. Throws PbsLatencyError on anything else.
 */
export function parseWarsLatencies(spec: string, base: WarsLatencies): WarsLatencies {
  const out: WarsLatencies = { ...base };
  const seen = new Set<string>();
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) throw new PbsLatencyError('no leg given; expected e.g. W=exp:2,A=exp:1,R=exp:1,S=exp:1');
  for (const part of parts) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toUpperCase();
    const key = LEG_NAMES[name];
    if (eq < 0 || !key) throw new PbsLatencyError(`'${part}': expected LEG=DIST with LEG one of W, A, R, S (write, ack, read, response)`);
    if (seen.has(name)) throw new PbsLatencyError(`leg ${name} given twice`);
    seen.add(name);
    out[key] = parseLatency(part.slice(eq + 1), name);
  }
  return out;
}

/** Legs from JSON (`{"w": LatencyDist, ...}`, keys w/a/r/s, mixtures allowed); a leg left out keeps `base`'s. */
export function warsLatenciesFromJson(x: unknown, base: WarsLatencies): WarsLatencies {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new PbsLatencyError('expected a JSON object with legs w, a, r, s');
  const out: WarsLatencies = { ...base };
  for (const [k, v] of Object.entries(x)) {
    const key = LEG_NAMES[k.toUpperCase()];
    if (!key) throw new PbsLatencyError(`unknown leg '${k}'; legs: w, a, r, s`);
    out[key] = latencyFromJson(v, k.toUpperCase(), 0);
  }
  return out;
}

function latencyFromJson(v: unknown, leg: string, depth: number): LatencyDist {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const n = (k: string, optional = false): number | undefined => {
    if (optional && o[k] === undefined) return undefined;
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || o[k] < 0) throw new PbsLatencyError(`leg ${leg}: ${k} must be a number ≥ 0, got ${JSON.stringify(o[k])}`);
    return o[k];
  };
  const only = (...keys: string[]) => {
    const extra = Object.keys(o).find((k) => k !== 'kind' && !keys.includes(k));
    if (extra) throw new PbsLatencyError(`leg ${leg}: unexpected field '${extra}' for kind '${String(o.kind)}'`);
  };
  switch (o.kind) {
    case 'constant':
      only('ms');
      return { kind: 'constant', ms: n('ms')! };
    case 'uniform': {
      only('minMs', 'maxMs');
      const minMs = n('minMs')!;
      const maxMs = n('maxMs')!;
      if (maxMs < minMs) throw new PbsLatencyError(`leg ${leg}: maxMs must be at least minMs`);
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'exponential': {
      only('meanMs', 'minMs');
      const minMs = n('minMs', true);
      return minMs === undefined ? { kind: 'exponential', meanMs: n('meanMs')! } : { kind: 'exponential', meanMs: n('meanMs')!, minMs };
    }
    case 'pareto': {
      only('scaleMs', 'shape', 'capMs');
      const shape = n('shape')!;
      if (shape === 0) throw new PbsLatencyError(`leg ${leg}: shape must be positive`);
      const capMs = n('capMs', true);
      return capMs === undefined ? { kind: 'pareto', scaleMs: n('scaleMs')!, shape } : { kind: 'pareto', scaleMs: n('scaleMs')!, shape, capMs };
    }
    case 'mixture': {
      only('parts');
      if (depth >= 4) throw new PbsLatencyError(`leg ${leg}: mixtures may nest at most 4 deep`);
      if (!Array.isArray(o.parts) || o.parts.length === 0) throw new PbsLatencyError(`leg ${leg}: a mixture needs a non-empty parts array`);
      return {
        kind: 'mixture',
        parts: o.parts.map((p: unknown) => {
          const po = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
          if (typeof po.weight !== 'number' || !(po.weight > 0)) throw new PbsLatencyError(`leg ${leg}: each mixture part needs a positive weight`);
          return { weight: po.weight, dist: latencyFromJson(po.dist, leg, depth + 1) };
        }),
      };
    }
    default:
      throw new PbsLatencyError(`leg ${leg}: kind must be constant, uniform, exponential, pareto or mixture, got ${JSON.stringify(o.kind)}`);
  }
}

/** A leg in words, e.g. "0.1 ms + exp(mean 1 ms)". */
export function describeLatency(d: LatencyDist): string {
  switch (d.kind) {
    case 'constant':
      return `${d.ms} ms`;
    case 'uniform':
      return `uniform ${d.minMs}–${d.maxMs} ms`;
    case 'exponential':
      return `${d.minMs ? `${d.minMs} ms + ` : ''}exp(mean ${d.meanMs} ms)`;
    case 'pareto':
      return `pareto(scale ${d.scaleMs} ms, shape ${d.shape}${d.capMs !== undefined ? `, cap ${d.capMs} ms` : ''})`;
    case 'mixture':
      return `mixture of ${d.parts.map((p) => `${p.weight}× ${describeLatency(p.dist)}`).join(', ')}`;
  }
}

/** All four legs in words: "W (write to replica) …; A (ack) …; R (read request) …; S (read response) …". */
export function describeWars(l: WarsLatencies): string {
  return `W (write to replica) ${describeLatency(l.w)}; A (ack back) ${describeLatency(l.a)}; R (read request) ${describeLatency(l.r)}; S (read response) ${describeLatency(l.s)}`;
}
