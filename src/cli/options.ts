/** Parsing of numeric CLI options with errors that name the option; the package version. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function intOption(raw: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER && !(n > max) ? `≥ ${min}` : `in ${min}..${max}`;
    throw new OptionError(`${name} must be an integer ${range}, got '${raw}'`);
  }
  return n;
}

/**
 * A seed handed to fast-check as it is (live's draws) has 31 bits: a larger one would be cut silently and name
 * someone else's run. run, soak and report hash their seed with each run's index (`runSeed`), so they take any
 * safe integer (`--seed $RANDOM$RANDOM` included) and distinct seeds stay distinct.
 */
export const MAX_SEED = 0x7fffffff;
export const MAX_EXPLORE_SEED = Number.MAX_SAFE_INTEGER;
/** Runs per variant: beyond ten million a run does not end in a working day; use soak --minutes. */
export const MAX_RUNS = 10_000_000;

export class OptionError extends Error {
  override name = 'OptionError';
}

/** Print a line on stdout (not console.log, which test runners intercept). */
export function println(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

let version: string | undefined;
/** This package's version, from src/cli/ (tsx) or dist/src/cli/ (compiled) alike. */
export function packageVersion(): string {
  if (version !== undefined) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && version === undefined; i++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'replicheck') version = pkg.version;
    } catch {
      // not here; one level up
    }
  }
  return (version ??= 'unknown');
}

/** `--shard i/n` (1 ≤ i ≤ n) as a 0-based shard index and a count. */
export function shardOption(raw: string | undefined): { index: number; count: number } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(raw.trim());
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && i >= 1 && i <= n)) throw new OptionError(`--shard must be i/n with 1 ≤ i ≤ n, got '${raw}'`);
  return { index: i - 1, count: n };
}
