/**
 * Hand-built scenarios for the WAL model tests: a SimConfig literal builder and
 * small readers over the resulting history.
 */
import type { ClientRequest, History, HistoryEntry, MicroOp, NodeView, ReadPolicy } from '../src/history/types.js';
import type { Fault, SimConfig, TimedRequest } from '../src/sim/types.js';
import { simulate } from '../src/sim/run.js';
import { walModel } from '../models/wal/index.js';
import type { Scenario } from '../src/scenario/types.js';
import type { Verdict } from '../src/verdict/judge.js';
import { decodeToken } from '../src/scenario/compact.js';
import { judgeCleanOn } from './helpers/judge-clean.js';
import { parseScenario } from '../src/scenario/validate.js';

export const w = (k: string, v: number | string): ClientRequest => ({ txn: [{ f: 'w', k, v }], end: 'commit' });
export const r = (k: string): ClientRequest => ({ txn: [{ f: 'r', k }], end: 'commit' });
export const upd = (k: string, op: 'add' | 'mul', n: number): ClientRequest => ({ txn: [{ f: 'upd', k, expr: { op, n } }], end: 'commit' });
export const at = (atMs: number, req: ClientRequest): TimedRequest => ({ atMs, req });

export interface Sess {
  id: string;
  policy?: ReadPolicy;
  ops: TimedRequest[];
}

export function sim(nodes: string[], sessions: Sess[], faults: Fault[] = [], extra: Partial<SimConfig> = {}): SimConfig {
  return {
    seed: 1,
    nodes,
    network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
    faults,
    sessions: sessions.map((s) => ({ id: s.id, policy: s.policy ?? 'primary', ops: s.ops })),
    ...extra,
  };
}

/** Run the wal model with a raw config; returns the history. */
export function run(raw: Record<string, unknown>, mk: (nodes: string[]) => SimConfig, bug?: string): History {
  const config = walModel.configure(raw, bug);
  const nodes = walModel.nodes(config);
  return simulate({ model: walModel, config, ...(bug ? { bug } : {}), sim: mk(nodes) }).history;
}

export type Completion = Extract<HistoryEntry, { type: 'ok' | 'fail' | 'info' }>;

export function completion(h: History, op: number): Completion | undefined {
  return h.find((e): e is Completion => (e.type === 'ok' || e.type === 'fail' || e.type === 'info') && e.op === op);
}

export function okTxn(h: History, op: number): MicroOp[] {
  const e = completion(h, op);
  if (!e || e.type !== 'ok') throw new Error(`op ${op} did not complete ok: ${JSON.stringify(e)}`);
  return e.txn;
}

export function readValue(h: History, op: number): unknown {
  return (okTxn(h, op)[0] as { v?: unknown }).v;
}

export function finals(h: History): Record<string, NodeView> {
  const out: Record<string, NodeView> = {};
  for (const e of h) if (e.type === 'final') out[e.node] = e.view;
  return out;
}

export function events(h: History, name: string, node?: string): Extract<HistoryEntry, { type: 'event' }>[] {
  return h.filter((e): e is Extract<HistoryEntry, { type: 'event' }> => e.type === 'event' && e.name === name && (node === undefined || e.node === node));
}

/** Time of the ok completion of op. */
export function doneAt(h: History, op: number): number {
  const e = completion(h, op);
  if (!e) throw new Error(`op ${op} never completed`);
  return e.t;
}

/**
 * Rebuild each node's visible data from the event vocabulary alone (txn.commit,
 * apply, rewind, recover), the way the checkers will.
 */
export function foldVisible(h: History): Record<string, Record<string, unknown>> {
  const logs: Record<string, { lsn: number; writes: Record<string, unknown> }[]> = {};
  for (const e of h) {
    if (e.type !== 'event') continue;
    const d = (e.data ?? {}) as Record<string, unknown>;
    const log = (logs[e.node] ??= []);
    if (e.name === 'txn.commit' || e.name === 'apply') log.push({ lsn: d.lsn as number, writes: d.writes as Record<string, unknown> });
    if (e.name === 'rewind') logs[e.node] = log.filter((x) => x.lsn <= (d.toLsn as number));
    if (e.name === 'recover') logs[e.node] = log.filter((x) => x.lsn <= (d.lsn as number));
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [n, log] of Object.entries(logs)) {
    const data: Record<string, unknown> = {};
    for (const x of log) for (const [k, v] of Object.entries(x.writes)) data[k] = v;
    for (const k of Object.keys(data)) if (data[k] === null) delete data[k];
    out[n] = data;
  }
  return out;
}

