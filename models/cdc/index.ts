/**
 * The CDC model: source database → connector (replication slot, DBLog snapshot)
 * → Kafka-like broker → several sinks, each with its own store, transformation
 * and consumer function. See ./common.ts for positions and events, and
 * src/check/cdc.ts for the guarantees it claims.
 *
 * Workload: clients talk to the source only. `w`, `upd` (x = x + n, the
 * increment a non-idempotent sink applies twice), `del`, `r`, `now`, `rand`.
 * A primary-key change is one transaction [del old, w new], committed at one
 * log position: the connector emits a delete and a create at (lsn, 0) and (lsn, 1).
 */
import type { ClientRequest, ClusterView, GuaranteeClaim, MarkSpec, Model, ModelKnob, NodeId, NodeProgram, PlantedBug, SessionInfo, WorkloadOptions } from '../../src/analysis.js';
import { fnv1a } from './common.js';
import { CDC_TRANSFORMS, type CdcTransform, isCdcTransform } from '../../src/analysis.js';
import { brokerProgram } from './broker.js';
import { controllerProgram, type KafkaOptions, replicaProgram } from './kafka.js';
import { connectorProgram } from './connector.js';
import { type CdcConsumer, incrementConsumer, sinkProgram, upsertConsumer } from './sink.js';
import { type SourceReplication, sourceProgram } from './source.js';
import { CDC_BEHAVIOURS } from './behaviours.js';

export type { CdcEvent, Pos } from './common.js';
export type { CdcConsumer, SinkTxn } from './sink.js';

export interface CdcSinkSpec {
  /** Node id of the sink (must start with "sink-"). */
  name: string;
  store: 'memory' | 'sqlite';
  transform: CdcTransform;
  /** 'upsert', 'increment', or the name of a consumer given to createCdcModel. */
  consumer: string;
  exactlyOnce: 'none' | 'dedup' | 'txn-offset';
}

export interface CdcConfig {
  partitions: number;
  /** Broker replicas (replication factor); 1 = one broker that fsyncs before acknowledging (no controller). */
  replicas: number;
  /** min.insync.replicas (with acks=all). */
  minInsync: number;
  /** unclean.leader.election.enable. */
  uncleanElection: boolean;
  /** The source's max_slot_wal_keep_size in log records; -1 unlimited (PostgreSQL's default). */
  maxSlotWalKeep: number;
  /** A physical standby of the source (node source-standby) that is promoted when the primary is lost. */
  sourceStandby: boolean;
  /** PostgreSQL 17 failover slots: the slot is created with FAILOVER and synced to the standby. */
  failoverSlots: boolean;
  /** synchronized_standby_slots names the standby's physical slot (logical decoding waits for its flush). */
  synchronizedStandbySlots: boolean;
  /** The standby promotes after this long without hearing from the primary. */
  failoverTimeoutMs: number;
  /** Debezium tombstones.on.delete: a null-value record after each delete event. */
  tombstones: boolean;
  /** cleanup.policy=compact on the topic (replicated broker), with a late subscriber sink-late reading from offset 0. */
  compaction: boolean;
  /** delete.retention.ms (Kafka's default: one day). */
  deleteRetentionMs: number;
  idempotent: boolean;
  maxInFlight: number;
  commit: 'after-processing' | 'before-processing';
  snapshot: boolean;
  preloadRows: number;
  chunkSize: number;
  pollMs: number;
  checkpointMs: number;
  requestTimeoutMs: number;
  batchMax: number;
  commitIntervalMs: number;
  /** Sink processing time per batch (ms); the window in which a crash meets a received but unwritten batch. */
  applyMs: number;
  /** How sinks apply: each fetched batch as it comes, or whole source transactions (Debezium transaction metadata). */
  sinkApply: 'per-event' | 'by-transaction';
  /** Read-only transactions are served by a sink (identity or derive transform), one per session. */
  sinkReads: boolean;
  sinks: CdcSinkSpec[];
}

/** A user's consumer: the function, whether it is idempotent, and optionally its expected view. */
export interface UserConsumer {
  consume: CdcConsumer;
  /** True when applying an event twice in a row leaves the same rows (an upsert is; an increment is not). */
  idempotent: boolean;
}

export const SOURCE = 'source';
export const CONNECTOR = 'connector';
export const BROKER = 'broker';
export const CONTROLLER = 'controller';
export const SOURCE_STANDBY = 'source-standby';

/** The broker nodes: 'broker' alone, or broker-1..n with a controller. */
export function brokerNodes(c: Pick<CdcConfig, 'replicas'>): string[] {
  return c.replicas <= 1 ? [BROKER] : Array.from({ length: c.replicas }, (_, i) => `broker-${i + 1}`);
}

const DEFAULT_SINKS: CdcSinkSpec[] = [
  { name: 'sink-mem', store: 'memory', transform: 'identity', consumer: 'upsert', exactlyOnce: 'none' },
  { name: 'sink-sql', store: 'sqlite', transform: 'derive', consumer: 'upsert', exactlyOnce: 'txn-offset' },
  { name: 'sink-ctr', store: 'memory', transform: 'split', consumer: 'increment', exactlyOnce: 'dedup' },
];

export const CDC_DEFAULTS: CdcConfig = {
  partitions: 3,
  replicas: 3,
  minInsync: 2,
  uncleanElection: false,
  maxSlotWalKeep: -1,
  sourceStandby: false,
  failoverSlots: false,
  synchronizedStandbySlots: true,
  failoverTimeoutMs: 60,
  tombstones: true,
  compaction: false,
  deleteRetentionMs: 86_400_000,
  idempotent: true,
  maxInFlight: 5,
  commit: 'after-processing',
  snapshot: true,
  preloadRows: 4,
  chunkSize: 2,
  pollMs: 5,
  checkpointMs: 20,
  requestTimeoutMs: 40,
  batchMax: 4,
  commitIntervalMs: 20,
  applyMs: 2,
  sinkApply: 'per-event',
  sinkReads: false,
  sinks: DEFAULT_SINKS,
};

