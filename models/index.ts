/**
 * The built-in models, by name, with their named variants and any checkers
 * their family brings. The CLI, the property suite and the report iterate this.
 */
import type {
  CheckOptions,
  FaultKind,
  FaultProfileName,
  History,
  Model,
  Violation,
  WorkloadOptions,
} from '../src/index.js';
import { GUARANTEE_FAMILIES } from '../src/index.js';
import { CDC_BUG_HINTS, cdcModel } from './cdc/index.js';
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

export interface BuiltinModel {
  model: Model;
  variants: Record<string, Record<string, unknown>>;
  checkers?: Readonly<Record<string, (h: History, o?: CheckOptions) => Violation[]>>;
  /** Default fault profile and workload for the property suite. */
  profile?: FaultProfileName;
  workload?: WorkloadOptions;
  /** Guarantees that apply to this kind of model, for reports (default: all). */
  guarantees?: readonly string[];
  /** One trigger per planted bug (the meta-tests require it). */
  triggers?: Record<string, BugTrigger>;
}

/** PostgreSQL/MySQL-shaped primary/standby replication with failover. */
const wal: BuiltinModel = {
  model: walModel as unknown as Model,
  variants: walVariants,
  profile: 'everything',
  guarantees: GUARANTEE_FAMILIES.replication,
  triggers: walTriggers,
};

const CDC_WORKLOAD: WorkloadOptions = { opKinds: ['r', 'w', 'upd', 'del'], keys: 4 };

/** Change data capture: Debezium/Kafka-shaped pipeline into several kinds of sinks. */
const cdc: BuiltinModel = {
  model: cdcModel as unknown as Model,
  variants: {
    'default': {},
    'single-partition': { partitions: 1 },
    'no-snapshot': { snapshot: false, preloadRows: 0 },
    'ordered-producer': { idempotent: false, maxInFlight: 1 },
  },
  workload: CDC_WORKLOAD,
  guarantees: GUARANTEE_FAMILIES.cdc,
  triggers: Object.fromEntries(
    Object.entries(CDC_BUG_HINTS).map(([bug, hint]) => [
      bug,
      { variant: 'hint', config: hint.config, profile: 'everything', workload: CDC_WORKLOAD, runs: 400 },
    ]),
  ),
};

/** Online migration: bulk copy, CDC catch-up, write-freeze cut-over, verification. */
const migration: BuiltinModel = {
  model: migrationModel as unknown as Model,
  guarantees: GUARANTEE_FAMILIES.migration,
  variants: { 'default': {}, 'small-chunks': { chunkSize: 1 }, 'late-start': { startAtMs: 60 } },
  workload: { opKinds: ['r', 'w'], keys: 4 },
  triggers: {
    'cutover-drops-inflight': { variant: 'default', profile: 'calm', workload: { opKinds: ['r', 'w'], keys: 4 } },
  },
};

export const BUILTIN_MODELS: Record<string, BuiltinModel> = { wal, cdc, migration };
