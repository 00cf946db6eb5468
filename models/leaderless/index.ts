/**
 * The leaderless last-write-wins model family (Cassandra/Dynamo-shaped): N nodes
 * on a token ring, RF replicas per key, any replica coordinates, per-request
 * consistency levels, LWW by the coordinator's clock, blocking read repair,
 * hinted handoff, tombstones with gc_grace, anti-entropy repair when idle, and
 * strict or sloppy quorums. See config.ts for knobs, variants, bugs and claims.
 */
import type { ClientRequest, ClusterView, Model, NodeId, SessionInfo } from '../../src/index.js';
import { fnv1a } from '../../src/index.js';
import {
  BUG_NAMES, bugs, claims, configure, knobs, leaderlessVariants, marks, workload,
  type LeaderlessBug, type LeaderlessConfig,
} from './config.js';
import { createNode, nodeIds, replicasOf } from './node.js';
import { LEADERLESS_BEHAVIOURS } from './behaviours.js';

export { BUG_NAMES, leaderlessVariants, workload as leaderlessWorkload, type LeaderlessBug, type LeaderlessConfig };
export { compareCells, EPOCH_MS, replicasOf, preferenceList } from './node.js';

export const leaderlessModel: Model<LeaderlessConfig> = {
  name: 'leaderless',
  description:
    'Cassandra/Dynamo-shaped leaderless replication: token ring with RF replicas, ONE/QUORUM/ALL per request, last-write-wins by the coordinator clock, blocking read repair, hinted handoff, tombstones with gc_grace, anti-entropy repair, strict or sloppy quorums',
  knobs,
  bugs,
  configure: (raw) => configure(raw),
  nodes: (c) => nodeIds(c),
  program: (node, c, bug) => createNode(node, c, bug as LeaderlessBug | undefined),
  route,
  claims: (c) => claims(c),
  quiescent,
  marks,
  behaviours: LEADERLESS_BEHAVIOURS,
};

/**
 * A token-aware driver: each request goes to a live replica of its key (the
 * driver's TokenAwarePolicy), which coordinates it. Sessions spread over the
 * replicas by a hash of the session and key.
 */
function route(req: ClientRequest, s: SessionInfo, cluster: ClusterView, c: LeaderlessConfig): NodeId | undefined {
  const k = req.txn[0]?.k;
  if (k === undefined) return undefined;
  const alive = new Set(cluster.nodes.filter((n) => n.alive).map((n) => n.id));
  const live = replicasOf(k, c).filter((n) => alive.has(n));
  return live.length ? live[fnv1a(`${s.id}/${k}`) % live.length] : undefined;
}

/** Quiet once every node is up, has no hint left to deliver and its last anti-entropy round found nothing to exchange. */
function quiescent(cluster: ClusterView): boolean {
  return cluster.nodes.every((n) => n.alive && n.view.positions?.['synced'] === 1 && n.view.positions?.['hints'] === 0);
}

export default leaderlessModel;
