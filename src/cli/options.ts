/** Parsing of numeric CLI options with errors that name the option; the package version. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function intOption(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new OptionError(`${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

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