const TXN_SINK_DOC = "'per-event': each fetched batch is applied as it comes (Kafka Connect JDBC sink: no transaction boundaries, so a source transaction split across partitions can be half visible; sink-transaction-atomicity not claimed). " +
  "'by-transaction': the connector emits Debezium transaction metadata (provide.transaction.metadata=true: a `transaction` block {id, total_order, data_collection_order} on each event, BEGIN/END records with event_count and data_collections on a metadata partition) and each sink buffers a transaction until it holds its END and all event_count events, from any partition, then applies it in one store transaction and commits offsets only up to what it applied; " +
  'claims sink-transaction-atomicity (Debezium PostgreSQL connector docs, "Transaction metadata", https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-transaction-metadata); needs compaction off';

// ─────────── source failover: knobs ───────────

/** Logical slots across a source failover (PostgreSQL 17 failover slots). */
const SOURCE_FAILOVER_KNOBS: ModelKnob[] = [
  {
    name: 'sourceStandby', values: [false, true], default: false,
    description: 'a physical standby of the source (node source-standby) receives its log asynchronously (streaming replication) and is promoted when the primary is lost (crashed, paused or cut off for failoverTimeoutMs); clients then write to it and the old primary retires — what it committed but never shipped is lost at the source too, and the sinks are judged against the new primary. Logical slots exist only on the primary: without failover slots the promoted standby has none and the connector fails loudly (an unknown gap: guarantees reported not judged)',
    source: 'https://www.postgresql.org/docs/17/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS-SYNCHRONIZATION (replication slot synchronization); EDB pg_failover_slots docs ("logical replication slots are only maintained on the primary node … resulting in an unknown gap in data changes")',
  },
  {
    name: 'failoverSlots', values: [false, true], default: false,
    description: 'the connector creates its slot with FAILOVER (CREATE_REPLICATION_SLOT … FAILOVER; Debezium slot.failover=true) and the standby runs sync_replication_slots = on: a synced copy of the slot (never ahead of what the standby flushed) survives the promotion and the connector resumes there at least once; a failover before the first sync still finds no slot (fails loudly)',
    source: 'https://www.postgresql.org/docs/17/protocol-replication.html (CREATE_REPLICATION_SLOT … FAILOVER); https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNC-REPLICATION-SLOTS; Debezium PostgreSQL connector docs, slot.failover',
  },
  {
    name: 'synchronizedStandbySlots', values: [true, false], default: true,
    description: "with failover slots: the primary's synchronized_standby_slots lists the standby's physical slot, so logical decoding sends the connector no change the standby has not flushed and the slot never confirms past it. PostgreSQL's default is empty (false): the connector may then hold changes the promoted standby never had, and the CDC guarantees are not claimed for a source with a standby",
    source: 'https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNCHRONIZED-STANDBY-SLOTS ("Logical WAL sender processes will send decoded changes to plugins only after the specified replication slots confirm receiving WAL")',
  },
  { name: 'failoverTimeoutMs', values: [30, 60, 120], range: { min: 0.001 }, default: 60, description: 'with sourceStandby: how long the standby hears nothing from the primary before it is promoted (a failover manager\'s timeout; the old primary is fenced by the newer timeline)' },
];

/** Whether a failover can leave the sinks ahead of the promoted source: failover slots without synchronized_standby_slots. */
export function sourceFailoverUnsafe(c: Pick<CdcConfig, 'sourceStandby' | 'failoverSlots' | 'synchronizedStandbySlots'>): boolean {
  return c.sourceStandby && c.failoverSlots && !c.synchronizedStandbySlots;
}

export const CDC_KNOBS: ModelKnob[] = [
  { name: 'partitions', values: [1, 2, 3, 4], range: { min: 1, integer: true }, default: 3, description: 'broker partitions; events are partitioned by key hash' },
  { name: 'replicas', values: [1, 3], range: { min: 1, integer: true }, default: 3, description: 'broker replicas per partition (replication.factor); 1 is a single broker without a controller, fsyncing before it acknowledges (the stricter variant)' },
  { name: 'minInsync', values: [1, 2], range: { min: 1, integer: true }, default: 2, description: 'min.insync.replicas: acks=all produce is refused while the ISR is smaller' },
  { name: 'uncleanElection', values: [false, true], default: false, description: 'unclean.leader.election.enable: elect an out-of-sync replica when no ISR member is alive (acknowledged records may be lost; durability claims dropped)' },
  { name: 'maxSlotWalKeep', values: [-1, 4, 16], range: { min: -1, integer: true }, default: -1, description: 'source max_slot_wal_keep_size in log records (-1 unlimited, PostgreSQL\'s default): a slot whose confirmed_flush_lsn lags further is invalidated and the connector fails loudly (PostgreSQL docs, max_slot_wal_keep_size and pg_replication_slots.wal_status = lost)' },
  ...SOURCE_FAILOVER_KNOBS,
  { name: 'tombstones', values: [true, false], default: true, description: 'Debezium tombstones.on.delete: each delete event (op d) is followed by a separate null-value tombstone for the key (Debezium PostgreSQL connector docs)' },
  { name: 'compaction', values: [false, true], default: false, description: 'cleanup.policy=compact (Kafka\'s default is delete): the leader\'s log cleaner keeps only the last record per key, so a lagging consumer skips intermediate versions; adds sink-late, a subscriber that joins at 40 ms and reads from offset 0 (Kafka documentation, "Log Compaction")' },
  { name: 'deleteRetentionMs', values: [86_400_000, 50], range: { min: 0 }, default: 86_400_000, description: 'delete.retention.ms: a tombstone outlives compaction this long; "a bound on the time in which a consumer must complete a read if they begin from offset 0" (Kafka topic config docs); below a run\'s length delete-propagation is not claimed' },
  { name: 'idempotent', values: [true, false], default: true, description: 'producer enable.idempotence (broker dedups and refuses out-of-order sequences)' },
  { name: 'maxInFlight', values: [1, 5], range: { min: 1, integer: true }, default: 5, description: 'producer max.in.flight.requests.per.connection' },
  { name: 'commit', values: ['after-processing', 'before-processing'], default: 'after-processing', description: 'consumer offset commit before or after applying (at-least-once vs at-most-once)' },
  { name: 'snapshot', values: [true, false], default: true, description: 'initial DBLog-style incremental snapshot of the preloaded rows' },
  { name: 'preloadRows', values: [0, 2, 4, 8], range: { min: 0, integer: true }, default: 4, description: 'rows in the source before the connector starts' },
  { name: 'chunkSize', values: [1, 2, 4], range: { min: 1, integer: true }, default: 2, description: 'snapshot rows per chunk' },
  { name: 'pollMs', values: [2, 5, 10], range: { min: 0.001 }, default: 5, description: 'connector and sink poll interval (Debezium poll.interval.ms, consumer poll loop)' },
  { name: 'checkpointMs', values: [5, 10, 20, 50], range: { min: 0.001 }, default: 20, description: 'connector offset checkpoint interval (Debezium offset.flush.interval.ms)' },
  { name: 'requestTimeoutMs', values: [20, 40, 100], range: { min: 0.001 }, default: 40, description: 'producer request.timeout.ms: a batch not acknowledged by then is resent' },
  { name: 'batchMax', values: [1, 2, 4, 8], range: { min: 1, integer: true }, default: 4, description: 'most events in one producer batch' },
  { name: 'commitIntervalMs', values: [5, 20, 50], range: { min: 0.001 }, default: 20, description: 'sink consumer offset commit interval (auto.commit.interval.ms)' },
  { name: 'applyMs', values: [0, 2, 5], range: { min: 0 }, default: 2, description: "a sink's processing time per fetched batch" },
  // ── sink transactions (Debezium transaction metadata) ──
  { name: 'sinkApply', values: ['per-event', 'by-transaction'], default: 'per-event', description: TXN_SINK_DOC },
  { name: 'sinkReads', values: [false, true], default: false, description: 'read-only transactions are served by a sink whose cells are its keys (identity or derive transform; each session reads one), as an application reads the sink database; off, every request goes to the source' },
];

