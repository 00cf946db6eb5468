/**
 * wal.runs_per_s: whole simulated runs per second of the WAL model — 3 database
 * nodes plus the failover monitor, 100-operation scenarios over 3 sessions, a
 * random fault schedule (0–3 crashes, partitions, pauses, clogs), lossy links,
 * full history recording including message traces. Median of 7 batches.
 */
import { simulate } from '../src/analysis.js';
import { walModel, walVariants } from '../models/wal/index.js';
import { randomScenario } from '../test/wal-helpers.js';
import { median, type Figure } from './figure.js';

export const name = 'wal';

const BATCHES = 7;
const RUNS_PER_BATCH = 40;
const VARIANTS = ['async', 'sync-on', 'sync-remote-apply', 'semisync-after-sync', 'statement-ctx'];

function batch(b: number): { runsPerS: number; eventsPerRun: number; entriesPerRun: number } {
  let events = 0;
  let entries = 0;
  const t0 = performance.now();
  for (let i = 0; i < RUNS_PER_BATCH; i++) {
    const config = walModel.configure(walVariants[VARIANTS[i % VARIANTS.length]!]!);
    const sim = randomScenario(1000 * b + i, walModel.nodes(config), 100);
    const r = simulate({ model: walModel, config, sim });
    events += r.events;
    entries += r.history.length;
  }
  const s = (performance.now() - t0) / 1000;
  return { runsPerS: RUNS_PER_BATCH / s, eventsPerRun: events / RUNS_PER_BATCH, entriesPerRun: entries / RUNS_PER_BATCH };
}

export async function run(): Promise<Figure[]> {
  batch(99); // warm-up (JIT)
  const results = Array.from({ length: BATCHES }, (_, b) => batch(b));
  return [
    { name: 'wal.runs_per_s', value: Math.round(median(results.map((r) => r.runsPerS))), unit: 'runs/s', note: `median of ${BATCHES}×${RUNS_PER_BATCH} runs, 3 nodes + monitor, 100 ops, random faults` },
    { name: 'wal.events_per_run', value: Math.round(median(results.map((r) => r.eventsPerRun))), unit: 'events' },
    { name: 'wal.history_entries_per_run', value: Math.round(median(results.map((r) => r.entriesPerRun))), unit: 'entries' },
  ];
}
