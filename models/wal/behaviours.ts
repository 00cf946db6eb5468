/**
 * The PostgreSQL and MySQL behaviours the wal model reproduces, each with the
 * knobs that select it, the claims that depend on it, the planted bugs beside it
 * and the sources its knobs, claims and bugs already cite (config.ts).
 */
import type { ModelBehaviour } from '../../src/index.js';

const PG_SYNC_DOC = 'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION';
const PG_WAL_DOC = 'https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT';
const MYSQL_COMMIT_ORDER = 'https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html#sysvar_replica_preserve_commit_order';

export const WAL_BEHAVIOURS: ModelBehaviour[] = [
  {
    id: 'semisync-relay-apply-lag',
    title: "Semi-sync acknowledges on the replica's relay-log write; its SQL thread applies later",
    what: "A semi-synchronous replica acknowledges a transaction once it is in its relay log; its SQL thread applies it when it gets to it (variant semisync-after-sync: 50 ms a record). A promoted replica applies its whole relay log before it takes writes, so a session's acknowledged writes, and the writes it read, stay ahead of what it writes next.",
    knobs: ['replication', 'replayMsPerRecord'],
    claims: ['monotonic-writes', 'writes-follow-reads'],
    bugs: ['promote-before-relay-applied'],
    sources: ['https://github.com/openark/orchestrator/issues/88'],
  },
  {
    id: 'sync-commit-levels',
    title: 'What a commit waits for: synchronous_commit levels and FIRST/ANY k quorums',
    what: 'off acknowledges at once, local after the local fsync, remote_write / on / remote_apply after the synchronous standbys wrote, flushed or replayed the commit too; with no synchronous standbys they behave like local. Durability through failover is claimed only where a standby must hold the commit.',
    knobs: ['synchronousCommit', 'synchronousStandbyNames', 'walWriterDelayMs'],
    claims: ['durability', 'monotonic-writes', 'lossless-failover', 'read-your-writes', 'bounded-staleness'],
    bugs: ['ack-on-write-not-flush', 'remote-apply-ack-before-replay'],
    sources: [PG_WAL_DOC, PG_SYNC_DOC, 'https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html#sysvar_sync_relay_log', 'https://www.postgresql.org/message-id/CAEepm=1UrDptgt+GCzrWvzQ79ELqKoSeGnOdiSaMUVvpPdwh0w@mail.gmail.com'],
  },
  {
    id: 'remote-write-primary-os-crash',
    title: 'remote_write survives an OS crash of the primary, not of the standby',
    what: "The primary fsyncs a commit before it waits, and streams only flushed WAL, so its own OS crash loses no acknowledged commit; the standby's copy sits in its OS cache, so a standby OS crash can. The remote_write claims tolerate machine crashes of the primary only.",
    knobs: ['synchronousCommit'],
    claims: ['durability', 'monotonic-writes', 'lossless-failover'],
    bugs: ['sync-ack-before-local-flush'],
    sources: [`${PG_WAL_DOC} (remote_write: "data preservation if the standby instance of PostgreSQL crashes, but not if the standby suffers an operating-system-level crash")`, 'https://github.com/postgres/postgres/blob/master/src/backend/replication/walsender.c'],
  },
  {
    id: 'first-k-streaming-only',
    title: 'FIRST/ANY k count only standbys in streaming state',
    what: "A standby that reconnects is in 'catchup' until it has received everything the primary had flushed when it reported; until then its acknowledgements do not count and FIRST k passes over it to the next standby in priority order.",
    knobs: ['synchronousStandbyNames'],
    claims: ['durability', 'lossless-failover'],
    bugs: [],
    sources: ['PostgreSQL syncrep.c SyncRepGetCandidateStandbys', PG_SYNC_DOC],
  },
  {
    id: 'in-doubt-commits',
    title: 'In-doubt commits become visible',
    what: 'A commit whose synchronous wait statement_timeout cancels stays committed locally and visible (COMMIT succeeds with a warning), and a restarted primary marks the commits its WAL holds committed at once, whether or not a standby has them: a client can read a commit that a later failover loses.',
    knobs: ['inDoubtCommits', 'statementTimeoutMs'],
    claims: ['lossless-failover', 'writes-follow-reads', 'linearizable-primary-reads', 'durability', 'monotonic-writes'],
    bugs: ['sync-cancel-reported-as-rollback'],
    sources: [
      'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION-HA ("those waiting transactions will be marked fully committed once the primary database recovers")',
      'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION ("canceling wait for synchronous replication ... already committed locally")',
      'MySQL AFTER_SYNC crash recovery likewise commits the transactions its binary log holds',
    ],
  },
  {
    id: 'visibility-order',
    title: 'Visibility order differs from WAL commit order (long fork)',
    what: 'On the primary a commit becomes visible when its backend leaves the ProcArray, so commits woken together show in any order, while standbys replay them in WAL order: two readers can see two transactions in opposite orders. no-long-fork is claimed only where the primary shows commits in WAL order.',
    knobs: ['procArrayDelayMs'],
    claims: ['no-long-fork'],
    bugs: ['apply-ignores-commit-order'],
    sources: ['https://jepsen.io/analyses/amazon-rds-for-postgresql-17.4', MYSQL_COMMIT_ORDER],
  },
  {
    id: 'rewind',
    title: 'A former primary rejoins only after pg_rewind: automatic or by an operator',
    what: "A node whose timeline diverged cuts its WAL back to the divergence point before it streams from the new primary; with rewind 'manual' it refuses the stream until an operator runs pg_rewind (manualRewindMs later).",
    knobs: ['rewind', 'manualRewindMs'],
    claims: ['convergence', 'committed-prefix'],
    bugs: ['rejoin-without-rewind'],
    sources: ['https://www.postgresql.org/docs/current/app-pgrewind.html', 'https://patroni.readthedocs.io/en/latest/yaml_configuration.html (use_pg_rewind)'],
  },
  {
    id: 'statement-shipping',
    title: 'Statement and MIXED binlog formats',
    what: "STATEMENT ships statements the replica re-executes, with the source's NOW() timestamp and RAND() seed but computing SYSDATE(), UUID() and USER() anew; MIXED logs those unsafe statements as row images. Convergence is claimed only where the replica computes the same values.",
    knobs: ['shipping', 'statementContext', 'timeFunction', 'randomFunction'],
    claims: ['convergence', 'committed-prefix', 'lossless-failover'],
    bugs: ['statement-without-context', 'mixed-logs-unsafe-as-statement'],
    sources: [
      'https://dev.mysql.com/doc/refman/8.0/en/binary-log-mixed.html',
      'https://dev.mysql.com/doc/refman/8.0/en/replication-rbr-safe-unsafe.html',
      'https://dev.mysql.com/doc/refman/8.0/en/replication-features-functions.html',
      'https://dev.mysql.com/doc/refman/8.0/en/replication-sbr-rbr.html',
    ],
  },
  {
    id: 'semisync-wait-point',
    title: 'MySQL semi-sync: AFTER_SYNC or AFTER_COMMIT, and the silent fallback to async',
    what: 'AFTER_SYNC waits for a replica before the engine commit becomes visible; AFTER_COMMIT shows it first, so others read a commit failover can lose. After rpl_semi_sync_source_timeout the source reverts to asynchronous replication without telling the client.',
    knobs: ['replication', 'semisyncWaitPoint', 'semisyncAcks', 'semisyncTimeoutMs'],
    claims: ['lossless-failover', 'durability', 'monotonic-writes'],
    bugs: ['semisync-after-commit-visibility', 'silent-async-fallback'],
    sources: ['https://dev.mysql.com/doc/refman/8.0/en/replication-semisync.html', 'https://dev.mysql.com/doc/refman/8.0/en/replication-semisync-interface.html'],
  },
  {
    id: 'failover-fencing',
    title: 'Monitor-driven failover with leases and fencing',
    what: "A monitor declares the primary dead after failoverTimeoutMs without heartbeats, waits for enough standbys' positions and promotes the most advanced one; the old primary stops serving when its lease lapses or it is fenced.",
    knobs: ['failover', 'promotion', 'fencing', 'failoverTimeoutMs', 'leaseMs', 'heartbeatMs'],
    claims: ['lossless-failover', 'durability', 'linearizable-primary-reads'],
    bugs: ['promote-lagging-standby', 'no-fencing'],
    sources: ['https://patroni.readthedocs.io/en/latest/replication_modes.html', 'PostgreSQL warm-standby.html#WARM-STANDBY-FAILOVER'],
  },
  {
    id: 'standby-replay',
    title: 'Standbys apply WAL once, in order, and show a transaction at its commit record',
    what: 'A standby skips retransmitted records, restarts the stream on a gap, replays flushed WAL in LSN order and makes a transaction visible only at its commit record; read-your-writes reads wait for replay.',
    knobs: ['replayMsPerRecord', 'statusIntervalMs', 'rywWaitMs'],
    claims: ['committed-prefix', 'convergence', 'no-aborted-read', 'no-intermediate-read', 'monotonic-reads'],
    bugs: ['retransmit-applied-twice', 'out-of-order-apply-after-reconnect', 'expose-in-progress-txn'],
    sources: [
      'https://dev.mysql.com/doc/refman/8.0/en/replication-solutions-unexpected-replica-halt.html',
      MYSQL_COMMIT_ORDER,
      'PostgreSQL hot standby keeps uncommitted changes invisible via KnownAssignedXids (high-availability.html#HOT-STANDBY)',
    ],
  },
];
