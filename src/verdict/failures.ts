/**
 * The failure file (default `.replicheck/failures.json`): every failing scenario
 * found by a property run is saved, and tried first on the next run of the same
 * model, variant and bug, until it passes — so a fixed bug stays fixed.
 * Written atomically (temporary file + rename): never half-written. Several
 * processes (a CI matrix, two terminals, worker threads) may find failures at
 * once: every change is a read-modify-write under a lock file, so none is lost.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { threadId } from 'node:worker_threads';
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

/** How long a writer waits for the lock, and when a lock is taken to be left by a dead writer. */
const LOCK_WAIT_MS = 60_000;
const LOCK_STALE_MS = 120_000;

/**
 * Change the failure file under its lock: `change` gets the current entries
 * and returns the new ones (or undefined to leave the file as it is).
 */
export function updateFailures(path: string, change: (all: SavedFailure[]) => SavedFailure[] | undefined): void {
  mkdirSync(dirname(path), { recursive: true });
  const release = lock(`${path}.lock`);
  try {
    const next = change(loadFailures(path));
    if (next) saveFailures(path, next);
  } finally {
    release();
  }
}

function lock(lockPath: string): () => void {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx')); // exclusive create: only one writer holds it
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(lockPath)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`failure file lock ${lockPath} held for over ${LOCK_WAIT_MS / 1000} s; delete it if no replicheck is running`);
    // A short random sleep, synchronously: random so that waiting writers do not retry in step.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2 + Math.floor(Math.random() * 20));
  }
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false; // released meanwhile
  }
}

/** Write a file so that readers see the old or the new contents, never a torn one. */
export function writeAtomic(path: string, contents: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${threadId}`; // unique per writer: processes and worker threads
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}