/** Small seeded PRNG for hand-rolled random scenarios (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random scenario: `ops` operations over 3 sessions (one per read policy mix),
 * unique written values, updates, NOW()/RAND(), ~10% rollbacks, and 0–3 random
 * faults (crash, partition, pause, clog) within the first 200 ms.
 */
export function randomScenario(seed: number, nodes: string[], ops = 100): SimConfig {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keys = ['a', 'b', 'c', 'd'];
  const db = nodes.filter((n) => n !== 'm');
  const policies: ReadPolicy[] = ['primary', 'any-standby', 'sticky-standby', 'read-your-writes'];
  let value = 0;
  const micro = (): MicroOp => {
    const k = pick(keys);
    const x = rnd();
    if (x < 0.35) return { f: 'r', k };
    if (x < 0.7) return { f: 'w', k, v: ++value };
    if (x < 0.8) return { f: 'upd', k, expr: { op: rnd() < 0.5 ? 'add' : 'mul', n: rnd() < 0.5 ? 10 : 2 } };
    if (x < 0.9) return { f: 'now', k };
    return { f: 'rand', k };
  };
  const sessions: Sess[] = [0, 1, 2].map((i) => ({ id: `s${i}`, policy: pick(policies), ops: [] }));
  for (let i = 0; i < ops; i++) {
    const s = sessions[i % sessions.length]!;
    const len = rnd() < 0.2 ? 2 + Math.floor(rnd() * 2) : 1;
    const txn = Array.from({ length: len }, micro);
    s.ops.push({ atMs: Math.round(rnd() * 200 * 10) / 10, req: { txn, end: rnd() < 0.1 ? 'rollback' : 'commit' } });
  }
  for (const s of sessions) s.ops.sort((a, b) => a.atMs - b.atMs);
  const faults: Fault[] = [];
  const nf = Math.floor(rnd() * 4);
  for (let i = 0; i < nf; i++) {
    const atMs = Math.round(rnd() * 200);
    const node = pick(db);
    const kind = pick(['crash', 'partition', 'pause', 'clog'] as const);
    if (kind === 'crash') faults.push({ kind, atMs, node, mode: rnd() < 0.5 ? 'process' : 'machine', ...(rnd() < 0.6 ? { restartAfterMs: 5 + Math.round(rnd() * 100) } : {}) });
    else if (kind === 'partition') faults.push({ kind, atMs, from: [node], to: nodes.filter((n) => n !== node), durationMs: 10 + Math.round(rnd() * 150) });
    else if (kind === 'pause') faults.push({ kind, atMs, node, durationMs: 5 + Math.round(rnd() * 100) });
    else faults.push({ kind, atMs, from: node, to: pick(nodes.filter((n) => n !== node)), extraMs: 5 + Math.round(rnd() * 30), durationMs: 20 + Math.round(rnd() * 100) });
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return {
    seed,
    nodes,
    network: { defaultLink: { latency: { kind: 'uniform', minMs: 0.5, maxMs: 2 }, lossRate: 0.01, dupRate: 0.01 } },
    faults,
    sessions: sessions.map((s) => ({ id: s.id, policy: s.policy ?? 'primary', ops: s.ops })),
  };
}

/** A saved token's scenario with the visibility knobs pinned as they were when it was found. */
export function pinned(token: string): Scenario {
  const s = parseScenario(decodeToken(token));
  return { ...s, config: { ...s.config, procArrayDelayMs: 0, inDoubtCommits: 'hidden' } };
}

/** Judge a wal scenario that must hold every claim (a regression replay): no failure, no violation. */
export function judgeClean(s: Scenario, label = ''): Verdict {
  return judgeCleanOn(walModel, s, label);
}