/**
 * The protocol moments the pipeline's nodes mark (`ctx.mark`): where an event is
 * between committed, produced, durable in the broker, confirmed and applied, and
 * the edges of a snapshot chunk's watermark window.
 */
export const CDC_MARKS: MarkSpec[] = [
  { name: 'commit-acked', description: 'source: a transaction is durable in the commit log and acknowledged to its client' },
  { name: 'watermark-low', description: "connector: a snapshot chunk's low watermark is in the source log; its rows are being selected" },
  { name: 'chunk-read', description: "connector: a chunk's rows were selected and are buffered until its high watermark streams by" },
  { name: 'chunk-done', description: "connector: a chunk's high watermark streamed by; its surviving rows were produced" },
  { name: 'partitions-refreshed', description: "connector: the producer re-read the topic's partition count (after its first few events)" },
  { name: 'batch-sent', description: 'connector: the producer sent a batch to the broker (first attempt)' },
  { name: 'batch-retry', description: 'connector: the producer resent a batch whose acknowledgement did not come in time' },
  { name: 'batch-acked', description: 'connector: the broker acknowledged a batch in flight' },
  { name: 'confirmed', description: 'connector: the confirmed source position advanced (every earlier event is acknowledged)' },
  { name: 'checkpoint', description: 'connector: a checkpoint of the confirmed position is durable; a restart resumes after it' },
  { name: 'checkpoint-mid-record', description: 'connector: a durable checkpoint holds a position inside a log record (a multi-change transaction) whose later events are not all acknowledged; a restart must resume inside the record' },
  { name: 'appended', description: 'broker: a batch was appended to a partition log; its fsync and acknowledgement are pending' },
  { name: 'batch-received', description: 'sink: a fetched batch was received and queued, not yet applied' },
  { name: 'batch-applied', description: "sink: a batch is durable in the sink's store" },
  { name: 'txn-complete', description: "sink (sinkApply 'by-transaction'): a transaction's END and all its events are in; it is queued to apply as one" },
  { name: 'offset-commit', description: 'sink: the consumer sent an offset commit to the broker' },
  { name: 'produce-acked', description: 'broker leader: produce requests were acknowledged (acks=all: every ISR member has the batch)' },
  { name: 'leader-elected', description: 'controller: a new partition leader (or none: offline) was decided and persisted' },
  { name: 'isr-changed', description: 'controller: the in-sync replica set shrank or grew (AlterPartition)' },
  { name: 'slot-confirmed', description: "source: the slot's confirmed_flush_lsn moved forward (the connector's flush feedback)" },
  { name: 'log-cleaned', description: "broker leader: the log cleaner removed superseded records (and expired tombstones) of a compacted topic" },
  { name: 'standby-flushed', description: 'source standby: received log records are fsynced and applied; it reports the flushed position to the primary' },
  { name: 'slot-synced', description: "source standby: its synced copy of the failover slot moved (confirmed_flush_lsn from the primary, never past its own flush)" },
  { name: 'source-promoted', description: 'source standby: promoted to primary on a new timeline after the primary went silent; clients write to it' },
];

/**
 * Planted bugs, each a real documented failure mode. The configuration keeps
 * its claims; the bug changes behaviour underneath.
 */
