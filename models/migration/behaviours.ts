/**
 * The online-migration behaviours (gh-ost, pt-online-schema-change, AWS DMS,
 * mongosync) the migration model reproduces, each with the knobs that select it,
 * the claims that depend on it, the planted bugs beside it and the sources its
 * bugs already cite (index.ts).
 */
import type { ModelBehaviour } from '../../src/index.js';

export const MIGRATION_BEHAVIOURS: ModelBehaviour[] = [
  {
    id: 'dual-write',
    title: 'Dual writes: the source commits only when the target has the write too',
    what: "With cutover 'dual-write' every source commit is mirrored to the target and waits for it, as triggers on the original table do: a refused or lost second write fails the whole statement rather than leaving the target behind.",
    knobs: ['cutover'],
    claims: ['migration-no-loss', 'migration-target-equals-source'],
    bugs: ['dual-write-partial-failure'],
    sources: [
      'pt-online-schema-change documentation',
      'MySQL "Using Triggers"',
      'Debezium blog "Reliable Microservices Data Exchange With the Outbox Pattern" (2019)',
    ],
  },
  {
    id: 'backfill-never-overwrites',
    title: 'The bulk copy never overwrites a live write',
    what: 'Chunks are copied like INSERT IGNORE while live changes apply like REPLACE, so a chunk read before a live (dual-written) change and landing after it keeps the newer row; dualBeforeCopy makes copied rows race live writes.',
    knobs: ['dualBeforeCopy', 'chunkSize', 'preloadRows'],
    claims: ['migration-target-equals-source', 'migration-no-loss'],
    bugs: ['backfill-overwrites-newer'],
    sources: ['pt-online-schema-change documentation and source', 'gh-ost applies binlog events with REPLACE and copies rows with INSERT IGNORE (go/sql/builder.go, BuildRangeInsertQuery)'],
  },
  {
    id: 'verification-at-switch',
    title: 'Verification compares the source at the switch position, not live rows',
    what: "After the switch the mover compares the source as of the switch position with the target; resyncing from the source any row the target's clients have since written would overwrite acknowledged writes.",
    knobs: [],
    claims: ['migration-target-equals-source', 'migration-no-loss'],
    bugs: ['verify-races-live-writes'],
    sources: ['AWS DMS user guide, "AWS DMS data resync"', 'pt-table-checksum compares master and replica at one replication point'],
  },
  {
    id: 'cutover-drains-lag',
    title: 'Cut-over drains the replication backlog before reads or writes move',
    what: 'The write freeze begins once the stream lags by at most lagMax records, and clients move to the target only after it applied everything up to the freeze (or dual-write) position; a switch during lag loses or hides acknowledged writes.',
    knobs: ['lagMax', 'startAtMs', 'cutover'],
    claims: ['migration-read-after-cutover', 'migration-no-loss'],
    bugs: ['cutover-drops-inflight', 'cutover-during-lag'],
    sources: ['openark/gh-ost#14', 'cockroachdb/docs#19532', 'MongoDB mongosync "Finalize Cutover Process"'],
  },
];
