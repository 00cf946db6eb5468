/**
 * 'sink-transaction-atomicity': no read served by a sink shows a proper,
 * non-empty part of a source transaction — one key at the transaction's own
 * write while another key it wrote is still older than the transaction. Within
 * one read, or across two reads of one sink in real-time order with no crash
 * of the sink between (what the first showed the sink still held at the
 * second, unless it went back, which a whole-transaction sink does not).
 *
 * Judged from what the sink served, never from its own account: a client's
 * read-only transaction at a sink (the simulator checks every value it returns
 * against the sink's visible cells while the request was there), each value
 * placed among its key's source versions, against the source transactions
 * clients had acknowledged with a commit position. A live sink's rows after
 * the quiet phase count as one more read of every key: what any reader would
 * be served from then on. Searched workloads read sparsely (a read-only
 * transaction of two keys is rare, and a half transaction a sink keeps for
 * good may never meet a read of both keys in order), so without it such a sink
 * was judged on nothing. A sink's `cdc.apply` events (what it says it applied
 * together) play no part. Reads are judged at sinks whose cells are their keys
 * (identity or derive transform); a value two versions share, or an
 * indeterminate write's, places nothing.
 */
import { externalReads, finalWrites, fmtMs, fmtValue, opEntries, type Operation } from '../history/ops.js';
import type { FinalEntry, History, NodeId, Value } from '../history/types.js';
import { type CdcCheckOptions, type CdcRun, cdcSinkRows, parseCdcRun } from './cdc.js';
import type { Violation } from './types.js';

export const SINK_TXN_ATOMICITY = 'sink-transaction-atomicity';

/** A source transaction that wrote two or more keys, acknowledged with its commit position. */
interface SourceTxn {
  op: Operation;
  lsn: number;
  writes: Map<string, Value>;
}

function sourceTxns(run: CdcRun): SourceTxn[] {
  const out: SourceTxn[] = [];
  for (const op of run.ops) {
    if (op.node !== run.auth.node || op.status !== 'ok' || !op.commit || op.req.end !== 'commit') continue;
    // Committed by the snapshot point, it reaches the sinks as snapshot rows, which carry no transaction block (Debezium).
    if (op.commit.lsn <= run.snapshotPoint) continue;
    const writes = finalWrites(op);
    if (writes.size >= 2) out.push({ op, lsn: op.commit.lsn, writes });
  }
  return out;
}

/** Sinks whose read keys are their rows' keys, and which are judged for the guarantee. */
function readableSinks(run: CdcRun, options: CdcCheckOptions): Set<NodeId> {
  const out = new Set<NodeId>();
  for (const s of run.sinks.values()) {
    if (s.transform !== 'identity' && s.transform !== 'derive') continue;
    if (options.judgeAll !== true && s.claims && !s.claims.includes(SINK_TXN_ATOMICITY)) continue;
    out.add(s.node);
  }
  return out;
}

/** One read served by a sink: key → value read; a client's operation, or the sink's rows after the quiet phase. */
interface SinkRead {
  node: NodeId;
  invokeT: number;
  completeT: number | undefined;
  values: Map<string, Value>;
  op?: Operation;
  final?: FinalEntry;
}

/** Reads served by those sinks, per sink, in invocation order; the final rows of a live sink last. */
function sinkReads(run: CdcRun, sinks: Set<NodeId>): Map<NodeId, SinkRead[]> {
  const out = new Map<NodeId, SinkRead[]>();
  const add = (r: SinkRead) => {
    const list = out.get(r.node);
    if (list) list.push(r);
    else out.set(r.node, [r]);
  };
  for (const op of run.ops) {
    if (!sinks.has(op.node)) continue;
    const values = new Map<string, Value>();
    for (const r of externalReads(op)) if (!values.has(r.key)) values.set(r.key, r.value);
    if (values.size > 0) add({ node: op.node, invokeT: op.invokeT, completeT: op.completeT, values, op });
  }
  for (const node of sinks) {
    const final = run.finals.get(node);
    const transform = run.sinks.get(node)?.transform;
    if (!final?.alive || !transform) continue;
    const rows = cdcSinkRows(transform, final.view.data);
    // A key the sink holds no row for reads as absent (deleted, or never applied).
    const values = new Map<string, Value>([...run.source.versions.keys()].map((k) => [k, rows.get(k) ?? null]));
    for (const [k, v] of rows) values.set(k, v);
    add({ node, invokeT: final.t, completeT: final.t, values, final });
  }
  return out;
}

/** Times the node crashed (a machine crash can take back what it showed but had not made durable). */
function crashTimes(history: History, node: NodeId): number[] {
  return history.filter((e) => e.type === 'node' && e.node === node && e.ev === 'crash').map((e) => e.t);
}

/**
 * Pairs of reads at one sink where the second began after the first completed
 * with no crash of the sink in between (a read with two keys pairs with itself):
 * what the first showed the sink still held when the second read, unless the sink went back.
 */