export const CDC_BUGS: PlantedBug[] = [
  {
    name: 'offset-before-durable',
    description: 'the connector confirms a source position once the event is handed to the producer, before the broker acknowledged it; a crash loses the unacknowledged events',
    source: 'yugabyte/yugabyte-db#33126 (flush LSN advanced past records Kafka never durably committed); airbytehq/airbyte#15214 (LSN committed on the source before records reach the destination)',
  },
  {
    name: 'commit-before-processing',
    description: 'sinks commit the consumer offset when a batch is received, before applying it; a crash in between loses the batch (at-most-once)',
    source: 'Apache Kafka KafkaConsumer javadoc, "Manual Offset Control": committing before processing gives at-most-once delivery',
  },
  {
    name: 'non-idempotent-sink',
    description: 'the increment sink ignores source positions, so a redelivered `x = x + n` is applied twice',
    source: 'Debezium Embedded Engine / Camel debezium docs: after a crash the engine resumes from the last recorded offset and may deliver duplicates; consumers must deduplicate',
  },
  {
    name: 'partition-by-wrong-key',
    description: 'events are partitioned by log position instead of row key, so one key spreads over partitions and is consumed out of order',
    source: 'Kafka documentation: ordering is per partition and keyed records of one key share a partition; KAFKA-20030 (changing the partition count changes the key → partition mapping)',
  },
  {
    name: 'partition-count-change',
    description: 'the topic gains a partition mid-stream and the producer rehashes keys over the new count: a key\'s later events land in another partition and can overtake its earlier ones',
    source: 'KAFKA-20030 (partition expansion changes the default partitioner\'s key → partition mapping and so per-key ordering); Kafka documentation on adding partitions',
  },
  {
    name: 'retries-reorder',
    description: 'the producer retries with enable.idempotence=false and max.in.flight=5: a failed batch resent after a later one succeeded lands after it',
    source: 'Kafka producer config `retries`: retries with enable.idempotence=false and max.in.flight.requests.per.connection > 1 may reorder records (KAFKA-16300)',
  },
  {
    name: 'tombstone-dropped',
    description: 'delete events (tombstones) are filtered out before the sinks, so deleted rows stay downstream',
    source: 'Debezium New Record State Extraction (ExtractNewRecordState): delete.handling.mode=drop / drop.tombstones remove deletes from the stream; Aiven-Open/jdbc-connector-for-apache-kafka#165',
  },
  {
    name: 'snapshot-stream-gap',
    description: 'the snapshot is read first and streaming starts at the log head after it, not at the snapshot point: changes in between are never streamed',
    source: 'galaxy-io/filament#321 review (race between capturing the binlog position and starting the snapshot); Debezium DBZ-31 (the position must be read inside the consistent snapshot)',
  },
  {
    name: 'snapshot-stale-row',
    description: 'a buffered snapshot row is emitted although a streamed event for its key arrived inside the watermark window',
    source: 'DBLog: A Watermark Based Change-Data-Capture Framework (Andreakis, Papapanagiotou, arXiv:2010.12597), §3 chunk selection; memiiso/debezium-server-iceberg#544 (snapshot rows after newer changes revert them)',
  },
  {
    name: 'resume-skips-position',
    description: 'after a restart the connector resumes at the next log record, skipping the rest of the events that share the confirmed position',
    source: 'debezium/debezium#7531 (dbz#1554): data loss on restart when multiple events share the same LSN',
  },
  {
    name: 'acks-leader-only',
    description: 'the broker leader acknowledges a produce once it has the batch itself (acks=1), before the in-sync followers fetched it; when the leader fails, a follower without the batch is elected and the acknowledged events are gone',
    source: 'Kafka producer config `acks`: with acks=1 "if the leader fails immediately after acknowledging the record but before the followers have replicated it then the record will be lost"; Kafka documentation, "Replication" (a message is committed once all in-sync replicas have it)',
  },
  {
    name: 'unclean-leader-election',
    description: 'the topic runs with min.insync.replicas=1 and unclean.leader.election.enable=true: the ISR shrinks to the leader, which acknowledges alone; when it fails, an out-of-sync replica is elected and the acknowledged records are truncated everywhere',
    source: 'Kafka topic config unclean.leader.election.enable ("may result in data loss"); KIP-966 / KIP-1275 (an unclean leader with a lower offset than the high watermark truncates the other replicas); Kafka docs on min.insync.replicas (use 2 with replication factor 3 and acks=all)',
  },
  {
    name: 'slot-lost-silent-restart',
    description: 'the source keeps 8 log records of WAL for the slot (max_slot_wal_keep_size); when a lagging connector finds its slot invalidated it creates a new slot at the log head and streams on, silently skipping every change in between',
    source: 'PostgreSQL docs: max_slot_wal_keep_size ("replication slots may be marked invalid … the required WAL files may be removed") and pg_replication_slots.wal_status = lost; Debezium PostgreSQL connector docs (snapshot.mode when_needed: a new snapshot when the slot no longer has the WAL the offsets need)',
  },
  {
    name: 'failover-slot-ahead-of-standby',
    description: "the source has a standby and failover slots, but logical decoding does not wait for the standby's flush (synchronized_standby_slots ignored): the connector streams changes the standby never received, then the standby is promoted — the sinks keep rows the new primary never had, and the connector resumes past the new primary's head, skipping its first commits",
    source: 'PostgreSQL 17 docs, synchronized_standby_slots ("This guarantees that logical replication failover slots do not consume changes until those changes are received and flushed to corresponding physical standbys"), https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNCHRONIZED-STANDBY-SLOTS; pgsql-hackers, "Allow logical walsenders to wait for the physical standby" (the promoted standby must not lag behind the subscribers)',
  },
  {
    name: 'tombstone-retention-zero',
    description: 'on a compacted topic the log cleaner removes a key\'s tombstone at once (delete.retention.ms=0): a subscriber that read the key\'s earlier value and reaches the delete later never sees it and keeps the row',
    source: 'Kafka topic config delete.retention.ms ("a bound on the time in which a consumer must complete a read if they begin from offset 0 … otherwise delete tombstones may be collected before they complete their scan"); Kafka documentation, "Log Compaction"',
  },
  // ── sink transactions ──
  {
    name: 'txn-flush-on-end',
    description: "the transaction-buffering sink counts a transaction's events on the partition its END record came from (the metadata partition, which holds none) and so applies the transaction as soon as END is read, with whatever of its events are here: END is written after the events but on another partition, so events still in flight on a lagging data partition arrive after the transaction was recorded as applied and are dropped as redeliveries — the sink keeps half a transaction, or none of it",
    source: 'Debezium PostgreSQL connector docs, "Transaction metadata" (https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-transaction-metadata): END carries event_count, "the total number of events emitted by the transaction", and per-table data_collections counts, and goes to the <topic.prefix>.transaction topic while the events go to their tables\' topics, so a consumer knows a transaction is complete only by counting its events by transaction.id',
  },
  // ── sink writes ──
  {
    name: 'deletes-flushed-last',
    description: "each sink writes a fetched batch as kafka-connect-jdbc's BufferedRecords.flush() does: all of the batch's upserts, then all of its deletes, a delete by key alone (DELETE … WHERE key = ?, no source-position condition, so even a deduplicating sink applies it): a delete followed in the same batch by a write of its key is applied after that write, the key goes back to deleted",
    source: 'confluentinc/kafka-connect-jdbc#1562 ("JDBC Sink Update vs. Delete ordering": flush() runs executeUpdates() then executeDeletes(), so update, delete, update of one key end deleted); confluentinc/kafka-connect-jdbc#641 (delete.enabled: a null-value record deletes the row by its primary key)',
  },
];

/**
 * For meta-tests: a configuration under which a random scenario finds each bug
 * more easily, and what the scenario must contain. The correct model claims the
 * same guarantees under these configurations.
 */
