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
 * - ack-on-write-not-flush, semisync-after-commit-visibility: missed at seeds 1–3.
 *   ack-on-write-not-flush needs the only standby that has a commit to lose it: on
 *   two nodes, its machine crash inside its unsynced window plus the primary down past
 *   the failover timeout. semisync-after-commit-visibility needs no second node away:
 *   on three nodes a partition isolating the primary from both replicas and the
 *   monitor (clients still reach it) before its WAL ships, another session reading the
 *   unacknowledged commit, and a failover (test/wal-two-node-aimed.test.ts); an aimed
 *   partition could not outlast the clients before (the quiet phase healed it), now
 *   it plays out its duration, and still no find at 100 runs per variant. Two-node
 *   variants (sync-on-2-nodes, semisync-2-nodes), measured: the clean ones hold over
 *   9,000 runs after one harness failure was fixed (a stream message overtook those a
 *   pause held: test/wal-two-node.test.ts); with the bug, one run in ~200
 *   (semisync) and ~500–1,000 (ack-on-write) of such a variant fails, so 100 runs
 *   each found neither at seeds 1–3 and cost no-fencing its seed-1 find (draws
 *   shifted): not kept.
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
 *   seeds 1 and 2 (lost 3) and slowed others several-fold: not kept. A late burst drawn
 *   only with faults and after every other part (so the first span and fault-free
 *   scenarios drew exactly as before): half the scenarios with faults repeated up to
 *   four first-span requests 1 ms–2 s (log scale) after the last fault struck. Every
 *   wal find at seeds 1–3 stayed at the same run but sync-ack-before-local-flush
 *   (found at seed 1, run 368, real: holds without the bug; lost seed 3's run 1,997);
 *   no-fencing the same at seeds 1–3, and at seeds 4–6 lost seed 5's find (run 1,242, a
 *   run that never went quiet); cdc and leaderless at seed 1 unchanged but
 *   partition-count-change 91 → 112 and unclean-leader-election 310 → 186 runs.
 *   No find gained in count: not kept.
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
 * - resume-skips-position: seed 1 only (run 696 of 700, ordered-producer, 2 ops 1 fault).
 *   It needs a connector crash after a durable checkpoint inside a multi-change record
 *   while later events of that record are still unsent. Since the cdc workload draws
 *   transactions of up to 8 statements (bulk writes), ordered-producer sends one record
 *   per request (so a record is produced over several round trips) and the connector
 *   marks `checkpoint-mid-record`, a crash can be aimed at that moment; before, never
 *   (700 runs at each seed). Measured on one variant alone (300 runs per seed), not kept:
 *   8-statement transactions with batched production, with or without checkpoints every
 *   5 ms, found none; one record per request found seed 2 only, with or without 5 ms
 *   checkpoints (on no-snapshot as well).
 * - cdc unclean-leader-election: found at every seed since the same change (runs 309/70/218;
 *   seed 1 missed before, after the aimed-partition draws): borderline, moved by any change
 *   in what is drawn.
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
// After the cdc workload's bulk transactions: 40 (unclean-leader-election in at 309/70/218 runs).
// cdc deletes-flushed-last (per-key-order at the deduplicating sinks): found at 16/7/3 runs, 3 ops 0 faults,
// per-key-order named at every seed; cdc's other 48 hunts unchanged but tombstone-retention-zero@2 (285 → 257 runs:
// sink-transaction-atomicity judged on more runs moves coverage feedback). 41 of 46.
// With wal promote-before-relay-applied, the 47th bug: 42 of 47. It is found at every seed (729/69/889 runs,
// 2 ops 1 fault each; linearizable-primary-reads is named first: a session's write still in the
// promoted replica's relay log, its next read misses it); searched with monotonic-writes or
// writes-follow-reads alone its trigger finds those too (test/wal-relay-backlog-found.test.ts).
// semisync-after-sync's applier lags 50 ms a record for it; wal's other 15 re-hunted at seeds 1–3:
// identical but out-of-order-apply-after-reconnect, 74/14/354 → 69/14/169 runs.
const FOUND_FLOOR = 42;
/** Median runs until the first failure over every find: 28 over 130 finds in CI with 47 bugs (promote-before-relay-applied, deletes-flushed-last); 28 over 124 finds in CI after the cdc bulk transactions (20 over 121 before; 18 over 112 earlier) (before coverage feedback: 18 over 108; before issue 13's depth: 27 over 79; before swarm: 23). The goal is ≤ 50. */
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
