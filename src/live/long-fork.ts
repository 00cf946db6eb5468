/**
 * A long-fork probe on real PostgreSQL (the anomaly Jepsen reported for RDS
 * Multi-AZ clusters in 2025): two reads that see two independent writes in
 * opposite orders. On the primary a commit becomes visible when its backend
 * leaves the ProcArray, which need not follow the order of the commit records
 * in the WAL; a standby makes commits visible in WAL order. So a primary
 * snapshot may see T2 without T1 while a standby's sees T1 without T2.
 *
 * Workload: W writers, each inserting its own increasing sequence of keys
 * (autocommit: one write per transaction); readers on the primary and on the
 * standby each read, in one statement (one snapshot), the highest key of every
 * writer. Within a writer commits are sequential, so a read is a vector (how
 * far it saw each writer). Two reads whose vectors are incomparable — one saw
 * more of writer a, the other more of writer b — are a long fork: each saw a
 * write the other did not, in opposite orders. Reads on one node are totally
 * ordered (one visibility order per node), so a fork pairs a primary read
 * with a standby read. Bounded by `ms`; it may be too rare to see in bounded
 * time, and the result says how many reads were compared.
 */
import type { Client } from 'pg';
import { PgCluster, type PgNode } from './cluster.js';
import { loadPg } from './env.js';

export interface LongForkOptions {
  /** How long writers and readers run. Default 20 s. */
  ms?: number;
  writers?: number;
  /** Readers per node (primary and standby). */
  readers?: number;
  synchronousCommit?: string;
  synchronousStandbyNames?: string;
  log?: (line: string) => void;
}

export interface LongForkRead {
  node: 'primary' | 'standby';
  /** Highest key seen per writer (-1: none). */
  seen: number[];
}

export interface LongForkResult {
  synchronousCommit: string;
  ms: number;
  writes: number;
  reads: { primary: number; standby: number };
  /** Distinct read vectors compared (reads seeing the same vector count once). */
  distinct: number;
  forks: number;
  /** The first fork found: two reads and the writes they saw in opposite orders. */
  example?: { a: LongForkRead; b: LongForkRead; sentence: string };
}

/** Incomparable pairs among read vectors: a long fork each. */
export function findForks(reads: readonly LongForkRead[]): { forks: number; distinct: number; example?: LongForkResult['example'] } {
  const uniq = new Map<string, LongForkRead>();
  for (const r of reads) {
    const k = `${r.node}:${r.seen.join(',')}`;
    if (!uniq.has(k)) uniq.set(k, r);
  }
  const all = [...uniq.values()];
  let forks = 0;
  let example: LongForkResult['example'];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      const wa = a.seen.findIndex((v, w) => v > b.seen[w]!);
      const wb = b.seen.findIndex((v, w) => v > a.seen[w]!);
      if (wa < 0 || wb < 0) continue;
      forks++;
      example ??= {
        a, b,
        sentence:
          `a ${a.node} read saw writer ${wa}'s key ${a.seen[wa]} but not writer ${wb}'s key ${b.seen[wb]}; ` +
          `a ${b.node} read saw writer ${wb}'s key ${b.seen[wb]} but not writer ${wa}'s key ${a.seen[wa]} — long fork`,
      };
    }
  }
  return { forks, distinct: all.length, ...(example ? { example } : {}) };
}

/** Run the probe on a fresh primary + one standby, torn down whatever happens. */
export async function probeLongFork(opts: LongForkOptions = {}): Promise<LongForkResult> {
  const ms = opts.ms ?? 20_000;
  const W = opts.writers ?? 4;
  const R = opts.readers ?? 2;
  const synchronousCommit = opts.synchronousCommit ?? 'on';
  const cluster = await PgCluster.start({
    standbys: 1,
    synchronousCommit,
    synchronousStandbyNames: opts.synchronousStandbyNames ?? (synchronousCommit === 'local' || synchronousCommit === 'off' ? '' : 'FIRST 1 (*)'),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const clients: Client[] = [];
  try {
    const { Client } = loadPg();
    const connect = async (n: PgNode) => {
      const c = new Client({ host: '127.0.0.1', port: n.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5000 });
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
      return c;
    };
    const primary = cluster.primary;
    const standby = cluster.node('n2');
    await cluster.sql(primary, 'SET synchronous_commit TO local; CREATE TABLE lf (w int NOT NULL, i int NOT NULL, PRIMARY KEY (w, i))');
    await cluster.waitStreaming();
    // One statement, one snapshot: the highest key of every writer.
    const readSql = `SELECT coalesce(array_agg(m ORDER BY w), '{}') AS seen FROM (SELECT w, max(i) AS m FROM lf GROUP BY w) x`;
    const until = performance.now() + ms;
    let writes = 0;
    const reads: LongForkRead[] = [];
    const writer = async (w: number) => {
      const c = await connect(primary);
      for (let i = 0; performance.now() < until; i++) {
        await c.query('INSERT INTO lf (w, i) VALUES ($1, $2)', [w, i]);
        writes++;
      }
    };
    const reader = async (node: 'primary' | 'standby') => {
      const c = await connect(node === 'primary' ? primary : standby);
      while (performance.now() < until) {
        const r = await c.query<{ seen: number[] }>(readSql);
        const got = r.rows[0]?.seen ?? [];
        // Writers that wrote nothing yet are absent from the aggregate: -1.
        const seen = Array.from({ length: W }, (_, w) => got[w] ?? -1);
        if (got.length === W) reads.push({ node, seen });
      }
    };
    await Promise.all([
      ...Array.from({ length: W }, (_, w) => writer(w)),
      ...Array.from({ length: R }, () => reader('primary')),
      ...Array.from({ length: R }, () => reader('standby')),
    ]);
    const f = findForks(reads);
    return {
      synchronousCommit, ms, writes,
      reads: { primary: reads.filter((r) => r.node === 'primary').length, standby: reads.filter((r) => r.node === 'standby').length },
      distinct: f.distinct, forks: f.forks, ...(f.example ? { example: f.example } : {}),
    };
  } finally {
    for (const c of clients) await c.end().catch(() => {});
    await cluster.teardown();
  }
}
