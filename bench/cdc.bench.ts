/**
 * cdc.runs_per_s: whole CDC runs (simulate + all CDC checkers) per second on a
 * fixed scenario — 20 client transactions, a connector crash and a sink crash —
 * once with in-memory sinks only, once with one SQLite sink (serialized to the
 * simulated disk after every batch). Median of 7 samples of 15 runs each.
 */
import { performance } from 'node:perf_hooks';
import type { Fault, TimedRequest } from '../src/analysis.js';
import { simulate } from '../src/analysis.js';
import { checkCdc } from '../src/check/cdc.js';
import { cdcModel } from '../models/cdc/index.js';
import { at, del, inc, simConfig, w } from '../models/cdc/testkit.js';
import { type Figure, median } from './figure.js';

export const name = 'cdc';

const SAMPLES = 7;
const RUNS_PER_SAMPLE = 15;

const OPS: TimedRequest[] = Array.from({ length: 20 }, (_, i) => {
  const k = `k${i % 5}`;
  return at(i * 4, i % 6 === 5 ? del(k) : i % 3 === 0 ? inc(k, i) : w(k, `v${i}`));
});

function faults(sink: string): Fault[] {
  return [
    { kind: 'crash', atMs: 30, node: 'connector', mode: 'machine', restartAfterMs: 10 },
    { kind: 'crash', atMs: 50, node: sink, mode: 'process', restartAfterMs: 5 },
  ];
}

function runsPerSecond(raw: Record<string, unknown>, crashSink: string): number {
  const config = cdcModel.configure(raw);
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = performance.now();
    for (let i = 0; i < RUNS_PER_SAMPLE; i++) {
      const sim = simConfig({ nodes: cdcModel.nodes(config), ops: OPS, faults: faults(crashSink), seed: s * 100 + i + 1 });
      const { history } = simulate({ model: cdcModel, config, sim });
      if (checkCdc(history).length > 0) throw new Error('bench scenario broke a guarantee: the model regressed');
    }
    samples.push((RUNS_PER_SAMPLE * 1000) / (performance.now() - t0));
  }
  return median(samples);
}

export async function run(): Promise<Figure[]> {
  const memory = runsPerSecond({ sinks: [{ name: 'sink-mem', store: 'memory', transform: 'identity', exactlyOnce: 'dedup' }] }, 'sink-mem');
  const sqlite = runsPerSecond({ sinks: [{ name: 'sink-sql', store: 'sqlite', transform: 'derive', exactlyOnce: 'txn-offset' }] }, 'sink-sql');
  const note = `median of ${SAMPLES}×${RUNS_PER_SAMPLE} runs; 20 txns, connector + sink crash; simulate + CDC checkers`;
  return [
    { name: 'cdc.runs_per_s', value: Math.round(memory * 10) / 10, unit: 'runs/s', note: `in-memory sink; ${note}` },
    { name: 'cdc.runs_per_s.sqlite', value: Math.round(sqlite * 10) / 10, unit: 'runs/s', note: `SQLite sink; ${note}` },
  ];
}
