/**
 * The Cassandra/Dynamo behaviours the leaderless model reproduces, each with the
 * knobs that select it, the claims that depend on it, the planted bugs beside it
 * and the sources its bugs already cite (config.ts).
 */
import type { ModelBehaviour } from '../../src/index.js';

export const LEADERLESS_BEHAVIOURS: ModelBehaviour[] = [
  {
    id: 'tunable-consistency',
    title: 'Per-request consistency levels: ONE, QUORUM, ALL',
    what: 'A coordinator waits for W replica acknowledgements and merges R replica responses, counting distinct replicas; only R + W > RF with strict quorums makes a read see every write acknowledged before it.',
    knobs: ['nodes', 'rf', 'writeLevel', 'readLevel', 'timeoutMs'],
    claims: ['lww-read-latest', 'read-latest', 'lww-strict-quorum'],
    bugs: ['coordinator-counted-twice'],
    sources: ['Dynamo §4.5: W and R count distinct replicas'],
  },
  {
    id: 'last-write-wins',
    title: "Last write wins by the coordinator's timestamp, ties broken deterministically",
    what: "Conflicts resolve by the write timestamp the coordinator takes from its own clock; at equal timestamps a tombstone wins, then the larger value. With millisecond timestamps writes in the same millisecond tie, and read-latest in real time is not claimed.",
    knobs: ['timestampResolution'],
    claims: ['lww-convergence', 'read-latest'],
    bugs: ['tie-break-inconsistent'],
    sources: ['Cassandra Cells.reconcile breaks ties deterministically (tombstone wins, then the larger value)'],
  },
  {
    id: 'blocking-read-repair',
    title: 'Blocking read repair writes the newest version before answering',
    what: 'Before answering, a read coordinator writes the newest merged version to every contacted replica that lacks it, so a later quorum read cannot return an older one.',
    knobs: ['readLevel'],
    claims: ['lww-read-latest', 'read-latest'],
    bugs: ['read-repair-older-value'],
    sources: ['operating/read_repair.html', 'scylladb/scylladb#8970'],
  },
  {
    id: 'hinted-handoff',
    title: "Hinted handoff replays a missed write with its original timestamp",
    what: 'A replica that does not answer a write in time gets a hint, replayed when it is reachable again with the write\'s own timestamp; no hints for a node silent longer than max_hint_window, and anti-entropy repair covers the rest.',
    knobs: ['hintedHandoff', 'hintWindowMs', 'repairIdleMs'],
    claims: ['lww-durability', 'lww-convergence'],
    bugs: ['hint-new-timestamp'],
    sources: ['Cassandra hints carry the original mutation (operating/hints.html)'],
  },
  {
    id: 'tombstones-gc-grace',
    title: 'Tombstones are kept gc_grace before compaction purges them',
    what: 'A delete is a tombstone kept for gc_grace so that repair carries it to replicas that missed it; purged earlier, such a replica resurrects the row (a zombie).',
    knobs: ['gcGraceMs'],
    claims: ['lww-convergence', 'lww-durability'],
    bugs: ['tombstone-purged-early'],
    sources: ['Cassandra tombstones and gc_grace_seconds ("Zombies", managing/operating/compaction/tombstones.html)'],
  },
  {
    id: 'sloppy-quorum',
    title: 'Sloppy quorums count hinted writes on fallback nodes',
    what: 'With quorum sloppy, nodes past the replicas on the ring take hinted writes that count towards W and hand them off later, so a QUORUM read may contact no node holding a QUORUM write: read-latest is claimed only for strict quorums. A strict quorum acknowledges a write only once W of the key\'s own replicas store it (lww-strict-quorum); a sloppy one counts fallback nodes\' hints.',
    knobs: ['quorum'],
    claims: ['lww-read-latest', 'read-latest', 'lww-strict-quorum'],
    bugs: ['sloppy-reported-as-strict'],
    sources: ['Dynamo §4.6 sloppy quorum', 'Riak pw/pr (primary-only quorums)'],
  },
];

/**
 * The pipeline behaviours of leaderless-cdc (Cassandra CDC into SQL), each with
 * the sources its planted bugs already cite (cdc.ts). The store under it is the
 * leaderless model's; its own behaviours are listed there.
 */
export const LEADERLESS_CDC_BEHAVIOURS: ModelBehaviour[] = [
  {
    id: 'per-replica-commit-logs',
    title: "Every replica's commit log feeds the pipeline: each change arrives once per replica, out of order",
    what: "A CDC agent on every replica ships its own commit log, durable up to the cdc index offset, to the broker, at least once; a write reaches the sink RF times (more with read repair, hints and anti-entropy), and copies of one key from different replicas arrive in any order. Log positions of different replicas cannot be compared.",
    knobs: ['nodes', 'rf', 'batchMax', 'pollMs'],
    claims: ['lww-sink-convergence'],
    bugs: ['dedup-by-position'],
    sources: [
      'Cassandra CDC: each node logs its own commit log segments (operating/cdc.html)',
      'Materialize Debezium deduplication ("Ordered" trusts the high-water mark of one source position; with several sources writing one topic every message must be tracked)',
    ],
  },
  {
    id: 'dedup-by-write-timestamp',
    title: 'The SQL sink deduplicates by (key, write timestamp) and applies by timestamp',
    what: "The SQLite sink skips an event not newer than its row's (write timestamp, tie rank), keeping deleted rows with theirs: last write wins with Cassandra's tie rule, so the sink read through its transformation converges to the replicas' state whatever the arrival order.",
    knobs: ['partitions', 'applyMs', 'transform'],
    claims: ['lww-sink-convergence'],
    bugs: ['apply-in-arrival-order'],
    sources: ['DataStax HCD Kafka integration, "Deduplication": each replica publishes the mutation (N writes for RF N) and consumers must use the row version to order them'],
  },
  {
    id: 'timestamped-deletes',
    title: 'A delete travels with its own write timestamp',
    what: 'A row deletion is a tombstone stamped with the delete\'s timestamp, shipped with it, so the sink orders it against the writes it deletes and against older writes arriving after it.',
    knobs: [],
    claims: ['lww-sink-convergence'],
    bugs: ['delete-without-timestamp'],
    sources: [
      'Cassandra DELETE writes a tombstone stamped with its own timestamp (USING TIMESTAMP), which outranks older cells',
      'Kafka Connect tombstone records carry a key and no value, so no version field to order them by',
    ],
  },
];
