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
 * models' marks, coverage feedback (src/run/coverage.ts) and the black-box checkers as merged. Listed so every other bug must be found
 * at every seed; a listed bug that is found is not a failure.
 * - ack-on-write-not-flush, semisync-after-commit-visibility: show only on two
 *   nodes (with a second standby the monitor promotes that one); no named wal
 *   variant has two nodes. Each needs two rare draws at once: the standby's machine
 *   crash within its unsynced millisecond plus the primary down past the failover
 *   timeout; or the primary cut off right after showing a commit plus another
 *   session reading it within the lease. Two-node variants (sync-on, semisync) were
 *   measured, not kept: about 1 run in 400 of such a variant breaks a claim (the
 *   triggers' own shapes: 1 in 60 to 1 in 1,000), so 100 runs per variant find
 *   neither at most seeds; their only "finds" at seeds 1–3 were the clean model's
 *   convergence false alarm in other variants.
 * - no-fencing: seeds 1 and 3 (runs 729 and 679, linearizable-primary-reads, 2 ops 1
 *   fault and 11 ops 3 faults: a partition aimed at a mark isolates the old primary,
 *   which keeps serving reads); seed 2 missed. Before: seed 2 only, a run stopped at
 *   its quiet-phase limit (two primaries that never settle: a harness failure, not a
 *   broken guarantee — a verdict rests on what clients observed).
 *   Measured (sync-on, seed 2, 1,000 runs): the split brain itself is common (189 runs
 *   promoted a standby while n1 still served), but in 147 of them every client op was
 *   scheduled before the promotion (~0.55 s in), 18 sent an op to the old primary after
 *   it and 7 after the new primary acknowledged a write: the workload ends too early.
 *   A second burst of ops 20 ms–2 s later in one scenario of three moved the finds to
 *   seeds 1 and 2 (lost 3) and slowed others several-fold: not kept.
 * - sync-ack-before-local-flush: none of three seeds (before: seed 3 only, run 1797,
 *   breaking convergence); at the CLI's default seed it is found (run 536, 2 ops 1 fault,
 *   convergence: a standby keeps a commit the primary streamed before its fsync and lost
 *   in a machine crash; the same scenario without the bug holds every claim). It bites only under
 *   remote_write, when the primary's OS crashes between the standby's write
 *   acknowledgement and its own fsync and it comes back as primary before a failover
 *   (its trigger, on two nodes, finds it in 14 runs). Aimed crashes striking the node
 *   that marked the moment and restarts drawn on a log scale (back before a failover
 *   as often as after) found it at 1 of 3 seeds in 500 sync-remote-write runs, 0 before.
 *   Untuned, about 1 sync-remote-write run in 400–800 breaks durability: the crash must
 *   be a machine crash of the primary aimed inside the window (standby round trip <
 *   the primary's fsync, which needs a slow-fsync draw), and the restart must come
 *   before the monitor's failover timeout; one variant of twenty gets 100 runs.
 *   Measured (sync-remote-write, seeds 1/2, 2,000 runs each): 91/93 primary machine
 *   crashes, 8/7 inside its running fsync, 5/3 with a standby holding the unsynced
 *   record, 3/1 finds. Crashes aimed inside a running fsync (coverage noting which marks
 *   came while one ran): 39 inside, 22 in the window (7 met a failover first), 5 finds
 *   in 2,000 runs — and still missed at seeds 1–3 untuned, three borderline finds
 *   slower: not kept.
 * - resume-skips-position: never (its trigger needs 8-change transactions,
 *   checkpoints every 2 ms and about 800 runs; the workload allows 3 changes).
 *   Measured, not kept: the cdc workload with transactions of up to 8 changes drawn
 *   on a log scale (most of one or two) still missed it at seeds 1, 2, 3 (700 runs
 *   each); fewer than 1 request in 100 then writes 4 or more changes.
 * - cdc unclean-leader-election: seed 1 missed since aimed partitions may isolate the
 *   marking node and aimed faults may strike together (seeds 2 and 3 after 127 and 285
 *   runs); found at every seed before that change. migration backfill-overwrites-newer,
 *   listed here before (seed 2 missed), is found at every seed since (24/429/224 of 500
 *   runs): both are borderline, moved by any change in what is drawn.
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
  'cdc:resume-skips-position',
  // Lost at seed 1 when aimed partitions could isolate the marking node and aimed faults
  // could strike together (found at seeds 2 and 3; at seed 1 before that change, run 62).
  // The same change made migration:backfill-overwrites-newer found at every seed (runs
  // 24/429/224; lost at seed 2 before) and wal:no-fencing at seeds 1 and 3: both borderline.
  'cdc:unclean-leader-election',
]);
/**
 * Bugs found at every seed (`npm run bench -- explore`, with coverage feedback): 36 of
 * 43 (wal 11 of 15, cdc 13 of 14, migration 4 of 5, leaderless 5 of 6, leaderless-cdc
 * 3 of 3), in 567 CPU-seconds on a loaded machine. cdc commit-before-processing and
 * offset-before-durable, found at 1 seed of 3 before, are found at every seed: faults
 * aimed only at (node, mark) pairs earlier runs reached, and runs that start from a
 * schedule that showed new behaviour. Before coverage feedback: 35 of 43; before
 * issue 13's depth: 29 of 35; before swarm scenarios and marks: 14 of 22.
 */
