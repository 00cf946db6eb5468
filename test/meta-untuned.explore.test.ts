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
 * Tens of CPU minutes: runs with REPLICHECK_EXPLORE=1 (not in the default or slow suites).
 */
import { describe, expect, it } from 'vitest';
import { huntUntuned, plantedBugs, UNTUNED_SEEDS, type BugHunt } from '../bench/explore.bench.js';

const OPS_MAX = 12;
const FAULTS_MAX = 3;

/**
 * Missed at one seed or more when measured (seeds 1, 2, 3; 11-27), with and
 * without the built-in models' marks. Listed so every other bug must be found
 * at every seed; a listed bug that is found is not a failure.
 * - ack-on-write-not-flush, semisync-after-commit-visibility: show only on two
 *   nodes (with a second standby the monitor promotes that one); no named wal
 *   variant has two nodes.
 * - no-fencing: found at 2 of 3 seeds without marks, none with them.
 * - offset-before-durable: found at every seed with marks, none without.
 * - commit-before-processing: one seed of three either way.
 * - resume-skips-position: never (its trigger needs 8-change transactions,
 *   checkpoints every 2 ms and about 800 runs).
 */
const KNOWN_MISSES = new Set<string>([
  'wal:ack-on-write-not-flush',
  'wal:semisync-after-commit-visibility',
  'wal:no-fencing',
  'cdc:offset-before-durable',
  'cdc:commit-before-processing',
  'cdc:resume-skips-position',
]);
/** Bugs found at every seed, of 22: 16 without marks, 17 with them (before swarm scenarios: 14). */
const FOUND_FLOOR = 16;
/** Median runs until the first failure over every find: 30 without marks, 15.5 with them (before: 23). The goal is ≤ 50. */
const RUNS_MEDIAN_CEILING = 50;
/**
 * Finds whose shrunk counterexample exceeded 12 ops or 3 faults: 0 of 51
 * without marks, 5 of 52 with them (a fault timed by the n-th mark moves when
 * ops are removed, which slows shrinking).
 */
const OVERSIZED_CEILING = 5;

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
