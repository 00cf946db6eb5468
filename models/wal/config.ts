/**
 * Configuration of the WAL replication family: knobs, validation, named presets,
 * planted bugs and the guarantees each variant claims.
 *
 * One configuration describes both shapes:
 * - PostgreSQL: `replication: 'pg'`, `synchronousCommit` + `synchronousStandbyNames`
 *   (runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT, warm-standby.html#SYNCHRONOUS-REPLICATION).
 * - MySQL semi-sync: `replication: 'semisync'`, `semisyncWaitPoint`, `semisyncAcks`
 *   (rpl_semi_sync_source_wait_for_replica_count), `semisyncTimeoutMs`
 *   (rpl_semi_sync_source_timeout, after which the source silently reverts to async).
 */
import type { FaultKind, GuaranteeClaim, MarkSpec, ModelKnob, PlantedBug, WorkloadOptions } from '../../src/index.js';

export type SyncCommit = 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';

export interface SyncStandbyNames {
  method: 'FIRST' | 'ANY';
  num: number;
  /** Standby ids in priority order (FIRST) or as a set (ANY). */
  names: string[];
}

export interface WalConfig {
  /** Database nodes n1..nN; n1 is the first primary. */
  nodes: number;
  replication: 'pg' | 'semisync';
  synchronousCommit: SyncCommit;
  /** Parsed synchronous_standby_names; num 0 = no synchronous standbys. */
  syncStandbys: SyncStandbyNames;
  semisyncWaitPoint: 'AFTER_SYNC' | 'AFTER_COMMIT';
  semisyncAcks: number;
  /** 0 = never fall back to async (wait forever, like PostgreSQL). */
  semisyncTimeoutMs: number;
  /** binlog_format: ROW, STATEMENT, or MIXED (statements, unsafe ones as row images). */
  shipping: 'row' | 'statement' | 'mixed';
  /** Statement shipping only: NOW()'s timestamp and RAND()'s seed travel with the statement. */
  statementContext: boolean;
  /** The function the workload's `now` ops call: NOW() (timestamp binlogged) or SYSDATE() (unsafe: the replica's clock). */
  timeFunction: 'NOW()' | 'SYSDATE()';
  /** The function the workload's `rand` ops call: RAND() (seed binlogged), or UUID() / USER() (unsafe: evaluated anew on the replica). */
  randomFunction: 'RAND()' | 'UUID()' | 'USER()';
  /**
   * What a restarted primary does with commits its WAL holds that were still waiting
   * for synchronous standbys: 'visible' (PostgreSQL: marked committed at recovery) or
   * 'hidden' (stricter: wait again for the standbys before showing them).
   */
  inDoubtCommits: 'visible' | 'hidden';
  /**
   * statement_timeout for a COMMIT's synchronous-replication wait (0 = none, the default):
   * the wait is cancelled, the commit stays (committed locally and visible) and
   * COMMIT succeeds with a WARNING notice, so the client holds an acknowledged commit
   * no standby may have.
   */
  statementTimeoutMs: number;
  /**
   * Longest a committing backend takes from its wake-up to leaving the ProcArray (where
   * the commit becomes visible on the primary); commits woken together leave in any
   * order. 0 = visible exactly in WAL commit order (stricter than PostgreSQL).
   */
  procArrayDelayMs: number;
  /**
   * How a former primary on a diverged timeline rejoins: 'auto' (Patroni use_pg_rewind:
   * pg_rewind runs at once) or 'manual' (plain PostgreSQL refuses the stream until an
   * operator runs pg_rewind, `manualRewindMs` later).
   */
  rewind: 'auto' | 'manual';
  manualRewindMs: number;
  failover: 'none' | 'auto';
  promotion: 'most-advanced' | 'priority';
  fencing: boolean;
  /** Monitor declares the primary dead after this long without a heartbeat. */
  failoverTimeoutMs: number;
  /** Primary's lease; it stops serving when unrenewed this long. Must be < failoverTimeoutMs. */
  leaseMs: number;
  heartbeatMs: number;
  /** wal_receiver_status_interval: standby feedback period. */
  statusIntervalMs: number;
  /** wal_writer_delay: how often WAL of `off` commits is flushed. */
  walWriterDelayMs: number;
  /** Time a standby spends replaying one WAL record (0 = instantly). */
  replayMsPerRecord: number;
  /** Longest a read-your-writes read waits on a standby before failing. */
  rywWaitMs: number;
}

const DEFAULTS: WalConfig = {
  nodes: 3,
  replication: 'pg',
  synchronousCommit: 'on',
  syncStandbys: { method: 'FIRST', num: 0, names: [] },
  semisyncWaitPoint: 'AFTER_SYNC',
  semisyncAcks: 1,
  semisyncTimeoutMs: 0,
  shipping: 'row',
  statementContext: true,
  timeFunction: 'NOW()',
  randomFunction: 'RAND()',
  inDoubtCommits: 'visible',
  statementTimeoutMs: 0,
  procArrayDelayMs: 0.2,
  rewind: 'auto',
  manualRewindMs: 100,
  failover: 'auto',
  promotion: 'most-advanced',
  fencing: true,
  failoverTimeoutMs: 120,
  leaseMs: 60,
  heartbeatMs: 5,
  statusIntervalMs: 10,
  walWriterDelayMs: 5,
  replayMsPerRecord: 0.05,
  rywWaitMs: 200,
};

