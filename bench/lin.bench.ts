/**
 * Linearizability checker on Porcupine's labelled histories (test/fixtures/porcupine):
 * - lin.etcd_all_ms / _cpu_ms: check all 102 Jepsen etcd logs (register model), parsing
 *   excluded as in Porcupine's own benchmarks; lin.etcd_parse_ms: parsing them.
 * - lin.kv_c50_ok_ms, lin.kv_c50_bad_ms (and _cpu_ms): check each 50-client kv log,
 *   partitioned per key (stop at the first violating key, as Porcupine does);
 *   lin.kv_c50_ms is their sum (both logs).
 * - lin.kv_c50_peak_rss_mb: peak resident memory of a fresh process that parses and
 *   checks both c50 logs once (Node's own baseline, ~50 MB, included).
 * - lin.kv_c50_parse_ms: parsing both c50 logs (EDN, one op map per line).
 * - lin.check_cli_etcd_wall_ms / _cpu_ms: one `replicheck check --json` call over all
 *   102 etcd logs, as a user runs it (compiled launcher, fresh process; wall clock
 *   and the process's own CPU time). Built first so it never measures a stale dist/.
 * Medians of 5 runs after one warm-up (3 runs for the CLI call). `_cpu_ms` figures are
 * the process's CPU time over the same runs (all threads, GC included): on a shared
 * machine they move less than wall time. Porcupine's figures on the same data and
 * machine, and how they were taken, are in bench/README.md.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLinearizable } from '../src/check/linearizability.js';
import { kvModel, registerModel } from '../src/check/lin-models.js';
import { parseEtcdLog, parseKvLog } from '../src/history/import.js';
import { median, type Figure } from './figure.js';

export const name = 'lin';

const repo = fileURLToPath(new URL('..', import.meta.url));
const dataDir = resolve(repo, 'test/fixtures/porcupine');
const RUNS = 5;

function files(prefix: string): { file: string; text: string; linearizable: boolean }[] {
  const doc = JSON.parse(readFileSync(resolve(dataDir, 'expected.json'), 'utf8')) as { expected: Record<string, boolean> };
  return Object.entries(doc.expected)
    .filter(([f]) => f.startsWith(prefix))
    .map(([file, linearizable]) => ({ file, text: readFileSync(resolve(dataDir, 'test_data', file), 'utf8'), linearizable }));
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Run `fn` once to warm up, then RUNS times; median wall and CPU ms. */
function medians(fn: () => void): { wall: number; cpu: number } {
  fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Median wall ms of `fn` (see medians). */
function medianMs(fn: () => void): number {
  return medians(fn).wall;
}

function assertVerdict(file: string, verdict: string, linearizable: boolean): void {
  if ((verdict === 'ok') !== linearizable) throw new Error(`${file}: got ${verdict}, expected linearizable=${linearizable}`);
}

function peakRssMb(c50: string[]): number {
  const script = `
    import { readFileSync } from 'node:fs';
    const { checkLinearizable } = await import(${JSON.stringify(resolve(repo, 'src/check/linearizability.ts'))});
    const { kvModel } = await import(${JSON.stringify(resolve(repo, 'src/check/lin-models.ts'))});
    const { parseKvLog } = await import(${JSON.stringify(resolve(repo, 'src/history/import.ts'))});
    for (const f of ${JSON.stringify(c50)}) checkLinearizable(parseKvLog(readFileSync(f, 'utf8')), kvModel);
    process.stdout.write(String(process.resourceUsage().maxRSS));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
  return Number(out) / 1024;
}

/** Wall and CPU ms of one `check` call over `paths`, checking every verdict in its JSON array. */
function cliCheck(paths: { file: string; linearizable: boolean }[]): { wallMs: number; cpuMs: number } {
  // The child reports its own CPU time on exit (user + system, all threads).
  const report = "process.on('exit',()=>process.stderr.write('\\ncpu-us '+(process.cpuUsage().user+process.cpuUsage().system)+'\\n'))";
  const args = ['--import', `data:text/javascript,${encodeURIComponent(report)}`, resolve(repo, 'bin/replicheck.js'), 'check', ...paths.map((p) => resolve(dataDir, 'test_data', p.file)), '--model', 'register', '--json'];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - t0;
  const docs = JSON.parse(r.stdout) as { file: string; verdict: string }[];
  if (docs.length !== paths.length) throw new Error(`check printed ${docs.length} results for ${paths.length} files: ${r.stderr}`);
  docs.forEach((d, i) => assertVerdict(d.file, d.verdict, paths[i]!.linearizable));
  if (r.status !== 1) throw new Error(`check exited ${r.status}, expected 1 (some logs are not linearizable)`);
  const cpu = /cpu-us (\d+)/.exec(r.stderr);
  if (!cpu) throw new Error(`no CPU figure from the check process: ${r.stderr}`);
  return { wallMs, cpuMs: Number(cpu[1]) / 1000 };
}

export async function run(): Promise<Figure[]> {
  const etcd = files('jepsen/');
  const parsed = etcd.map((f) => ({ ...f, ops: parseEtcdLog(f.text) }));
  const parseMs = medianMs(() => etcd.forEach((f) => parseEtcdLog(f.text)));
  const c50 = files('kv/c50');
  // Before any check: parsing is measured alone, not with the garbage of a search to collect.
  const kvParseMs = medianMs(() => c50.forEach((f) => parseKvLog(f.text)));
  const etcdT = medians(() => {
    for (const f of parsed) assertVerdict(f.file, checkLinearizable(f.ops, registerModel).verdict, f.linearizable);
  });
  const kv = c50.map((f) => ({ ...f, ops: parseKvLog(f.text) }));
  const kvT = kv.map((f) => ({ file: f.file, ...medians(() => assertVerdict(f.file, checkLinearizable(f.ops, kvModel).verdict, f.linearizable)) }));
  const kvOk = kvT.find((k) => k.file === 'kv/c50-ok.txt')!;
  const kvBad = kvT.find((k) => k.file === 'kv/c50-bad.txt')!;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repo, stdio: 'inherit' });
  const cli = Array.from({ length: 3 }, () => cliCheck(etcd));
  const rss = median(Array.from({ length: RUNS }, () => peakRssMb(c50.map((f) => resolve(dataDir, 'test_data', f.file)))));
  return [
    { name: 'lin.etcd_all_ms', value: etcdT.wall, unit: 'ms', note: `${etcd.length} etcd logs, check only` },
    { name: 'lin.etcd_all_cpu_ms', value: etcdT.cpu, unit: 'ms', note: 'CPU time of the same runs' },
    { name: 'lin.etcd_parse_ms', value: parseMs, unit: 'ms', note: `${etcd.length} etcd logs` },
    { name: 'lin.kv_c50_ok_ms', value: kvOk.wall, unit: 'ms', note: 'c50-ok, per key' },
    { name: 'lin.kv_c50_ok_cpu_ms', value: kvOk.cpu, unit: 'ms', note: 'CPU time of the same runs' },
    { name: 'lin.kv_c50_bad_ms', value: kvBad.wall, unit: 'ms', note: 'c50-bad, per key, to the first violating key' },
    { name: 'lin.kv_c50_bad_cpu_ms', value: kvBad.cpu, unit: 'ms', note: 'CPU time of the same runs' },
    { name: 'lin.kv_c50_ms', value: kvOk.wall + kvBad.wall, unit: 'ms', note: 'c50-ok + c50-bad (sum of the two medians)' },
    { name: 'lin.kv_c50_parse_ms', value: kvParseMs, unit: 'ms', note: 'c50-ok + c50-bad, EDN' },
    { name: 'lin.check_cli_etcd_wall_ms', value: median(cli.map((c) => c.wallMs)), unit: 'ms', note: `one check call, ${etcd.length} etcd logs, fresh process` },
    { name: 'lin.check_cli_etcd_cpu_ms', value: median(cli.map((c) => c.cpuMs)), unit: 'ms', note: 'CPU of that process' },
    { name: 'lin.kv_c50_peak_rss_mb', value: rss, unit: 'MB', note: 'fresh process, parse + check both c50 logs' },
  ];
}
