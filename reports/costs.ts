/**
 * The costs the seed names, measured on the WAL model's simulated histories:
 *
 * - "Write speed will be slower": commit latency (p50/p99, client invocation
 *   to acknowledgement) per PostgreSQL synchronous_commit level and MySQL
 *   semi-sync wait point, under each fault profile of the report.
 * - "Improved read speeds": reads as standbys are added (1–3), for each read
 *   policy of the workload: reads per second overall and on the busiest node,
 *   read latency, and how stale the reads were.
 *
 * Each run's configuration is the level's (or the topology's) settings plus
 * the model's tunable knobs (numeric, with a range) drawn from their typical
 * values by a hash of the report seed and the run index — never tuned, the
 * same draw for every level, so the levels are compared on the same
 * configurations and, since the drawn knobs do not change the scenario, on
 * the same workloads and faults.
 */
import fc from 'fast-check';
import {
  fnv1a,
  commitLatencies,
  latencyPercentiles,
  measureStaleness,
  readLoad,
  readOps,
  runScenario,
  type FaultProfileName,
  type History,
  type Model,
  type ReadPolicy,
  type WorkloadOptions,
} from '../src/analysis.js';
import { scenariosFor } from '../properties/harness.js';
import type { CommitLatencyDoc, CostsDoc, ReadScalingDoc } from './schema.js';
import type { ReportModelEntry } from './run.js';