export const knobs: ModelKnob[] = [
  { name: 'nodes', values: [2, 3, 4, 5], range: { min: 2, max: 9, integer: true }, default: 3, description: 'database nodes n1..nN (n1 starts as primary); failover adds a monitor node "m"' },
  { name: 'replication', values: ['pg', 'semisync'], default: 'pg', description: 'PostgreSQL synchronous_commit or MySQL semi-synchronous replication' },
  { name: 'synchronousCommit', values: ['off', 'local', 'remote_write', 'on', 'remote_apply'], default: 'on', description: 'PostgreSQL synchronous_commit: what a commit waits for before it is acknowledged' },
  { name: 'synchronousStandbyNames', values: ['', 'FIRST 1 (*)', 'ANY 1 (*)', 'FIRST 2 (*)', 'ANY 2 (*)'], default: '', description: 'PostgreSQL synchronous_standby_names, "FIRST k (a, b)" or "ANY k (a, b)"; * = every other node; empty = asynchronous; only standbys in streaming state count (one catching up does not)', source: 'PostgreSQL syncrep.c SyncRepGetCandidateStandbys: only standbys whose pg_stat_replication state is streaming are candidates; https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION' },
  { name: 'semisyncWaitPoint', values: ['AFTER_SYNC', 'AFTER_COMMIT'], default: 'AFTER_SYNC', description: 'MySQL rpl_semi_sync_source_wait_point: wait for the replica ack before or after the engine commit becomes visible' },
  { name: 'semisyncAcks', values: [1, 2], range: { min: 1, max: 8, integer: true }, default: 1, description: 'MySQL rpl_semi_sync_source_wait_for_replica_count' },
  { name: 'semisyncTimeoutMs', values: [0, 50, 10000], range: { min: 0 }, default: 0, description: 'MySQL rpl_semi_sync_source_timeout; after it the source silently reverts to async (0 = never)' },
  { name: 'shipping', values: ['row', 'statement', 'mixed'], default: 'row', description: 'binlog_format: ship row images (physical/row-based), statements the replica re-executes, or MIXED (statements; unsafe ones as row images)', source: 'https://dev.mysql.com/doc/refman/8.0/en/binary-log-mixed.html' },
  { name: 'statementContext', values: [true, false], default: true, description: "statement shipping: the source's timestamp and RAND() seed travel with the statement (MySQL binlog does)" },
  { name: 'timeFunction', values: ['NOW()', 'SYSDATE()'], default: 'NOW()', description: "what `now` ops call: NOW() (the binlog carries the source's timestamp) or SYSDATE() (unsafe for STATEMENT: the replica reads its own clock; MIXED logs it as a row)", source: 'https://dev.mysql.com/doc/refman/8.0/en/replication-rbr-safe-unsafe.html' },
  { name: 'randomFunction', values: ['RAND()', 'UUID()', 'USER()'], default: 'RAND()', description: 'what `rand` ops call: RAND() (seed binlogged; a warning in STATEMENT, a row in MIXED) or UUID() / USER() (unsafe for STATEMENT: the replica computes its own; MIXED logs a row)', source: 'https://dev.mysql.com/doc/refman/8.0/en/replication-features-functions.html' },
  { name: 'inDoubtCommits', values: ['visible', 'hidden'], default: 'visible', description: 'a restarted primary marks commits that were waiting for synchronous standbys committed at once (PostgreSQL), or hides them until the standbys acknowledge (stricter)', source: 'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION-HA ("those waiting transactions will be marked fully committed once the primary database recovers")' },
  { name: 'statementTimeoutMs', values: [0, 50], range: { min: 0 }, default: 0, description: 'statement_timeout on COMMIT: a cancelled synchronous-replication wait leaves the commit visible locally and COMMIT succeeds with a WARNING notice (drivers report success); 0 = never cancel', source: 'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION ("canceling wait for synchronous replication ... already committed locally")' },
  { name: 'procArrayDelayMs', values: [0, 0.2, 1], range: { min: 0 }, default: 0.2, description: 'most a committing backend takes to leave the ProcArray after its wake-up; commits woken together become visible on the primary in any order (0 = in WAL order)', source: 'Jepsen, Amazon RDS for PostgreSQL 17.4 (2025): visibility order differs from WAL commit order, https://jepsen.io/analyses/amazon-rds-for-postgresql-17.4' },
  { name: 'rewind', values: ['auto', 'manual'], default: 'auto', description: "a former primary on a diverged timeline: pg_rewind runs at once (Patroni use_pg_rewind) or it refuses to stream until an operator runs pg_rewind (plain PostgreSQL)", source: 'https://www.postgresql.org/docs/current/app-pgrewind.html; https://patroni.readthedocs.io/en/latest/yaml_configuration.html (use_pg_rewind)' },
  { name: 'manualRewindMs', values: [100], range: { min: 0 }, default: 100, description: "rewind 'manual': how long after the refusal the operator runs pg_rewind" },
  { name: 'failover', values: ['none', 'auto'], default: 'auto', description: 'automatic failover by a monitor node (pg_auto_failover / Patroni style)' },
  { name: 'promotion', values: ['most-advanced', 'priority'], default: 'most-advanced', description: 'which reachable standby the monitor promotes' },
  { name: 'fencing', values: [true, false], default: true, description: 'the old primary stops serving when its lease lapses or the monitor fences it' },
  { name: 'failoverTimeoutMs', values: [90, 120, 300], range: { min: 2 }, default: 120, description: 'failure detector timeout (no heartbeat from the primary)' },
  { name: 'leaseMs', values: [30, 60, 100], range: { min: 1 }, default: 60, description: 'primary lease; must be shorter than failoverTimeoutMs' },
  { name: 'heartbeatMs', values: [2, 5, 10], range: { min: 0.1 }, default: 5, description: 'node → monitor heartbeat period' },
  { name: 'statusIntervalMs', values: [5, 10, 50], range: { min: 0.1 }, default: 10, description: 'wal_receiver_status_interval' },
  { name: 'walWriterDelayMs', values: [2, 5, 20], range: { min: 0.1 }, default: 5, description: 'wal_writer_delay (flush period for synchronous_commit=off)' },
  { name: 'replayMsPerRecord', values: [0, 0.05, 1], range: { min: 0 }, default: 0.05, description: 'standby replay cost per WAL record' },
  { name: 'rywWaitMs', values: [50, 200], range: { min: 0 }, default: 200, description: 'read-your-writes: longest a standby waits for replay before failing the read' },
];

