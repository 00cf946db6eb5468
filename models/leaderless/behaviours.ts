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
    claims: ['lww-read-latest', 'read-latest'],
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
    what: 'With quorum sloppy, nodes past the replicas on the ring take hinted writes that count towards W and hand them off later, so a QUORUM read may contact no node holding a QUORUM write: read-latest is claimed only for strict quorums.',
    knobs: ['quorum'],
    claims: ['lww-read-latest', 'read-latest'],
    bugs: ['sloppy-reported-as-strict'],
    sources: ['Dynamo §4.6 sloppy quorum', 'Riak pw/pr (primary-only quorums)'],
  },
];
