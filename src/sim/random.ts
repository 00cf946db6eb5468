/**
 * Seeded randomness in named, independent streams. Every stream is derived from
 * the scenario seed and its own name only, so adding a node, a link or a message
 * elsewhere never reshuffles another stream's draws — which keeps shrinking stable.
 */
import seedrandom from 'seedrandom';

export type Rng = () => number;

export class RandomStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number) {}

  /**
   * The stream called `name` ("net:n1->n2", "node:n1", "client" …). It is seeded
   * on its first draw: a run asks for a stream per link, disk, node and session,
   * and seeding one costs more than a short run draws from most of them.
   */
  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (!rng) {
      // alea is fast and, given an explicit seed, never touches Math.random.
      let prng: (() => number) | undefined;
      rng = () => (prng ??= seedrandom.alea(`${this.seed}/${name}`))();
      this.streams.set(name, rng);
    }
    return rng;
  }
}

/**
 * FNV-1a, 32-bit, over a string's UTF-16 code units: a small, stable hash for
 * deterministic choices (fixed test seeds, partitioning, routing, state hashing).
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
