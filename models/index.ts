/**
 * The built-in models, by name, with their named variants and any checkers
 * their family brings. The CLI, the property suite and the report iterate this.
 */
import type {
  FaultKind,
  FaultProfileName,
  Model,
  ModelEntry,
  WorkloadOptions,
} from '../src/analysis.js';
import { GUARANTEE_FAMILIES } from '../src/analysis.js';
import { CDC_BUG_HINTS, CDC_WORKLOAD, cdcModel, cdcVariants } from './cdc/index.js';
import { leaderlessModel, leaderlessVariants, leaderlessWorkload } from './leaderless/index.js';
import { leaderlessCdcModel, leaderlessCdcVariants } from './leaderless/cdc.js';
import { migrationModel } from './migration/index.js';
import { walModel, walTriggers, walVariants } from './wal/index.js';

/** Where a planted bug shows: the variant, fault profile and workload that expose it. */
export interface BugTrigger {
  /** A named variant of the model, or a configuration of its own. */
  variant: string;
  config?: Record<string, unknown>;
  profile: FaultProfileName;
  faultKinds?: readonly FaultKind[];
  workload?: WorkloadOptions;
  /** Which guarantees may catch it (any of them). */
  guarantees?: readonly string[];
  runs?: number;
}

export interface BuiltinModel extends ModelEntry {
  /** One trigger per planted bug (the meta-tests require it). */
  triggers?: Record<string, BugTrigger>;
}

/** PostgreSQL/MySQL-shaped primary/standby replication with failover. */
const wal: BuiltinModel = {
  model: walModel as unknown as Model,
  variants: walVariants,
  profile: 'everything',
  // Every statement kind the primary executes, deletes and multi-row transactions included.
  workload: { opKinds: ['r', 'w', 'upd', 'now', 'rand', 'del'] },
  guarantees: GUARANTEE_FAMILIES.replication,
  triggers: walTriggers,
};

/**
 * Where a CDC bug needs a narrower search than 'everything' (see CDC_BUG_HINTS'
 * `needs`): the faults it takes, ops packed into the first milliseconds (spanMs
 * also bounds fault times) so they meet the connector's snapshot or checkpoint
 * windows, and a topology that makes the failure possible at all.
 */
const CDC_TRIGGER_TUNING: Record<string, Partial<BugTrigger>> = {
  // Broker paused while events are produced, a checkpoint confirms them, the connector crashes.
  'offset-before-durable': {
    config: { checkpointMs: 4 }, profile: 'crashes', faultKinds: ['pause', 'crash'],
    workload: { opKinds: ['w'], keys: 4, spanMs: 100 },
  },
  // A sink crash while a batch it already committed the offset for is being processed (20 ms of work).
  'commit-before-processing': {
    config: { applyMs: 20 }, profile: 'crashes', faultKinds: ['crash'], workload: { opKinds: ['w', 'upd'], keys: 4, spanMs: 100 },
  },
  // An increment, then a crash of the counter sink before its offset commit: the increment comes again.
  'non-idempotent-sink': { profile: 'crashes', faultKinds: ['crash'], workload: { opKinds: ['w', 'upd'], keys: 2, spanMs: 100 } },
  // 2 → 3 partitions moves k1 from partition 1 to 0, which a sink fetches first: the newer event overtakes.
  'partition-count-change': {
    config: { partitions: 2, snapshot: false, preloadRows: 0 }, profile: 'calm',
    workload: { opKinds: ['w'], keys: 1, txnOpsMax: 3, spanMs: 30 }, runs: 100,
  },
  // A connector↔broker partition drops a batch; a later one for the same key lands before its retry.
  'retries-reorder': { profile: 'partitions', faultKinds: ['partition'], workload: { opKinds: ['w', 'del'], keys: 2, spanMs: 200 } },
  // Writes while the snapshot's chunks (client keys sort before the preloaded row0…) are in their windows.
  'snapshot-stale-row': { config: { chunkSize: 1 }, profile: 'calm', workload: { opKinds: ['w', 'del'], keys: 4, spanMs: 60 }, runs: 200 },
  // Long multi-change transactions, one event per batch and frequent checkpoints: a connector crash
  // between a mid-record checkpoint and the record's last send (about 1 run in 100).
  'resume-skips-position': {
    config: { checkpointMs: 2, snapshot: false, preloadRows: 0 }, profile: 'crashes', faultKinds: ['crash'],
    workload: { opKinds: ['w'], keys: 4, txnOpsMax: 8, spanMs: 30 }, runs: 800,
  },
  // The source standby cut off (or the primary silent) past failoverTimeoutMs while writes stream.
  'failover-slot-ahead-of-standby': { profile: 'partitions', faultKinds: ['partition'], workload: { opKinds: ['w'], keys: 2, spanMs: 200 } },
};