// CI after the cdc depth merges: 38 of 45 (cdc 15 of 16 with txn-flush-on-end and failover-slot-ahead-of-standby);
// 39 with leaderless sloppy-reported-as-strict, caught by lww-strict-quorum (31/87/80 runs at seeds 1/2/3);
// CI after the aimed-partition draws: still 39 (backfill-overwrites-newer in, unclean-leader-election out).
const FOUND_FLOOR = 39;
/** Median runs until the first failure over every find: 18 over 112 finds (before coverage feedback: 18 over 108; before issue 13's depth: 27 over 79; before swarm: 23). The goal is ≤ 50. */
const RUNS_MEDIAN_CEILING = 50;
/**
 * Finds whose shrunk counterexample exceeds 12 ops or 3 faults. CI measured 6 after
 * the cdc depth and coverage merges (cdc partition-count-change 16 ops @2,
 * unclean-leader-election 16 ops 4 faults @3, slot-lost-silent-restart 13 ops @2,
 * tombstone-retention-zero 4 faults @2; migration dual-write-partial-failure 14 ops @2;
 * leaderless hint-new-timestamp 20 ops @2). Why: fast-check's shrink spent its 500-run
 * budget on failures that hang on timing — a session issues its ops back to back, so
 * removing one moves every later op earlier and the failure goes — and corpus
 * schedules drawn late (runs 124, 149) start larger. The deletion pass after it
 * (src/scenario/shrink.ts: ops pinned to when the run issued them, then whole
 * faults, sessions, op chunks, micro-ops removed while the run fails the same way)
 * brought those six to 5 ops 0 faults, 7 ops 2 faults, 8 ops, 2 ops 0 faults,
 * 1 op, 2 ops 1 fault, each hunt run as a user types it. The pass only removes and
 * finding is untouched, so no other find can grow: 0.
 */
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
    // What CI's log keeps: every hunt, so a gained or lost find is named, not only counted.
    for (const h of hunts) {
      console.log(`untuned ${h.model}:${h.bug}@${h.seed}: ${h.found ? `found after ${h.runs} runs, ${h.ops} ops ${h.faults} faults` : `missed in ${h.budget} runs`}`);
    }
    console.log(`untuned: ${found.size} of ${plantedBugs().length} found at every seed; median ${median} runs over ${finds.length} finds; ${oversized.length} over ${OPS_MAX} ops or ${FAULTS_MAX} faults`);
    expect(found.size).toBeGreaterThanOrEqual(FOUND_FLOOR);
    expect(median).toBeLessThanOrEqual(RUNS_MEDIAN_CEILING);
    expect(oversized.length, oversized.map((h) => `${h.model}:${h.bug}@${h.seed}: ${h.ops} ops ${h.faults} faults`).join('; ')).toBeLessThanOrEqual(OVERSIZED_CEILING);
  });
});
