/**
 * The failure file (default `.replicheck/failures.json`): every failing scenario
 * found by a property run is saved, and tried first on the next run of the same
 * model, variant and bug, until it passes — so a fixed bug stays fixed.
 * Written atomically (temporary file + rename): never half-written.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Scenario } from '../scenario/types.js';
import { parseScenario } from '../scenario/validate.js';

export const DEFAULT_FAILURE_FILE = '.replicheck/failures.json';

export interface SavedFailure {
  /** Model reference (built-in name or module path), variant configuration and bug. */
  model: string;
  config: Record<string, unknown>;
  bug?: string;
  guarantee: string;
  sentence: string;
  token: string;
  scenario: Scenario;
  /** True time of discovery is irrelevant to replay; kept for people only. */
  savedAt: string;
}

interface FailureFile {
  version: 1;
  failures: SavedFailure[];
}

/** Same model, same configuration, same bug. */
export function sameTarget(a: { model: string; config: unknown; bug?: string | undefined }, b: typeof a): boolean {
  return a.model === b.model && (a.bug ?? '') === (b.bug ?? '') && JSON.stringify(a.config) === JSON.stringify(b.config);
}

export function loadFailures(path: string): SavedFailure[] {
  if (!existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`failure file ${path} is not valid JSON (${(err as Error).message}); fix or delete it`);
  }
  const f = doc as Partial<FailureFile>;
  if (f.version !== 1 || !Array.isArray(f.failures)) {
    throw new Error(`failure file ${path}: expected {"version": 1, "failures": [...]}; fix or delete it`);
  }
  return f.failures.map((x, i) => {
    try {
      return { ...x, scenario: parseScenario(x.scenario) };
    } catch (err) {
      throw new Error(`failure file ${path}: failures[${i}].scenario: ${(err as Error).message}`);
    }
  });
}

export function saveFailures(path: string, failures: SavedFailure[]): void {
  const doc: FailureFile = { version: 1, failures };
  writeAtomic(path, JSON.stringify(doc, null, 2) + '\n');
}

/** Write a file so that readers see the old or the new contents, never a torn one. */
export function writeAtomic(path: string, contents: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}
