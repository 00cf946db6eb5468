/**
 * CDC from the leaderless store into SQL — the seed's "write to Cassandra, keep a
 * copy in RDS". Every replica runs a CDC agent over its own commit log, as
 * Cassandra CDC does (cassandra.apache.org/doc/latest/operating/cdc.html: each
 * node's CommitLogSegments are hard-linked into cdc_raw and a `_cdc.idx` file
 * gives the offset durable on disk; a consumer parses only up to it). So every
 * change reaches the pipeline once per replica that stored it — RF times for a
 * write, more with read repair, hints and anti-entropy — and the copies of one
 * key arrive out of order across replicas (DataStax CDC for Apache Cassandra,
 * HCD Kafka integration "Deduplication": N writes for replication factor N).
 *
 * The agents produce to the CDC model's broker (models/cdc/broker.ts), keyed by
 * row key; one SQLite sink (models/cdc/sink.ts, better-sqlite3) consumes it.
 * Each event's source position is (write timestamp, tie rank), so the sink's
 * own position dedup — skip an event not newer than the row's position, keep
 * deleted rows as NULL with theirs — is exactly "deduplicate by (key, write
 * timestamp) and apply by timestamp", with Cassandra's tie rule.
 *
 * Claim: after quiescence the sink, read through its transformation, equals the
 * transformation of the replicas' LWW state (lww-sink-convergence), under
 * crashes, partitions and clock skew.
 */
import type {
  ClusterView, GuaranteeClaim, IncomingRequest, Model, ModelKnob, NodeContext, NodeId, NodeProgram, NodeView, PlantedBug,
} from '../../src/analysis.js';
import { CDC_TRANSFORMS, type CdcTransform, fnv1a, isCdcTransform } from '../../src/analysis.js';
import { brokerProgram } from '../cdc/broker.js';
import { CDC_MARKS } from '../cdc/index.js';
import type { CdcEvent, Pos } from '../cdc/common.js';
import { sinkProgram, upsertConsumer } from '../cdc/sink.js';
import { LEADERLESS_CDC_BEHAVIOURS } from './behaviours.js';
import { claims as storeClaims, configure as configureStore, knobs as storeKnobs, marks as storeMarks, type LeaderlessConfig } from './config.js';
import leaderlessModel from './index.js';
import { createNode, type DiskRec, nodeIds } from './node.js';

export const BROKER = 'broker';
export const SINK = 'sink-rds';
/** The agent's file: how much of the local commit log the broker has acknowledged. */
const OFFSET_FILE = 'cdc-offset';
/** Poll ticks an unacknowledged produce waits before it is resent. */
const RETRY_TICKS = 8;

export interface LeaderlessCdcConfig extends LeaderlessConfig {
  /** Broker partitions; a key's events share one (hash of the row key). */
  partitions: number;
  /** How the SQL sink reshapes rows (models/cdc transformations, applied in SQL). */
  transform: CdcTransform;
  /** Agent and sink poll interval (the agent re-reads the durable end of its commit log). */
  pollMs: number;
  /** Most commit log records one agent ships per produce round. */
  batchMax: number;
  /** Sink processing time per fetched batch. */
  applyMs: number;
}

const CDC_DEFAULTS = { partitions: 2, transform: 'derive' as CdcTransform, pollMs: 5, batchMax: 4, applyMs: 2 };

/**
 * The store's knobs without timestampResolution (microsecond timestamps: ties
 * between live values are broken on a 7-character prefix, see tieRank) and
 * without gcGraceMs (kept at 10 s, longer than any run: a tombstone purged
 * before a replica learns of it resurrects the row in the store itself — a zombie
 * the sink rightly does not copy, and the store's own lww-durability reports).
 */
const CDC_KNOBS: ModelKnob[] = [
  ...storeKnobs.filter((k) => k.name !== 'timestampResolution' && k.name !== 'gcGraceMs'),
  { name: 'partitions', values: [1, 2, 3], range: { min: 1, max: 16, integer: true }, default: 2, description: 'broker partitions; events are keyed by row key' },
  { name: 'transform', values: [...CDC_TRANSFORMS], default: 'derive', description: 'how the SQLite sink reshapes rows (generated columns and a view query)' },
  { name: 'pollMs', values: [2, 5, 10], range: { min: 0.5 }, default: 5, description: 'CDC agent and sink poll interval' },
  { name: 'batchMax', values: [1, 4, 8], range: { min: 1, max: 64, integer: true }, default: 4, description: 'commit log records an agent ships per produce round' },
  { name: 'applyMs', values: [0, 2, 5], range: { min: 0 }, default: 2, description: "the sink's processing time per fetched batch" },
];

