/**
 * explore.untuned_found / explore.runs_to_find_median: how many planted bugs of
 * the built-in models an untuned exploration finds — exactly what
 * `replicheck run MODEL --bug B` does at its default budget (every variant of
 * the model, its own profile and workload, 100 runs per variant, stop at the
 * first failure) — at three seeds fixed before looking. No per-bug knowledge:
 * the bug list is read from each model's `bugs`.
 *
 * `EXPLORE_SEEDS=1,2` and `EXPLORE_BUGS=wal:no-fencing,cdc` narrow a measurement
 * (a model name alone means all its bugs); the figures are only the figures with
 * neither set. `EXPLORE_COVERAGE=0` (or 1) turns coverage feedback off (on)
 * against explore's default, to measure what it pays.
 */
import { loadModel } from '../src/cli/load-model.js';
import { explore, startRunPool } from '../src/run/explore.js';
import { variantTargets } from '../src/run/targets.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { median, type Figure } from './figure.js';
import { decodeToken, scenarioSize } from '../src/scenario/compact.js';
import type { Scenario } from '../src/scenario/types.js';

export const name = 'explore';

/** Fixed before measuring; never chosen by outcome. */
export const UNTUNED_SEEDS = [1, 2, 3] as const;
/** `replicheck run`'s default budget: runs per variant. */
export const RUNS_PER_VARIANT = 100;

export interface BugHunt {
  model: string;
  bug: string;
  seed: number;
  found: boolean;
  /** Runs judged until the first failure (its index + 1), or the whole budget. */
  runs: number;
  budget: number;
  guarantee?: string;
  ops?: number;
  faults?: number;
  token?: string;
  ms: number;
}

/** Every planted bug of every built-in model, as `model:bug`. */
export function plantedBugs(): { model: string; bug: string }[] {
  return Object.entries(BUILTIN_MODELS).flatMap(([model, e]) => e.model.bugs.map((b) => ({ model, bug: b.name })));
}

/** Hunt each bug at each seed exactly as `run MODEL --bug B` would. */
export async function huntUntuned(opts: {
  bugs?: readonly { model: string; bug: string }[];
  seeds?: readonly number[];
  workers?: number;
  /** Coverage feedback on or off (default: explore's default). */
  coverage?: boolean;
  onHunt?: (h: BugHunt) => void;
}): Promise<BugHunt[]> {
  const bugs = opts.bugs ?? plantedBugs();
  const seeds = opts.seeds ?? UNTUNED_SEEDS;
  const refs = [...new Set(bugs.map((b) => b.model))];
  const entries = new Map(await Promise.all(refs.map(async (r) => [r, await loadModel(r)] as const)));
  const pool = startRunPool({ refs, ...(opts.workers !== undefined ? { workers: opts.workers } : {}) });
  const out: BugHunt[] = [];
  try {
    for (const { model, bug } of bugs) {
      const entry = entries.get(model)!;
      const targets = variantTargets(entry, { bug });
      const budget = RUNS_PER_VARIANT * targets.length;
      for (const seed of seeds) {
        const t0 = performance.now();
        const r = await explore(pool, { targets, entries, seed, runs: budget, stopAtFirstFailure: true, ...(opts.coverage !== undefined ? { coverage: opts.coverage } : {}) });
        const f = r.failing[0]?.finding;
        const h: BugHunt = { model, bug, seed, found: f !== undefined, runs: r.runs, budget, ms: Math.round(performance.now() - t0) };
        if (f?.status === 'alarm') Object.assign(h, { guarantee: f.guarantee, ops: f.ops, faults: f.faults, token: f.token });
        // A run that could not be judged (a limit, say) is still a find with a scenario: its size is the token's.
        if (f?.status === 'failure') Object.assign(h, { guarantee: `run-failure:${f.kind}`, token: f.token, ...tokenSize(f.token) });
        out.push(h);
        opts.onHunt?.(h);
      }
    }
  } finally {
    await pool.close();
  }
  return out;
}

function tokenSize(token: string): { ops?: number; faults?: number } {
  try {
    return scenarioSize(decodeToken(token) as Scenario);
  } catch {
    return {};
  }
}

/** A bug counts as found only when every seed finds it. */
export function foundEverySeed(hunts: readonly BugHunt[]): Set<string> {
  const byBug = new Map<string, boolean>();
  for (const h of hunts) byBug.set(`${h.model}:${h.bug}`, (byBug.get(`${h.model}:${h.bug}`) ?? true) && h.found);
  return new Set([...byBug].filter(([, ok]) => ok).map(([k]) => k));
}

function narrowed(): { model: string; bug: string }[] | undefined {
  const raw = process.env.EXPLORE_BUGS;
  if (!raw) return undefined;
  const want = raw.split(',').map((s) => s.trim());
  return plantedBugs().filter((b) => want.includes(b.model) || want.includes(`${b.model}:${b.bug}`));
}

export async function run(): Promise<Figure[]> {
  const seeds = process.env.EXPLORE_SEEDS ? process.env.EXPLORE_SEEDS.split(',').map(Number) : [...UNTUNED_SEEDS];
  const bugs = narrowed() ?? plantedBugs();
  const coverage = process.env.EXPLORE_COVERAGE === undefined ? undefined : process.env.EXPLORE_COVERAGE !== '0';
  const t0 = process.cpuUsage();
  const hunts = await huntUntuned({
    bugs,
    seeds,
    ...(coverage !== undefined ? { coverage } : {}),
    onHunt: (h) =>
      process.stderr.write(
        `  ${h.model}:${h.bug} seed ${h.seed}: ${h.found ? `found after ${h.runs} runs, ${h.ops ?? '?'} ops ${h.faults ?? '?'} faults (${h.guarantee})` : `missed in ${h.budget} runs`} ${h.ms} ms\n`,
      ),
  });
  const cpu = process.cpuUsage(t0);
  const cpuS = Math.round((cpu.user + cpu.system) / 1e5) / 10;
  const found = foundEverySeed(hunts);
  const runs = hunts.filter((h) => h.found).map((h) => h.runs);
  const shrunkOk = hunts.filter((h) => h.found && (h.ops ?? Infinity) <= 12 && (h.faults ?? Infinity) <= 3).length;
  const missed = bugs.filter((b) => !found.has(`${b.model}:${b.bug}`)).map((b) => `${b.model}:${b.bug}`);
  return [
    { name: 'explore.untuned_found', value: found.size, unit: `bugs of ${bugs.length}`, note: `found at every seed ${seeds.join(',')}; missed: ${missed.join(' ') || 'none'}` },
    { name: 'explore.runs_to_find_median', value: runs.length > 0 ? median(runs) : NaN, unit: 'runs', note: `over ${runs.length} finds of ${hunts.length} hunts` },
    { name: 'explore.cpu_s', value: cpuS, unit: 's', note: `CPU of this process and its workers over ${hunts.reduce((n, h) => n + h.runs, 0)} runs and their shrinks${coverage === undefined ? '' : `, coverage ${coverage ? 'on' : 'off'}`}` },
    { name: 'explore.shrunk_small', value: shrunkOk, unit: `finds of ${runs.length}`, note: 'shrunk to <= 12 ops and <= 3 faults' },
  ];
}
