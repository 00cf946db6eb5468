/**
 * The report runner: every model variant under every fault profile, N generated
 * scenarios each. Each run is judged (claimed guarantees, within the fault
 * kinds each claim tolerates) and measured (every other guarantee, plus lag,
 * visibility, convergence and staleness). Each broken matrix cell then gets its
 * smallest failing run, shrunk further by fast-check from the exact generation
 * path (seed + run index), with a bounded number of simulations.
 *
 * Determinism: scenarios come from fast-check with a seed derived from the
 * report seed and the (model, variant, profile) names, so the same options give
 * the same figures; only wall-clock timings differ between two reports.
 *
 * Models come in as a registry (name → entry, shaped like BUILTIN_MODELS), so
 * the CLI passes the built-in ones and tests pass their own.
 *
 * Beside the matrix, on the same pool: the costs the seed names (reports/costs.ts,
 * for a model with the WAL knobs), a leaderless model's matrix per consistency
 * level with PBS curves (reports/levels.ts), and a live server's column
 * (reports/live.ts, from live.json).
 */
import fc from 'fast-check';
import {
  fnv1a,
  replayCommand,
  linearizationSvg,
  primaryReadsLinearizability,
  FAULT_PROFILES,
  FAULT_PROFILE_NAMES,
  GUARANTEE_IDS,
  encodeToken,
  faultWindows,
  isGuaranteeId,
  judgeScenario,
  runScenario,
  scenarioSize,
  standbyLag,
  type ModelEntry,
  type FaultProfileName,
  type GuaranteeClaim,
  type History,
  type Model,
  type Scenario,
} from '../src/analysis.js';
import type { WarsLatencies } from '../src/metrics/pbs.js';
import { scenariosFor } from '../properties/harness.js';
import { spacetimeSvg } from './spacetime-svg.js';
import type { FindingDoc, LagOverTimeDoc, LevelsDoc, ModelDoc, ReportDoc } from './schema.js';
import { answerCostTask, assembleCosts, costTasks, DEFAULT_COST_RUNS, type CostAnswer, type CostTask } from './costs.js';
import { DEFAULT_LEVEL_RUNS, levelPairs, pbsDoc } from './levels.js';
import { liveDoc, type LiveInput } from './live.js';
import { judgeColumns, VariantAcc, type AccState, type Outcome, type RunFailure, type Target } from './accumulate.js';
import { DEFAULT_TIMEOUT_MS, WorkerPool } from '../src/run/pool.js';

export type { Target };


/** What the report needs of a model: BUILTIN_MODELS entries have this shape. */
export type ReportModelEntry = ModelEntry;

export type ReportRegistry = Readonly<Record<string, ReportModelEntry>>;

/**
 * Scenarios per (variant, profile). Chosen so the default report (every
 * built-in model, six profiles) finishes in about two minutes on two cores;
 * see bench/report.bench.ts for the measured figure.
 */
export const DEFAULT_REPORT_RUNS = 50;
/** Simulations spent shrinking one broken cell's smallest run. */
export const DEFAULT_SHRINK_BUDGET = 30;
export const DEFAULT_REPORT_SEED = 1;

export interface CollectOptions {
  registry: ReportRegistry;
  /** Model names (default: every registered model). */
  models?: readonly string[];
  /** Fault profile names (default: all six). */
  profiles?: readonly string[];
  runs?: number;
  seed?: number;
  shrinkBudget?: number;
  onProgress?: (p: ReportProgress) => void;
  /**
   * Worker threads for the runs and the shrinking. Workers load the models from
   * `registryModule`, so without one everything runs in this thread. The figures
   * do not depend on the worker count: each (variant, profile) cell is computed on
   * its own and the cells are merged in a fixed order.
   */
  workers?: number;
  /** A module exporting this registry (what workers import): its URL and export name. */
  registryModule?: RegistryModule;
  /** Scenarios per (commit level or read topology, profile) for the costs section; 0 leaves it out. */
  costRuns?: number;
  /** Scenarios per (consistency level pair, profile) for a leaderless model's level matrix; 0 leaves it out. */
  levelRuns?: number;
  /** A live server's results (live.json), shown beside the model's cells. */
  live?: { input: LiveInput; source: string };
  /** The PBS curves' WARS legs (default DEFAULT_PBS_LEGS): measured latencies plug in here. */
  pbsLegs?: WarsLatencies;
}

