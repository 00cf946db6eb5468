/**
 * check.detect_ms_median / check.shrunk_ops_median: over the whole planted-bug
 * catalogue (every built-in model's bugs with their triggers), how long until the
 * property suite first fails, and how small the shrunk counterexample is.
 * props.runs_per_s: scenarios per second of the default property suite (every
 * variant of every built-in model, profile as registered, 100 runs each).
 * The per-bug table goes to stderr.
 */
import { BUILTIN_MODELS, bugRunOptions, variantRunOptions } from '../models/index.js';
import { checkModel } from '../properties/harness.js';
import { median, type Figure } from './figure.js';

export const name = 'check';

export async function run(): Promise<Figure[]> {
  const detect: number[] = [];
  const ops: number[] = [];
  const rows: string[] = [];
  let caught = 0;
  let total = 0;
  for (const [modelName, entry] of Object.entries(BUILTIN_MODELS)) {
    for (const bug of entry.model.bugs) {
      const t = entry.triggers?.[bug.name];
      if (!t) continue;
      total++;
      const r = checkModel(entry.model, { ...bugRunOptions(modelName, bug.name), failureFile: false });
      if (r.found) {
        caught++;
        detect.push(r.msUntilFound!);
        ops.push(r.ops!);
      }
      rows.push(
        `${`${modelName}/${bug.name}`.padEnd(48)} ${r.found ? 'caught' : 'MISSED'}  runs ${String(r.runsUntilFound ?? r.runs).padStart(4)}  ` +
          `${String(r.msUntilFound ?? '-').padStart(8)} ms  ops ${r.ops ?? '-'}  faults ${r.faults ?? '-'}  ${r.guarantee ?? ''}`,
      );
    }
  }
  process.stderr.write(`${rows.join('\n')}\n`);
  const suite = propsRate();
  return [
    { name: 'check.detect_ms_median', value: median(detect), unit: 'ms', note: `${caught}/${total} bugs caught` },
    { name: 'check.shrunk_ops_median', value: median(ops), unit: 'ops' },
    { name: 'props.runs_per_s', value: Math.round(suite), unit: 'runs/s', note: 'default suite, every variant' },
  ];
}

function propsRate(): number {
  let runs = 0;
  const t0 = performance.now();
  for (const [modelName, entry] of Object.entries(BUILTIN_MODELS)) {
    for (const variant of Object.keys(entry.variants)) {
      const r = checkModel(entry.model, { ...variantRunOptions(modelName, variant), numRuns: 100, failureFile: false });
      runs += r.runs;
    }
  }
  return runs / ((performance.now() - t0) / 1000);
}
