/**
 * `replicheck report`: every built-in model variant under every fault profile,
 * written as a report directory (report.json, summary.md, index.html, PNG
 * charts, SVG diagrams), the guarantee matrix printed on the terminal.
 *
 * Exit codes: 0 when the report completed — even when it has findings, because
 * the report's job is to show them (pass --strict to exit 1 when a claimed
 * guarantee broke or a run could not be judged, e.g. in CI); 2 on bad input
 * (unknown model or profile, bad number) or an unusable output directory, in
 * which case nothing is written.
 */
import type { Command } from 'commander';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { BUILTIN_MODELS } from '../../models/index.js';
import { terminalSummary } from '../../reports/matrix.js';
import { DEFAULT_COST_RUNS } from '../../reports/costs.js';
import { DEFAULT_LEVEL_RUNS, DEFAULT_PBS_LEGS } from '../../reports/levels.js';
import { readLive } from '../../reports/live.js';
import { checkOutput, commitOutput, discardOutput, stageOutput, writeStaged, type WrittenReport } from '../../reports/output.js';
import {
  builtinRegistryModule,
  collectReport,
  DEFAULT_REPORT_RUNS,
  DEFAULT_SHRINK_BUDGET,
  type RegistryModule,
  type ReportProgress,
  type ReportRegistry,
} from '../../reports/run.js';
import { defaultWorkers } from '../run/pool.js';
import { parseWarsLatencies, PbsLatencyError, warsLatenciesFromJson, type WarsLatencies } from '../metrics/pbs.js';
import { intOption, MAX_RUNS, MAX_EXPLORE_SEED, OptionError, packageVersion } from './options.js';

export interface ReportCliOptions {
  models?: string;
  profiles?: string;
  runs?: string;
  out?: string;
  seed?: string;
  shrink?: string;
  json?: boolean;
  strict?: boolean;
  workers?: string;
  costRuns?: string;
  levelRuns?: string;
  live?: string;
  pbsLatency?: string;
}

export const DEFAULT_REPORT_DIR = 'replicheck-report';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('run every model variant under every fault profile and write the lag and guarantee report (HTML, Markdown, JSON, PNG)')
    .option('--models <a,b>', 'only these models (default: every built-in model)')
    .option('--profiles <p,q>', 'only these fault profiles (default: calm, lossy-network, partitions, clock-skew, crashes, everything)')
    .option('--runs <n>', `scenarios per variant and profile (default ${DEFAULT_REPORT_RUNS})`)
    .option('--out <dir>', `output directory, replaced atomically (default ./${DEFAULT_REPORT_DIR}/)`)
    .option('--seed <n>', 'report seed: the same seed gives the same figures (default 1)')
    .option('--shrink <n>', `simulations spent shrinking each broken cell (default ${DEFAULT_SHRINK_BUDGET}; 0 keeps the smallest run found)`)
    .option('--cost-runs <n>', `scenarios per commit level (or read topology) and profile for the costs section (default ${DEFAULT_COST_RUNS}; 0 leaves it out)`)
    .option('--level-runs <n>', `scenarios per consistency-level pair and profile for a leaderless model (default ${DEFAULT_LEVEL_RUNS}; 0 leaves it out)`)
    .option('--pbs-latency <legs>', 'the PBS curves\' WARS latencies: W=exp:2,A=exp:1,R=exp:1,S=exp:1 (W write to replica, A ack back, R read request, S read response; const:MS, uniform:MIN:MAX, exp:MEAN[:MIN], pareto:SCALE:SHAPE[:CAP], in ms; legs left out keep the default), or @FILE with a JSON object {"w": {"kind": "exponential", "meanMs": 2}, ...}')
    .option('--live <file>', "a live server's results (live.json from 'replicheck live pg --out DIR', or DIR): the matrix's live column (default: live.json in the output directory, if any)")
    .option('--workers <n>', `worker threads (default ${defaultWorkers()}, the cores available); the report is the same whatever the count`)
    .option('--strict', 'exit 1 when a claimed guarantee broke or a run could not be judged')
    .option('--json', 'print report.json on stdout (progress goes to stderr)')
    .addHelpText(
      'after',
      '\nExit codes: 0 the report was written (findings included: showing them is its job); 1 with --strict when a claimed\n' +
        'guarantee broke or a run could not be judged; 2 bad input or an unusable output directory (nothing is written).',
    )
    .action(async (opts: ReportCliOptions) => {
      process.exitCode = await reportCommand(opts);
    });
}

/**
 * Run the report; returns the exit code. Throws (→ exit 2) on bad input or an unusable output directory.
 * Worker threads load the models from `registryModule` (the built-in models' module for the built-in
 * registry); a registry without one is run in this thread.
 */