export interface RegistryModule {
  url: string;
  exportName: string;
}

/** The built-in models' registry module, for report workers. */
export function builtinRegistryModule(): RegistryModule {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return { url: new URL(`../models/index${ext}`, import.meta.url).href, exportName: 'BUILTIN_MODELS' };
}

export interface ReportProgress {
  phase: 'run' | 'shrink';
  done: number;
  total: number;
  /** "wal/sync-on × partitions", or "wal/async: durability" while shrinking. */
  label: string;
}

/** Bad input a user can cause (unknown model or profile, bad numbers): exit 2. */
export class ReportInputError extends Error {
  override name = 'ReportInputError';
}

/** Everything report.json holds except what rendering adds (charts, tool version, dates). */
export type CollectedReport = Omit<ReportDoc, 'schemaVersion' | 'tool' | 'generatedAt' | 'charts' | 'chartLabels'> & {
  /** Space-time diagrams of minimal runs: path relative to the report directory → SVG. */
  diagrams: Record<string, string>;
};

interface LagCandidate {
  target: Target;
  profile: FaultProfileName;
  scenario: Scenario;
  peakMs: number;
  faults: number;
}

// ───────────────────────────── tasks (in this thread or a worker) ─────────────────────────────

/** Run one (variant, profile) cell: `runs` scenarios judged and measured. */
export interface CellTask {
  kind: 'cell';
  model: string;
  variant: string;
  /** A configuration of the report's own (a consistency-level pair), named `variant`; default: the registry's variant. */
  config?: Record<string, unknown>;
  profile: FaultProfileName;
  runs: number;
  seed: number;
}

export interface CellAnswer {
  state: AccState;
  /** Runs offered to the "lag over time" chart, in run order. */
  lag: { index: number; scenario: Scenario; peakMs: number; faults: number }[];
}

/** Shrink one broken cell's smallest run. */
export interface ShrinkTask {
  kind: 'shrink';
  model: string;
  variant: string;
  guarantee: string;
  inClaim: boolean;
  start: { profile: FaultProfileName; index: number; scenario: Scenario };
  runs: number;
  seed: number;
  shrinkBudget: number;
}

export type ReportTask = CellTask | ShrinkTask | CostTask;
export type ReportAnswer = CellAnswer | ShrinkResult | CostAnswer;

const targetCache = new WeakMap<ReportModelEntry, Target[]>();

function targetFor(registry: ReportRegistry, model: string, variant: string, config?: Record<string, unknown>): Target {
  const entry = registry[model];
  if (!entry) throw new Error(`report worker: no model '${model}' in the registry`);
  if (config) return targetOf(model, entry, variant, config);
  let ts = targetCache.get(entry);
  if (!ts) targetCache.set(entry, (ts = targetsOf(model, entry)));
  const t = ts.find((x) => x.variant === variant);
  if (!t) throw new Error(`report worker: model '${model}' has no variant '${variant}'`);
  return t;
}

/** Answer one report task: what a report worker does, and what this thread does without workers. */
export function answerReportTask(registry: ReportRegistry, task: ReportTask): ReportAnswer {
  if (task.kind === 'cost') {
    const entry = registry[task.model];
    if (!entry) throw new Error(`report worker: no model '${task.model}' in the registry`);
    return answerCostTask(entry, task);
  }
  const t = targetFor(registry, task.model, task.variant, task.kind === 'cell' ? task.config : undefined);
  if (task.kind === 'shrink') return shrinkCell(t, task.guarantee, task.inClaim, task.start, task);
  const acc = new VariantAcc(t);
  const lag: CellAnswer['lag'] = [];
  generate(t, task.profile, task.runs, task.seed, (scenario, index) => {
    const candidate = acc.observe(task.profile, index, scenario);
    if (candidate) lag.push({ index, scenario, ...candidate });
  });
  return { state: acc.state(), lag };
}

