/**
 * Small models for simulator tests. They exercise the context (send, timers,
 * disk, random) without any replication logic worth checking.
 */
import type { Model, NodeContext, NodeProgram, NodeView } from '../../src/analysis.js';

/** A broadcast KV store: the first node takes writes and pushes them to the others. */
export function broadcastModel(opts: { channel?: 'stream' | 'datagram'; gossipMs?: number } = {}): Model {
  const channel = opts.channel ?? 'stream';
  return {
    name: 'broadcast',
    description: 'first node applies writes and broadcasts them',
    knobs: [],
    bugs: [],
    configure: (raw) => raw,
    nodes: () => ['n1', 'n2', 'n3'],
    program: () => {
      const data: Record<string, string | number | null> = {};
      let seq = 0;
      const program: NodeProgram = {
        start(ctx) {
          if (opts.gossipMs) ctx.setTimer(opts.gossipMs, 'gossip', undefined, { background: true });
        },
        onMessage(ctx, _from, msg) {
          const m = msg as { type: string; k: string; v: string; seq: number };
          data[m.k] = m.v;
          ctx.emit('broadcast.apply', { seq: m.seq, k: m.k });
        },
        onTimer(ctx, tag) {
          if (tag === 'gossip') {
            ctx.setTimer(opts.gossipMs!, 'gossip', undefined, { background: true });
            for (const peer of ctx.nodes) if (peer !== ctx.id) ctx.send(peer, { type: 'ping' }, { channel: 'datagram' });
          }
        },
        onRequest(ctx, { id, req }) {
          const txn = req.txn.map((m) => {
            if (m.f === 'w') {
              data[m.k] = m.v;
              seq++;
              for (const peer of ctx.nodes) {
                if (peer !== ctx.id) ctx.send(peer, { type: 'put', k: m.k, v: m.v, seq }, { channel });
              }
              return m;
            }
            return { ...m, v: data[m.k] ?? null };
          });
          ctx.reply(id, { type: 'ok', txn });
        },
        view: (): NodeView => ({ role: 'node', data: { ...data } }),
      };
      return program;
    },
    route: (_req, _s, cluster) => cluster.nodes[0]!.id,
    claims: () => [],
  };
}

/** A model whose nodes chatter forever with foreground timers: never quiesces. */
export const chattyModel: Model = {
  name: 'chatty',
  description: 'never quiet',
  knobs: [],
  bugs: [],
  configure: (raw) => raw,
  nodes: () => ['a', 'b'],
  program: () => ({
    start: (ctx) => void ctx.setTimer(1, 'tick'),
    onMessage: () => {},
    onTimer: (ctx) => {
      ctx.setTimer(1, 'tick');
      ctx.send(ctx.id === 'a' ? 'b' : 'a', { type: 'hi' });
    },
    onRequest: (ctx, r) => ctx.reply(r.id, { type: 'ok', txn: r.req.txn }),
    view: () => ({ role: 'node', data: {} }),
  }),
  route: () => 'a',
  claims: () => [],
};

/** A model whose start hook runs `body` (to trip the determinism guard, throw, …). */
export function hookModel(body: (ctx: NodeContext) => void): Model {
  return {
    name: 'hook',
    description: 'runs a body at start',
    knobs: [],
    bugs: [],
    configure: (raw) => raw,
    nodes: () => ['a'],
    program: () => ({
      start: body,
      onMessage: () => {},
      onTimer: () => {},
      onRequest: () => {},
      view: () => ({ role: 'node', data: {} }),
    }),
    route: () => 'a',
    claims: () => [],
  };
}