function ordered(history: History, reads: SinkRead[]): [SinkRead, SinkRead][] {
  if (reads.length === 0) return [];
  const crashes = crashTimes(history, reads[0]!.node);
  const out: [SinkRead, SinkRead][] = [];
  for (const a of reads) {
    if (a.values.size >= 2) out.push([a, a]);
    const done = a.completeT;
    if (done === undefined) continue;
    for (const b of reads) {
      if (b === a || b.invokeT <= done || crashes.some((t) => t >= a.invokeT && t <= (b.completeT ?? Infinity))) continue;
      out.push([a, b]);
    }
  }
  return out;
}

/** The commit positions a value read of `key` may be (0: the key's initial absence); undefined when it places nothing. */
function positionsOf(run: CdcRun, key: string, value: Value): number[] | undefined {
  if (run.source.blurred.has(key) || (run.source.maybe.get(key) ?? []).includes(value)) return undefined;
  const lsns = (run.source.versions.get(key) ?? []).filter((v) => v.value === value).map((v) => v.lsn);
  if (value === null) lsns.push(0);
  return lsns.length > 0 ? lsns : undefined;
}

export function checkSinkTransactionAtomicity(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const txns = sourceTxns(run);
  const out: Violation[] = [];
  for (const reads of sinkReads(run, readableSinks(run, options)).values()) {
    const hit = firstFracture(run, txns, ordered(history, reads));
    if (hit) out.push(hit);
  }
  return out;
}

function firstFracture(run: CdcRun, txns: SourceTxn[], pairs: [SinkRead, SinkRead][]): Violation | undefined {
  for (const [first, then] of pairs) {
    for (const t of txns) {
      const shown = [...t.writes].find(([k, v]) => first.values.get(k) === v && positionsOf(run, k, v)?.every((l) => l === t.lsn));
      if (!shown) continue;
      const missing = [...t.writes.keys()].find((k) => k !== shown[0] && then.values.has(k) &&
        positionsOf(run, k, then.values.get(k)!)?.every((l) => l < t.lsn) === true);
      if (missing !== undefined) return violation(t, first, shown[0], then, missing);
    }
  }
  return undefined;
}

/** How a sentence names a read. */
function readName(r: SinkRead): string {
  return r.op ? `session ${r.op.session}'s read at ${fmtMs(r.invokeT)}` : `its rows after the quiet phase (${fmtMs(r.invokeT)})`;
}

function violation(t: SourceTxn, first: SinkRead, shown: string, then: SinkRead, missing: string): Violation {
  const wrote = [...t.writes].map(([k, v]) => `${k} := ${fmtValue(v)}`).join(', ');
  const sink = first.node;
  const saw = `${shown} = ${fmtValue(first.values.get(shown)!)}`;
  const older = `${missing} = ${fmtValue(then.values.get(missing)!)}`;
  const how = first === then
    ? first.op ? `one read (session ${first.op.session}, ${fmtMs(first.invokeT)}) showed ${saw} and ${older}` : `${readName(first)} showed ${saw} and ${older}`
    : `${readName(first)} showed ${saw}, and ${readName(then)}, begun at ` +
      `${fmtMs(then.invokeT)} after it completed with no crash of the sink between, showed ${older}`;
  const entries = (r: SinkRead) => (r.op ? opEntries(r.op) : r.final ? [r.final] : []);
  const id = (r: SinkRead): number | 'final' => r.op?.id ?? 'final';
  return {
    guarantee: SINK_TXN_ATOMICITY,
    sentence: `sink ${sink}: ${how} — ${shown} at the write of the source transaction at lsn ${t.lsn} (op ${t.op.id}: ${wrote}), ` +
      `${missing} older than it: half a source transaction visible at the sink`,
    witness: [...opEntries(t.op), ...entries(first), ...(then === first ? [] : entries(then))],
    data: { sink, lsn: t.lsn, shown, missing, reads: first === then ? [id(first)] : [id(first), id(then)], evidence: first.final || then.final ? 'final' : 'reads' },
  };
}

/** Why a run cannot judge the guarantee: no multi-key source transaction, or no sink read (final rows included) two of its keys. */
export function sinkTxnJudgeable(history: History): string | undefined {
  const run = parseCdcRun(history);
  if (!run) return undefined;
  const txns = sourceTxns(run);
  if (txns.length === 0) return 'no source transaction acknowledged after the snapshot point wrote two or more keys';
  for (const reads of sinkReads(run, readableSinks(run, { judgeAll: true })).values()) {
    for (const [a, b] of ordered(history, reads)) {
      if (txns.some((t) => [...t.writes.keys()].some((k) => a.values.has(k) && [...t.writes.keys()].some((j) => j !== k && b.values.has(j))))) return undefined;
    }
  }
  return 'no sink served reads (one read, or two in real-time order) of two keys one acknowledged source transaction wrote';
}