type Execute = <A extends ReportAnswer>(task: ReportTask, label: string) => Promise<A>;

/** Tasks on a pool of workers, or one after another in this thread (yielding between them for the progress bar). */
function executor(opts: CollectOptions, runs: number, shrinkBudget: number): { execute: Execute; close: () => Promise<void> } {
  if (opts.workers === undefined || !opts.registryModule) {
    // One task after another, yielding to the event loop before each (the progress bar redraws).
    let chain: Promise<unknown> = Promise.resolve();
    return {
      execute: <A extends ReportAnswer>(task: ReportTask) => {
        const next = chain.then(async () => {
          await yieldToEventLoop();
          return answerReportTask(opts.registry, task) as A;
        });
        chain = next.catch(() => undefined);
        return next;
      },
      close: async () => {},
    };
  }
  // A backstop, not a verdict: a cell is many runs, each allowed the run watchdog's time.
  const timeoutMs = DEFAULT_TIMEOUT_MS * Math.max(runs, shrinkBudget + 1);
  const pool = new WorkerPool<ReportTask, ReportAnswer>(reportWorkerUrl(), {
    workers: opts.workers,
    timeoutMs,
    workerData: opts.registryModule,
  });
  return {
    execute: async <A extends ReportAnswer>(task: ReportTask, label: string) => {
      const o = await pool.run(task);
      if (o.kind === 'done') return o.value as A;
      const why = o.kind === 'timeout' ? `did not finish within ${Math.round(o.ms / 1000)} s (model hangs?)` : `failed: ${o.message}`;
      throw new Error(`report: ${label} ${why}`);
    },
    close: () => pool.close(),
  };
}

