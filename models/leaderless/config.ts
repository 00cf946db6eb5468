/**
 * Configuration of the leaderless last-write-wins family (Cassandra/Dynamo-shaped):
 * knobs, validation, named variants, planted bugs, marks and the guarantees
 * each variant claims.
 *
 * Semantics followed:
 * - Consistency levels ONE / QUORUM / ALL count replica responses (Cassandra
 *   architecture/dynamo.html#tunable-consistency); QUORUM = floor(RF/2) + 1.
 * - Conflicts resolve by the write timestamp the coordinator takes from its own
 *   clock; at equal timestamps a tombstone wins, then the larger value
 *   (Cassandra Cells.reconcile; ScyllaDB docs/cql/dml.rst "update ordering").
 * - Blocking read repair: before answering, the coordinator writes the newest
 *   version to every contacted replica that lacks it ("monotonic quorum reads",
 *   cassandra.apache.org/doc/latest/operating/read_repair.html).
 * - Hinted handoff: a replica that does not answer a write within the timeout
 *   gets a hint, replayed with the write's own timestamp when it is reachable;
 *   no hints for a node silent longer than max_hint_window
 *   (cassandra.apache.org/doc/latest/operating/hints.html). Hints live in a
 *   file: a coordinator's are flushed on its next tick (hints_flush_period), so
 *   a machine crash before that loses them; a sloppy fallback fsyncs its hint
 *   before acknowledging it, since the hint counts towards W.
 * - Tombstones are kept gc_grace before compaction purges them; a replica that
 *   missed the delete past that resurrects the row (".../compaction/tombstones.html", "Zombies").
 * - Sloppy quorum (Dynamo, DeCandia et al. SOSP 2007, §4.6): when replicas do not
 *   answer, the first healthy nodes further along the ring take the write as a
 *   hint and count towards W; they hand it off later.
 * - Anti-entropy repair runs when a node has been idle a while (the operator's
 *   scheduled `nodetool repair`), so the cluster converges once traffic stops.
 */
import type { GuaranteeClaim, MarkSpec, ModelKnob, PlantedBug, WorkloadOptions } from '../../src/index.js';

export type Level = 'ONE' | 'QUORUM' | 'ALL';

export interface LeaderlessConfig {
  /** Nodes n1..nN on one ring. */
  nodes: number;
  /** Replication factor: each key lives on RF consecutive ring nodes (SimpleStrategy). */
  rf: number;
  writeLevel: Level;
  readLevel: Level;
  quorum: 'strict' | 'sloppy';
  /** 'us': unique microsecond timestamps per coordinator; 'ms': currentTimeMillis()·1000 (ties across coordinators). */
  timestampResolution: 'us' | 'ms';
  hintedHandoff: boolean;
  /** max_hint_window: no hints for a node not heard from for longer than this. */
  hintWindowMs: number;
  /** gc_grace_seconds, in simulated ms. */
  gcGraceMs: number;
  /** write_request_timeout / read_request_timeout. */
  timeoutMs: number;
  /** A node runs an anti-entropy round after this long without client or write traffic. */
  repairIdleMs: number;
}

const DEFAULTS: LeaderlessConfig = {
  nodes: 3,
  rf: 3,
  writeLevel: 'QUORUM',
  readLevel: 'QUORUM',
  quorum: 'strict',
  timestampResolution: 'us',
  hintedHandoff: true,
  hintWindowMs: 10_000,
  gcGraceMs: 10_000,
  timeoutMs: 100,
  repairIdleMs: 30,
};

const LEVELS: Level[] = ['ONE', 'QUORUM', 'ALL'];

export const knobs: ModelKnob[] = [
  { name: 'nodes', values: [3, 4, 5], range: { min: 1, max: 9, integer: true }, default: 3, description: 'nodes n1..nN on one token ring (default max(3, rf))' },
  { name: 'rf', values: [1, 2, 3], range: { min: 1, max: 9, integer: true }, default: 3, description: 'replication factor: each key on RF consecutive ring nodes (SimpleStrategy); default min(3, nodes)' },
  { name: 'writeLevel', values: LEVELS, default: 'QUORUM', description: 'write consistency level: replica acknowledgements the coordinator waits for' },
  { name: 'readLevel', values: LEVELS, default: 'QUORUM', description: 'read consistency level: replica responses the coordinator merges (newest timestamp wins)' },
  { name: 'quorum', values: ['strict', 'sloppy'], default: 'strict', description: 'sloppy: nodes past the replicas on the ring take hinted writes that count towards W (Dynamo §4.6)' },
  { name: 'timestampResolution', values: ['us', 'ms'], default: 'us', description: "write timestamps: unique microseconds per coordinator, or milliseconds·1000 (old FBUtilities.timestampMicros) so writes in the same ms tie" },
  { name: 'hintedHandoff', values: [true, false], default: true, description: 'store hints for replicas that did not acknowledge a write and replay them' },
  { name: 'hintWindowMs', values: [100, 10000], range: { min: 0 }, default: 10000, description: 'max_hint_window: no hints for a node silent longer than this' },
  { name: 'gcGraceMs', values: [50, 10000], range: { min: 0 }, default: 10000, description: 'gc_grace: how long a tombstone is kept before compaction purges it' },
  { name: 'timeoutMs', values: [50, 100, 300], range: { min: 1 }, default: 100, description: 'coordinator read/write request timeout (a write timeout is indeterminate)' },
  { name: 'repairIdleMs', values: [30, 100], range: { min: 1 }, default: 30, description: 'a node idle this long runs an anti-entropy round with its peers' },
];

