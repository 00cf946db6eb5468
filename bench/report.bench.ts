/**
 * report.default_s: wall time of `replicheck report` with its defaults (every
 * built-in model, six fault profiles, the default runs and shrink budget), as a
 * user runs it — a fresh process, tsx start-up and writing the directory
 * included. report.runs_per_s: simulated-and-judged runs per second inside it
 * (runs / time of the run and shrink phases).
 *
 * One default report takes about two minutes, so this runs it twice (not the
 * usual five times) and quotes the median; REPLICHECK_BENCH_REPORT_REPEATS
 * changes that.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Figure } from './figure.js';

export const name = 'report';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'cli', 'main.ts');
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

function once(): { wallS: number; runsPerS: number; runs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'replicheck-bench-report-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [tsxCli, main, 'report', '--out', join(dir, 'report')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const wallS = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`replicheck report exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const doc = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as { totals: { runs: number; runsPerS: number } };
    return { wallS, runsPerS: doc.totals.runsPerS, runs: doc.totals.runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Figure[]> {
  const repeats = Number(process.env.REPLICHECK_BENCH_REPORT_REPEATS ?? 2);
  const xs = Array.from({ length: Math.max(1, repeats) }, () => once());
  const runs = xs[0]!.runs;
  return [
    { name: 'report.default_s', value: Math.round(median(xs.map((x) => x.wallS)) * 10) / 10, unit: 's', note: `default report, ${runs} runs, median of ${xs.length}` },
    { name: 'report.runs_per_s', value: Math.round(median(xs.map((x) => x.runsPerS))), unit: 'runs/s', note: 'simulate + judge + measure, shrinking included' },
  ];
}