/** The report worker module, beside this one (.ts under tsx and vitest, .js once compiled). */
function reportWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./worker${ext}`, import.meta.url);
}

export async function collectReport(opts: CollectOptions): Promise<CollectedReport> {
  const t0 = performance.now();
  const resolved = resolveOptions(opts);
  const { modelNames, profiles, runs, seed, shrinkBudget } = resolved;
  const targets = modelNames.flatMap((name) => targetsOf(name, opts.registry[name]!));
  const diagrams: Record<string, string> = {};
  const { execute, close } = executor(opts, runs, shrinkBudget);
  let accs: Map<Target, VariantAcc>;
  let lagCandidates: LagCandidate[];
  let extras: Awaited<ReturnType<typeof runExtras>>;
  try {
    // The costs and level matrices go to the same pool, queued behind the matrix cells.
    const matrixP = runAll(targets, resolved, execute, opts.onProgress);
    const extrasP = runExtras(opts.registry, resolved, execute);
    extrasP.catch(() => undefined); // awaited below; when the matrix fails first, its error is the one reported
    ({ accs, lagCandidates } = await matrixP);
    extras = await extrasP;
    await shrinkAll([...accs.values()], { runs, seed, shrinkBudget, diagrams, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }, execute);
  } finally {
    await close();
  }
  const models = modelNames.map((name) => modelDoc(name, opts.registry[name]!, targets.filter((t) => t.modelName === name), accs));
  const findings = collectFindings([...accs.values()]);
  return {
    elapsedMs: round(performance.now() - t0, 1),
    options: { models: modelNames, profiles, runs, seed, shrinkBudget, costRuns: resolved.costRuns, levelRuns: resolved.levelRuns },
    totals: totals([...accs.values()], models, findings, performance.now() - t0),
    profiles: profiles.map((p) => ({ name: p, description: FAULT_PROFILES[p].description })),
    models,
    findings,
    anomalies: anomalies(models, profiles),
    lagOverTime: lagOverTime(lagCandidates),
    costs: extras.costs,
    levels: extras.levels,
    live: opts.live ? liveDoc(opts.live.input, opts.live.source, models) : null,
    diagrams,
  };
}

/**
 * The sections beyond the matrix: the costs the seed names (for a model with
 * the WAL knobs) and the per-consistency-level matrix with PBS curves (for a
 * model with level knobs), each a set of pool tasks merged in task order.
 */
async function runExtras(
  registry: ReportRegistry,
  o: { modelNames: string[]; profiles: FaultProfileName[]; seed: number; costRuns: number; levelRuns: number; pbsLegs?: WarsLatencies },
  execute: Execute,
): Promise<{ costs: CollectedReport['costs']; levels: LevelsDoc[] }> {
  const costModel = o.modelNames.find((m) => costTasks(m, registry[m]!, o.profiles, 1, o.seed).length > 0);
  const costs = costModel
    ? (async () => {
        const tasks = costTasks(costModel, registry[costModel]!, o.profiles, o.costRuns, o.seed);
        const answers = await Promise.all(tasks.map((t) => execute<CostAnswer>(t, `${costModel} costs: ${t.label} × ${t.profile}`)));
        return assembleCosts(costModel, registry[costModel]!, tasks, answers, o.costRuns);
      })()
    : Promise.resolve(null);
  const levels = Promise.all(
    o.levelRuns === 0 ? [] : o.modelNames.filter((m) => levelPairs(registry[m]!).length > 0).map((m) => levelMatrix(m, registry[m]!, o, execute)),
  );
  return { costs: await costs, levels: await levels };
}

async function levelMatrix(
  name: string,
  entry: ReportModelEntry,
  o: { profiles: FaultProfileName[]; seed: number; levelRuns: number; pbsLegs?: WarsLatencies },
  execute: Execute,
): Promise<LevelsDoc> {
  const base = entry.variants[Object.keys(entry.variants)[0]!] ?? {};
  const targets = levelPairs(entry).map((p) => targetOf(name, entry, p.name, { ...base, ...p.config }));
  const cells = targets.flatMap((t) => o.profiles.map((profile) => ({ t, profile })));
  const answers = await Promise.all(cells.map(({ t, profile }) => {
    const task: CellTask = { kind: 'cell', model: name, variant: t.variant, config: t.config, profile, runs: o.levelRuns, seed: o.seed };
    return execute<CellAnswer>(task, `${name} ${t.variant} × ${profile}`);
  }));
  const accs = new Map<Target, VariantAcc>(targets.map((t) => [t, new VariantAcc(t)]));
  answers.forEach((a, i) => accs.get(cells[i]!.t)!.absorb(a.state));
  const doc = modelDoc(name, entry, targets, accs);
  return {
    model: name,
    runs: o.levelRuns,
    guarantees: doc.guarantees,
    variants: doc.variants.map((v) => ({
      name: v.name, config: v.config, claims: v.claims.map((c) => ({ id: c.id, under: c.under })), runs: v.runs, harnessFailures: v.harnessFailures, cells: v.cells,
    })),
    pbs: pbsDoc(entry, o.pbsLegs),
  };
}

/**
 * Every target under every profile, `runs` scenarios each, one task per cell;
 * the cells are merged in (target, profile) order whichever finished first.
 */
async function runAll(
  targets: Target[],
  o: { profiles: FaultProfileName[]; runs: number; seed: number },
  execute: Execute,
  onProgress: CollectOptions['onProgress'],
): Promise<{ accs: Map<Target, VariantAcc>; lagCandidates: LagCandidate[] }> {
  const accs = new Map<Target, VariantAcc>(targets.map((t) => [t, new VariantAcc(t)]));
  const lagCandidates: LagCandidate[] = [];
  const total = targets.length * o.profiles.length * o.runs;
  let done = 0;
  const cells = targets.flatMap((t) => o.profiles.map((profile) => ({ t, profile })));
  // Progress comes per cell; say at once that the runs started.
  const first = cells[0];
  if (first) onProgress?.({ phase: 'run', done: 0, total, label: `${first.t.modelName}/${first.t.variant} × ${first.profile}` });
  const answers = await Promise.all(cells.map(async ({ t, profile }) => {
    const label = `${t.modelName}/${t.variant} × ${profile}`;
    const task: CellTask = { kind: 'cell', model: t.modelName, variant: t.variant, profile, runs: o.runs, seed: o.seed };
    const a = await execute<CellAnswer>(task, label);
    done += o.runs;
    onProgress?.({ phase: 'run', done, total, label });
    return a;
  }));
  answers.forEach((a, i) => {
    const { t, profile } = cells[i]!;
    accs.get(t)!.absorb(a.state);
    for (const c of a.lag) lagCandidates.push({ target: t, profile, scenario: c.scenario, peakMs: c.peakMs, faults: c.faults });
  });
  return { accs, lagCandidates };
}

function totals(accs: VariantAcc[], models: ModelDoc[], findings: FindingDoc[], elapsedMs: number): ReportDoc['totals'] {
  const runs = accs.reduce((n, a) => n + a.runs, 0);
  const cells = models.flatMap((m) => m.variants.flatMap((v) => v.cells));
  return {
    runs,
    events: accs.reduce((n, a) => n + a.events, 0),
    // Runs over the wall time of the run and shrink phases (shrinking simulations are not counted as runs).
    runsPerS: round(runs / Math.max(elapsedMs / 1000, 1e-9), 2),
    findings: findings.length,
    harnessFailures: findings.filter((f) => f.kind === 'harness-failure').reduce((n, f) => n + f.broken, 0),
    brokenCells: cells.filter((c) => c.status === 'broken' || c.status === 'finding').length,
    cells: cells.length,
  };
}

// ───────────────────────────── options and targets ─────────────────────────────

function resolveOptions(opts: CollectOptions): {
  modelNames: string[];
  profiles: FaultProfileName[];
  runs: number;
  seed: number;
  shrinkBudget: number;
  costRuns: number;
  levelRuns: number;
  pbsLegs?: WarsLatencies;
} {
  const profiles = opts.profiles && opts.profiles.length > 0 ? [...new Set(opts.profiles)] : FAULT_PROFILE_NAMES;
  for (const p of profiles) {
    if (!(FAULT_PROFILE_NAMES as readonly string[]).includes(p)) {
      throw new ReportInputError(`unknown fault profile '${p}'; profiles: ${FAULT_PROFILE_NAMES.join(', ')}`);
    }
  }
  const known = Object.keys(opts.registry);
  for (const m of opts.models ?? []) {
    if (!opts.registry[m]) throw new ReportInputError(`unknown model '${m}'; models: ${known.join(', ') || '(none registered)'}`);
  }
  if (known.length === 0) throw new ReportInputError('no models are registered; nothing to report');
  const modelNames = opts.models && opts.models.length > 0 ? [...new Set(opts.models)] : known;
  const runs = opts.runs ?? DEFAULT_REPORT_RUNS;
  const seed = opts.seed ?? DEFAULT_REPORT_SEED;
  const shrinkBudget = opts.shrinkBudget ?? DEFAULT_SHRINK_BUDGET;
  if (!Number.isInteger(runs) || runs < 1) throw new ReportInputError(`runs must be an integer ≥ 1, got ${runs}`);
  if (!Number.isInteger(seed)) throw new ReportInputError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(shrinkBudget) || shrinkBudget < 0) throw new ReportInputError(`shrink budget must be an integer ≥ 0, got ${shrinkBudget}`);
  const costRuns = opts.costRuns ?? DEFAULT_COST_RUNS;
  const levelRuns = opts.levelRuns ?? DEFAULT_LEVEL_RUNS;
  for (const [name, v] of [['cost runs', costRuns], ['level runs', levelRuns]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ReportInputError(`${name} must be an integer ≥ 0, got ${v}`);
  }
  return { modelNames, profiles: profiles as FaultProfileName[], runs, seed, shrinkBudget, costRuns, levelRuns, ...(opts.pbsLegs ? { pbsLegs: opts.pbsLegs } : {}) };
}

/** Variants of a model, configured and with their claims; a claim no checker knows is an error. */
function targetsOf(modelName: string, entry: ReportModelEntry): Target[] {
  return Object.entries(entry.variants).map(([variant, config]) => targetOf(modelName, entry, variant, config));
}

function targetOf(modelName: string, entry: ReportModelEntry, variant: string, config: Record<string, unknown>): Target {
  const family = Object.keys(entry.checkers ?? {});
  let claims: GuaranteeClaim[];
  let nodes: string[];
  try {
    const c = entry.model.configure(config);
    claims = entry.model.claims(c);
    nodes = entry.model.nodes(c);
  } catch (err) {
    throw new ReportInputError(`model '${modelName}' variant '${variant}': ${(err as Error).message}`);
  }
  for (const c of claims) {
    if (!isGuaranteeId(c.id) && !family.includes(c.id)) {
      throw new ReportInputError(`model '${modelName}' variant '${variant}' claims '${c.id}', which no checker knows`);
    }
  }
  const applicable = entry.guarantees ? [...entry.guarantees] : [...GUARANTEE_IDS, ...family];
  const columns = [...new Set<string>([...applicable, ...claims.map((c) => c.id)])];
  return { modelName, entry, variant, config, claims, columns, nodes };
}

function arbFor(t: Target, profile: FaultProfileName): fc.Arbitrary<Scenario> {
  // The one way scenarios are drawn (as run and the suite do), but a column is one
  // fault profile at full strength: no per-scenario feature draw.
  return scenariosFor(t.entry.model, {
    modelRef: t.modelName, config: t.config, profile, swarm: false, ...(t.entry.workload ? { workload: t.entry.workload } : {}),
  });
}

/** fast-check seed of one (model, variant, profile): stable across reports with the same seed. */
export function cellSeed(seed: number, t: Target, profile: string): number {
  return fnv1a(`${seed}/${t.modelName}/${t.variant}/${profile}`) >>> 1;
}

/**
 * Generate `runs` scenarios through fc.check (never failing), so run i can be
 * replayed later with `path: String(i)` and shrunk from there.
 */
function generate(t: Target, profile: FaultProfileName, runs: number, seed: number, visit: (s: Scenario, i: number) => void): void {
  let i = 0;
  const out = fc.check(
    fc.property(arbFor(t, profile), (s) => {
      visit(s, i++);
    }),
    { seed: cellSeed(seed, t, profile), numRuns: runs },
  );
  // The property never fails; an error here is a bug in the runner or a model that threw outside the simulator.
  if (out.failed) throw out.errorInstance instanceof Error ? out.errorInstance : new Error(String(out.errorInstance));
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ───────────────────────────── shrinking ─────────────────────────────

interface ShrinkContext {
  runs: number;
  seed: number;
  shrinkBudget: number;
  diagrams: Record<string, string>;
  onProgress?: (p: ReportProgress) => void;
}

async function shrinkAll(accs: VariantAcc[], ctx: ShrinkContext, execute: Execute): Promise<void> {
  const jobs = accs.flatMap((acc) => acc.brokenCells().map((g) => ({ acc, g })));
  let done = 0;
  const results = await Promise.all(jobs.map(async ({ acc, g }) => {
    const smallest = acc.cell(g).smallest!;
    const label = `${acc.target.modelName}/${acc.target.variant}: ${g}`;
    const task: ShrinkTask = {
      kind: 'shrink', model: acc.target.modelName, variant: acc.target.variant, guarantee: g, inClaim: smallest.inClaim,
      start: { profile: smallest.profile, index: smallest.index, scenario: smallest.scenario },
      runs: ctx.runs, seed: ctx.seed, shrinkBudget: ctx.shrinkBudget,
    };
    const r = await execute<ShrinkResult>(task, label);
    ctx.onProgress?.({ phase: 'shrink', done: ++done, total: jobs.length, label });
    return r;
  }));
  jobs.forEach(({ acc, g }, i) => {
    const cell = acc.cell(g);
    const smallest = cell.smallest!;
    const result = results[i]!;
    const file = `spacetime/${slug(acc.target.modelName)}--${slug(acc.target.variant)}--${slug(g)}.svg`;
    if (result.svg) ctx.diagrams[file] = result.svg;
    const linFile = file.replace(/\.svg$/, '--linearization.svg');
    if (result.linearization) ctx.diagrams[linFile] = result.linearization;
    cell.counterexample = {
      profile: smallest.profile,
      ops: result.ops,
      faults: result.faults,
      shrinks: result.shrinks,
      evaluations: result.evaluations,
      sentence: result.sentence ?? cell.example ?? '',
      token: result.token,
      // --guarantee makes replay judge this cell's guarantee even where the variant does not claim it.
      replay: replayCommand(result.token, { guarantee: g }),
      svg: result.svg ? file : null,
      linearization: result.linearization ? linFile : null,
    };
  });
}

export interface ShrinkResult {
  ops: number;
  faults: number;
  shrinks: number;
  evaluations: number;
  sentence: string | undefined;
  token: string;
  svg: string | undefined;
  /** For linearizability cells: the partial-linearization timeline. */
  linearization?: string;
}

/** Does `s` break `g` the way the cell counted it (in claim, or measured)? */
function breaks(t: Target, g: string, inClaim: boolean, s: Scenario): Outcome | undefined {
  let h: History;
  try {
    h = runScenario(t.entry.model, s).history;
  } catch {
    return undefined; // a run that fails is not this guarantee breaking
  }
  const o = judgeColumns(t, h, g).get(g);
  return o && o.judged && o.inClaim === inClaim && o.violations > 0 ? o : undefined;
}

/**
 * Replay the cell's smallest failing run from its generation path and let
 * fast-check shrink it, spending at most `shrinkBudget` simulations (after
 * that every candidate passes, which ends shrinking where it stands).
 */
export function shrinkCell(
  t: Target,
  g: string,
  inClaim: boolean,
  start: { profile: FaultProfileName; index: number; scenario: Scenario },
  ctx: Pick<ShrinkContext, 'runs' | 'seed' | 'shrinkBudget'>,
): ShrinkResult {
  let evaluations = 0;
  let scenario = start.scenario;
  let shrinks = 0;
  if (ctx.shrinkBudget > 0) {
    const prop = fc.property(arbFor(t, start.profile), (s) => {
      if (evaluations >= ctx.shrinkBudget) return true;
      evaluations++;
      return breaks(t, g, inClaim, s) === undefined;
    });
    const out = fc.check(prop, { seed: cellSeed(ctx.seed, t, start.profile), path: String(start.index), numRuns: ctx.runs });
    if (out.failed && out.counterexample) {
      scenario = out.counterexample[0];
      shrinks = out.numShrinks;
    }
  }
  const size = scenarioSize(scenario);
  const base = { ...size, shrinks, evaluations, token: encodeToken(scenario) };
  const verdict = judgeScenario(t.entry.model, scenario, { guarantees: [] });
  if (!verdict.run) return { ...base, sentence: undefined, svg: undefined };
  const outcome = judgeColumns(t, verdict.run.history, g).get(g);
  const lin = g === 'linearizable-primary-reads' ? primaryReadsLinearizability(verdict.run.history) : undefined;
  return {
    ...base,
    sentence: outcome?.example,
    svg: spacetimeSvg(verdict.run.history),
    ...(lin ? { linearization: linearizationSvg(lin.result) } : {}),
  };
}

export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

// ───────────────────────────── assembling ─────────────────────────────

function modelDoc(name: string, entry: ReportModelEntry, targets: Target[], accs: Map<Target, VariantAcc>): ModelDoc {
  const variants = targets.map((t) => accs.get(t)!.toDoc());
  // A column nobody claims and no run could judge says nothing: drop it.
  const guarantees = (targets[0]?.columns ?? []).filter((g) =>
    variants.some((v) => v.cells.some((c) => c.guarantee === g && (c.claimed || c.runs > 0))),
  );
  for (const v of variants) v.cells = guarantees.map((g) => v.cells.find((c) => c.guarantee === g)!);
  return { name, description: entry.model.description, guarantees, variants };
}

function collectFindings(accs: VariantAcc[]): FindingDoc[] {
  const out: FindingDoc[] = [];
  for (const acc of accs) {
    const { modelName: model, variant } = acc.target;
    for (const c of acc.toDoc().cells) {
      if (c.status === 'not-judged' && c.claimed) {
        const sentence = c.notJudged?.reason ?? 'every run injected a fault outside what the claim tolerates';
        out.push({ kind: 'claim-not-judged', model, variant, guarantee: c.guarantee, profile: '', runs: acc.runs, broken: 0, sentence, replay: null });
      }
      if (c.status !== 'finding') continue;
      const profile = c.counterexample?.profile ?? c.byProfile.find((p) => p.broken > 0)?.profile ?? '';
      const sentence = c.counterexample?.sentence || c.example || '';
      out.push({ kind: 'claim-broken', model, variant, guarantee: c.guarantee, profile, runs: c.runs, broken: c.broken, sentence, replay: c.counterexample?.replay ?? null });
    }
    for (const [kind, fs] of groupFailures(acc.failures)) {
      const first = fs[0]!;
      out.push({
        kind: 'harness-failure', model, variant, guarantee: kind, profile: first.profile, runs: acc.runs, broken: fs.length,
        sentence: first.message, replay: replayCommand(first.token),
      });
    }
  }
  return out;
}

function groupFailures(fs: RunFailure[]): Map<string, RunFailure[]> {
  const m = new Map<string, RunFailure[]>();
  for (const f of fs) m.set(f.kind, [...(m.get(f.kind) ?? []), f]);
  return m;
}

function anomalies(models: ModelDoc[], profiles: FaultProfileName[]): ReportDoc['anomalies'] {
  const guarantees = [...new Set(models.flatMap((m) => m.guarantees))];
  const out: ReportDoc['anomalies'] = [];
  for (const g of guarantees) {
    for (const p of profiles) {
      let runs = 0;
      let broken = 0;
      for (const c of models.flatMap((m) => m.variants.flatMap((v) => v.cells.filter((x) => x.guarantee === g)))) {
        const bp = c.byProfile.find((x) => x.profile === p);
        runs += bp?.runs ?? 0;
        broken += bp?.broken ?? 0;
      }
      if (runs > 0) out.push({ guarantee: g, profile: p, runs, broken });
    }
  }
  return out;
}

const LAG_POINTS_MAX = 600;

/**
 * The representative run for "lag over time": among runs with fault windows
 * (any run when none had faults), the one whose peak replay lag is the median —
 * a typical run, not the worst.
 */
function lagOverTime(cands: LagCandidate[]): LagOverTimeDoc | null {
  const withFaults = cands.filter((c) => c.faults > 0);
  const pool = (withFaults.length > 0 ? withFaults : cands).slice().sort((a, b) => a.peakMs - b.peakMs);
  const pick = pool[Math.floor((pool.length - 1) / 2)];
  if (!pick) return null;
  const h = runScenario(pick.target.entry.model, pick.scenario).history;
  const series = standbyLag(h)
    .filter((s) => s.series.length > 0)
    .map((s) => ({ label: `${s.standby} replay_lag`, points: downsample(s.series.map((p) => ({ t: round(p.t, 3), v: p.replayLagMs === null ? null : round(p.replayLagMs, 3) }))) }));
  return {
    model: pick.target.modelName,
    variant: pick.target.variant,
    profile: pick.profile,
    replay: replayCommand(encodeToken(pick.scenario)),
    why: `median peak replay lag (${round(pick.peakMs, 1)} ms) among ${pool.length} runs${withFaults.length > 0 ? ' with fault windows' : ''}`,
    series,
    faults: faultWindows(h).map((w) => ({ startMs: round(w.startMs, 3), endMs: round(w.endMs, 3), kind: w.kind, label: w.label })),
  };
}

function downsample<T>(xs: T[]): T[] {
  if (xs.length <= LAG_POINTS_MAX) return xs;
  const step = xs.length / LAG_POINTS_MAX;
  const out: T[] = [];
  for (let i = 0; i < LAG_POINTS_MAX; i++) out.push(xs[Math.floor(i * step)]!);
  out.push(xs[xs.length - 1]!);
  return out;
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