export function configure(raw: Record<string, unknown>): LeaderlessConfig {
  const known = new Set(knobs.map((k) => k.name));
  for (const k of Object.keys(raw)) if (!known.has(k)) throw new Error(`leaderless: unknown knob '${k}'; knobs: ${[...known].join(', ')}`);
  const c = { ...DEFAULTS, ...raw } as LeaderlessConfig;
  // One given without the other: the ring holds at least RF nodes, RF is at most 3.
  if (raw['nodes'] === undefined && typeof raw['rf'] === 'number') c.nodes = Math.min(9, Math.max(DEFAULTS.nodes, raw['rf']));
  if (raw['rf'] === undefined && typeof raw['nodes'] === 'number') c.rf = Math.min(DEFAULTS.rf, raw['nodes']);
  const int = (n: unknown, min: number, max: number, name: string) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new Error(`leaderless: ${name} must be an integer in [${min}, ${max}]`);
  };
  int(c.nodes, 1, 9, 'nodes');
  int(c.rf, 1, 9, 'rf');
  if (c.rf > c.nodes) throw new Error(`leaderless: rf (${c.rf}) must be at most nodes (${c.nodes})`);
  for (const k of ['writeLevel', 'readLevel'] as const) if (!LEVELS.includes(c[k])) throw new Error(`leaderless: ${k} must be ONE, QUORUM or ALL`);
  if (c.quorum !== 'strict' && c.quorum !== 'sloppy') throw new Error("leaderless: quorum must be 'strict' or 'sloppy'");
  if (c.timestampResolution !== 'us' && c.timestampResolution !== 'ms') throw new Error("leaderless: timestampResolution must be 'us' or 'ms'");
  if (typeof c.hintedHandoff !== 'boolean') throw new Error('leaderless: hintedHandoff must be true or false');
  for (const k of ['hintWindowMs', 'gcGraceMs', 'timeoutMs', 'repairIdleMs'] as const) {
    const min = knobs.find((x) => x.name === k)!.range!.min;
    if (typeof c[k] !== 'number' || !(c[k] >= min)) throw new Error(`leaderless: ${k} must be a number >= ${min}`);
  }
  return c;
}

/** Responses a level needs out of RF replicas. */
export function needed(level: Level, rf: number): number {
  return level === 'ONE' ? 1 : level === 'ALL' ? rf : Math.floor(rf / 2) + 1;
}

export const BUG_NAMES = [
  'tie-break-inconsistent',
  'read-repair-older-value',
  'hint-new-timestamp',
  'tombstone-purged-early',
  'coordinator-counted-twice',
  'sloppy-reported-as-strict',
] as const;
export type LeaderlessBug = (typeof BUG_NAMES)[number];

export const bugs: PlantedBug[] = [
  {
    name: 'tie-break-inconsistent',
    description: 'at equal timestamps a replica keeps whichever cell it stored first instead of the deterministic order (tombstone, then larger value), so replicas that saw two tied writes in different orders never converge',
    source: 'Cassandra Cells.reconcile breaks ties deterministically (tombstone wins, then the larger value); cqlite issue #498 (equal-timestamp tiebreak by input order diverges from Cassandra) and scylladb/scylladb#14183 (compare value last): https://github.com/pmcfadin/cqlite/issues/498',
  },
  {
    name: 'read-repair-older-value',
    description: "blocking read repair writes the data replica's (the coordinator's own, possibly stale) version to the other contacted replicas as a blind overwrite instead of the newest merged version",
    source: 'Cassandra read repair writes "the most recent version to any replica node that does not have it" (operating/read_repair.html); scylladb/scylladb#8970: reconciliation concluded old data was newest and sent it to replicas: https://github.com/scylladb/scylladb/issues/8970',
  },
  {
    name: 'hint-new-timestamp',
    description: "a hint is replayed with the replaying node's current timestamp instead of the write's original one, so an old value overwrites every newer write",
    source: 'Cassandra hints carry the original mutation (operating/hints.html); Voldemort hinted handoff "retaining the original vector clock"; yugabyte-db#32545 (an older write re-filed at a newer time inverts LWW): https://github.com/yugabyte/yugabyte-db/issues/32545',
  },
  {
    name: 'tombstone-purged-early',
    description: 'compaction drops a tombstone as soon as it is written instead of after gc_grace, so a replica that missed the delete resurrects the row through repair (a zombie)',
    source: 'Cassandra tombstones and gc_grace_seconds ("Zombies", managing/operating/compaction/tombstones.html); scylladb/scylladb#23712 (data resurrection when a tombstone is GCed before hints are replayed): https://github.com/scylladb/scylladb/issues/23712',
  },
  {
    name: 'coordinator-counted-twice',
    description: "the coordinator counts its own local write and read response twice towards the consistency level, so QUORUM of 3 is met by the coordinator alone",
    source: 'Dynamo §4.5: W and R count distinct replicas; ferrosadb/ferrosa#278 (the coordinator\'s own vote mis-counted towards a quorum, the converse error): https://github.com/ferrosadb/ferrosa/pull/278',
  },
  {
    name: 'sloppy-reported-as-strict',
    description: 'a strict-quorum configuration still counts hinted writes on fallback nodes towards W, so a write reported as QUORUM may sit on no replica a QUORUM read contacts',
    source: 'Dynamo §4.6 sloppy quorum vs Riak pw/pr (primary-only quorums), docs.riak.com/riak/kv/latest/developing/app-guide/replication-properties; Cassandra counts hints only for CL ANY (dml_about_hh_c)',
  },
];

