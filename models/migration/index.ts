/**
 * Online data migration: a live source setup moves to a target setup while
 * clients keep writing. Bulk copy in chunks, CDC catch-up from a slot taken
 * before the copy, cut-over with a brief write freeze or with dual writes
 * (`cutover`), then verification.
 * Routing: every request goes to the source until the target is promoted,
 * then to the target. Judged by src/check/migration.ts.
 */
import type { ClusterView, GuaranteeClaim, MarkSpec, Model, ModelKnob, NodeId, NodeProgram, PlantedBug } from '../../src/index.js';
import { sourceProgram } from '../cdc/source.js';
import { moverProgram } from './mover.js';
import { targetProgram } from './target.js';
import { MIGRATION_BEHAVIOURS } from './behaviours.js';

export interface MigrationConfig {
  preloadRows: number;
  chunkSize: number;
  pollMs: number;
  lagMax: number;
  /** True time the move begins (clients write before, during and after). */
  startAtMs: number;
  /** Cut-over by a brief write freeze, or by dual writes (no pause; see mover.ts). */
  cutover: 'freeze' | 'dual-write';
  /** With dual writes: turn them on before the bulk copy, so copied rows race live writes (see mover.ts). */
  dualBeforeCopy: boolean;
  /** Planted bug 'cutover-during-lag' only (not a knob): reads go to the target once the cut-over begins. */
  readsAtCutoverStart?: boolean;
}

export const OLD = 'old';
export const NEW = 'new';
export const MOVER = 'mover';

export const MIGRATION_DEFAULTS: MigrationConfig = { preloadRows: 6, chunkSize: 2, pollMs: 5, lagMax: 2, startAtMs: 20, cutover: 'freeze', dualBeforeCopy: false };

export const MIGRATION_KNOBS: ModelKnob[] = [
  { name: 'preloadRows', values: [0, 2, 6, 12], range: { min: 0, integer: true }, default: 6, description: 'rows in the source before the move' },
  { name: 'chunkSize', values: [1, 2, 4], range: { min: 1, integer: true }, default: 2, description: 'bulk-copy rows per chunk' },
  { name: 'lagMax', values: [0, 2, 8], range: { min: 0, integer: true }, default: 2, description: 'stream lag (source records) at which the write freeze begins' },
  { name: 'startAtMs', values: [0, 20, 60], range: { min: 0, integer: true }, default: 20, description: 'true time the move begins' },
  { name: 'cutover', values: ['freeze', 'dual-write'], default: 'freeze', description: 'cut-over by a brief write freeze, or by synchronous dual writes to the target (no pause)' },
  { name: 'dualBeforeCopy', values: [false, true], default: false, description: 'with dual writes: turn them on before the bulk copy (dual write, backfill, switch), so copied rows race live writes' },
];

/**
 * The protocol moments the migration's nodes mark (`ctx.mark`): copy and
 * catch-up progress, the start of the cut-over on the source, the switch.
 */
export const MIGRATION_MARKS: MarkSpec[] = [
  { name: 'commit-acked', description: 'a commit was acknowledged to its client (by the source, or by the target once promoted)' },
  { name: 'chunk-copied', description: 'mover: the target acknowledged a bulk-copy chunk; copy progress advanced' },
  { name: 'catch-up-applied', description: "mover: the target acknowledged a CDC catch-up batch; the applied source position advanced" },
  { name: 'writes-frozen', description: 'source: the write freeze is durable; it refuses writes from now on (cut-over begins)' },
  { name: 'dual-writes-on', description: 'source: dual writes are on (durably); every later commit waits for the target' },
  { name: 'dual-write-ack', description: 'target: a mirrored source commit is durable and acknowledged to the source' },
  { name: 'promoted', description: 'target: the switch is durable; it serves clients from now on (cut-over)' },
  { name: 'verified', description: "mover: verification compared the source at the switch position with the target's state" },
];

export const MIGRATION_BUGS: PlantedBug[] = [
  {
    name: 'cutover-drops-inflight',
    description: 'routing switches to the target as soon as the source is frozen, without draining the CDC stream up to the freeze position: writes committed just before the freeze never reach the target',
    source: 'gh-ost cut-over waits for its AllEventsUpToLockProcessed marker before swapping (openark/gh-ost#14); CockroachDB MOLT docs: pause traffic and let replication drain before cut-over (cockroachdb/docs#19532)',
  },
  {
    name: 'dual-write-partial-failure',
    description: 'with dual writes the source commits, answers the client, and sends the write to the target once: a refused or lost second write is ignored, so an acknowledged write never reaches the target',
    source: 'pt-online-schema-change documentation: changes are mirrored to the new table by triggers on the original one, and MySQL "Using Triggers": "An error during either a BEFORE or AFTER trigger results in failure of the entire statement that caused trigger invocation" (the mirror cannot fail alone); Debezium blog "Reliable Microservices Data Exchange With the Outbox Pattern" (2019): dual writes without a shared transaction leave the two stores inconsistent when one write fails',
  },
  {
    name: 'verify-races-live-writes',
    description: "verification compares the source at the switch position with the target's live rows, which clients already write to, and resyncs every difference from the source: a write acknowledged by the target after the switch is overwritten with the source's older value",
    source: 'AWS DMS user guide, "AWS DMS data resync": a mismatch found by validation is fixed by reading the current source row and applying it to the target, and "for tasks with change data capture (CDC), Data resync operates according to a configured schedule, temporarily pausing replication and validation while fixes are applied"; pt-table-checksum compares master and replica at one replication point for the same reason',
  },
  {
    name: 'backfill-overwrites-newer',
    description: 'the bulk copy writes its rows like REPLACE instead of INSERT IGNORE: a chunk read before a live (dual-written) change lands after it and overwrites the newer row with the older one',
    source: 'pt-online-schema-change documentation and source: rows are copied with INSERT LOW_PRIORITY IGNORE ... SELECT while the triggers use REPLACE, so the copy never overwrites a row a live write already put there; gh-ost applies binlog events with REPLACE and copies rows with INSERT IGNORE (go/sql/builder.go, BuildRangeInsertQuery)',
  },
  {
    name: 'cutover-during-lag',
    description: 'reads are switched to the target when the cut-over begins (the source freezes or dual writes start), while the target still replays the replication backlog: a read there misses a write the source acknowledged before it',
    source: 'MongoDB mongosync "Finalize Cutover Process": a small lagTimeSeconds (close to 0) is only the precondition to start the cut-over; "mongosync should remain active until it reaches the COMMITTED state. This allows mongosync to sync any additional writes", and the application moves to the destination only once canWrite is true; Qlik Replicate terminology: apply latency is "the gap in seconds between capturing a change in one of the source tables and applying that change to the target endpoint"',
  },
];