export const CDC_BUG_HINTS: Record<string, { config: Record<string, unknown>; needs: string }> = {
  'offset-before-durable': { config: {}, needs: 'a connector↔broker partition while events are produced, then a connector crash after a checkpoint' },
  'commit-before-processing': { config: { applyMs: 5 }, needs: 'a sink crash while a received batch is being processed' },
  // The sink's bug, not the broker's: one broker keeps the hunt's budget on the sink (judged silent,
  // the replicated default caught it in none of 1,500 runs).
  'non-idempotent-sink': { config: { replicas: 1 }, needs: 'an increment (upd add) and a crash of sink-ctr after it applied it, before the offset commit' },
  'partition-by-wrong-key': { config: {}, needs: 'several writes to one key in quick succession' },
  'partition-count-change': { config: {}, needs: 'writes to one key around the 6th produced event' },
  'retries-reorder': { config: {}, needs: 'a connector↔broker partition, then a later write to the same key before the retry' },
  'tombstone-dropped': { config: {}, needs: 'a delete of a key the sinks have seen' },
  'snapshot-stream-gap': { config: { preloadRows: 4 }, needs: 'writes to preloaded keys during the first milliseconds' },
  'snapshot-stale-row': { config: { preloadRows: 4, chunkSize: 2 }, needs: 'writes to preloaded keys during the snapshot' },
  'resume-skips-position': { config: { batchMax: 1, maxInFlight: 1, checkpointMs: 4 }, needs: 'a transaction with several changes and a connector crash while it is produced' },
  'acks-leader-only': { config: {}, needs: 'a crash of (or a cut around) the leading broker just after it acknowledged a batch, before a follower fetched it' },
  'slot-lost-silent-restart': { config: {}, needs: 'the connector cut off from the source (or down) while more than 8 transactions commit' },
  'txn-flush-on-end': { config: { sinkApply: 'by-transaction', sinkReads: true }, needs: "a transaction whose END record a sink reads before the transaction's events on a data partition (a lagging partition, or just the order fetch answers arrive in)" },
  'tombstone-retention-zero': { config: { compaction: true }, needs: 'a compacted topic, a key written then deleted while a subscriber (sink-late, or a paused sink) has read the write but not yet the delete' },
  'unclean-leader-election': { config: {}, needs: 'the followers cut off from the leading broker long enough to leave the ISR, a write, then the leader crashed' },
  'deletes-flushed-last': { config: {}, needs: 'a delete of a key, then a write of the same key, fetched by a sink in one batch (one transaction [del k, w k], or two close in time)' },
  'failover-slot-ahead-of-standby': { config: { sourceStandby: true, failoverSlots: true }, needs: 'writes the connector streams while the source standby is cut off (or behind), then the standby promoted (the primary silent for failoverTimeoutMs)' },
};

/**
 * What clients send the source: reads, writes, increments and deletes over four keys, in
 * transactions of up to 8 statements. A bulk UPDATE or DELETE writing many rows at one
 * commit is ordinary, and its changes share one log position: the connector produces them
 * over several requests, so checkpoints and crashes land inside the record.
 */
export const CDC_WORKLOAD: WorkloadOptions = { opKinds: ['r', 'w', 'upd', 'del'], keys: 4, txnOpsMax: 8 };

/** The named configurations `run cdc` and `soak` explore (round-robin). */
export const cdcVariants: Record<string, Record<string, unknown>> = {
  'default': {},
  'single-partition': { partitions: 1 },
  'no-snapshot': { snapshot: false, preloadRows: 0 },
  // Strict order without batching: one request in flight (idempotence off) carrying one record (batch.size
  // at a record, linger.ms=0), so a multi-change record is produced over several round trips.
  'ordered-producer': { idempotent: false, maxInFlight: 1, batchMax: 1 },
  'compacted': { compaction: true },
  'txn-sink': { sinkApply: 'by-transaction', sinkReads: true },
  // A physical standby of the source promoted on failover; PostgreSQL 17 failover slots carry the slot over.
  'source-failover': { sourceStandby: true, failoverSlots: true },
};

/** The log cleaner's interval (ms) on a compacted topic. */
const CLEAN_MS = 20;
/** The late subscriber of a compacted topic: joins at 40 ms, reads two records per fetch from offset 0. */
const LATE_SINK: CdcSinkSpec = { name: 'sink-late', store: 'memory', transform: 'identity', consumer: 'upsert', exactlyOnce: 'none' };
const LATE_JOIN_MS = 40;
const LATE_FETCH_MAX = 2;
/** delete.retention.ms at or above this outlasts any run (the quiet phase is bounded far below). */
const RETENTION_OUTLASTS_RUN_MS = 60_000;

/** The configured sinks, plus the late subscriber on a compacted topic. */
export function sinksOf(c: CdcConfig): CdcSinkSpec[] {
  return c.compaction && c.replicas > 1 && !c.sinks.some((s) => s.name === LATE_SINK.name) ? [...c.sinks, LATE_SINK] : c.sinks;
}

/** max_slot_wal_keep_size (log records) under the 'slot-lost-silent-restart' bug when the configuration keeps all WAL. */
const SLOT_KEEP_BUG = 8;

/** Events produced before the 'partition-count-change' producer switches to the expanded partition count. */
const GROW_AFTER = 6;

const BUG_NAMES = new Set(CDC_BUGS.map((b) => b.name));

/** Builds a CDC model; `consumers` registers user consumer functions by name (see the README section). */
export function createCdcModel(opts: { name?: string; consumers?: Record<string, UserConsumer> } = {}): Model<CdcConfig> {
  const consumers: Record<string, UserConsumer> = {
    upsert: { consume: upsertConsumer, idempotent: true },
    increment: { consume: incrementConsumer, idempotent: false },
    ...opts.consumers,
  };
  return {
    name: opts.name ?? 'cdc',
    description: 'change data capture: source commit log → connector (slot, DBLog snapshot) → partitioned broker → transforming sinks (map, SQLite)',
    knobs: CDC_KNOBS,
    bugs: CDC_BUGS,
    configure: (raw, bug) => configureCdc(raw, bug, consumers),
    nodes: (c) => [SOURCE, ...(c.sourceStandby ? [SOURCE_STANDBY] : []), CONNECTOR, ...(c.replicas > 1 ? [CONTROLLER] : []), ...brokerNodes(c), ...sinksOf(c).map((s) => s.name)],
    program: (node, c, bug) => cdcProgram(node, c, bug, consumers),
    route: (req, session, cluster, c) => routeRequest(req, session, cluster, c),
    claims: (c) => cdcClaims(c, consumers),
    quiescent: (cluster, c) => cdcQuiescent(cluster, c),
    marks: CDC_MARKS,
    behaviours: CDC_BEHAVIOURS,
  };
}

