/**
 * warmup.*: what a fresh worker thread pays before its runs get cheap. Each worker
 * is its own V8 isolate and compiles (TurboFan, on V8's background threads) the
 * simulator, models and checkers for itself: the same judged `run wal` runs cost
 * several times more CPU in a fresh isolate than in a warmed one. Every worker
 * pays it again, so on two cores a budget of a few thousand runs gains little
 * from a second worker (see README here: "Worker warm-up").
 *
 * One run worker, fresh; windows of WINDOW judged runs of every WAL variant in
 * turn (what `replicheck run wal` judges, seed 1), process CPU per window (the
 * main thread idles meanwhile). cold: the first window; warm: the last.
 */
import { loadModel } from '../src/cli/load-model.js';
import { explore, startRunPool } from '../src/run/explore.js';
import { variantTargets } from '../src/run/targets.js';
import type { Figure } from './figure.js';

export const name = 'warmup';

const WINDOW = 320;
const WINDOWS = 5;

export async function run(): Promise<Figure[]> {
  const entry = await loadModel('wal');
  const targets = variantTargets(entry);
  const pool = startRunPool({ refs: ['wal'], workers: 1 });
  const perS: number[] = [];
  try {
    await pool.ready();
    for (let w = 0; w < WINDOWS; w++) {
      const c0 = process.cpuUsage();
      // A new seed per window: new runs, drawn as the first window's were.
      await explore(pool, { targets, entries: new Map([['wal', entry]]), seed: 1 + w, runs: WINDOW, shrink: false });
      const c = process.cpuUsage(c0);
      perS.push(WINDOW / ((c.user + c.system) / 1e6));
    }
  } finally {
    await pool.close();
  }
  const cold = perS[0]!;
  const warm = perS[WINDOWS - 1]!;
  const note = `windows of ${WINDOW} judged wal runs on one fresh worker: ${perS.map((x) => Math.round(x)).join(', ')}`;
  return [
    { name: 'warmup.cold_runs_per_s', value: Math.round(cold), unit: 'runs/CPU-s', note },
    { name: 'warmup.warm_runs_per_s', value: Math.round(warm), unit: 'runs/CPU-s' },
    { name: 'warmup.warm_over_cold', value: Math.round((warm / cold) * 100) / 100, unit: '×' },
  ];
}