/**
 * The protocol moments a node marks (`ctx.mark`), where a fault changes what a
 * commit's acknowledgement means: in flight between durable, shipped, acked and
 * visible, or around a lease and a failover. The same name means the same moment
 * on whichever node (primary or standby) reaches it.
 */
export const marks: MarkSpec[] = [
  { name: 'flush-start', description: 'a WAL fsync began (primary: its commits; standby: WAL it received); not yet durable' },
  { name: 'flush-done', description: 'a WAL fsync completed and moved the flushed position: those records survive a machine crash' },
  { name: 'wal-shipped', description: 'the primary sent flushed WAL records to a standby' },
  { name: 'write-ack', description: 'a standby sent a status update with a higher written (received) position' },
  { name: 'flush-ack', description: 'a standby sent a status update with a higher flushed position (the sync / semi-sync ack)' },
  { name: 'apply-ack', description: 'a standby sent a status update with a higher replayed position (the remote_apply ack)' },
  { name: 'visible', description: 'a change became visible to readers on this node (primary: commit shown; standby: replayed)' },
  { name: 'commit-acked', description: 'the primary acknowledged a commit to its client' },
  { name: 'heartbeat-answered', description: "the monitor's answer to a heartbeat arrived (on the primary it renews the lease)" },
  { name: 'election-start', description: 'the monitor declared the primary dead (no heartbeat within failoverTimeoutMs) and began an election' },
  { name: 'demoted', description: 'a primary stepped down (fenced, lease lapsed, or another node named primary)' },
  { name: 'promoted', description: 'a standby became primary of a new timeline (promotion; the timeline switch)' },
  { name: 'rewound', description: "a node cut its WAL back to the new timeline's divergence point (pg_rewind)" },
  { name: 'stream-start', description: 'a standby (re)started streaming from a primary (after a hello: connect, reconnect, rejoin)' },
];

export const BUG_NAMES = [
  'ack-on-write-not-flush',
  'remote-apply-ack-before-replay',
  'promote-lagging-standby',
  'no-fencing',
  'rejoin-without-rewind',
  'semisync-after-commit-visibility',
  'silent-async-fallback',
  'statement-without-context',
  'retransmit-applied-twice',
  'out-of-order-apply-after-reconnect',
  'expose-in-progress-txn',
  'sync-cancel-reported-as-rollback',
  'apply-ignores-commit-order',
  'sync-ack-before-local-flush',
  'mixed-logs-unsafe-as-statement',
  'promote-before-relay-applied',
] as const;
export type WalBug = (typeof BUG_NAMES)[number];

/** Under `silent-async-fallback`, a PostgreSQL sync wait gives up after this long. */
export const BUG_FALLBACK_MS = 40;

