import { describe, expect, it } from 'vitest';
import { kStaleness, tVisibility } from '../src/metrics/pbs.js';

describe('PBS (Bailis et al., VLDB 2012)', () => {
  it('k-staleness matches the closed form 1 - (C(N-W,R)/C(N,R))^k', () => {
    expect(kStaleness(3, 1, 1)).toBeCloseTo(1 / 3, 12); // C(2,1)/C(3,1) = 2/3 missed
    expect(kStaleness(3, 1, 1, 2)).toBeCloseTo(1 - 4 / 9, 12);
    expect(kStaleness(3, 2, 2)).toBe(1); // R + W > N: quorums always intersect
    expect(kStaleness(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12); // C(3,2)/C(5,2)
    expect(() => kStaleness(3, 4, 1)).toThrow(RangeError);
  });

  it('t-visibility matches an analytic WARS case', () => {
    // N=2, W=1, R=1; write legs Exp(mean 1), acks 0, read requests Exp(mean 1), responses 0.
    // The committing replica is fresh; the other lags by D ~ Exp(1). The first responder is either,
    // with equal odds, and its request delay is the min of two Exp(1), i.e. Exp(rate 2):
    // P(consistent at t) = 1 - 1/2 · e^{-t} · 2/(2+1).
    const legs = {
      w: { kind: 'exponential', meanMs: 1 },
      a: { kind: 'constant', ms: 0 },
      r: { kind: 'exponential', meanMs: 1 },
      s: { kind: 'constant', ms: 0 },
    } as const;
    const curve = tVisibility({ n: 2, r: 1, w: 1, legs, tMs: [0, 1, 3], trials: 60_000 });
    for (const p of curve.points) expect(p.pConsistent).toBeCloseTo(1 - 0.5 * Math.exp(-p.tMs) * (2 / 3), 2);
  });

  it('strict quorums are always consistent; partial quorums improve with time; same seed, same curve', () => {
    const legs = { w: { kind: 'exponential', meanMs: 2 }, a: { kind: 'exponential', meanMs: 1 }, r: { kind: 'exponential', meanMs: 1 }, s: { kind: 'exponential', meanMs: 1 } } as const;
    const strict = tVisibility({ n: 3, r: 2, w: 2, legs, tMs: [0], trials: 2000 });
    expect(strict.points[0]!.pConsistent).toBe(1);
    const partial = tVisibility({ n: 3, r: 1, w: 1, legs, tMs: [0, 5, 50], trials: 4000 });
    const ps = partial.points.map((p) => p.pConsistent);
    expect(ps[0]!).toBeLessThan(0.9);
    expect(ps[1]!).toBeGreaterThan(ps[0]!);
    expect(ps[2]!).toBeGreaterThan(0.99);
    expect(tVisibility({ n: 3, r: 1, w: 1, legs, tMs: [0, 5, 50], trials: 4000 })).toEqual(partial);
  });
});
