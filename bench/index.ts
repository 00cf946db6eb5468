/**
 * Benchmark runner: `npm run bench [-- name ...]`. Loads bench/*.bench.ts,
 * prints a table for people and one JSON line per figure for machines.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Figure } from './figure.js';
import { tuneCompiler } from '../src/run/pool.js';

// Benchmarks run in this process; they measure what a run worker gets, the pool's compiler budget included
// (give node `--max-inlined-bytecode-size-cumulative=920` to measure V8's default).
tuneCompiler();

interface BenchModule {
  name: string;
  run(): Promise<Figure[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();

const figures: Figure[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  if (wanted.length > 0 && !wanted.includes(mod.name)) continue;
  process.stderr.write(`bench ${mod.name} …\n`);
  figures.push(...(await mod.run()));
}

const width = Math.max(10, ...figures.map((f) => f.name.length));
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(14)}  unit`);
for (const f of figures) {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(3);
  console.log(`${f.name.padEnd(width)}  ${v.padStart(14)}  ${f.unit}${f.note ? `  (${f.note})` : ''}`);
}
for (const f of figures) console.log(JSON.stringify({ name: f.name, value: f.value, unit: f.unit }));