export function configureCdc(raw: Record<string, unknown>, bug?: string): LeaderlessCdcConfig {
  if (bug !== undefined && !CDC_BUGS.some((b) => b.name === bug)) throw new Error(`leaderless-cdc: unknown bug '${bug}'; known: ${CDC_BUGS.map((b) => b.name).join(', ')}`);
  const store: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k in CDC_DEFAULTS) own[k] = v;
    else if (k === 'timestampResolution' || k === 'gcGraceMs') throw new Error(`leaderless-cdc: '${k}' is fixed (microsecond timestamps, gc_grace longer than a run)`);
    else store[k] = v;
  }
  const c: LeaderlessCdcConfig = { ...configureStore(store), ...CDC_DEFAULTS, ...own } as LeaderlessCdcConfig;
  const num = (k: keyof typeof CDC_DEFAULTS) => {
    const knob = CDC_KNOBS.find((x) => x.name === k)!;
    const v = c[k] as unknown;
    const r = knob.range!;
    if (typeof v !== 'number' || !(v >= r.min!) || (r.max !== undefined && v > r.max) || (r.integer && !Number.isInteger(v))) {
      throw new Error(`leaderless-cdc: ${k} must be ${r.integer ? 'an integer' : 'a number'} >= ${r.min}${r.max !== undefined ? ` and <= ${r.max}` : ''}`);
    }
  };
  num('partitions');
  num('pollMs');
  num('batchMax');
  num('applyMs');
  if (!isCdcTransform(c.transform)) throw new Error(`leaderless-cdc: transform must be one of ${CDC_TRANSFORMS.join(', ')}`);
  return c;
}

export const CDC_BUGS: PlantedBug[] = [
  {
    name: 'dedup-by-position',
    description: "the pipeline deduplicates by commit log position (offset in the replica's log) as a single-source CDC sink does, so positions from different replicas' logs are compared: a newer write from a replica with a shorter log is dropped, an older one from a longer log wins",
    source: 'Materialize Debezium deduplication ("Ordered" trusts the high-water mark of one source position; with several sources writing one topic every message must be tracked): https://dev.materialize.com/api/rust/interchange/avro/enum.DebeziumDeduplicationStrategy.html; Cassandra CDC: each node logs its own commit log segments (operating/cdc.html)',
  },
  {
    name: 'apply-in-arrival-order',
    description: 'the sink upserts every change as it arrives, so the copy of an older write from a slow replica overwrites a newer value',
    source: 'DataStax HCD Kafka integration, "Deduplication": each replica publishes the mutation (N writes for RF N) and consumers must use the row version to order them: https://docs.datastax.com/en/hyper-converged-database/2.0/integrations/kafka-operations.html',
  },
  {
    name: 'delete-without-timestamp',
    description: 'a delete is shipped without its write timestamp (a row deletion has no cell to take WRITETIME from), so the sink ranks it oldest: it is skipped when the row exists and overridden by any older write that arrives after it',
    source: 'Cassandra DELETE writes a tombstone stamped with its own timestamp (USING TIMESTAMP), which outranks older cells: https://docs.datastax.com/en/cql/3.0/cql/cql_reference/delete_r.html; Kafka Connect tombstone records carry a key and no value, so no version field to order them by',
  },
];

/** Equal timestamps: a tombstone ranks highest, then the larger value (Cassandra Cells.reconcile, as compareLww). */
const TOMBSTONE_RANK = Number.MAX_SAFE_INTEGER;

/**
 * A value's order as an integer that SQLite stores next to the timestamp:
 * base-128 digits of its first 7 characters (128^7 < 2^53), so the order is
 * exact for ASCII values up to 7 characters (the workload's `s3-12`) and a
 * prefix order beyond. Only writes stamped in the same microsecond compare it.
 */
