/**
 * soak.runs_per_s: clean runs judged per second by `replicheck soak` over every
 * built-in model's variants (each with its own profile and workload: scenario
 * drawn, simulated, every claimed guarantee checked), on 1 worker thread and on 2.
 * Worker start-up and a warm-up round are left out; the ratio is what the second
 * core buys (2.0 would be perfect scaling; other load on the machine lowers it).
 * soak.cpu_ms_per_run is CPU time per run on 2 workers, which a busy machine
 * disturbs far less than wall time; soak.cpu_ratio_2_workers divides it by the
 * same on 1 worker (1.0: a second worker costs no extra CPU per run, so on an idle
 * machine two workers take half the wall time of one, start-up aside).
 */
import { BUILTIN_MODELS } from '../models/index.js';
import { loadModel, type LoadedModel } from '../src/cli/load-model.js';
import { explore, startRunPool } from '../src/run/explore.js';
import { variantTargets, type RunTarget } from '../src/run/targets.js';
import type { Figure } from './figure.js';

export const name = 'soak';

const RUNS = 480; // 20 rounds over the 24 built-in variants: a few seconds each
const SEED = 20261127;

/** Runs per wall second, and CPU ms per run (every thread of the process: robust to a busy machine). */
async function measure(workers: number, targets: RunTarget[], entries: Map<string, LoadedModel>): Promise<{ perS: number; cpuMs: number }> {
  const pool = startRunPool({ refs: [...entries.keys()], workers });
  try {
    await pool.ready();
    // Warm-up on other seeds: every variant once per worker, so the JIT has seen them all.
    await explore(pool, { targets, entries, seed: SEED + 1, runs: targets.length * workers, shrink: false });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await explore(pool, { targets, entries, seed: SEED, runs: RUNS, shrink: false });
    const cpu = process.cpuUsage(cpu0);
    return { perS: r.runs / ((performance.now() - t0) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / r.runs };
  } finally {
    await pool.close();
  }
}

export async function run(): Promise<Figure[]> {
  const entries = new Map<string, LoadedModel>();
  const targets: RunTarget[] = [];
  for (const ref of Object.keys(BUILTIN_MODELS)) {
    const entry = await loadModel(ref);
    entries.set(ref, entry);
    targets.push(...variantTargets(entry));
  }
  const one = await measure(1, targets, entries);
  const two = await measure(2, targets, entries);
  const note = `${RUNS} clean runs over ${targets.length} variants, judged as soak judges them`;
  return [
    { name: 'soak.runs_per_s_1_worker', value: Math.round(one.perS * 10) / 10, unit: 'runs/s', note },
    { name: 'soak.runs_per_s_2_workers', value: Math.round(two.perS * 10) / 10, unit: 'runs/s', note },
    { name: 'soak.speedup_2_workers', value: Math.round((two.perS / one.perS) * 100) / 100, unit: '×' },
    { name: 'soak.cpu_ms_per_run', value: Math.round(two.cpuMs * 10) / 10, unit: 'ms', note: 'CPU time of all threads per run, 2 workers' },
    { name: 'soak.cpu_ratio_2_workers', value: Math.round((two.cpuMs / one.cpuMs) * 100) / 100, unit: '×', note: 'CPU per run on 2 workers over 1 (warm workers)' },
  ];
}