export const bugs: PlantedBug[] = [
  {
    name: 'ack-on-write-not-flush',
    description: 'the standby reports WAL as flushed once written to its OS cache, so `on` acknowledges commits a standby OS crash loses',
    source: 'MySQL sync_relay_log (default 10000): a replica acknowledges events written but not fsynced to its relay log; https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html#sysvar_sync_relay_log',
  },
  {
    name: 'remote-apply-ack-before-replay',
    description: 'the standby reports its replay position as soon as WAL is flushed, so remote_apply acknowledges before the commit is visible on the standby',
    source: 'pgsql-hackers "Proposal: RemoteApply / synchronous_commit = remote_apply" (2016-03), on replying only once the commit record has been applied and is visible: https://www.postgresql.org/message-id/CAEepm=1UrDptgt+GCzrWvzQ79ELqKoSeGnOdiSaMUVvpPdwh0w@mail.gmail.com',
  },
  {
    name: 'promote-lagging-standby',
    description: 'the monitor promotes the first and least advanced standby that answers instead of waiting for a quorum and taking the most advanced one',
    source: "Patroni maximum_lag_on_failover exists because promoting a lagging replica loses data: https://patroni.readthedocs.io/en/latest/replication_modes.html",
  },
  {
    name: 'no-fencing',
    description: 'the old primary ignores lease expiry and fence requests, so a partitioned old primary keeps serving (two primaries): sessions that reach it read data the new primary has overwritten, and its writes are lost (asynchronous) or hang (synchronous)',
    source: 'PostgreSQL warm-standby.html#WARM-STANDBY-FAILOVER: "some mechanism to ... prevent the old primary from continuing" (STONITH); GitHub 2018-10-21 incident analysis',
  },
  {
    name: 'rejoin-without-rewind',
    description: 'the old primary rejoins as a standby of the new timeline without pg_rewind, keeping its divergent suffix',
    source: 'pg_rewind documentation: a former primary must be resynchronized after the timelines diverged; https://www.postgresql.org/docs/current/app-pgrewind.html',
  },
  {
    name: 'semisync-after-commit-visibility',
    description: 'AFTER_SYNC behaves as AFTER_COMMIT: other sessions see a transaction before any replica has acknowledged it, and failover loses what they saw',
    source: 'MySQL rpl_semi_sync_source_wait_point: with AFTER_COMMIT "other clients can see the committed transaction before the committing client" and it can be lost on failover; https://dev.mysql.com/doc/refman/8.0/en/replication-semisync.html',
  },
  {
    name: 'silent-async-fallback',
    description: `a PostgreSQL-shaped synchronous wait times out after ${BUG_FALLBACK_MS} ms and acknowledges anyway, as MySQL semi-sync does`,
    source: 'MySQL rpl_semi_sync_source_timeout: "the source reverts to asynchronous replication" silently; contrast PostgreSQL, where commits wait until a standby replies; https://dev.mysql.com/doc/refman/8.0/en/replication-semisync-interface.html',
  },
  {
    name: 'statement-without-context',
    description: "statement shipping drops the source's timestamp and RAND() seed, so the replica computes its own NOW() and RAND()",
    source: 'MySQL "Advantages and Disadvantages of Statement-Based and Row-Based Replication": NOW()/RAND() need the binlogged timestamp and seed; https://dev.mysql.com/doc/refman/8.0/en/replication-sbr-rbr.html',
  },
  {
    name: 'retransmit-applied-twice',
    description: 'after reconnecting, the replica asks from its applied (not received) position and applies retransmitted records again (no LSN/GTID skip)',
    source: 'MySQL "Making Replication Resilient to Unexpected Halts": without GTID auto-positioning and relay_log_recovery a replica can re-execute transactions; https://dev.mysql.com/doc/refman/8.0/en/replication-solutions-unexpected-replica-halt.html',
  },
  {
    name: 'out-of-order-apply-after-reconnect',
    description: 'after a reconnect the replica applies newly received transactions before its unapplied backlog',
    source: 'MySQL multi-threaded replica with replica_preserve_commit_order=OFF commits out of source order and leaves gaps after a stop; https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html#sysvar_replica_preserve_commit_order',
  },
  {
    name: 'expose-in-progress-txn',
    description: "the standby makes each replayed row change visible at once instead of at the transaction's commit record",
    source: 'PostgreSQL hot standby keeps uncommitted changes invisible via KnownAssignedXids (high-availability.html#HOT-STANDBY); the mutant drops that, as in a READ UNCOMMITTED reader',
  },
  {
    name: 'sync-cancel-reported-as-rollback',
    description: 'a COMMIT whose synchronous-replication wait statement_timeout cancels is reported to the client as an error, though it committed locally and other sessions see it',
    source: 'PostgreSQL warm-standby.html#SYNCHRONOUS-REPLICATION: a cancelled wait answers "WARNING: canceling wait for synchronous replication ... The transaction has already committed locally, but might not have been replicated to the standby"; an application or proxy treating the cancel as a rollback retries or reports a visible write as failed',
  },
  {
    name: 'apply-ignores-commit-order',
    description: 'the standby applies commits of transactions on different keys in an order of its own, so two standbys (or a standby and the primary) show them in opposite orders',
    source: 'MySQL replica_preserve_commit_order=OFF: a multi-threaded replica commits independent transactions out of source order; https://dev.mysql.com/doc/refman/8.0/en/replication-options-replica.html#sysvar_replica_preserve_commit_order',
  },
  {
    name: 'sync-ack-before-local-flush',
    description: "the walsender streams WAL the primary has not fsynced and a synchronous commit is acknowledged once the standbys have it, before the primary's own flush, so a primary OS crash (the primary restarting as primary) loses an acknowledged commit — under remote_write too, whose claim tolerates the primary's OS crash",
    source: 'PostgreSQL xact.c RecordTransactionCommit flushes the commit record (XLogFlush) before SyncRepWaitForLSN, and walsender.c XLogSendPhysical: "it\'s unsafe to send WAL that is not securely down to disk on the primary: if the primary subsequently crashes and restarts, standbys must not have applied any WAL that got lost on the primary"; https://github.com/postgres/postgres/blob/master/src/backend/replication/walsender.c',
  },
  {
    name: 'mixed-logs-unsafe-as-statement',
    description: 'binlog_format=MIXED logs statements calling SYSDATE(), UUID() or USER() as statements instead of switching to row images, so the replica computes other values',
    source: 'MySQL binary-log-mixed.html: in MIXED format the server switches to row-based logging "when a function contains UUID()", "when USER(), CURRENT_USER() ... is used"; replication-rbr-safe-unsafe.html lists SYSDATE() as unsafe',
  },
  {
    name: 'promote-before-relay-applied',
    description: "the failover manager makes a replica writable before its SQL thread has applied the relay log (semi-sync acknowledged those transactions once they were in it); the SQL thread keeps applying them after promotion, as the new source's own commits, behind writes clients make on it meanwhile",
    source: 'orchestrator issue 88 "do not promote a replica if it has not consumed its relay logs" and FailMasterPromotionIfSQLThreadNotUpToDate / DelayMasterPromotionIfSQLThreadNotUpToDate (both off by default): https://github.com/openark/orchestrator/issues/88, https://github.com/openark/orchestrator/pull/104; MySQL WAIT_FOR_EXECUTED_GTID_SET exists to wait for the applier before enabling writes: https://dev.mysql.com/doc/refman/8.0/en/gtid-functions.html',
  },
];