export function tieRank(v: CdcEvent['after']): number {
  if (v === null) return TOMBSTONE_RANK;
  const s = String(v);
  let n = 0;
  for (let i = 0; i < 7; i++) n = n * 128 + Math.min(127, s.charCodeAt(i) || 0);
  return n;
}

/** The position a replica's commit log record travels with. */
function positionOf(rec: { k: string; cell: { v: CdcEvent['after']; ts: number } }, offset: number, self: NodeId, bug: string | undefined): Pos {
  if (bug === 'dedup-by-position') return { lsn: offset + 1, idx: Number(self.slice(1)) };
  if (bug === 'delete-without-timestamp' && rec.cell.v === null) return { lsn: 0, idx: 0 };
  return { lsn: rec.cell.ts, idx: tieRank(rec.cell.v) };
}

interface InFlight {
  end: number;
  batches: Map<string, { partition: number; events: CdcEvent[] }>;
  sentTick: number;
}

/**
 * A replica with its CDC agent: the store's own program, plus a loop that
 * makes the commit log durable up to its current end (the `_cdc.idx` offset),
 * ships the records past the acknowledged offset to the broker, and stores the
 * new offset once every partition acknowledged (at-least-once: a crash resends).
 */
function replicaWithAgent(self: NodeId, c: LeaderlessCdcConfig, bug: string | undefined): NodeProgram {
  const node = createNode(self, c, undefined);
  const ring = new Set(nodeIds(c));
  let shipped = 0;
  let inflight: InFlight | undefined;
  let reading = false;
  let ticks = 0;
  let seq = 0;
  let disk: NodeContext['disk'] | undefined;

  function poll(ctx: NodeContext): void {
    ticks++;
    if (inflight) {
      if (ticks - inflight.sentTick > RETRY_TICKS) send(ctx, inflight);
      return;
    }
    const end = Math.min(ctx.disk.records('data').length, shipped + c.batchMax);
    if (reading || end <= shipped) return;
    reading = true;
    ctx.disk.fsync(() => {
      reading = false;
      if (inflight) return;
      const recs = ctx.disk.records<DiskRec>('data');
      const batches = new Map<string, { partition: number; events: CdcEvent[] }>();
      const byPartition = new Map<number, CdcEvent[]>();
      for (let i = shipped; i < Math.min(end, recs.length); i++) {
        const rec = recs[i]!;
        if ('purge' in rec) continue; // compaction, not a mutation
        const partition = fnv1a(rec.k) % c.partitions;
        const ev: CdcEvent = { pos: positionOf(rec, i, self, bug), key: rec.k, op: rec.cell.v === null ? 'd' : 'u', before: null, after: rec.cell.v };
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), ev]);
      }
      for (const [partition, events] of byPartition) batches.set(`${self}.${++seq}`, { partition, events });
      inflight = { end: Math.min(end, recs.length), batches, sentTick: ticks };
      if (batches.size === 0) return done(ctx);
      send(ctx, inflight);
    });
  }

  function send(ctx: NodeContext, f: InFlight): void {
    f.sentTick = ticks;
    for (const [batchId, b] of f.batches) {
      ctx.send(BROKER, { type: 'produce', partition: b.partition, seq: 0, pid: self, batchId, idempotent: false, events: b.events });
    }
    ctx.mark('cdc-shipped');
  }

  function done(ctx: NodeContext): void {
    shipped = inflight!.end;
    inflight = undefined;
    ctx.disk.put(OFFSET_FILE, shipped);
    poll(ctx);
  }

  return {
    start(ctx) {
      disk = ctx.disk;
      node.start(ctx);
      shipped = Math.min(ctx.disk.get<number>(OFFSET_FILE) ?? 0, ctx.disk.records('data').length);
      inflight = undefined;
      reading = false;
      ctx.setTimer(c.pollMs, 'cdc-poll', undefined, { background: true });
    },
    onRequest: (ctx, r: IncomingRequest) => node.onRequest(ctx, r),
    onMessage(ctx, from, msg) {
      if (ring.has(from)) return node.onMessage(ctx, from, msg);
      const m = msg as { type?: string; batchId?: string };
      if (m.type === 'produce-ack' && inflight && m.batchId !== undefined && inflight.batches.delete(m.batchId) && inflight.batches.size === 0) done(ctx);
    },
    onTimer(ctx, tag, payload) {
      if (tag !== 'cdc-poll') return node.onTimer(ctx, tag, payload);
      ctx.setTimer(c.pollMs, 'cdc-poll', undefined, { background: true });
      poll(ctx);
    },
    onStreamBreak(ctx, peer) {
      if (ring.has(peer)) node.onStreamBreak?.(ctx, peer);
      else if (peer === BROKER && inflight) inflight.sentTick = -Infinity;
    },
    view(): NodeView {
      const v = node.view();
      const unshipped = (disk?.records('data').length ?? 0) - shipped;
      return { ...v, positions: { ...v.positions, 'cdc-unshipped': unshipped } };
    },
  };
}

