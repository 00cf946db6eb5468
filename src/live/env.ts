/**
 * Where the PostgreSQL binaries are and as whom the servers run. PostgreSQL
 * refuses to run as root, so when replicheck runs as root (a CI container)
 * every server process and tool runs as an unprivileged user instead
 * (`postgres`, or REPLICHECK_PG_USER), and the temporary directory is theirs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireOptional } from '../optional.js';

/** PostgreSQL is not installed, or cannot run here: the live target cannot start. */
export class PgUnavailableError extends Error {
  override name = 'PgUnavailableError';
}

export const PG_TOOLS = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup', 'pg_rewind'] as const;
export type PgTool = (typeof PG_TOOLS)[number];

export interface PgEnv {
  bin: string;
  /** Set when the servers run as another user (replicheck runs as root). */
  uid?: number;
  gid?: number;
  user: string;
  version: string;
}

/** The directory holding initdb, postgres, pg_ctl …: REPLICHECK_PG_BIN, pg_config --bindir, or the newest /usr/lib/postgresql/N/bin. */
export function findPgBin(): string | undefined {
  const given = process.env.REPLICHECK_PG_BIN;
  if (given) return hasTools(given) ? given : undefined;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (hasTools(dir)) return dir;
  } catch {
    // no pg_config on PATH: look where Debian puts the server
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (hasTools(join(root, v, 'bin'))) return join(root, v, 'bin');
  return undefined;
}

function hasTools(dir: string): boolean {
  return PG_TOOLS.every((t) => existsSync(join(dir, t)));
}

/** Why the live target cannot run here, or undefined when it can (tests print this when they skip). */
export function pgUnavailableReason(): string | undefined {
  try {
    pgEnv();
    loadPg();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

let cached: PgEnv | undefined;

/** The binaries and the user to run them as; a PgUnavailableError saying what is missing. */
export function pgEnv(): PgEnv {
  if (cached) return cached;
  const bin = findPgBin();
  if (!bin) {
    throw new PgUnavailableError(
      `PostgreSQL server binaries (${PG_TOOLS.join(', ')}) not found: install them (Debian: apt-get install postgresql) ` +
        'or set REPLICHECK_PG_BIN to their directory',
    );
  }
  const version = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) return (cached = { bin, user: currentUser(), version });
  const user = process.env.REPLICHECK_PG_USER ?? 'postgres';
  const ids = lookupUser(user);
  if (!ids) {
    throw new PgUnavailableError(
      `running as root, and PostgreSQL refuses to run as root: no user '${user}' to run the servers as ` +
        '(create one, or set REPLICHECK_PG_USER)',
    );
  }
  return (cached = { bin, user, uid: ids.uid, gid: ids.gid, version });
}

function currentUser(): string {
  return process.env.USER ?? process.env.LOGNAME ?? 'postgres';
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd: no such user
  }
  return undefined;
}

/** The node-postgres module, loaded when first used (an optional dependency). */
export type PgModule = typeof import('pg');

export function loadPg(): PgModule {
  return requireOptional<PgModule>('pg', 'the live PostgreSQL target (replicheck live pg)');
}

/**
 * libfaketime (Debian: apt-get install libfaketime), for clock skew per
 * server: REPLICHECK_FAKETIME_LIB, or Debian's multiarch path. Undefined when
 * absent (skew is then left out, and the run says so).
 */
export function findFaketime(): string | undefined {
  const given = process.env.REPLICHECK_FAKETIME_LIB;
  if (given !== undefined) return given !== '' && existsSync(given) ? given : undefined;
  const root = '/usr/lib';
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root);
  } catch {
    return undefined;
  }
  for (const d of ['faketime', ...dirs.map((x) => join(x, 'faketime'))]) {
    const lib = join(root, d, 'libfaketime.so.1');
    if (existsSync(lib)) return lib;
  }
  return undefined;
}

/**
 * The FAKETIME value for a clock: its offset and drift (`+0.25 x1.0001`:
 * 250 ms ahead, 100 ppm fast). The '.' needs LC_ALL=C, which every server gets.
 */
export function faketimeSpec(offsetMs: number, driftPpm: number): string {
  const off = offsetMs / 1000;
  const sign = off < 0 ? '-' : '+';
  const rate = 1 + driftPpm * 1e-6;
  return `${sign}${Math.abs(off).toFixed(6)}${driftPpm !== 0 ? ` x${rate.toFixed(9)}` : ''}`;
}