/** Change data capture: Debezium/Kafka-shaped pipeline into several kinds of sinks. */
const cdc: BuiltinModel = {
  model: cdcModel as unknown as Model,
  variants: cdcVariants,
  workload: CDC_WORKLOAD,
  guarantees: GUARANTEE_FAMILIES.cdc,
  triggers: Object.fromEntries(
    Object.entries(CDC_BUG_HINTS).map(([bug, hint]) => [
      bug,
      {
        variant: 'hint', profile: 'everything', workload: CDC_WORKLOAD, runs: 400,
        ...CDC_TRIGGER_TUNING[bug], config: { ...hint.config, ...CDC_TRIGGER_TUNING[bug]?.config },
      } satisfies BugTrigger,
    ]),
  ),
};

/** Online migration: bulk copy, CDC catch-up, write-freeze cut-over, verification. */
const migration: BuiltinModel = {
  model: migrationModel as unknown as Model,
  guarantees: GUARANTEE_FAMILIES.migration,
  variants: { 'default': {}, 'small-chunks': { chunkSize: 1 }, 'late-start': { startAtMs: 60 }, 'dual-write': { cutover: 'dual-write' }, 'dual-write-backfill': { cutover: 'dual-write', dualBeforeCopy: true } },
  workload: { opKinds: ['r', 'w'], keys: 4 },
  triggers: {
    // Writes packed around the cut-over (the move starts at 20 ms and freezes a few ms later).
    'cutover-drops-inflight': { variant: 'default', profile: 'calm', workload: { opKinds: ['r', 'w'], keys: 4, spanMs: 80 } },
    'dual-write-partial-failure': { variant: 'dual-write', profile: 'everything' },
    'verify-races-live-writes': { variant: 'default', profile: 'calm' },
    // Writes while the copy runs (the move starts at 20 ms).
    'backfill-overwrites-newer': { variant: 'dual-write-backfill', profile: 'calm', workload: { opKinds: ['r', 'w'], keys: 4, spanMs: 80 } },
    'cutover-during-lag': { variant: 'default', profile: 'calm', workload: { opKinds: ['r', 'w'], keys: 4, spanMs: 80 } },
  },
};