/** Commit levels compared, as the WAL model's knobs set them. Sync levels wait for one standby. */
export const COMMIT_LEVELS: readonly { name: string; config: Record<string, unknown> }[] = [
  { name: 'off', config: { synchronousCommit: 'off', synchronousStandbyNames: '' } },
  { name: 'local', config: { synchronousCommit: 'local', synchronousStandbyNames: '' } },
  { name: 'remote_write', config: { synchronousCommit: 'remote_write', synchronousStandbyNames: 'FIRST 1 (*)' } },
  { name: 'on', config: { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' } },
  { name: 'remote_apply', config: { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'FIRST 1 (*)' } },
  { name: 'semisync AFTER_SYNC', config: { replication: 'semisync', semisyncWaitPoint: 'AFTER_SYNC' } },
  { name: 'semisync AFTER_COMMIT', config: { replication: 'semisync', semisyncWaitPoint: 'AFTER_COMMIT' } },
];

/** Read scaling runs asynchronous replication (what read replicas usually are) with 1..3 standbys. */
export const READ_SCALING_BASE: Record<string, unknown> = { synchronousCommit: 'local', synchronousStandbyNames: '' };
export const STANDBY_COUNTS = [1, 2, 3] as const;
export const READ_POLICIES: readonly ReadPolicy[] = ['primary', 'any-standby', 'sticky-standby', 'read-your-writes'];

/**
 * Workloads of the two studies: enough operations per run that percentiles
 * mean something (a scenario of the default workload has 1–20), on top of the
 * model's own workload; reads spread over up to four sessions, each on the
 * study's read policy.
 */
const COMMIT_WORKLOAD: WorkloadOptions = { opsMin: 20, opsMax: 40 };
const READ_WORKLOAD: WorkloadOptions = { opKinds: ['r', 'w'], opsMin: 30, opsMax: 50, sessionsMax: 4, txnOpsMax: 1, rollback: false };

/** Scenarios per (level or topology, profile) in the default report: a modest budget (see README for the CPU cost). */
export const DEFAULT_COST_RUNS = 4;

/** The knobs the studies set themselves, never drawn. */
const SET_BY_STUDY = new Set(['nodes', 'replication', 'synchronousCommit', 'synchronousStandbyNames', 'semisyncWaitPoint']);

/** Does this model have what the cost studies set? (The WAL family does.) */
export function costsApply(entry: ReportModelEntry): boolean {
  const names = new Set(entry.model.knobs.map((k) => k.name));
  return ['nodes', 'synchronousCommit', 'semisyncWaitPoint', 'replication'].every((k) => names.has(k));
}

/** Tunables drawn for run `index`: numeric knobs with a range, not set by the study, whose default is not a 0 "mode". */
export function drawnKnobs(model: Model): string[] {
  return model.knobs
    .filter((k) => k.range && !SET_BY_STUDY.has(k.name) && k.default !== 0 && k.values.every((v) => typeof v === 'number'))
    .map((k) => k.name);
}

/**
 * `base` plus the drawn tunables of run `index`. A draw the model rejects
 * (e.g. more semi-sync acks than standbys) is drawn again; after ten misses
 * the base configuration is used as it is.
 */
export function drawConfig(model: Model, base: Record<string, unknown>, seed: number, index: number): Record<string, unknown> {
  const names = drawnKnobs(model);
  for (let attempt = 0; attempt < 10; attempt++) {
    const config: Record<string, unknown> = { ...base };
    for (const name of names) {
      const values = model.knobs.find((k) => k.name === name)!.values;
      config[name] = values[fnv1a(`${seed}/costs/${index}/${attempt}/${name}`) % values.length];
    }
    try {
      model.configure(config);
      return config;
    } catch {
      // drawn again
    }
  }
  return { ...base };
}

export interface CostTask {
  kind: 'cost';
  model: string;
  study: 'commit' | 'reads';
  /** Commit level name, or "n standbys × policy". */
  label: string;
  config: Record<string, unknown>;
  policy?: ReadPolicy;
  profile: FaultProfileName;
  runs: number;
  seed: number;
}

export interface CostAnswer {
  runs: number;
  /** Runs the simulator could not finish (a limit or a model error): no figures from them. */
  failed: number;
  commitsMs: number[];
  readsMs: number[];
  /** Per run with reads: reads/s overall and on the busiest node. */
  readsPerS: number[];
  busiestReadsPerS: number[];
  staleReads: number;
  measuredReads: number;
  staleMs: number[];
}

/** Every cost task of a report (none when the model lacks the knobs). */
export function costTasks(modelName: string, entry: ReportModelEntry, profiles: readonly FaultProfileName[], runs: number, seed: number): CostTask[] {
  if (!costsApply(entry) || runs === 0) return [];
  const tasks: CostTask[] = [];
  for (const level of COMMIT_LEVELS) {
    for (const profile of profiles) tasks.push({ kind: 'cost', model: modelName, study: 'commit', label: level.name, config: level.config, profile, runs, seed });
  }
  for (const standbys of STANDBY_COUNTS) {
    for (const policy of READ_POLICIES) {
      for (const profile of profiles) {
        tasks.push({
          kind: 'cost', model: modelName, study: 'reads', label: `${standbys} × ${policy}`,
          config: { ...READ_SCALING_BASE, nodes: standbys + 1 }, policy, profile, runs, seed,
        });
      }
    }
  }
  return tasks;
}

/** Run one cost task: `runs` scenarios of (config ⊕ drawn knobs) under the profile, measured. */
export function answerCostTask(entry: ReportModelEntry, task: CostTask): CostAnswer {
  const out: CostAnswer = { runs: 0, failed: 0, commitsMs: [], readsMs: [], readsPerS: [], busiestReadsPerS: [], staleReads: 0, measuredReads: 0, staleMs: [] };
  const model = entry.model;
  for (let i = 0; i < task.runs; i++) {
    const config = drawConfig(model, task.config, task.seed, i);
    const workload = task.study === 'commit'
      ? { ...(entry.workload ?? {}), ...COMMIT_WORKLOAD }
      : { ...(entry.workload ?? {}), ...READ_WORKLOAD, policies: [task.policy ?? 'primary'] };
    const arb = scenariosFor(model, { modelRef: task.model, config, profile: task.profile, swarm: false, workload });
    // The seed names the profile and the run, not the level: every level plays the same scenarios.
    const [scenario] = fc.sample(arb, { seed: fnv1a(`${task.seed}/costs/${task.study}/${task.profile}/${i}`) >>> 1, numRuns: 1 });
    out.runs++;
    let h: History;
    try {
      h = runScenario(model, scenario!).history;
    } catch {
      out.failed++;
      continue;
    }
    measure(h, out);
  }
  return out;
}

function measure(h: History, out: CostAnswer): void {
  out.commitsMs.push(...commitLatencies(h));
  const reads = readOps(h);
  out.readsMs.push(...reads.map((r) => r.latencyMs));
  const load = readLoad(reads);
  if (load.readsPerS !== null) out.readsPerS.push(load.readsPerS);
  if (load.busiestReadsPerS !== null) out.busiestReadsPerS.push(load.busiestReadsPerS);
  for (const s of measureStaleness(h)) {
    out.measuredReads++;
    if (s.versionsBehind > 0) {
      out.staleReads++;
      out.staleMs.push(s.staleMs);
    }
  }
}

const round = (v: number, d = 3): number => Math.round(v * 10 ** d) / 10 ** d;
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length);

function latencyDoc(xs: readonly number[]): { count: number; p50: number | null; p99: number | null; max: number | null } {
  const p = latencyPercentiles(xs);
  return p ? { count: p.count, p50: round(p.p50), p99: round(p.p99), max: round(p.max) } : { count: 0, p50: null, p99: null, max: null };
}

/** Merge the answers (in task order) into report.json's `costs`. */
export function assembleCosts(modelName: string, entry: ReportModelEntry, tasks: readonly CostTask[], answers: readonly CostAnswer[], runs: number): CostsDoc | null {
  if (tasks.length === 0) return null;
  const commit: CommitLatencyDoc[] = [];
  const pooled = new Map<string, number[]>();
  const readGroups = new Map<string, { task: CostTask; answers: CostAnswer[] }>();
  let failed = 0;
  tasks.forEach((t, i) => {
    const a = answers[i]!;
    failed += a.failed;
    if (t.study === 'commit') {
      commit.push({ level: t.label, config: t.config, profile: t.profile, runs: a.runs, ...latencyDoc(a.commitsMs) });
      pooled.set(t.label, [...(pooled.get(t.label) ?? []), ...a.commitsMs]);
    } else {
      const g = readGroups.get(t.label) ?? { task: t, answers: [] };
      g.answers.push(a);
      readGroups.set(t.label, g);
    }
  });
  for (const level of COMMIT_LEVELS) {
    if (pooled.has(level.name)) commit.push({ level: level.name, config: level.config, profile: 'all', runs: commit.filter((c) => c.level === level.name).reduce((n, c) => n + c.runs, 0), ...latencyDoc(pooled.get(level.name)!) });
  }
  const reads: ReadScalingDoc[] = [...readGroups.values()].map(({ task, answers: as }) => {
    const all = <K extends keyof CostAnswer>(k: K): number[] => as.flatMap((a) => a[k] as number[]);
    const measured = as.reduce((n, a) => n + a.measuredReads, 0);
    const stale = as.reduce((n, a) => n + a.staleReads, 0);
    const rate = mean(all('readsPerS'));
    const busiest = mean(all('busiestReadsPerS'));
    return {
      standbys: (task.config['nodes'] as number) - 1,
      policy: task.policy!,
      runs: as.reduce((n, a) => n + a.runs, 0),
      readsPerS: rate === null ? null : round(rate, 1),
      busiestNodeReadsPerS: busiest === null ? null : round(busiest, 1),
      latencyMs: latencyDoc(all('readsMs')),
      staleFraction: measured === 0 ? null : round(stale / measured, 4),
      staleMsP99: latencyDoc(all('staleMs')).p99,
    };
  });
  return {
    model: modelName,
    runs,
    drawnKnobs: drawnKnobs(entry.model),
    failedRuns: failed,
    commitLatency: commit,
    readScaling: reads,
  };
}