function program(id: NodeId, c: LeaderlessCdcConfig, bug: string | undefined): NodeProgram {
  if (id === BROKER) return brokerProgram(c.partitions);
  if (id === SINK) {
    return sinkProgram({
      broker: BROKER, partitions: c.partitions, store: 'sqlite', transform: c.transform, consumer: upsertConsumer, consumerName: 'upsert',
      // Position dedup over (timestamp, tie rank) positions is LWW; without it the last event to arrive wins.
      exactlyOnce: bug === 'apply-in-arrival-order' ? 'none' : 'dedup',
      commit: 'after-processing', pollMs: c.pollMs, commitIntervalMs: 20, applyMs: c.applyMs, claims: ['lww-sink-convergence'],
    });
  }
  return replicaWithAgent(id, c, bug);
}

/** Quiet when the store is, every agent shipped its whole commit log and the sink applied every partition to its end. */
function quiescent(cluster: ClusterView, c: LeaderlessCdcConfig): boolean {
  const ring = new Set(nodeIds(c));
  const replicas = cluster.nodes.filter((n) => ring.has(n.id));
  if (!replicas.every((n) => n.alive && n.view.positions?.['synced'] === 1 && n.view.positions?.['hints'] === 0 && n.view.positions?.['cdc-unshipped'] === 0)) return false;
  const broker = cluster.nodes.find((n) => n.id === BROKER)?.view.positions ?? {};
  const sink = cluster.nodes.find((n) => n.id === SINK);
  const sp = sink?.view.positions;
  if (!sink?.alive || !sp || !sp['ready'] || sp['queued'] !== 0) return false;
  return Array.from({ length: c.partitions }, (_, p) => `p${p}`).every((k) => (sp[k] ?? 0) >= (broker[k] ?? 0));
}

function claims(c: LeaderlessCdcConfig): GuaranteeClaim[] {
  return [...storeClaims(c), { id: 'lww-sink-convergence', under: 'any crash, partition, pause, clog or clock skew; judged after the quiet phase' }];
}

export const leaderlessCdcModel: Model<LeaderlessCdcConfig> = {
  name: 'leaderless-cdc',
  description:
    "CDC from the leaderless store into SQL (Cassandra → RDS): every replica's commit log feeds a broker, so each change arrives once per replica and out of order; the SQLite sink deduplicates by (key, write timestamp) and applies by timestamp, with transformations",
  knobs: CDC_KNOBS,
  bugs: CDC_BUGS,
  configure: (raw, bug) => configureCdc(raw, bug),
  nodes: (c) => [...nodeIds(c), BROKER, SINK],
  program,
  route: (req, s, cluster, c) => leaderlessModel.route(req, s, cluster, c),
  claims: (c) => claims(c),
  quiescent,
  marks: [
    ...storeMarks,
    { name: 'cdc-shipped', description: "a replica's CDC agent sent commit log records to the broker, not yet acknowledged" },
    // The broker's and the sink's own moments, as the CDC model declares them.
    ...CDC_MARKS.filter((m) => ['appended', 'batch-received', 'batch-applied', 'offset-commit'].includes(m.name)),
  ],
  behaviours: LEADERLESS_CDC_BEHAVIOURS,
};

/** Named variants: consistency levels and transformations a deployment would pick. */
export const leaderlessCdcVariants: Record<string, Record<string, unknown>> = {
  'quorum-derive': {},
  'one-one-split': { writeLevel: 'ONE', readLevel: 'ONE', transform: 'split' },
  'quorum-5-rename': { nodes: 5, transform: 'rename', partitions: 3 },
};

export default leaderlessCdcModel;