/** Writes go to the live source primary; with sinkReads, read-only transactions to a sink whose cells are its keys (one per session). */
function routeRequest(req: ClientRequest, session: SessionInfo, cluster: ClusterView, c: CdcConfig): NodeId {
  const readSinks = sinksOf(c).filter((s) => s.transform === 'identity' || s.transform === 'derive');
  if (!c.sinkReads || readSinks.length === 0 || req.end !== 'commit' || req.txn.some((m) => m.f !== 'r')) return currentSource(cluster);
  return readSinks[fnv1a(session.id) % readSinks.length]!.name;
}

/** The built-in CDC model with its default sinks. */
export const cdcModel: Model<CdcConfig> = createCdcModel();

function cdcProgram(node: NodeId, c: CdcConfig, bug: string | undefined, consumers: Record<string, UserConsumer>): NodeProgram {
  if (node === SOURCE || node === SOURCE_STANDBY) {
    // The bug's source keeps little WAL for the slot, so a lagging connector meets the invalidation.
    const keep = bug === 'slot-lost-silent-restart' && c.maxSlotWalKeep < 0 ? SLOT_KEEP_BUG : c.maxSlotWalKeep;
    const replication = c.sourceStandby ? sourceReplication(node, c, bug) : undefined;
    return sourceProgram({ preloadRows: c.preloadRows, role: node === SOURCE ? 'primary' : 'standby', maxSlotWalKeep: keep, ...(replication ? { replication } : {}) });
  }
  // The bug's topic was expanded by one partition, which the producer picks up after GROW_AFTER events.
  const parts = bug === 'partition-count-change' ? c.partitions + 1 : c.partitions;
  // Transaction metadata: one more partition, after the data partitions (Debezium's <prefix>.transaction topic).
  const txn = c.sinkApply === 'by-transaction';
  const all = txn ? parts + 1 : parts;
  const brokers = brokerNodes(c);
  const kafka: KafkaOptions = {
    partitions: all, brokers, controller: CONTROLLER,
    minInsync: bug === 'unclean-leader-election' ? 1 : c.minInsync,
    acks: bug === 'acks-leader-only' ? 'leader' : 'all',
    uncleanElection: bug === 'unclean-leader-election' || c.uncleanElection,
    pollMs: c.pollMs, sessionMs: 6 * c.pollMs, replicaLagMs: 6 * c.pollMs,
    compaction: c.compaction, deleteRetentionMs: bug === 'tombstone-retention-zero' ? 0 : c.deleteRetentionMs, cleanMs: CLEAN_MS,
  };
  if (c.replicas <= 1 && node === BROKER) return brokerProgram(all);
  if (c.replicas > 1 && node === CONTROLLER) return controllerProgram(kafka);
  if (c.replicas > 1 && brokers.includes(node)) return replicaProgram(kafka);
  const brokerOpts = c.replicas > 1 ? { broker: brokers[0]!, brokers, coordinator: CONTROLLER } : { broker: BROKER };
  if (node === CONNECTOR) {
    const reorder = bug === 'retries-reorder';
    return connectorProgram({
      source: SOURCE, ...(c.sourceStandby ? { sources: [SOURCE, SOURCE_STANDBY] } : {}), ...brokerOpts, partitions: c.partitions, partitionsLater: parts, growAfter: GROW_AFTER,
      idempotent: reorder ? false : c.idempotent, maxInFlight: reorder ? Math.max(5, c.maxInFlight) : c.maxInFlight,
      snapshot: c.snapshot, slotLsnNoSnapshot: c.preloadRows > 0 ? 1 : 0, chunkSize: c.chunkSize, pollMs: c.pollMs, checkpointMs: c.checkpointMs,
      requestTimeoutMs: c.requestTimeoutMs, batchMax: c.batchMax, tombstones: c.tombstones, ...(txn ? { txnMetadata: true } : {}), ...(bug ? { bug } : {}),
    });
  }
  const spec = sinksOf(c).find((s) => s.name === node);
  if (!spec) throw new Error(`cdc: no node ${node}`);
  const nonIdem = bug === 'non-idempotent-sink' && !consumers[spec.consumer]!.idempotent;
  return sinkProgram({
    ...brokerOpts, partitions: all, store: spec.store,
    ...(txn ? { metaPartition: parts, ...(bug === 'txn-flush-on-end' ? { flushOnEnd: true } : {}) } : {}), transform: spec.transform,
    ...(bug === 'deletes-flushed-last' ? { deletesLast: true } : {}),
    consumer: consumers[spec.consumer]!.consume, consumerName: spec.consumer,
    exactlyOnce: nonIdem ? 'none' : spec.exactlyOnce,
    commit: bug === 'commit-before-processing' ? 'before-processing' : c.commit,
    pollMs: c.pollMs, commitIntervalMs: c.commitIntervalMs, applyMs: c.applyMs, claims: sinkClaims(c, spec, consumers),
    ...(spec.name === LATE_SINK.name ? { joinAfterMs: LATE_JOIN_MS, fetchMax: LATE_FETCH_MAX } : {}),
  });
}

/**
 * What one sink promises under at-least-once (commit after processing): every
 * sink completeness; delete propagation with per-key order (idempotent producer
 * or one batch in flight) or deduplication by source position; convergence with
 * per-key order and an idempotent consumer or dedup, or dedup and an idempotent
 * consumer; dedup also gives per-key order and exactly-once effects.
 */
