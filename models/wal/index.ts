/**
 * The WAL replication model family (PostgreSQL- and MySQL-shaped): one primary,
 * standbys fed over one FIFO stream each, synchronous_commit levels and
 * FIRST/ANY quorums, MySQL semi-sync, row or statement shipping, and automatic
 * failover with fencing and pg_rewind. See config.ts for knobs, variants,
 * planted bugs and claims.
 */
import type { ClientRequest, ClusterView, Model, NodeId, SessionInfo } from '../../src/index.js';
import { fnv1a } from '../../src/index.js';
import { BUG_NAMES, MONITOR, bugs, claims, configure, dbNodes, knobs, marks, walTriggers, walVariants, type WalBug, type WalBugTrigger, type WalConfig } from './config.js';
import { createMonitorProgram } from './failover.js';
import { createDbProgram } from './node.js';
import { WAL_BEHAVIOURS } from './behaviours.js';

export { walVariants, walTriggers, BUG_NAMES, type WalConfig, type WalBug, type WalBugTrigger };

export const walModel: Model<WalConfig> = {
  name: 'wal',
  description:
    'PostgreSQL/MySQL-shaped WAL replication: synchronous_commit levels, FIRST/ANY quorums, semi-sync, row or statement shipping, monitor-driven failover with fencing and pg_rewind',
  knobs,
  bugs,
  configure,
  nodes: (c) => (c.failover === 'auto' ? [...dbNodes(c), MONITOR] : dbNodes(c)),
  program: (node, c, bug) => (node === MONITOR ? createMonitorProgram(c, bug as WalBug) : createDbProgram(node, c, bug as WalBug)),
  route,
  claims,
  quiescent,
  marks,
  behaviours: WAL_BEHAVIOURS,
};

/**
 * Client routing. Writes (and reads of 'primary' sessions) go to a live node
 * that accepts writes — what libpq's target_session_attrs=read-write does with
 * a host list. Each session tries the hosts in its own order (as app servers
 * with differently ordered lists, or libpq's load_balance_hosts=random, do), so
 * with two primaries sessions split between them, as in a real split brain.
 * Reads follow the session policy; with no live standby they fall back to the primary.
 */
function route(req: ClientRequest, s: SessionInfo, cluster: ClusterView): NodeId | undefined {
  const live = cluster.nodes.filter((n) => n.alive && n.id !== MONITOR);
  const primaries = live.filter((n) => n.view.role === 'primary').map((n) => n.id);
  const primary = primaries.length > 1 ? primaries[fnv1a(`primary:${s.id}`) % primaries.length] : primaries[0];
  if (req.txn.some((op) => op.f !== 'r') || s.policy === 'primary') return primary;
  const standbys = live.filter((n) => n.view.role === 'standby').map((n) => n.id);
  if (!standbys.length) return primary;
  if (s.policy === 'sticky-standby' && s.sticky && standbys.includes(s.sticky)) return s.sticky;
  if (s.policy === 'any-standby') {
    // Load balancing without state: varies with the cluster's progress, deterministic per run.
    const progress = cluster.nodes.reduce((a, n) => a + (n.view.positions?.replay ?? 0), 0);
    return standbys[fnv1a(`${s.id}:${s.lastCommit?.lsn ?? 0}:${progress}`) % standbys.length];
  }
  return standbys[fnv1a(s.id) % standbys.length];
}


/**
 * Quiet when exactly one primary serves, its WAL is flushed, the monitor agrees
 * on the timeline, and every other node streams from it and has replayed all of it.
 */
function quiescent(cluster: ClusterView, c: WalConfig): boolean {
  const db = cluster.nodes.filter((n) => n.id !== MONITOR);
  if (db.some((n) => !n.alive)) return false;
  const prim = db.filter((n) => n.view.role === 'primary');
  if (prim.length !== 1) return false;
  const p = prim[0]!.view.positions ?? {};
  if ((p.flush ?? 0) < (p.end ?? 0)) return false;
  if (c.failover === 'auto') {
    const m = cluster.nodes.find((n) => n.id === MONITOR);
    if (!m?.alive || m.view.positions?.timeline !== p.timeline || m.view.positions?.electing) return false;
  }
  return db.every((n) => {
    if (n === prim[0]) return true;
    const q = n.view.positions ?? {};
    return (
      n.view.role === 'standby' &&
      q.streaming === 1 &&
      q.timeline === p.timeline &&
      (q.write ?? 0) >= (p.end ?? 0) &&
      (q.replay ?? 0) >= (p.end ?? 0)
    );
  });
}
