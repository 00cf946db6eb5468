/**
 * par.*: where a second worker's core goes in `replicheck run wal` (2,000 judged
 * runs, default budget, seed 1), with one worker and with two: CPU-s of the main
 * thread, of the worker threads and of V8's background threads (TurboFan's
 * concurrent compiles, GC helpers; shared by every isolate), read per thread from
 * /proc (Linux only; elsewhere this bench reports nothing). Workers' CPU includes
 * loading the modules (each isolate loads and compiles them again).
 *
 * par.extra_cpu_s: what two workers cost over one, in CPU-s; at zero, two workers
 * on two idle cores would take half the wall time of one (less the main thread's
 * start-up). Wall time is not a figure: on a shared machine it measures the neighbours.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadModel } from '../src/cli/load-model.js';
import { explore, startRunPool } from '../src/run/explore.js';
import { variantTargets } from '../src/run/targets.js';
import type { Figure } from './figure.js';

export const name = 'par';

const RUNS_PER_VARIANT = 100;

/** CPU-s per thread id of this process (utime + stime, in clock ticks of 1/100 s). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

async function split(workers: number): Promise<{ main: number; workers: number; background: number }> {
  const entry = await loadModel('wal');
  const targets = variantTargets(entry);
  const before = threadCpu();
  const pool = startRunPool({ refs: ['wal'], workers });
  let after: Map<string, number>;
  try {
    await pool.ready();
    await explore(pool, { targets, entries: new Map([['wal', entry]]), seed: 1, runs: RUNS_PER_VARIANT * targets.length, shrink: false });
    after = threadCpu();
  } finally {
    await pool.close();
  }
  const main = String(process.pid);
  const s = { main: 0, workers: 0, background: 0 };
  for (const [tid, cpu] of after) {
    const d = cpu - (before.get(tid) ?? 0);
    if (tid === main) s.main += d;
    else if (before.has(tid)) s.background += d; // threads older than the pool: V8's platform, libuv
    else s.workers += d;
  }
  return s;
}

export async function run(): Promise<Figure[]> {
  if (!existsSync('/proc/self/task')) return [];
  const one = await split(1);
  const two = await split(2);
  const total = (s: typeof one) => s.main + s.workers + s.background;
  const r = (x: number) => Math.round(x * 100) / 100;
  const note = (s: typeof one) => `main ${r(s.main)}, workers ${r(s.workers)}, V8 background ${r(s.background)}`;
  return [
    { name: 'par.one_worker_cpu_s', value: r(total(one)), unit: 'CPU-s', note: note(one) },
    { name: 'par.two_workers_cpu_s', value: r(total(two)), unit: 'CPU-s', note: note(two) },
    { name: 'par.extra_cpu_s', value: r(total(two) - total(one)), unit: 'CPU-s' },
    { name: 'par.background_share_one', value: r(one.background / total(one)), unit: 'of CPU' },
  ];
}