export function sinkClaims(c: CdcConfig, s: CdcSinkSpec, consumers: Record<string, UserConsumer> = { upsert: { consume: upsertConsumer, idempotent: true } }): string[] {
  if (c.commit === 'before-processing') return [];
  // A failover can leave the sinks with changes the promoted source never had (and the connector past its head).
  if (sourceFailoverUnsafe(c)) return [];
  // Kafka loses acknowledged records to an unclean election, and min.insync.replicas=1 lets one replica acknowledge alone.
  if (!brokerDurable(c)) return [];
  const dedup = s.exactlyOnce !== 'none';
  if (c.compaction && c.replicas > 1) {
    // Compaction keeps the last record per key: a lagging consumer skips versions (no completeness), an
    // increment consumer then computes from a stale base; deletes stay visible for delete.retention.ms.
    if (consumers[s.consumer]?.idempotent !== true) return [];
    const out = ['sink-convergence'];
    if (c.deleteRetentionMs >= RETENTION_OUTLASTS_RUN_MS) out.push('delete-propagation');
    if (dedup) out.push('per-key-order');
    return out;
  }
  const out = ['completeness'];
  // Whole transactions at the sink: the buffer applies each one in one store transaction once END and all its events are in.
  if (c.sinkApply === 'by-transaction') out.push('sink-transaction-atomicity');
  const ordered = c.idempotent || c.maxInFlight === 1;
  // An older write overtaking a delete resurrects the row unless the sink keeps the tombstone's position.
  if (ordered || dedup) out.push('delete-propagation');
  const idempotent = consumers[s.consumer]?.idempotent === true;
  // A dedup sink skips a late older event: harmless for an after-image, a lost
  // effect for an increment — so increments need per-key order as well.
  // Without a snapshot the preloaded rows never reach the sink (snapshot.mode=never).
  const complete = c.snapshot || c.preloadRows === 0;
  if (complete && ((ordered && (dedup || idempotent)) || (dedup && idempotent))) out.push('sink-convergence');
  if (dedup) out.push('per-key-order', 'exactly-once');
  return out;
}

/**
 * Whether the broker keeps every acknowledged record: one fsyncing broker, or
 * acks=all with min.insync.replicas ≥ 2 and unclean election off (Kafka
 * documentation, "Replication": a committed message is not lost as long as one
 * in-sync replica is alive; unclean.leader.election.enable "may result in data loss").
 */
export function brokerDurable(c: Pick<CdcConfig, 'replicas' | 'minInsync' | 'uncleanElection'>): boolean {
  return c.replicas <= 1 || (c.minInsync >= 2 && !c.uncleanElection);
}

function cdcClaims(c: CdcConfig, consumers: Record<string, UserConsumer>): GuaranteeClaim[] {
  const ids = new Set<string>();
  for (const s of sinksOf(c)) for (const id of sinkClaims(c, s, consumers)) ids.add(id);
  if (c.snapshot && brokerDurable(c) && !sourceFailoverUnsafe(c)) ids.add('snapshot-handover');
  const broker = c.replicas > 1
    ? ` (broker: ${c.replicas} replicas, acks=all, min.insync.replicas=${c.minInsync}, unclean election off — Kafka documentation, "Replication" and topic config unclean.leader.election.enable)`
    : '';
  const failover = !c.sourceStandby ? ''
    : c.failoverSlots
      ? '; across a source failover judged against the promoted primary (failover slot synced, synchronized_standby_slots set — PostgreSQL 17 docs, runtime-config-replication); a failover before the slot\'s first sync fails the connector loudly (not judged)'
      : '; a source failover loses the slot (no failover slots): the connector fails loudly and the guarantees are not judged';
  const under = `any crash, partition, pause or clog; judged after the quiet phase${broker}${failover}`;
  return [...ids].sort().map((id) => ({ id, under }));
}

/** Quiet when every committed record is streamed, acknowledged and durably applied at every sink. */
function cdcQuiescent(cluster: ClusterView, c: CdcConfig): boolean {
  const pos = (id: NodeId): Record<string, number> | undefined => cluster.nodes.find((n) => n.id === id)?.view.positions;
  const primary = currentSource(cluster);
  const src = pos(primary);
  const conn = pos(CONNECTOR);
  // A source failover settles once the old primary has retired (one primary at the end).
  if (c.sourceStandby && cluster.nodes.some((n) => n.alive && n.id !== primary && n.view.role === 'primary')) return false;
  const broker = leaderPositions(cluster, c);
  if (!src || !conn || !broker) return false;
  // A connector that failed loudly (its slot was lost) will not catch up; the sinks still drain the broker.
  const failed = conn['failed'] === 1 && conn['unacked'] === 0;
  if (!failed && (!conn['ready'] || conn['snapshotDone'] !== 1 || conn['unacked'] !== 0 || (conn['fetched'] ?? 0) < (src['durable'] ?? 0))) return false;
  const partitions = Object.keys(broker).filter((k) => /^p\d+$/.test(k));
  return sinksOf(c).every((s) => {
    const p = pos(s.name);
    if (!p || !p['ready'] || p['queued'] !== 0) return false;
    // A transaction-buffering sink that has fetched everything the leader holds and still waits for a
    // transaction's END or events waits for good (they were lost, e.g. to an unclean election or compaction):
    // the run ends and the guarantees judge what the sink never applied, as a real buffer would stay stuck.
    return partitions.every((k) => (p[k] ?? 0) >= (broker[k] ?? 0) || (p[`fetched${k.slice(1)}`] ?? 0) >= (broker[k] ?? 0));
  });
}

/** The positions of the broker that leads (highest epoch among those that say they lead), or of the single broker. */
function leaderPositions(cluster: ClusterView, c: CdcConfig): Record<string, number> | undefined {
  let best: Record<string, number> | undefined;
  for (const n of cluster.nodes) {
    if (!n.alive || !brokerNodes(c).includes(n.id)) continue;
    const p = n.view.positions ?? {};
    if (c.replicas > 1 && p['leader'] !== 1) continue;
    if (!best || (p['leaderEpoch'] ?? 0) > (best['leaderEpoch'] ?? 0)) best = p;
  }
  if (!best || c.replicas <= 1) return best;
  // Leadership still moving is not quiet: an offline partition (every ISR member fenced) keeps the
  // records its ISR acknowledged until a member is re-elected (Kafka documentation, "Replication":
  // with unclean election off it waits "for a replica in the ISR to come back to life"), and a broker
  // that still says it leads at an older epoch than the controller's has been deposed.
  const ctl = cluster.nodes.find((n) => n.id === CONTROLLER && n.alive)?.view.positions;
  if (ctl && (ctl['online'] === 0 || (best['leaderEpoch'] ?? 0) < (ctl['epoch'] ?? 0))) return undefined;
  // A new leader's HW may still trail its log: not quiet until every record it holds is committed.
  for (let p = 0; best[`leo${p}`] !== undefined; p++) if ((best[`p${p}`] ?? 0) < best[`leo${p}`]!) return undefined;
  // Every live follower has caught up with the leader: the HW is final.
  for (const n of cluster.nodes) {
    const q = n.view.positions ?? {};
    if (!n.alive || !brokerNodes(c).includes(n.id) || q['leader'] === 1) continue;
    for (let p = 0; best[`leo${p}`] !== undefined; p++) if ((q[`leo${p}`] ?? 0) < best[`leo${p}`]!) return undefined;
  }
  return best;
}

