/**
 * Meta-test: planted bugs are found by exactly what a user types —
 * `replicheck run MODEL --bug B` at its default budget (every variant, the
 * model's own profile and workload, 100 runs per variant, stop at the first
 * failure) — at three seeds fixed before measuring, with no per-bug knowledge.
 * Shrunk counterexamples stay readable (≤ 12 ops, ≤ 3 faults).
 *
 * Honest floors, not the goal: the goal is every bug at every seed. What was
 * reached when this test was written is asserted below, and the bugs still
 * missed are listed; a change that finds more should raise the floors and
 * shorten the list, never tune a search to a bug.
 * Slow (tens of minutes): runs with REPLICHECK_SLOW=1.
 */
import { describe, expect, it } from 'vitest';
import { huntUntuned, plantedBugs, UNTUNED_SEEDS, type BugHunt } from '../bench/explore.bench.js';

const OPS_MAX = 12;
const FAULTS_MAX = 3;

/**
 * Missed at one seed or more when measured (seeds 1, 2, 3). Listed so every
 * other bug must be found at every seed; a bug found here is not a failure.
 */
const KNOWN_MISSES = new Set<string>([]);
/** Bugs found at every seed, of 22, when measured. */
const FOUND_FLOOR = 22;
/** Median runs until the first failure over every find, when measured. */
const RUNS_MEDIAN_CEILING = 50;
/** Finds whose shrunk counterexample exceeded 12 ops or 3 faults, when measured. */
const OVERSIZED_CEILING = 0;

const hunts: BugHunt[] = [];

describe('untuned exploration finds the planted bugs', () => {
  for (const b of plantedBugs()) {
    const id = `${b.model}:${b.bug}`;
    it(`${id} at seeds ${UNTUNED_SEEDS.join(', ')}`, async () => {
      const mine = await huntUntuned({ bugs: [b], seeds: UNTUNED_SEEDS, workers: 2 });
      hunts.push(...mine);
      if (KNOWN_MISSES.has(id)) return;
      for (const h of mine) expect(h.found, `${id} missed at seed ${h.seed} in ${h.budget} runs`).toBe(true);
    }, 1_800_000);
  }

  it('as a whole: bugs found at every seed, median runs to find, shrunk sizes', () => {
    expect(hunts).toHaveLength(plantedBugs().length * UNTUNED_SEEDS.length);
    const found = new Set(plantedBugs().map((b) => `${b.model}:${b.bug}`));
    for (const h of hunts) if (!h.found) found.delete(`${h.model}:${h.bug}`);
    const finds = hunts.filter((h) => h.found);
    const runs = finds.map((h) => h.runs).sort((a, b) => a - b);
    const median = runs.length % 2 ? runs[runs.length >> 1]! : (runs[runs.length / 2 - 1]! + runs[runs.length / 2]!) / 2;
    const oversized = finds.filter((h) => (h.ops ?? Infinity) > OPS_MAX || (h.faults ?? Infinity) > FAULTS_MAX);
    expect(found.size).toBeGreaterThanOrEqual(FOUND_FLOOR);
    expect(median).toBeLessThanOrEqual(RUNS_MEDIAN_CEILING);
    expect(oversized.length, oversized.map((h) => `${h.model}:${h.bug}@${h.seed}: ${h.ops} ops ${h.faults} faults`).join('; ')).toBeLessThanOrEqual(OVERSIZED_CEILING);
  });
});