/** Named variants the property suite iterates (raw configs for `configure`). */
export const walVariants: Record<string, Record<string, unknown>> = {
  async: { synchronousCommit: 'local', synchronousStandbyNames: '' },
  'async-off': { synchronousCommit: 'off', synchronousStandbyNames: '' },
  'async-no-failover': { synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none' },
  'sync-remote-write': { synchronousCommit: 'remote_write', synchronousStandbyNames: 'FIRST 1 (*)' },
  'sync-on': { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' },
  'sync-remote-apply': { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'ANY 2 (*)' },
  'sync-remote-apply-slow-replay': { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'ANY 2 (*)', replayMsPerRecord: 1 },
  'quorum-any-1': { synchronousCommit: 'on', synchronousStandbyNames: 'ANY 1 (*)' },
  // Semi-sync acknowledges once a replica wrote the relay log; its SQL thread applies later, here far behind.
  'semisync-after-sync': { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC', semisyncAcks: 1, replayMsPerRecord: 50 },
  'semisync-after-commit': { replication: 'semisync', semisyncWaitPoint: 'AFTER_COMMIT', semisyncAcks: 1 },
  'semisync-timeout': { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC', semisyncTimeoutMs: 50 },
  'statement-ctx': { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', shipping: 'statement' },
  'async-slow-replay': { synchronousCommit: 'local', synchronousStandbyNames: '', replayMsPerRecord: 1 },
  'async-lagging-replay': { synchronousCommit: 'local', synchronousStandbyNames: '', replayMsPerRecord: 5 },
  'statement-slow-replay': { synchronousCommit: 'local', synchronousStandbyNames: '', shipping: 'statement', replayMsPerRecord: 1 },
  'statement-noctx': { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', shipping: 'statement', statementContext: false },
  'sync-on-statement-timeout': { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', statementTimeoutMs: 50 },
  'async-no-failover-wal-order': { synchronousCommit: 'local', synchronousStandbyNames: '', failover: 'none', procArrayDelayMs: 0 },
  'mixed-unsafe-functions': { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)', shipping: 'mixed', timeFunction: 'SYSDATE()', randomFunction: 'UUID()' },
  'async-manual-rewind': { synchronousCommit: 'local', synchronousStandbyNames: '', rewind: 'manual' },
};

// ───────────────────────────── validation ─────────────────────────────

/** Fill defaults and reject invalid configuration with a message naming the knob. */
export function configure(raw: Record<string, unknown>, bug?: string): WalConfig {
  if (bug !== undefined && !(BUG_NAMES as readonly string[]).includes(bug)) {
    throw new Error(`wal: unknown bug "${bug}"; known: ${BUG_NAMES.join(', ')}`);
  }
  const known = new Set([...Object.keys(DEFAULTS), 'synchronousStandbyNames']);
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new Error(`wal: unknown knob "${k}"`);
  const c: WalConfig = { ...DEFAULTS, syncStandbys: { ...DEFAULTS.syncStandbys } };
  c.nodes = int(raw, 'nodes', c.nodes, 2, 9);
  c.replication = oneOf(raw, 'replication', c.replication, ['pg', 'semisync']);
  c.synchronousCommit = oneOf(raw, 'synchronousCommit', c.synchronousCommit, ['off', 'local', 'remote_write', 'on', 'remote_apply']);
  c.semisyncWaitPoint = oneOf(raw, 'semisyncWaitPoint', c.semisyncWaitPoint, ['AFTER_SYNC', 'AFTER_COMMIT']);
  c.semisyncAcks = int(raw, 'semisyncAcks', c.semisyncAcks, 1, c.nodes - 1);
  c.semisyncTimeoutMs = num(raw, 'semisyncTimeoutMs', c.semisyncTimeoutMs, 0);
  c.shipping = oneOf(raw, 'shipping', c.shipping, ['row', 'statement', 'mixed']);
  c.statementContext = bool(raw, 'statementContext', c.statementContext);
  c.timeFunction = oneOf(raw, 'timeFunction', c.timeFunction, ['NOW()', 'SYSDATE()']);
  c.randomFunction = oneOf(raw, 'randomFunction', c.randomFunction, ['RAND()', 'UUID()', 'USER()']);
  c.inDoubtCommits = oneOf(raw, 'inDoubtCommits', c.inDoubtCommits, ['visible', 'hidden']);
  c.statementTimeoutMs = num(raw, 'statementTimeoutMs', c.statementTimeoutMs, 0);
  c.procArrayDelayMs = num(raw, 'procArrayDelayMs', c.procArrayDelayMs, 0);
  c.rewind = oneOf(raw, 'rewind', c.rewind, ['auto', 'manual']);
  c.manualRewindMs = num(raw, 'manualRewindMs', c.manualRewindMs, 0);
  c.failover = oneOf(raw, 'failover', c.failover, ['none', 'auto']);
  c.promotion = oneOf(raw, 'promotion', c.promotion, ['most-advanced', 'priority']);
  c.fencing = bool(raw, 'fencing', c.fencing);
  c.failoverTimeoutMs = num(raw, 'failoverTimeoutMs', c.failoverTimeoutMs, 2); // > leaseMs ≥ 1
  c.leaseMs = num(raw, 'leaseMs', c.leaseMs, 1);
  c.heartbeatMs = num(raw, 'heartbeatMs', c.heartbeatMs, 0.1);
  c.statusIntervalMs = num(raw, 'statusIntervalMs', c.statusIntervalMs, 0.1);
  c.walWriterDelayMs = num(raw, 'walWriterDelayMs', c.walWriterDelayMs, 0.1);
  c.replayMsPerRecord = num(raw, 'replayMsPerRecord', c.replayMsPerRecord, 0);
  c.rywWaitMs = num(raw, 'rywWaitMs', c.rywWaitMs, 0);
  const ssn = raw.synchronousStandbyNames ?? '';
  if (typeof ssn !== 'string') throw new Error('wal: synchronousStandbyNames must be a string like "FIRST 1 (n2, n3)"');
  c.syncStandbys = parseStandbyNames(ssn, dbNodes(c));
  // A primary is never its own standby: more sync standbys than other nodes would make every commit wait forever.
  if (c.syncStandbys.num > c.nodes - 1) {
    throw new Error(`wal: synchronousStandbyNames wants ${c.syncStandbys.num} standbys but ${c.nodes} nodes have only ${c.nodes - 1} besides the primary`);
  }
  if (c.leaseMs >= c.failoverTimeoutMs) {
    throw new Error(`wal: leaseMs (${c.leaseMs}) must be shorter than failoverTimeoutMs (${c.failoverTimeoutMs}) so the old primary stops before a new one starts`);
  }
  if (c.heartbeatMs >= c.leaseMs) throw new Error(`wal: heartbeatMs (${c.heartbeatMs}) must be shorter than leaseMs (${c.leaseMs})`);
  return c;
}

/** Database node ids n1..nN. */
export function dbNodes(c: Pick<WalConfig, 'nodes'>): string[] {
  return Array.from({ length: c.nodes }, (_, i) => `n${i + 1}`);
}

export const MONITOR = 'm';

/**
 * Parse synchronous_standby_names: "", "FIRST k (a, b)", "ANY k (a, b)" or
 * "k (a, b)" (= FIRST); "*" in the list means every database node.
 */
export function parseStandbyNames(s: string, nodes: string[]): SyncStandbyNames {
  const text = s.trim();
  if (text === '') return { method: 'FIRST', num: 0, names: [] };
  const m = /^(?:(FIRST|ANY)\s+)?(\d+)\s*\(([^)]*)\)$/i.exec(text);
  if (!m) throw new Error(`wal: synchronousStandbyNames "${s}" is not "FIRST k (names)" or "ANY k (names)"`);
  const list = m[3]!.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const names = list.includes('*') ? nodes : list;
  for (const n of names) if (!nodes.includes(n)) throw new Error(`wal: synchronousStandbyNames names unknown node "${n}"`);
  const num = Number(m[2]);
  if (num < 1 || num > names.length) throw new Error(`wal: synchronousStandbyNames wants ${num} of ${names.length} standbys`);
  return { method: (m[1]?.toUpperCase() ?? 'FIRST') as 'FIRST' | 'ANY', num, names };
}

function int(raw: Record<string, unknown>, k: string, d: number, min: number, max: number): number {
  const v = raw[k] ?? d;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`wal: ${k} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(raw: Record<string, unknown>, k: string, d: number, min: number): number {
  const v = raw[k] ?? d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`wal: ${k} must be a number ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(raw: Record<string, unknown>, k: string, d: boolean): boolean {
  const v = raw[k] ?? d;
  if (typeof v !== 'boolean') throw new Error(`wal: ${k} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(raw: Record<string, unknown>, k: string, d: T, values: readonly T[]): T {
  const v = raw[k] ?? d;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new Error(`wal: ${k} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

// ───────────────────────────── claims ─────────────────────────────

const ALL_FAULTS = ['crash:process', 'crash:machine', 'partition', 'pause', 'clog'];

/**
 * How many standbys must hold a commit before it is acknowledged (0 = none).
 * PostgreSQL levels below remote_write and an empty synchronous_standby_names
 * wait for no standby; semi-sync waits for `semisyncAcks` unless it may time out.
 */
export function replicatedAcks(c: WalConfig): number {
  if (c.replication === 'semisync') return c.semisyncTimeoutMs > 0 ? 0 : c.semisyncAcks;
  if (['off', 'local'].includes(c.synchronousCommit)) return 0;
  return c.syncStandbys.num;
}

/**
 * Fault kinds under which an acknowledged commit survives; undefined = not even
 * without injected faults: asynchronous commit with automatic failover loses
 * local-only commits whenever the monitor fails over, and a lossy or slow
 * network alone (lost or late heartbeats) can make it fail over. PostgreSQL
 * warm-standby.html: with asynchronous replication, data committed on the
 * primary but not yet replicated can be lost on failover.
 */
function durableUnder(c: WalConfig): string[] | undefined {
  const noCrash = ['partition', 'pause', 'clog'];
  // A cancelled synchronous wait acknowledges a commit no standby may have: for
  // durability through failover that is asynchronous replication.
  const cancels = c.replication === 'pg' && c.statementTimeoutMs > 0;
  if (replicatedAcks(c) === 0 || cancels) {
    if (c.failover === 'auto') return undefined;
    return c.replication === 'pg' && c.synchronousCommit === 'off' ? noCrash : ALL_FAULTS;
  }
  // remote_write: the standby copy sits in its OS cache, so a standby OS crash can lose it;
  // the primary fsynced before acknowledging, so its own OS crash cannot.
  if (remoteWrite(c)) return REMOTE_WRITE_FAULTS;
  return ALL_FAULTS;
}

function remoteWrite(c: WalConfig): boolean {
  return c.replication === 'pg' && c.synchronousCommit === 'remote_write' && c.syncStandbys.num > 0;
}

/**
 * Fault kinds name the crashed node's role when the crash came (the node that
 * served the last acknowledged write before it is the primary: crash@primary,
 * crash:machine@primary; any other node: @replica).
 */
const REMOTE_WRITE_FAULTS = ['crash:process', 'crash:machine@primary', 'partition', 'pause', 'clog'];

const PG_SYNC_DOC = 'https://www.postgresql.org/docs/current/warm-standby.html#SYNCHRONOUS-REPLICATION';
const PG_WAL_DOC = 'https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT';

/**
 * What the variant guarantees. Ids follow the checkers' vocabulary; `tolerates`
 * lists the fault kinds under which the claim must hold (others only measure it).
 * A planted bug claims exactly what its correct variant claims — that is what
 * the meta-tests hold it to — so `_bug` is ignored.
 */
export function claims(c: WalConfig, _bug?: string): GuaranteeClaim[] {
  const out: GuaranteeClaim[] = [];
  const add = (id: string, under: string, tolerates = ALL_FAULTS, source?: string) => out.push({ id, under, tolerates, ...(source ? { source } : {}) });
  // Statements re-executed without the source's NOW()/RAND() context, or calling functions
  // unsafe for STATEMENT format (SYSDATE(), UUID(), USER()), diverge by design.
  const unsafeFns = c.timeFunction === 'SYSDATE()' || c.randomFunction !== 'RAND()';
  const statementOk = c.shipping === 'row' || (c.statementContext && !(c.shipping === 'statement' && unsafeFns));
  if (statementOk) {
    add('convergence', 'after the quiet phase every live node holds the primary state');
    add('committed-prefix', "every node's visible log is a prefix of the primary's commit order (after rewinds)");
  }
  add('no-aborted-read', 'no node ever shows a rolled-back or never-committed write');
  add('no-intermediate-read', 'no node shows a value a transaction overwrote before committing');
  const durable = durableUnder(c);
  if (durable) {
    const src = remoteWrite(c) ? `${PG_WAL_DOC} (remote_write: "data preservation if the standby instance of PostgreSQL crashes, but not if the standby suffers an operating-system-level crash")` : undefined;
    add('durability', 'an acknowledged commit is in the final primary state', durable, src);
    add('monotonic-writes', "a session's acknowledged writes survive in session order", durable, src);
  }
  const lossless = losslessFailover(c) && statementOk;
  if (lossless) {
    // A restarted primary shows its in-doubt commits (no standby may have them), a
    // client reads one, and a later failover loses it: no primary crash is tolerated.
    const inDoubt = c.inDoubtCommits === 'visible';
    let t = remoteWrite(c) ? durable! : ALL_FAULTS;
    if (inDoubt) t = remoteWrite(c) ? ['crash:process@replica', 'partition', 'pause', 'clog'] : ['crash@replica', 'partition', 'pause', 'clog'];
    const src = inDoubt
      ? `${PG_SYNC_DOC}#SYNCHRONOUS-REPLICATION-HA ("If the primary restarts while commits are waiting for acknowledgment, those waiting transactions will be marked fully committed once the primary database recovers"); MySQL AFTER_SYNC crash recovery likewise commits the transactions its binary log holds`
      : PG_SYNC_DOC;
    const under = inDoubt ? ', unless the primary crashes (its in-doubt commits become visible)' : '';
    add('lossless-failover', `failover loses no acknowledged commit and no value read from a primary${under}`, t, src);
    add('writes-follow-reads', `a write that follows a read is ordered after the write it read${under}`, t, src);
    add('linearizable-primary-reads', `reads served by the primary, with all writes, are linearizable per key${under}`, t, src);
  } else if (c.failover === 'none' && statementOk) {
    add('writes-follow-reads', 'a write that follows a read is ordered after the write it read', durable);
    add('linearizable-primary-reads', 'reads served by the (only) primary, with all writes, are linearizable per key', durable);
  }
  if (remoteApplyToAll(c) && (lossless || c.failover === 'none')) {
    // A standby OS crash rolls its visible state back to what was fsynced.
    const t = ALL_FAULTS.filter((f) => f !== 'crash:machine');
    add('read-your-writes', 'every session, whatever its read policy (remote_apply on every standby)', t);
    // remote_apply: a commit is acknowledged only once every standby applied it, so a
    // read that begins after the acknowledgement misses no acknowledged version.
    out.push({ id: 'bounded-staleness', under: 'a read reflects every commit acknowledged before it began (bound 0)', tolerates: t, bound: { kMax: 0, since: 'ack' } });
    // A standby may show a not-yet-acknowledged commit that a failover then drops.
    if (c.failover === 'none') add('monotonic-reads', 'every session, whatever its read policy', t);
  }
  // Readers on the primary and on standbys agree on one order of commits only when the
  // primary shows commits in WAL order (MySQL's ordered binlog commit; PostgreSQL with
  // procArrayDelayMs 0, stricter than the real one) and no failover discards a branch.
  if (c.failover === 'none' && statementOk && durable && (c.replication === 'semisync' || c.procArrayDelayMs === 0)) {
    add('no-long-fork', 'readers on any nodes never see two transactions in opposite orders', durable,
      'PostgreSQL does not promise this across primary and standby readers: Jepsen, Amazon RDS for PostgreSQL 17.4 (2025), https://jepsen.io/analyses/amazon-rds-for-postgresql-17.4');
  }
  return out;
}

/** True when failover can never lose an acknowledged or visible commit (given the faults). */
function losslessFailover(c: WalConfig): boolean {
  if (c.failover !== 'auto' || !c.fencing || c.promotion !== 'most-advanced') return false;
  // A cancelled wait leaves a commit visible that no standby may have.
  if (c.replication === 'pg' && c.statementTimeoutMs > 0) return false;
  if (c.replication === 'semisync') return c.semisyncTimeoutMs === 0 && c.semisyncWaitPoint === 'AFTER_SYNC';
  return replicatedAcks(c) > 0;
}

/** remote_apply that waits for every standby: reads anywhere see acknowledged commits. */
function remoteApplyToAll(c: WalConfig): boolean {
  return c.replication === 'pg' && c.synchronousCommit === 'remote_apply' && c.syncStandbys.num >= c.nodes - 1;
}

/**
 * Where each planted bug shows (for the meta-tests): a preset variant (or a
 * configuration of its own), a fault profile, optionally narrower fault kinds
 * and a workload packed into the window where the bug bites, and the
 * guarantees expected to catch it. A trigger only chooses *where to look*; the
 * claims checked are the variant's own, and the correct variant must pass the
 * very scenario that exposed the bug.
 */
export interface WalBugTrigger {
  variant: string;
  /** A configuration of its own (default: the named variant's). */
  config?: Record<string, unknown>;
  profile: 'calm' | 'lossy-network' | 'partitions' | 'clock-skew' | 'crashes' | 'everything';
  /** Override the profile's fault kinds. */
  faultKinds?: FaultKind[];
  /** Workload shape; a short `spanMs` packs ops and faults into the window where the bug shows. */
  workload?: WorkloadOptions;
  guarantees: string[];
  runs?: number;
}

const LOSS = ['durability', 'monotonic-writes', 'lossless-failover', 'linearizable-primary-reads', 'writes-follow-reads'];
const SYNC_ON = walVariants['sync-on']!;
// The two-node semi-sync trigger keeps the replica's apply fast, as before the lagging applier.
const SEMISYNC = { ...walVariants['semisync-after-sync']!, replayMsPerRecord: 0.05 };

export const walTriggers: Record<WalBug, WalBugTrigger> = {
  // Two nodes: the only standby's OS crash loses what it acknowledged, then the primary
  // fails before re-sending it (with a second standby, the monitor would promote that one).
  'ack-on-write-not-flush': {
    variant: 'sync-on-2-nodes', config: { ...SYNC_ON, nodes: 2 }, profile: 'crashes', faultKinds: ['crash'],
    workload: { spanMs: 45, opKinds: ['w'] }, guarantees: LOSS, runs: 1500,
  },
  // Back-to-back ops: a session reads on a standby right after its remote_apply commit returns.
  'remote-apply-ack-before-replay': {
    variant: 'sync-remote-apply-slow-replay', profile: 'calm', workload: { spanMs: 30 },
    guarantees: ['read-your-writes', 'bounded-staleness', 'monotonic-reads'],
  },
  // A partition cuts the primary and one standby off from the other standby and the
  // monitor: the cut-off standby lags, and the mutant promotes it without waiting for the other.
  'promote-lagging-standby': {
    variant: 'quorum-any-1', profile: 'partitions', faultKinds: ['partition'], workload: { spanMs: 200 }, guarantees: LOSS,
  },
  // The isolated old primary keeps serving 'primary' sessions stale data after the
  // new primary acknowledged writes; with synchronous commit its own writes hang.
  'no-fencing': {
    variant: 'sync-on', profile: 'partitions', faultKinds: ['partition'],
    workload: { keys: 1, opKinds: ['r', 'w'], spanMs: 600, policies: ['primary'] }, guarantees: LOSS,
  },
  // The isolated primary commits locally, a standby is promoted, the old primary rejoins.
  'rejoin-without-rewind': {
    variant: 'async', profile: 'partitions', faultKinds: ['partition'], workload: { spanMs: 300 },
    guarantees: ['convergence', 'committed-prefix'],
  },
  // Two nodes: a partition isolates the source; another session reads its unreplicated commit.
  'semisync-after-commit-visibility': {
    variant: 'semisync-after-sync-2-nodes', config: { ...SEMISYNC, nodes: 2 }, profile: 'partitions', faultKinds: ['partition'],
    workload: { keys: 1, opKinds: ['r', 'w'], spanMs: 150, policies: ['primary'] },
    guarantees: ['lossless-failover', 'linearizable-primary-reads', 'writes-follow-reads'],
  },
  // Cut off from its standbys, the primary gives up waiting and acknowledges; failover drops it.
  'silent-async-fallback': {
    variant: 'sync-on', profile: 'partitions', faultKinds: ['partition'], workload: { spanMs: 300 }, guarantees: LOSS,
  },
  'statement-without-context': { variant: 'statement-ctx', profile: 'clock-skew', guarantees: ['convergence', 'committed-prefix'] },
  'retransmit-applied-twice': { variant: 'statement-slow-replay', profile: 'crashes', guarantees: ['convergence', 'committed-prefix'] },
  // A standby replaying a long backlog (20 ms a record, as after a bulk load) when its stream breaks.
  'out-of-order-apply-after-reconnect': {
    variant: 'async-backlog', config: { ...walVariants['async-lagging-replay']!, replayMsPerRecord: 20 }, profile: 'partitions',
    faultKinds: ['partition'], workload: { spanMs: 200, opKinds: ['w', 'upd'] }, guarantees: ['committed-prefix', 'convergence'],
  },
  // A row change made visible at its write record puts the transaction into the visible log
  // before its commit record — already a break of the committed prefix with one write; a
  // reader on the standby then sees rolled-back and intermediate values (wal-reads.test.ts).
  'expose-in-progress-txn': {
    variant: 'async-slow-replay', profile: 'calm', guarantees: ['committed-prefix', 'no-aborted-read', 'no-intermediate-read'],
  },
  // Cut off from its standby, the primary's commit waits until statement_timeout; a reader sees it.
  'sync-cancel-reported-as-rollback': {
    variant: 'sync-on-statement-timeout', profile: 'partitions', faultKinds: ['partition'], workload: { spanMs: 200 },
    guarantees: ['no-aborted-read'],
  },
  'apply-ignores-commit-order': {
    variant: 'async-no-failover-wal-order', profile: 'calm', guarantees: ['committed-prefix', 'no-long-fork', 'convergence'],
  },
  // The primary's machine crashes between a standby's ack and its own fsync, and it comes back as primary.
  'sync-ack-before-local-flush': {
    variant: 'sync-remote-write-2-nodes', config: { ...walVariants['sync-remote-write']!, nodes: 2 }, profile: 'crashes', faultKinds: ['crash'],
    workload: { spanMs: 60, opKinds: ['w'] }, guarantees: LOSS, runs: 1500,
  },
  // A replica with an apply backlog is promoted; sessions write on it before the backlog lands.
  'promote-before-relay-applied': {
    variant: 'semisync-after-sync', profile: 'crashes', guarantees: ['monotonic-writes', 'writes-follow-reads', ...LOSS],
  },
  'mixed-logs-unsafe-as-statement': { variant: 'mixed-unsafe-functions', profile: 'calm', guarantees: ['convergence', 'committed-prefix'] },
};