// ─────────── source failover: topology ───────────

/** The source node clients write to: the live primary of the newest timeline (the original source otherwise). */
function currentSource(cluster: ClusterView): NodeId {
  let best: { id: NodeId; timeline: number } | undefined;
  for (const n of cluster.nodes) {
    if (!n.alive || (n.id !== SOURCE && n.id !== SOURCE_STANDBY) || n.view.role !== 'primary') continue;
    const timeline = n.view.positions?.['timeline'] ?? 1;
    if (!best || timeline > best.timeline) best = { id: n.id, timeline };
  }
  return best?.id ?? SOURCE;
}

function sourceReplication(node: NodeId, c: CdcConfig, bug: string | undefined): SourceReplication {
  return {
    peer: node === SOURCE ? SOURCE_STANDBY : SOURCE, connector: CONNECTOR, failoverTimeoutMs: c.failoverTimeoutMs, pollMs: c.pollMs,
    failoverSlots: c.failoverSlots,
    // The bug: decoding does not wait for the standby, whatever synchronized_standby_slots says.
    synchronizedStandbySlots: c.synchronizedStandbySlots && bug !== 'failover-slot-ahead-of-standby',
    // snapshot.mode=never: the slot exists (at the end of the initial load) before the first write, so it can be synced.
    ...(!c.snapshot ? { initialSlotLsn: c.preloadRows > 0 ? 1 : 0 } : {}),
  };
}

// ─────────── configuration ───────────

function configureCdc(raw: Record<string, unknown>, bug: string | undefined, consumers: Record<string, UserConsumer>): CdcConfig {
  if (bug !== undefined && !BUG_NAMES.has(bug)) {
    throw new Error(`cdc: unknown bug '${bug}'; known: ${[...BUG_NAMES].join(', ')}`);
  }
  const c: CdcConfig = { ...CDC_DEFAULTS, sinks: DEFAULT_SINKS };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'sinks') c.sinks = parseSinks(v, consumers);
    else if (!(k in CDC_DEFAULTS)) throw new Error(`cdc: unknown option '${k}'; known: ${Object.keys(CDC_DEFAULTS).join(', ')}`);
    else setOption(c, k as keyof CdcConfig, v);
  }
  // A compacted topic drops events a transaction's event_count counts: the buffer would wait forever.
  if (c.sinkApply === 'by-transaction' && c.compaction) throw new Error("cdc: sinkApply 'by-transaction' needs compaction off (the log cleaner removes events a transaction's END counts)");
  // The bug lives in a source with a standby and failover slots; the correct configuration claims the same.
  if (bug === 'failover-slot-ahead-of-standby') Object.assign(c, { sourceStandby: true, failoverSlots: true, synchronizedStandbySlots: true });
  return c;
}

function setOption(c: CdcConfig, k: keyof CdcConfig, v: unknown): void {
  const def = CDC_DEFAULTS[k];
  if (typeof def === 'number') {
    const counts = k === 'maxSlotWalKeep' || k === 'partitions' || k === 'replicas' || k === 'minInsync' || k === 'maxInFlight' || k === 'chunkSize' || k === 'batchMax' || k === 'preloadRows';
    const min = k === 'maxSlotWalKeep' ? -1 : k === 'preloadRows' || k === 'applyMs' || k === 'deleteRetentionMs' ? 0 : counts ? 1 : 0.001;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (counts && !Number.isInteger(v))) {
      throw new Error(`cdc: option '${k}' must be a ${counts ? `whole number ≥ ${min}` : `number ≥ ${min}`}, got ${JSON.stringify(v)}`);
    }
    (c as unknown as Record<string, unknown>)[k] = v;
  } else if (typeof def === 'boolean') {
    if (typeof v !== 'boolean') throw new Error(`cdc: option '${k}' must be true or false, got ${JSON.stringify(v)}`);
    (c as unknown as Record<string, unknown>)[k] = v;
  } else if (k === 'sinkApply') {
    if (v !== 'per-event' && v !== 'by-transaction') throw new Error(`cdc: option 'sinkApply' must be 'per-event' or 'by-transaction', got ${JSON.stringify(v)}`);
    c.sinkApply = v;
  } else if (k === 'commit') {
    if (v !== 'after-processing' && v !== 'before-processing') throw new Error(`cdc: option 'commit' must be 'after-processing' or 'before-processing', got ${JSON.stringify(v)}`);
    c.commit = v;
  }
}

function parseSinks(v: unknown, consumers: Record<string, UserConsumer>): CdcSinkSpec[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error('cdc: option \'sinks\' must be a non-empty array of sink specs');
  const names = new Set<string>();
  return v.map((raw, i): CdcSinkSpec => {
    const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const where = `cdc: sinks[${i}]`;
    const name = s['name'];
    if (typeof name !== 'string' || !name.startsWith('sink-') || names.has(name)) throw new Error(`${where}.name must be a unique string starting with "sink-", got ${JSON.stringify(name)}`);
    names.add(name);
    const store = s['store'] ?? 'memory';
    if (store !== 'memory' && store !== 'sqlite') throw new Error(`${where}.store must be 'memory' or 'sqlite', got ${JSON.stringify(store)}`);
    const transform = s['transform'] ?? 'identity';
    if (!isCdcTransform(transform)) throw new Error(`${where}.transform must be one of ${CDC_TRANSFORMS.join(', ')}, got ${JSON.stringify(transform)}`);
    const consumer = s['consumer'] ?? 'upsert';
    if (typeof consumer !== 'string' || !(consumer in consumers)) throw new Error(`${where}.consumer must be one of ${Object.keys(consumers).join(', ')}, got ${JSON.stringify(consumer)}`);
    const eo = s['exactlyOnce'] ?? 'none';
    if (eo !== 'none' && eo !== 'dedup' && eo !== 'txn-offset') throw new Error(`${where}.exactlyOnce must be 'none', 'dedup' or 'txn-offset', got ${JSON.stringify(eo)}`);
    if (eo === 'txn-offset' && store !== 'sqlite') throw new Error(`${where}: exactlyOnce 'txn-offset' needs store 'sqlite' (rows and offsets in one SQL transaction)`);
    return { name, store, transform, consumer, exactlyOnce: eo };
  });
}