export const MIGRATION_GUARANTEES = ['migration-target-equals-source', 'migration-no-loss', 'migration-read-after-cutover'] as const;

export const migrationModel: Model<MigrationConfig> = {
  name: 'migration',
  description: 'online migration: chunked bulk copy + CDC catch-up + write-freeze or dual-write cut-over + verification',
  knobs: MIGRATION_KNOBS,
  bugs: MIGRATION_BUGS,
  configure: configureMigration,
  nodes: () => [OLD, NEW, MOVER],
  program: (node, c, bug) => migrationProgram(node, c, bug),
  route: (req, _session, cluster, c) => (isPromoted(cluster) || (c.readsAtCutoverStart === true && req.txn.every((m) => m.f === 'r') && cutoverBegun(cluster)) ? NEW : OLD),
  claims: (): GuaranteeClaim[] => MIGRATION_GUARANTEES.map((id) => ({ id, under: 'any crash, partition, pause or clog' })),
  quiescent: (cluster) => (cluster.nodes.find((n) => n.id === MOVER)?.view.positions?.['phase'] ?? 0) >= 4,
  marks: MIGRATION_MARKS,
  behaviours: MIGRATION_BEHAVIOURS,
};

function isPromoted(cluster: ClusterView): boolean {
  return cluster.nodes.find((n) => n.id === NEW)?.view.role === 'primary';
}

/** The mover froze the source or turned dual writes on (its phase is 'frozen' or later). */
function cutoverBegun(cluster: ClusterView): boolean {
  return (cluster.nodes.find((n) => n.id === MOVER)?.view.positions?.['phase'] ?? 0) >= 2;
}

function migrationProgram(node: NodeId, c: MigrationConfig, bug: string | undefined): NodeProgram {
  if (node === OLD) return sourceProgram({ preloadRows: c.preloadRows, role: 'source', ...(bug === 'dual-write-partial-failure' ? { mirrorBestEffort: true } : {}) });
  if (node === NEW) return targetProgram(bug ? { bug } : {});
  if (node === MOVER) {
    return delayedStart(c.startAtMs, moverProgram({
      source: OLD, target: NEW, chunkSize: c.chunkSize, pollMs: c.pollMs, lagMax: c.lagMax, cutover: c.cutover, dualBeforeCopy: c.dualBeforeCopy, ...(bug ? { bug } : {}),
    }));
  }
  throw new Error(`migration: no node ${node}`);
}

/** Starts `inner` only once the node's clock passed `atMs` since its first start (kept on disk). */
function delayedStart(atMs: number, inner: NodeProgram): NodeProgram {
  let started = false;
  return {
    start(ctx) {
      if (ctx.disk.get<boolean>('begun') || atMs <= 0) {
        started = true;
        return inner.start(ctx);
      }
      ctx.setTimer(atMs, 'begin');
    },
    onMessage: (ctx, from, msg) => started && inner.onMessage(ctx, from, msg),
    onTimer(ctx, tag, payload) {
      if (tag !== 'begin') return started ? inner.onTimer(ctx, tag, payload) : undefined;
      started = true;
      ctx.disk.put('begun', true);
      inner.start(ctx);
    },
    onRequest: (ctx, req) => inner.onRequest(ctx, req),
    onStreamBreak: (ctx, peer) => started && inner.onStreamBreak?.(ctx, peer),
    view: () => inner.view(),
  };
}

function configureMigration(raw: Record<string, unknown>, bug?: string): MigrationConfig {
  if (bug !== undefined && !MIGRATION_BUGS.some((b) => b.name === bug)) {
    throw new Error(`migration: unknown bug '${bug}'; known: ${MIGRATION_BUGS.map((b) => b.name).join(', ')}`);
  }
  const c: MigrationConfig = { ...MIGRATION_DEFAULTS };
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in MIGRATION_DEFAULTS)) throw new Error(`migration: unknown option '${k}'; known: ${Object.keys(MIGRATION_DEFAULTS).join(', ')}`);
    if (k === 'cutover') {
      if (v !== 'freeze' && v !== 'dual-write') throw new Error(`migration: option 'cutover' must be 'freeze' or 'dual-write', got ${JSON.stringify(v)}`);
      c.cutover = v;
      continue;
    }
    if (k === 'dualBeforeCopy') {
      if (typeof v !== 'boolean') throw new Error(`migration: option 'dualBeforeCopy' must be true or false, got ${JSON.stringify(v)}`);
      c.dualBeforeCopy = v;
      continue;
    }
    const min = k === 'chunkSize' || k === 'pollMs' ? 1 : 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`migration: option '${k}' must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
    (c as unknown as Record<string, number>)[k] = v;
  }
  if (bug === 'cutover-during-lag') c.readsAtCutoverStart = true;
  return c;
}