export async function reportCommand(
  opts: ReportCliOptions,
  registry: ReportRegistry = BUILTIN_MODELS,
  registryModule: RegistryModule | undefined = registry === BUILTIN_MODELS ? builtinRegistryModule() : undefined,
): Promise<number> {
  const runs = intOption(opts.runs, '--runs', 1, MAX_RUNS);
  const workers = intOption(opts.workers, '--workers', 1) ?? defaultWorkers();
  const seed = intOption(opts.seed, '--seed', 0, MAX_EXPLORE_SEED);
  const shrinkBudget = intOption(opts.shrink, '--shrink', 0);
  const costRuns = intOption(opts.costRuns, '--cost-runs', 0, MAX_RUNS);
  const levelRuns = intOption(opts.levelRuns, '--level-runs', 0, MAX_RUNS);
  const pbsLegs = pbsLatencyOption(opts.pbsLatency);
  if (pbsLegs && levelRuns === 0) throw new OptionError('--pbs-latency sets the PBS curves of the consistency-level section, which --level-runs 0 leaves out');
  const out = checkOutput(opts.out ?? DEFAULT_REPORT_DIR);
  // `live pg --out` into the report's directory leaves live.json there: it is picked up (and kept) unless --live says otherwise.
  const livePath = opts.live ?? (existsSync(join(out, 'live.json')) ? join(out, 'live.json') : undefined);
  const live = livePath !== undefined ? readLive(livePath) : undefined;
  const progress = makeProgress();
  let collected: Awaited<ReturnType<typeof collectReport>>;
  try {
    collected = await collectReport({
      registry,
      ...(opts.models !== undefined ? { models: list(opts.models, '--models') } : {}),
      ...(opts.profiles !== undefined ? { profiles: list(opts.profiles, '--profiles') } : {}),
      ...(runs !== undefined ? { runs } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(shrinkBudget !== undefined ? { shrinkBudget } : {}),
      ...(costRuns !== undefined ? { costRuns } : {}),
      ...(levelRuns !== undefined ? { levelRuns } : {}),
      ...(pbsLegs ? { pbsLegs } : {}),
      ...(live ? { live: { input: live.input, source: relative(process.cwd(), live.source) || live.source } } : {}),
      onProgress: progress.update,
      ...(registryModule ? { workers, registryModule } : {}),
    });
  } finally {
    progress.stop();
  }
  // Nothing is on disk until here, so an interrupted run leaves nothing behind;
  // while the files are written, a signal removes the staging directory first.
  const staging = stageOutput(out);
  const onSignal = (signal: NodeJS.Signals): void => {
    discardOutput(staging);
    process.stderr.write(`\nreplicheck report: ${signal}: stopped; ${staging.out} left as it was\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let written: WrittenReport;
  try {
    written = writeStaged(staging, collected, { version: packageVersion(), generatedAt: new Date().toISOString() });
    // The live results stay with the report they are part of (live.md too when they came from the output directory).
    if (live) copyFileSync(resolve(live.source), join(staging.dir, 'live.json'));
    if (live && opts.live === undefined && existsSync(join(out, 'live.md'))) copyFileSync(join(out, 'live.md'), join(staging.dir, 'live.md'));
    commitOutput(staging);
  } catch (err) {
    discardOutput(staging);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(written.doc, null, 2)}\n`);
  else console.log(`\n${terminalSummary(written.doc, relative(process.cwd(), written.index) || written.index, { colour: Boolean(process.stdout.isTTY) })}`);
  const bad = written.doc.findings.length > 0;
  return opts.strict && bad ? 1 : 0;
}

/** `--pbs-latency`: the short form, or `@FILE` holding JSON; a bad spec is an OptionError (exit 2, nothing written). */
export function pbsLatencyOption(raw: string | undefined): WarsLatencies | undefined {
  if (raw === undefined) return undefined;
  try {
    if (!raw.startsWith('@')) return parseWarsLatencies(raw, DEFAULT_PBS_LEGS);
    const file = raw.slice(1);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new PbsLatencyError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new PbsLatencyError(`${file} is not JSON: ${(err as Error).message}`);
    }
    return warsLatenciesFromJson(json, DEFAULT_PBS_LEGS);
  } catch (err) {
    if (err instanceof PbsLatencyError) throw new OptionError(`--pbs-latency: ${err.message}`);
    throw err;
  }
}

function list(raw: string, name: string): string[] {
  const xs = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (xs.length === 0) throw new Error(`${name} needs at least one name, got '${raw}'`);
  return xs;
}

/** A progress bar on a terminal; on CI (no TTY) one plain line per (variant, profile) and per phase. */
function makeProgress(): { update: (p: ReportProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      { format: '{phase} [{bar}] {value}/{total} {label}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
      Presets.shades_classic,
    );
    let phase = '';
    return {
      update(p) {
        if (p.phase !== phase) {
          if (phase) bar.stop();
          phase = p.phase;
          bar.start(p.total, 0, { phase: p.phase === 'run' ? 'running  ' : 'shrinking', label: '' });
        }
        bar.update(p.done, { label: p.label });
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update(p) {
      // One line when a (variant, profile) starts, one at the end, and one per cell shrunk.
      if (p.phase === 'run' && p.label === last && p.done < p.total) return;
      last = p.label;
      process.stderr.write(`[${p.phase} ${p.done}/${p.total}] ${p.label}\n`);
    },
    stop: () => {},
  };
}
