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
 * About 3 minutes on two idle cores (66 hunts): runs with REPLICHECK_SLOW=1, as CI does.
 * Deterministic: fixed seeds, and a hunt's result does not depend on the worker count.
 */
import { describe, expect, it } from 'vitest';
import { huntUntuned, plantedBugs, UNTUNED_SEEDS, type BugHunt } from '../bench/explore.bench.js';

const OPS_MAX = 12;
const FAULTS_MAX = 3;

/**
 * Missed at one seed or more when measured (seeds 1, 2, 3), with the built-in
 * models' marks and the black-box checkers as merged. Listed so every other bug must be found
 * at every seed; a listed bug that is found is not a failure.
 * - ack-on-write-not-flush, semisync-after-commit-visibility: show only on two
 *   nodes (with a second standby the monitor promotes that one); no named wal
 *   variant has two nodes.
 * - no-fencing: none of the three seeds (found at 2 of 3 before the marks).
 * - sync-ack-before-local-flush: none of the three seeds in 2,000 runs each; it bites
 *   only under remote_write, when the primary's OS crashes between the standby's write
 *   acknowledgement and its own fsync and it comes back as primary before a failover
 *   (its trigger, on two nodes, finds it in 14 runs).
 * - commit-before-processing: one seed of three (seed 2, run 305).
 * - offset-before-durable: a regression of the replicated broker (issue 13): found at
 *   every seed against the single broker, now at seed 1 only (run 199). The producer
 *   retries against the other brokers, so the loss needs a narrower window.
 * - resume-skips-position: never (its trigger needs 8-change transactions,
 *   checkpoints every 2 ms and about 800 runs).
 * - leaderless sloppy-reported-as-strict: none of the three seeds. Only two of the
 *   seven variants (all-one, quorum-quorum-5) claim R + W > RF and have fallback
 *   nodes, so 200 of the 700 runs can show it. There hinted acknowledgements are
 *   common (76 of 300 drawn all-one runs acknowledge a write fewer than W replicas
 *   hold), but a stale read needs a read of that key begun after the acknowledgement
 *   and answered only by replicas still lacking the write: the token-aware client
 *   sends a session's requests for a key to one replica, the coordinator that holds
 *   its own write, so another session's read must fall in the window before the
 *   lagging replica catches up (121 of those 300 runs have one session). Routing a
 *   session's reads by a second hash (the driver's replica shuffling) found it at
 *   seeds 2 and 3 (runs 591, 311), lost shrinking elsewhere (tombstone-purged-early
 *   18 ops at seed 1) and a trigger's catch: not kept.
 * Tried and measured at seeds 1–3, not kept as defaults (each found none of
 * these and lost finds elsewhere): the topology drawn per scenario from the
 * `nodes` knob (`drawTopology`; two-node wal runs in one scenario in six: still
 * no ack-on-write-not-flush nor semisync-after-commit-visibility in 1,600 runs,
 * promote-lagging-standby lost at seed 1); cdc timing knobs (checkpoint,
 * batch, poll, commit intervals) drawn as well (resume-skips-position still
 * never; offset-before-durable lost at two seeds); partitions in Jepsen's
 * shapes (one node isolated, halves; no-fencing found at 0 to 2 of 3 seeds
 * depending on the other draws, offset-before-durable lost at one).
 */
const KNOWN_MISSES = new Set<string>([
  'wal:ack-on-write-not-flush',
  'wal:semisync-after-commit-visibility',
  'wal:no-fencing',
  'wal:sync-ack-before-local-flush',
  'cdc:commit-before-processing',
  'cdc:offset-before-durable',
  'cdc:resume-skips-position',
  'leaderless:sloppy-reported-as-strict',
]);
/**
 * Bugs found at every seed (`npm run bench -- explore`, after issue 13's wal and cdc
 * depth and leaderless-cdc): 35 of 43 (wal 11 of 15, cdc 11 of 14 with the replicated
 * broker, migration 5 of 5, leaderless 5 of 6, leaderless-cdc 3 of 3). Before: 29 of 35;
 * before swarm scenarios and marks: 14 of 22.
 */
const FOUND_FLOOR = 35;
/** Median runs until the first failure over every find: 18 over 108 finds (before issue 13's depth: 27 over 79; before swarm: 23). The goal is ≤ 50. */
const RUNS_MEDIAN_CEILING = 50;
/**
 * Finds whose shrunk counterexample exceeded 12 ops or 3 faults: 1 of 108
 * (cdc partition-count-change 13 ops at seed 3); before: 2 of 79 (a fault timed by
 * the n-th mark moves when ops are removed, which slows shrinking).
 */
const OVERSIZED_CEILING = 2;

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