/** Cassandra/Dynamo-shaped leaderless replication, last write wins. */
const leaderless: BuiltinModel = {
  model: leaderlessModel as unknown as Model,
  variants: leaderlessVariants,
  profile: 'everything',
  workload: leaderlessWorkload,
  guarantees: GUARANTEE_FAMILIES.leaderless,
  // Regression examples: a variant and environment where each bug shows quickly (untuned finding is run --bug).
  triggers: {
    // Two writes to one key in the same millisecond from different coordinators.
    'tie-break-inconsistent': { variant: 'quorum-quorum-ms', profile: 'calm', workload: { ...leaderlessWorkload, keys: 1, spanMs: 20 }, guarantees: ['lww-convergence', 'lww-durability', 'lww-read-latest'] },
    // W = ONE, R = ALL: a read coordinated by a replica the write has not reached yet.
    'read-repair-older-value': { variant: 'one-all', profile: 'calm', workload: { ...leaderlessWorkload, keys: 1, spanMs: 20 }, guarantees: ['lww-read-latest', 'read-latest', 'lww-durability'] },
    // A replica cut off during a write gets its hint later, stamped anew.
    'hint-new-timestamp': { variant: 'one-one', profile: 'partitions', faultKinds: ['partition'], workload: { ...leaderlessWorkload, keys: 1 }, guarantees: ['lww-durability', 'lww-convergence'] },
    // A delete that reaches one replica before the write it deletes.
    'tombstone-purged-early': { variant: 'one-one', profile: 'calm', workload: { ...leaderlessWorkload, keys: 1, spanMs: 20 }, guarantees: ['lww-durability'] },
    'coordinator-counted-twice': { variant: 'quorum-quorum', profile: 'calm', workload: { ...leaderlessWorkload, keys: 1, spanMs: 20 }, guarantees: ['lww-strict-quorum', 'lww-read-latest', 'read-latest'] },
    // W = ALL on five nodes with a replica cut off: the hint on a fallback node counts.
    'sloppy-reported-as-strict': { variant: 'all-one', profile: 'partitions', faultKinds: ['partition'], workload: { ...leaderlessWorkload, keys: 1 }, guarantees: ['lww-strict-quorum', 'lww-read-latest', 'read-latest'] },
  },
};

/**
 * CDC from the leaderless store into SQLite. Its own model, not leaderless
 * variants: it adds nodes (broker, sink), a guarantee and bugs of the pipeline
 * that a plain ring cannot show, so `run leaderless --bug B` keeps its budget.
 */
const leaderlessCdc: BuiltinModel = {
  model: leaderlessCdcModel as unknown as Model,
  variants: leaderlessCdcVariants,
  profile: 'everything',
  workload: leaderlessWorkload,
  guarantees: GUARANTEE_FAMILIES.leaderless,
  // The model's own search: RF copies arrive out of order under uneven (WAN) latencies and faults.
  triggers: Object.fromEntries(leaderlessCdcModel.bugs.map((b) => [b.name, {
    variant: 'quorum-derive', profile: 'everything', workload: leaderlessWorkload, guarantees: ['lww-sink-convergence'],
  } satisfies BugTrigger])),
};

export const BUILTIN_MODELS: Record<string, BuiltinModel> = { wal, cdc, migration, leaderless, 'leaderless-cdc': leaderlessCdc };

/**
 * How the property suite runs one variant of a built-in model: its profile,
 * workload and checkers (options for checkModel/assertModel).
 */
export function variantRunOptions(name: string, variant: string) {
  const entry = BUILTIN_MODELS[name]!;
  return {
    modelRef: name,
    variant,
    config: entry.variants[variant] ?? {},
    profile: entry.profile ?? ('everything' as FaultProfileName),
    ...(entry.workload ? { workload: entry.workload } : {}),
    ...(entry.checkers ? { checkers: entry.checkers } : {}),
  };
}

/**
 * How the meta-tests and the check benchmark hunt one planted bug: its trigger as
 * checkModel options. A trigger is a fast regression example tuned before swarm
 * scenarios existed, so it keeps that plain search (every feature on, faults
 * timed by the clock); untuned finding is test/meta-untuned.slow.test.ts.
 */
export function bugRunOptions(name: string, bug: string) {
  const entry = BUILTIN_MODELS[name]!;
  const t = entry.triggers?.[bug];
  if (!t) throw new Error(`model '${name}' has no trigger for bug '${bug}'`);
  return {
    modelRef: name,
    bug,
    variant: t.variant,
    config: t.config ?? entry.variants[t.variant] ?? {},
    profile: t.profile,
    ...(t.workload ? { workload: t.workload } : {}),
    ...(t.faultKinds ? { faultKinds: t.faultKinds } : {}),
    ...(entry.checkers ? { checkers: entry.checkers } : {}),
    swarm: false,
    numRuns: t.runs ?? 300,
  };
}
