/**
 * sim.events_per_s: a message-heavy workload on 5 nodes with tracing on — every
 * node forwards each token it receives to a random peer over a stream, so the
 * queue always holds ~50 events and nearly every event is a delivery.
 * sim.bytes_per_event: heap growth per processed event (history included).
 */
import { hashHistory, simulate, type Model } from '../src/analysis.js';
import { median, type Figure } from './figure.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const TOKENS = 10;

const relay: Model = {
  name: 'relay',
  description: 'tokens hop between random peers until a hop budget is spent',
  knobs: [],
  bugs: [],
  configure: (raw) => raw,
  nodes: () => NODES,
  program: () => ({
    start(ctx) {
      for (let i = 0; i < TOKENS; i++) ctx.send(pick(ctx.nodes, ctx.random()), { type: 'tok', hops: 0 });
    },
    onMessage(ctx, _from, msg) {
      const m = msg as { hops: number };
      if (m.hops < 20_000) ctx.send(pick(ctx.nodes, ctx.random()), { type: 'tok', hops: m.hops + 1 });
    },
    onTimer() {},
    onRequest() {},
    view: () => ({ role: 'node', data: {} }),
  }),
  route: () => 'n1',
  claims: () => [],
};

function pick(nodes: readonly string[], u: number): string {
  return nodes[Math.floor(u * nodes.length)]!;
}

export function once(seed: number) {
  return simulate({
    model: relay,
    config: {},
    sim: {
      seed,
      nodes: NODES,
      network: { defaultLink: { latency: { kind: 'exponential', meanMs: 1, minMs: 0.1 }, lossRate: 0, dupRate: 0 } },
      faults: [],
      sessions: [],
      limits: { maxEvents: 5_000_000, maxTimeMs: 1e9, quietMaxMs: 1e9 },
    },
  });
}

export const name = 'sim';

export async function run(): Promise<Figure[]> {
  once(0); // warm-up (JIT)
  const rates: number[] = [];
  const bytes: number[] = [];
  const hashRates: number[] = [];
  for (let i = 1; i <= 7; i++) {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const r = once(i);
    const ms = performance.now() - t0;
    const heap1 = process.memoryUsage().heapUsed;
    rates.push(r.events / (ms / 1000));
    bytes.push((heap1 - heap0) / r.events);
    const h0 = performance.now();
    hashHistory(r.history);
    hashRates.push(r.history.length / ((performance.now() - h0) / 1000));
  }
  return [
    { name: 'sim.events_per_s', value: Math.round(median(rates)), unit: 'events/s', note: '5 nodes, tracing on, median of 7' },
    { name: 'sim.bytes_per_event', value: Math.round(median(bytes)), unit: 'bytes', note: 'heap growth incl. history' },
    { name: 'sim.hash_entries_per_s', value: Math.round(median(hashRates)), unit: 'entries/s', note: 'sha256 of JSONL, on demand' },
  ];
}