export const marks: MarkSpec[] = [
  { name: 'write-sent', description: 'a coordinator stamped a write and sent it to its replicas, none acknowledged yet' },
  { name: 'replica-applied', description: 'a replica made a mutation durable and visible, its acknowledgement not yet sent' },
  { name: 'write-acked', description: 'a coordinator acknowledged a write to its client (W replicas answered), the rest still in flight' },
  { name: 'hint-stored', description: 'a node stored a hint for a replica that did not answer (coordinator or sloppy fallback)' },
  { name: 'hint-replayed', description: 'a node replayed a stored hint to its replica' },
  { name: 'read-sent', description: 'a read coordinator asked the other replicas for their version, none answered yet' },
  { name: 'read-repair', description: 'a read coordinator found stale replicas and sent them repairs, the read not yet answered' },
  { name: 'repair-round', description: 'an idle node began an anti-entropy round with its peers' },
];

/** Named variants, as deployments name their consistency levels (write-read). */
export const leaderlessVariants: Record<string, Record<string, unknown>> = {
  'quorum-quorum': {},
  'one-one': { writeLevel: 'ONE', readLevel: 'ONE' },
  'all-one': { nodes: 5, writeLevel: 'ALL', readLevel: 'ONE' },
  'one-all': { writeLevel: 'ONE', readLevel: 'ALL' },
  // A five-node ring with RF 3, the usual small production cluster.
  'quorum-quorum-5': { nodes: 5 },
  'quorum-quorum-ms': { timestampResolution: 'ms' },
  'sloppy': { nodes: 5, quorum: 'sloppy' },
};

export const workload: WorkloadOptions = { opKinds: ['r', 'w', 'del'], keys: 3, txnOpsMax: 1, rollback: false, policies: ['primary'] };

/**
 * Claims. Every variant converges after repair and keeps acknowledged writes
 * in the LWW order (a write is durable on W ≥ 1 replicas before it is
 * acknowledged). With R + W > RF and strict quorums a read returns a version
 * at least as new, in the timestamp order, as every write acknowledged before
 * it; it returns the latest acknowledged write in real time only with
 * microsecond timestamps too — and that checker declines runs with skewed
 * clocks (see src/check/lww.ts).
 * A strict quorum acknowledges a write only once W of the key's own replicas
 * store it (lww-strict-quorum); a sloppy one counts fallback nodes' hints.
 * A sloppy fallback's hint is on its disk before it counts, so the sloppy
 * variant keeps acknowledged writes through crashes too. LWW losing
 * real-time-later writes is measured, never claimed.
 */
export function claims(c: LeaderlessConfig): GuaranteeClaim[] {
  const out: GuaranteeClaim[] = [{ id: 'lww-convergence' }];
  out.push({ id: 'lww-durability' });
  const strictOverlap = c.quorum === 'strict' && needed(c.readLevel, c.rf) + needed(c.writeLevel, c.rf) > c.rf;
  if (c.quorum === 'strict') out.push({ id: 'lww-strict-quorum', under: 'strict quorum: W counts only the key\'s own replicas', source: 'Cassandra counts hints only for CL ANY (dml_about_hh_c); Riak pw/pr (primary-only quorums)' });
  if (strictOverlap) out.push({ id: 'lww-read-latest', under: 'R + W > RF, strict quorum' });
  if (strictOverlap && c.timestampResolution === 'us') out.push({ id: 'read-latest', under: 'R + W > RF, strict quorum, synchronised clocks' });
  return out;
}
