/**
 * Sampling of one-way latency distributions. Samples are rounded to 1 µs so that
 * times print stably and sums stay short.
 */
import type { LatencyDist } from './types.js';
import type { Rng } from './random.js';

export function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export function sampleLatency(dist: LatencyDist, rng: Rng): number {
  return roundUs(Math.max(0, sampleRaw(dist, rng)));
}

function sampleRaw(dist: LatencyDist, rng: Rng): number {
  switch (dist.kind) {
    case 'constant':
      return dist.ms;
    case 'uniform':
      return dist.minMs + (dist.maxMs - dist.minMs) * rng();
    case 'exponential':
      // 1 - U is in (0, 1], so the log is finite.
      return (dist.minMs ?? 0) - dist.meanMs * Math.log(1 - rng());
    case 'pareto': {
      const x = dist.scaleMs * Math.pow(1 - rng(), -1 / dist.shape);
      return dist.capMs === undefined ? x : Math.min(x, dist.capMs);
    }
    case 'mixture':
      return sampleRaw(pickPart(dist.parts, rng()), rng);
  }
}

function pickPart(parts: { weight: number; dist: LatencyDist }[], u: number): LatencyDist {
  const total = parts.reduce((s, p) => s + p.weight, 0);
  let x = u * total;
  for (const p of parts) {
    x -= p.weight;
    if (x < 0) return p.dist;
  }
  return parts[parts.length - 1]!.dist;
}

/** Mean of a distribution (for documentation and sanity tests), Infinity for heavy tails. */
export function meanLatency(dist: LatencyDist): number {
  switch (dist.kind) {
    case 'constant':
      return dist.ms;
    case 'uniform':
      return (dist.minMs + dist.maxMs) / 2;
    case 'exponential':
      return (dist.minMs ?? 0) + dist.meanMs;
    case 'pareto':
      return dist.shape > 1 ? (dist.shape * dist.scaleMs) / (dist.shape - 1) : Infinity;
    case 'mixture': {
      const total = dist.parts.reduce((s, p) => s + p.weight, 0);
      return dist.parts.reduce((s, p) => s + (p.weight / total) * meanLatency(p.dist), 0);
    }
  }
}

/** Reject a malformed distribution with a message naming the field. */
export function validateLatency(dist: LatencyDist, path: string): void {
  const bad = (msg: string): never => {
    throw new Error(`${path}: ${msg}`);
  };
  const nonNeg = (x: number, name: string) => {
    if (!Number.isFinite(x) || x < 0) bad(`${name} must be a finite number ≥ 0, got ${x}`);
  };
  switch (dist.kind) {
    case 'constant':
      return nonNeg(dist.ms, 'ms');
    case 'uniform':
      nonNeg(dist.minMs, 'minMs');
      nonNeg(dist.maxMs, 'maxMs');
      if (dist.maxMs < dist.minMs) bad('maxMs must be ≥ minMs');
      return;
    case 'exponential':
      nonNeg(dist.meanMs, 'meanMs');
      if (dist.minMs !== undefined) nonNeg(dist.minMs, 'minMs');
      return;
    case 'pareto':
      nonNeg(dist.scaleMs, 'scaleMs');
      if (!(dist.shape > 0)) bad(`shape must be > 0, got ${dist.shape}`);
      return;
    case 'mixture':
      if (!Array.isArray(dist.parts) || dist.parts.length === 0) bad('mixture needs at least one part');
      dist.parts.forEach((p, i) => {
        nonNeg(p.weight, `parts[${i}].weight`);
        validateLatency(p.dist, `${path}.parts[${i}].dist`);
      });
      return;
    default:
      bad(`unknown latency kind ${JSON.stringify((dist as { kind: unknown }).kind)}`);
  }
}
