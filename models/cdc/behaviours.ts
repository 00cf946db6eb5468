/**
 * The Debezium, PostgreSQL and Kafka behaviours the cdc model reproduces, each
 * with the knobs that select it, the claims that depend on it, the planted bugs
 * beside it and the sources its knobs and bugs already cite (index.ts). Names
 * only, no imports from the model: index.ts attaches this list.
 */
import type { ModelBehaviour } from '../../src/analysis.js';

const SINK_CLAIMS = ['completeness', 'delete-propagation', 'sink-convergence', 'per-key-order', 'exactly-once'];

export const CDC_BEHAVIOURS: ModelBehaviour[] = [
  {
    id: 'replicated-broker',
    title: 'A replicated broker: acks=all, min.insync.replicas, ISR shrink, unclean leader election',
    what: 'Each partition has a leader and followers; an acks=all produce is acknowledged once every in-sync replica has it and refused while the ISR is smaller than min.insync.replicas. With min.insync.replicas=1 or unclean election an out-of-sync replica can lead and acknowledged records are lost, so no sink guarantee is claimed.',
    knobs: ['replicas', 'minInsync', 'uncleanElection'],
    claims: [...SINK_CLAIMS, 'snapshot-handover'],
    bugs: ['acks-leader-only', 'unclean-leader-election'],
    sources: [
      'Kafka documentation, "Replication"',
      'Kafka topic config unclean.leader.election.enable ("may result in data loss")',
      'Kafka docs on min.insync.replicas (use 2 with replication factor 3 and acks=all)',
    ],
  },
  {
    id: 'idempotent-producer',
    title: 'Producer idempotence remembers the last 5 batches per partition',
    what: 'With enable.idempotence the leader acknowledges a resent batch among the last 5 of its producer and partition without appending it again and refuses any other out-of-order sequence; without it, retries with more than one batch in flight can reorder records.',
    knobs: ['idempotent', 'maxInFlight', 'requestTimeoutMs', 'batchMax'],
    claims: ['delete-propagation', 'sink-convergence'],
    bugs: ['retries-reorder'],
    sources: ['Kafka producer config `retries`: retries with enable.idempotence=false and max.in.flight.requests.per.connection > 1 may reorder records (KAFKA-16300)'],
  },
  {
    id: 'slot-on-source',
    title: "The replication slot lives on the source: confirmed_flush_lsn and max_slot_wal_keep_size",
    what: "The source keeps WAL from the slot's confirmed_flush_lsn, which the connector advances only for events the broker acknowledged; a slot that lags past max_slot_wal_keep_size is invalidated and the connector fails loudly. A restart resumes from the confirmed position.",
    knobs: ['maxSlotWalKeep', 'checkpointMs'],
    claims: ['completeness', 'sink-convergence'],
    bugs: ['slot-lost-silent-restart', 'offset-before-durable', 'resume-skips-position'],
    sources: [
      'PostgreSQL docs: max_slot_wal_keep_size',
      'pg_replication_slots.wal_status = lost',
      'yugabyte/yugabyte-db#33126',
      'debezium/debezium#7531',
    ],
  },
  {
    id: 'tombstones-compaction',
    title: 'Delete events, tombstones and compaction with a late subscriber',
    what: "Debezium emits the delete event and then a separate null tombstone; on a compacted topic the log cleaner keeps the last record per key and drops tombstones after delete.retention.ms, so sink-late, which reads from offset 0, skips versions and may never see a delete. Completeness is not claimed on a compacted topic, delete propagation only while tombstones outlast the run.",
    knobs: ['tombstones', 'compaction', 'deleteRetentionMs'],
    claims: ['completeness', 'delete-propagation', 'sink-convergence'],
    bugs: ['tombstone-retention-zero', 'tombstone-dropped'],
    sources: [
      'Debezium PostgreSQL connector docs',
      'Kafka documentation, "Log Compaction"',
      'Kafka topic config delete.retention.ms',
      'Debezium New Record State Extraction (ExtractNewRecordState)',
    ],
  },
  {
    id: 'keyed-partitions',
    title: 'Order is per partition; a key keeps its partition',
    what: "Events are partitioned by the row key's hash, so one key's events stay in order in one partition; a change of the partition count moves keys and breaks that order.",
    knobs: ['partitions'],
    claims: ['per-key-order', 'sink-convergence'],
    bugs: ['partition-by-wrong-key', 'partition-count-change'],
    sources: ['Kafka documentation: ordering is per partition and keyed records of one key share a partition', 'KAFKA-20030'],
  },
  {
    id: 'watermark-snapshot',
    title: 'DBLog-style incremental snapshot interleaved with the stream',
    what: 'Preloaded rows are read in chunks between low and high watermarks written to the source log; a streamed change inside a chunk\'s window supersedes the buffered row, and streaming starts at the snapshot point.',
    knobs: ['snapshot', 'preloadRows', 'chunkSize'],
    claims: ['snapshot-handover', 'completeness', 'sink-convergence'],
    bugs: ['snapshot-stream-gap', 'snapshot-stale-row'],
    sources: ['DBLog: A Watermark Based Change-Data-Capture Framework (Andreakis, Papapanagiotou, arXiv:2010.12597)', 'Debezium DBZ-31'],
  },
  {
    id: 'at-least-once-sinks',
    title: 'At-least-once delivery to sinks: offset commits after processing, deduplication',
    what: 'Sinks commit consumer offsets after applying a batch, so a crash redelivers; an idempotent consumer (upsert) or deduplication by source position makes that harmless, an increment without it counts twice.',
    knobs: ['commit', 'commitIntervalMs', 'applyMs', 'pollMs'],
    claims: ['completeness', 'exactly-once', 'sink-convergence', 'per-key-order'],
    bugs: ['commit-before-processing', 'non-idempotent-sink', 'deletes-flushed-last'],
    sources: ['Apache Kafka KafkaConsumer javadoc, "Manual Offset Control"', 'Debezium Embedded Engine', 'confluentinc/kafka-connect-jdbc#1562'],
  },
  {
    id: 'sink-transactions',
    title: 'Source transactions at the sink: per event, or buffered by transaction metadata',
    what: "A multi-key source transaction is split by key hash across partitions, so a sink applying events as they come (sinkApply per-event, the JDBC sink's way) can show half of it and does not claim transaction atomicity. With sinkApply by-transaction the connector emits Debezium transaction metadata (BEGIN/END on a metadata partition, a transaction block on each event) and each sink holds a transaction until it has END and all event_count events, applies it in one store transaction and commits offsets only up to what it applied; atomicity is judged from reads the sinks serve (sinkReads).",
    knobs: ['sinkApply', 'sinkReads'],
    claims: ['sink-transaction-atomicity'],
    bugs: ['txn-flush-on-end'],
    sources: ['Debezium PostgreSQL connector docs, "Transaction metadata"'],
  },
  {
    id: 'source-failover-slot',
    title: 'Source failover and the logical replication slot',
    what: "With sourceStandby a physical standby receives the source's log asynchronously and is promoted when the primary goes silent for failoverTimeoutMs; what the old primary committed but never shipped is lost at the source too, and the sinks are judged against the promoted primary. Logical slots exist only on the primary: without failoverSlots the promoted source has none, the connector fails loudly (an unknown gap) and the CDC guarantees are reported not judged. With failoverSlots a synced slot survives at a position the standby has; with synchronizedStandbySlots decoding waits for the standby's flush, so the guarantees are claimed through the failover, and without it nothing is claimed.",
    knobs: ['sourceStandby', 'failoverSlots', 'synchronizedStandbySlots', 'failoverTimeoutMs'],
    claims: ['completeness', 'sink-convergence'],
    bugs: ['failover-slot-ahead-of-standby'],
    sources: ['https://www.postgresql.org/docs/17/runtime-config-replication.html#GUC-SYNCHRONIZED-STANDBY-SLOTS', 'https://www.postgresql.org/docs/17/logicaldecoding-explanation.html#LOGICALDECODING-REPLICATION-SLOTS-SYNCHRONIZATION'],
  },
];
