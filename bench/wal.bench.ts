/**
 * wal.runs_per_s: whole simulated runs per CPU-second of the WAL model — 3 database
 * nodes plus the failover monitor, 100-operation scenarios over 3 sessions, a
 * random fault schedule (0–3 crashes, partitions, pauses, clogs), lossy links,
 * full history recording including message traces. Median of 7 batches.
 *
 * wal.judged_runs_per_s: judged runs per CPU-second — scenarios drawn by the
 * harness for every WAL variant (as `replicheck run wal` draws them), each
 * simulated and checked against every guarantee its variant claims plus the
 * model contract (`judgeScenario`). Drawing is left out. Median of 7 batches.
 *
 * wal.explore_runs_per_s: runs per CPU-second as a `replicheck run wal` worker judges
 * them (`judgeRun`: drawn by fast-check at the run's seed and position, simulated
 * without message traffic, checked), every variant in turn, after WARM runs of
 * warm-up. Median of 7 batches.
 *
 * All count CPU time of this process (`process.cpuUsage`, GC threads included),
 * not wall time: on a shared machine wall time measures the neighbours, and
 * "per core" is what a worker thread gets.
 */
import fc from 'fast-check';
import { judgeScenario, simulate, type Scenario } from '../src/analysis.js';
import { walModel, walVariants } from '../models/wal/index.js';
import { scenariosFor } from '../properties/harness.js';
import { loadModel, type LoadedModel } from '../src/cli/load-model.js';
import { judgeRun, runPosition, runSeed, targetOf } from '../src/run/explore.js';
import { variantTargets, type RunTarget } from '../src/run/targets.js';
import { randomScenario } from '../test/wal-helpers.js';
import { median, type Figure } from './figure.js';

export const name = 'wal';

const BATCHES = 7;
const RUNS_PER_BATCH = 40;
const VARIANTS = ['async', 'sync-on', 'sync-remote-apply', 'semisync-after-sync', 'statement-ctx'];
/** Judged runs per variant per batch (every variant in every batch). */
const JUDGED_PER_VARIANT = 3;

/** CPU milliseconds (user + system) spent by `fn`. */
function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function batch(b: number): { runsPerS: number; eventsPerRun: number; entriesPerRun: number } {
  let events = 0;
  let entries = 0;
  const ms = cpuMs(() => {
    for (let i = 0; i < RUNS_PER_BATCH; i++) {
      const config = walModel.configure(walVariants[VARIANTS[i % VARIANTS.length]!]!);
      const sim = randomScenario(1000 * b + i, walModel.nodes(config), 100);
      const r = simulate({ model: walModel, config, sim });
      events += r.events;
      entries += r.history.length;
    }
  });
  return { runsPerS: RUNS_PER_BATCH / (ms / 1000), eventsPerRun: events / RUNS_PER_BATCH, entriesPerRun: entries / RUNS_PER_BATCH };
}

/** Scenarios for judged batch `b`: JUDGED_PER_VARIANT per variant, as the harness draws them. */
function judgedScenarios(b: number): Scenario[] {
  return Object.entries(walVariants).flatMap(([variant, config]) =>
    fc.sample(scenariosFor(walModel, { modelRef: 'wal', variant, config, profile: 'everything' }), { seed: 1000 + b, numRuns: JUDGED_PER_VARIANT }));
}

function judgedBatch(b: number): number {
  const scenarios = judgedScenarios(b);
  const ms = cpuMs(() => {
    for (const s of scenarios) judgeScenario(walModel, s);
  });
  return scenarios.length / (ms / 1000);
}

/** Runs before the explore batches are timed (a fresh isolate's runs cost ~3× a warmed one's). */
const WARM = 400;
const EXPLORE_PER_BATCH = 80;

function exploreBatch(entry: LoadedModel, targets: RunTarget[], from: number, count: number): number {
  const ms = cpuMs(() => {
    for (let i = from; i < from + count; i++) {
      judgeRun(entry, { target: targetOf(targets, i), seed: runSeed(1, i), position: runPosition(i, targets.length), shrink: false });
    }
  });
  return count / (ms / 1000);
}

export async function run(): Promise<Figure[]> {
  batch(99); // warm-up (JIT)
  const results = Array.from({ length: BATCHES }, (_, b) => batch(b));
  judgedBatch(99);
  const judged = Array.from({ length: BATCHES }, (_, b) => judgedBatch(b));
  const entry = await loadModel('wal');
  const targets = variantTargets(entry);
  exploreBatch(entry, targets, 0, WARM);
  const explored = Array.from({ length: BATCHES }, (_, b) => exploreBatch(entry, targets, WARM + b * EXPLORE_PER_BATCH, EXPLORE_PER_BATCH));
  const judgedNote = `median of ${BATCHES}×${JUDGED_PER_VARIANT * Object.keys(walVariants).length} harness-drawn runs, every variant, every claim`;
  return [
    { name: 'wal.runs_per_s', value: Math.round(median(results.map((r) => r.runsPerS))), unit: 'runs/CPU-s', note: `median of ${BATCHES}×${RUNS_PER_BATCH} runs, 3 nodes + monitor, 100 ops, random faults` },
    { name: 'wal.events_per_run', value: Math.round(median(results.map((r) => r.eventsPerRun))), unit: 'events' },
    { name: 'wal.history_entries_per_run', value: Math.round(median(results.map((r) => r.entriesPerRun))), unit: 'entries' },
    { name: 'wal.judged_runs_per_s', value: Math.round(median(judged)), unit: 'runs/CPU-s', note: judgedNote },
    { name: 'wal.explore_runs_per_s', value: Math.round(median(explored)), unit: 'runs/CPU-s', note: `median of ${BATCHES}×${EXPLORE_PER_BATCH} runs as a run worker judges them, after ${WARM}` },
  ];
}
