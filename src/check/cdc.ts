/**
 * Checkers for change data capture: a source's commit log turned into events
 * that sinks apply, each sink with its own transformation. All judge the
 * history alone: the source's `txn.commit`/`recover` events (the authority,
 * role 'primary'), the connector's `cdc.slot` and `snapshot.chunk` events, the
 * broker's `cdc.publish`, each sink's `cdc.sink` (what it is) and `cdc.apply`
 * events (what it did, emitted once the batch is durable), and the `final`
 * views. Event positions are (lsn, idx): idx numbers the row changes inside one
 * source log record (see models/cdc/common.ts).
 *
 * Black-box first: what the sinks hold at the end (their final rows, read
 * back through the inverse of their transform) and what clients read from
 * them are compared with the source's committed history — acknowledged client
 * writes in the order of the commit positions their acknowledgements carry,
 * completed by the source's own log where its events account for its data
 * (preloaded rows). The broker's final view is a read of every partition
 * (as Jepsen's Kafka workload reads whole topics): a committed change no
 * partition holds reached no sink, even when later writes cover its key in
 * every sink's rows. The sinks' own `cdc.apply` labels (`effect`, `recovered`)
 * may add findings the rows cannot show; they never clear one the rows show.
 *
 * The *snapshot point* S is the earliest of the slot position (`cdc.slot`) and
 * the first chunk's low watermark: changes committed after S must each reach
 * every sink; changes before S are only owed as their latest state (through the
 * snapshot).
 */
import type { FinalEntry, History, HistoryEntry, ModelEventEntry, NodeId, Value } from '../history/types.js';
import { type Authority, type Operation, externalReads, finalWrites, findAuthority, fmtMs, fmtValue, opEntries, operations, quietEntry, replayLogs } from '../history/ops.js';
import type { CheckOptions, Violation } from './types.js';
import { eventsAccountFor, precedes } from './evidence.js';

// ───────────────────────────── transforms ─────────────────────────────

/**
 * Built-in sink transformations, as Kafka Connect single message transforms
 * and sink schemas do them. A sink's view is a flat map of *cells*:
 * - identity: `k` → v
 * - rename:   `acct:k` → v (table and key column renamed)
 * - split:    `k.num` → v for numbers, `k.str` → v for strings (one column each)
 * - derive:   `k` → v plus `k.size` → string length or absolute value
 * - filter:   `k` → v only for numeric values (text rows filtered out)
 * Lengths count UTF-16 units here and characters in SQLite: equal for ASCII.
 */
export type CdcTransform = 'identity' | 'rename' | 'split' | 'derive' | 'filter';
export const CDC_TRANSFORMS: readonly CdcTransform[] = ['identity', 'rename', 'split', 'derive', 'filter'];

export function isCdcTransform(x: unknown): x is CdcTransform {
  return typeof x === 'string' && (CDC_TRANSFORMS as readonly string[]).includes(x);
}

/** The cells one source row becomes; {} for an absent row or a filtered one. */
export function cdcTransformRow(t: CdcTransform, key: string, value: Value): Record<string, Value> {
  if (value === null) return {};
  switch (t) {
    case 'identity':
      return { [key]: value };
    case 'rename':
      return { [`acct:${key}`]: value };
    case 'split':
      return typeof value === 'number' ? { [`${key}.num`]: value } : { [`${key}.str`]: value };
    case 'derive':
      return { [key]: value, [`${key}.size`]: typeof value === 'string' ? value.length : Math.abs(value) };
    case 'filter':
      return typeof value === 'number' ? { [key]: value } : {};
  }
}

/** transform(source): the view a converged sink must show. */
export function cdcTransformState(t: CdcTransform, data: Record<string, Value>): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const k of Object.keys(data).sort()) Object.assign(out, cdcTransformRow(t, k, data[k] ?? null));
  return out;
}

// ───────────────────────────── parsing ─────────────────────────────

export interface CdcCheckOptions extends CheckOptions {
  /**
   * The view a sink must converge to, given the source's final data. Needed for
   * sinks with a user-supplied transformation; default: the built-in transform
   * the sink named in its `cdc.sink` event. Return undefined to skip a sink.
   */
  expected?: (sink: NodeId, source: Record<string, Value>) => Record<string, Value> | undefined;
  /** Judge every sink for every guarantee, ignoring the claims in `cdc.sink` events (to measure unclaimed ones). */
  judgeAll?: boolean;
}

interface SinkInfo {
  node: NodeId;
  transform?: CdcTransform;
  exactlyOnce: string;
  /** Guarantees the sink claims (its `cdc.sink` event); undefined = judge every guarantee. */
  claims?: string[];
  /** The sink's `cdc.sink` event (undefined for a sink known only by its final role). */
  event: ModelEventEntry | undefined;
}

/** Whether a sink is judged for a guarantee: every sink unless its `cdc.sink` event lists its claims. */
function judged(sink: SinkInfo | undefined, id: string, options: CdcCheckOptions): boolean {
  return options.judgeAll === true || !sink?.claims || sink.claims.includes(id);
}

interface EvPos {
  lsn: number;
  idx: number;
  key: string;
  op: string;
  value: Value;
  e: ModelEventEntry;
}

/** Everything the CDC checkers read, extracted once. */
export interface CdcRun {
  auth: Authority;
  sinks: Map<NodeId, SinkInfo>;
  finals: Map<NodeId, FinalEntry>;
  /** cdc.apply events per sink, in history order. */
  applies: Map<NodeId, EvPos[]>;
  publishes: EvPos[];
  snapshotPoint: number;
  snapshotEvent?: ModelEventEntry;
  chunks: ModelEventEntry[];
  source: SourceHistory;
  ops: Operation[];
  /** What the broker's partitions hold at the end (its final read); undefined without a live broker that shows them. */
  held?: BrokerHoldings;
}

/** One record a partition holds at the end. */
export interface HeldRecord {
  partition: string;
  offset: number;
  lsn: number;
  idx: number;
  key: string;
  op: string;
  value: Value;
}

export interface BrokerHoldings {
  final: FinalEntry;
  records: HeldRecord[];
  /** `${lsn}\u0000${key}` → the values held for that change. */
  byChange: Map<string, Value[]>;
}

/**
 * The records a broker's final view shows: `p<partition>@<offset>` → the JSON
 * array [lsn, idx, key, op, after] (models/cdc/broker.ts). Entries of another
 * shape are not records; a view with none shows no partitions.
 */
export function brokerRecords(data: Record<string, Value>): HeldRecord[] {
  const out: HeldRecord[] = [];
  for (const [cell, raw] of Object.entries(data)) {
    const m = /^(p\d+)@(\d+)$/.exec(cell);
    if (!m || typeof raw !== 'string') continue;
    let r: unknown;
    try { r = JSON.parse(raw); } catch { continue; }
    if (!Array.isArray(r) || r.length !== 5) continue;
    const [lsn, idx, key, op, value] = r as unknown[];
    if (typeof lsn !== 'number' || typeof idx !== 'number' || typeof key !== 'string' || typeof op !== 'string') continue;
    if (value !== null && typeof value !== 'number' && typeof value !== 'string') continue;
    out.push({ partition: m[1]!, offset: Number(m[2]), lsn, idx, key, op, value });
  }
  return out;
}

/**
 * With replicated brokers only the leader serves reads (positions.leader = 1):
 * the final read is the leader's, the highest leader epoch winning if a deposed
 * leader still believes it leads. A broker that says nothing of leadership is a
 * single broker.
 */
function leadsLater(e: FinalEntry, prev: FinalEntry | undefined): boolean {
  const pos = e.view.positions ?? {};
  if (pos['leader'] === 0) return false;
  return prev === undefined || (pos['leaderEpoch'] ?? 0) >= (prev.view.positions?.['leaderEpoch'] ?? 0);
}

function holdings(final: FinalEntry): BrokerHoldings | undefined {
  const records = brokerRecords(final.view.data);
  if (records.length === 0) return undefined;
  const byChange = new Map<string, Value[]>();
  for (const r of records) {
    const id = `${r.lsn}\u0000${r.key}`;
    byChange.set(id, [...(byChange.get(id) ?? []), r.value]);
  }
  return { final, records, byChange };
}

function evPos(e: ModelEventEntry): EvPos {
  const d = e.data ?? {};
  const value = d['value'];
  return {
    lsn: Number(d['lsn']),
    idx: Number(d['idx']),
    key: String(d['key']),
    op: String(d['op']),
    value: typeof value === 'string' || typeof value === 'number' ? value : null,
    e,
  };
}

/** Parses a history for the CDC checkers; undefined when it has no source authority. */
export function parseCdcRun(history: History): CdcRun | undefined {
  const logs = replayLogs(history);
  const auth = findAuthority(history, logs);
  if (!auth) return undefined;
  const ops = operations(history);
  const run: CdcRun = {
    auth, sinks: new Map(), finals: new Map(), applies: new Map(), publishes: [], snapshotPoint: Infinity, chunks: [],
    source: sourceHistory(auth, ops, eventsAccountFor(logs.get(auth.node), auth.final)), ops,
  };
  for (const e of history) {
    if (e.type === 'final') run.finals.set(e.node, e);
    if (e.type === 'final' && e.alive && e.view.role === 'broker' && leadsLater(e, run.held?.final)) run.held = holdings(e) ?? run.held;
    if (e.type === 'event') parseEvent(run, e);
  }
  if (run.snapshotPoint === Infinity) run.snapshotPoint = 0;
  // A sink that never described itself is still a sink: its final role says so.
  for (const f of run.finals.values()) {
    if (f.view.role === 'sink' && !run.sinks.has(f.node)) run.sinks.set(f.node, { node: f.node, exactlyOnce: 'unknown', event: undefined });
  }
  return run;
}

function parseEvent(run: CdcRun, e: ModelEventEntry): void {
  const d = e.data ?? {};
  switch (e.name) {
    case 'cdc.sink': {
      const t = d['transform'];
      const claims = Array.isArray(d['claims']) ? d['claims'].map(String) : undefined;
      run.sinks.set(e.node, {
        node: e.node, ...(isCdcTransform(t) ? { transform: t } : {}), ...(claims ? { claims } : {}),
        exactlyOnce: String(d['exactlyOnce'] ?? 'none'), event: e,
      });
      return;
    }
    case 'cdc.apply': {
      const list = run.applies.get(e.node) ?? [];
      list.push(evPos(e));
      run.applies.set(e.node, list);
      return;
    }
    case 'cdc.publish':
      run.publishes.push(evPos(e));
      return;
    case 'cdc.slot':
      return notePoint(run, Number(d['lsn']), e);
    case 'snapshot.chunk':
      run.chunks.push(e);
      if (run.chunks.length === 1) notePoint(run, Number(d['low']), e);
      return;
  }
}

function notePoint(run: CdcRun, lsn: number, e: ModelEventEntry): void {
  if (lsn < run.snapshotPoint) {
    run.snapshotPoint = lsn;
    run.snapshotEvent = e;
  }
}

/** The source's value of `key` as of log position `lsn` (null = absent). */
function valueAt(auth: Authority, key: string, lsn: number): { value: Value; event?: ModelEventEntry; lsn: number } {
  let out: { value: Value; event?: ModelEventEntry; lsn: number } = { value: null, lsn: 0 };
  for (const v of auth.versions.get(key) ?? []) {
    if (v.lsn > lsn) break;
    out = { value: v.value, event: v.commitEvent ?? auth.log[v.index]?.event, lsn: v.lsn };
  }
  return out;
}

function expectedView(run: CdcRun, sink: SinkInfo, opts: CdcCheckOptions): Record<string, Value> | undefined {
  const src = run.auth.final.view.data;
  if (opts.expected) return opts.expected(sink.node, src);
  return sink.transform ? cdcTransformState(sink.transform, src) : undefined;
}

/** Source key owning a sink cell, through the cells its applied values produced. */
function cellOwner(run: CdcRun, sink: SinkInfo, cell: string): string | undefined {
  if (!sink.transform) return undefined;
  for (const a of [...(run.applies.get(sink.node) ?? [])].reverse()) {
    if (cell in cdcTransformRow(sink.transform, a.key, a.value)) return a.key;
  }
  for (const [k, v] of Object.entries(run.auth.final.view.data)) if (cell in cdcTransformRow(sink.transform, k, v)) return k;
  return undefined;
}

function lastApply(run: CdcRun, sink: NodeId, key: string): EvPos | undefined {
  return [...(run.applies.get(sink) ?? [])].reverse().find((a) => a.key === key);
}

function lastVersionEvent(run: CdcRun, key: string): ModelEventEntry | undefined {
  const vs = run.auth.versions.get(key) ?? [];
  const v = vs[vs.length - 1];
  return v ? v.commitEvent ?? run.auth.log[v.index]?.event : undefined;
}

function compact(xs: (HistoryEntry | undefined)[]): HistoryEntry[] {
  return xs.filter((x): x is HistoryEntry => x !== undefined);
}

// ─────────────────────── the source's committed history ───────────────────────

/** One version of a source key: its value after a commit at `lsn`. */
interface SourceVersion {
  value: Value;
  lsn: number;
  /** The acknowledged client operation that wrote it, when a client did. */
  op?: Operation;
  event?: ModelEventEntry;
}

/** What the source committed, per key, as clients and (where they agree) its events show it. */
export interface SourceHistory {
  /** key → versions in commit order (the initial absent state is not listed). */
  versions: Map<string, SourceVersion[]>;
  /** key → values of writes of unknown outcome (`info`): they may be versions at unknown positions. */
  maybe: Map<string, Value[]>;
  /** Keys with a write whose value no one knows (an indeterminate `upd`/`now`/`rand`). */
  blurred: Set<string>;
}

/**
 * Acknowledged client writes to the authority, placed by the commit position
 * their acknowledgement carries; the source's visible log adds what no client
 * wrote (preloaded rows) when its events account for its final data.
 */
function sourceHistory(auth: Authority, ops: Operation[], logAccounts: boolean): SourceHistory {
  const versions = new Map<string, SourceVersion[]>();
  const maybe = new Map<string, Value[]>();
  const blurred = new Set<string>();
  const push = <T>(m: Map<string, T[]>, k: string, x: T): void => void m.set(k, [...(m.get(k) ?? []), x]);
  const placed = new Set<string>();
  for (const op of ops) {
    if (op.node !== auth.node || op.req.end !== 'commit' || op.status === 'fail') continue;
    const fw = finalWrites(op);
    for (const m of op.txn) if (m.f !== 'r' && !fw.has(m.k)) blurred.add(m.k);
    for (const [k, v] of fw) {
      if (op.status === 'ok' && op.commit) {
        push(versions, k, { value: v, lsn: op.commit.lsn, op });
        placed.add(`${op.commit.lsn}\u0000${k}`);
      } else push(maybe, k, v);
    }
  }
  if (logAccounts) {
    for (const [k, vs] of auth.versions) {
      for (const v of vs) {
        if (!placed.has(`${v.lsn}\u0000${k}`)) push(versions, k, { value: v.value, lsn: v.lsn, event: v.commitEvent ?? auth.log[v.index]!.event });
      }
    }
  }
  for (const vs of versions.values()) vs.sort((a, b) => a.lsn - b.lsn);
  return { versions, maybe, blurred };
}

/** Every value `key` held or may have held at the source (absent included). */
function sourceValues(run: CdcRun, key: string): Set<Value> {
  const out = new Set<Value>([null, run.auth.final.view.data[key] ?? null]);
  for (const v of run.source.versions.get(key) ?? []) out.add(v.value);
  for (const v of run.source.maybe.get(key) ?? []) out.add(v);
  return out;
}

/** Cells a key can occupy in a sink with this transform, whatever its value. */
function cellsOfKey(t: CdcTransform, key: string): string[] {
  return [...new Set([...Object.keys(cdcTransformRow(t, key, 0)), ...Object.keys(cdcTransformRow(t, key, 's'))])];
}

/** The source rows a sink's cells show (the inverse of its transform; derived cells dropped). */
export function cdcSinkRows(t: CdcTransform, cells: Record<string, Value>): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const [cell, v] of Object.entries(cells)) {
    if (t === 'rename') { if (cell.startsWith('acct:')) out.set(cell.slice(5), v); continue; }
    if (t === 'split') { const m = /^(.*)\.(num|str)$/.exec(cell); if (m) out.set(m[1]!, v); continue; }
    if (t === 'derive' && cell.endsWith('.size') && cell.slice(0, -5) in cells) continue;
    out.set(cell, v);
  }
  return out;
}

/** The sink's final view, when it is alive and its transform is known. */
function sinkFinal(run: CdcRun, sink: SinkInfo): { final: FinalEntry; rows: Map<string, Value>; transform: CdcTransform } | undefined {
  const final = run.finals.get(sink.node);
  if (!final?.alive || !sink.transform) return undefined;
  return { final, rows: cdcSinkRows(sink.transform, final.view.data), transform: sink.transform };
}

// ───────────────────────────── checkers ─────────────────────────────

/** A change event in words, for sentences: "a delete", "an insert of 5" (op codes are Debezium's). */
function appliedWhat(op: string, value: Value): string {
  if (op === 'd') return 'a delete';
  const what = ({ c: 'an insert', u: 'an update', r: 'a snapshot row', m: 'a metadata record' } as Record<string, string>)[op] ?? `'${op}'`;
  return `${what} of ${fmtValue(value)}`;
}

/**
 * 'sink-convergence': after the quiet phase each live sink's view equals
 * transform(source final data). For SQLite sinks the view is the result of the
 * sink's SQL query, so this judges the rows the database really holds.
 */
export function checkSinkConvergence(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  const quiet = quietEntry(history);
  for (const sink of run.sinks.values()) {
    const final = run.finals.get(sink.node);
    const want = expectedView(run, sink, options);
    if (!final?.alive || !want || !judged(sink, 'sink-convergence', options)) continue;
    const cells = diffCells(final.view.data, want);
    if (cells.length === 0) continue;
    const cell = cells[0]!;
    const owner = cellOwner(run, sink, cell);
    const last = owner === undefined ? undefined : lastApply(run, sink.node, owner);
    const when = quiet ? `after the quiet phase (began ${fmtMs(quiet.t)})` : `at the end (${fmtMs(final.t)})`;
    out.push({
      guarantee: 'sink-convergence',
      sentence: `sink ${sink.node}: ${when} cell ${cell} holds ${fmtValue(final.view.data[cell])} but transform(source) gives ` +
        `${fmtValue(want[cell])}` + (owner !== undefined ? ` (source key ${owner} is ${fmtValue(run.auth.final.view.data[owner])}` +
        (last ? `; the sink last applied ${appliedWhat(last.op, last.value)} from position ${last.lsn}:${last.idx} at ${fmtMs(last.e.t)})` : ')') : '') +
        (cells.length > 1 ? ` — and ${cells.length - 1} more cell(s) differ` : '') + ' — the sink did not converge',
      witness: compact([owner !== undefined ? lastVersionEvent(run, owner) : undefined, last?.e, run.auth.final, final]),
      data: { sink: sink.node, cells, key: owner },
    });
  }
  return out;
}

function diffCells(a: Record<string, Value>, b: Record<string, Value>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => (a[k] ?? null) !== (b[k] ?? null)).sort();
}

/**
 * 'per-key-order': a key's version at a sink only moves forward. From what
 * clients observed: reads served by the sink, then its final rows, each placed
 * among the key's source versions — an observation that began after another
 * ended and can only be an older version than it is a regression, whatever the
 * sink's labels say. From the sink's own account: the source positions of the
 * events it applied to one key never go backwards; re-applying the same
 * position is a duplicate (see 'exactly-once'), not a regression.
 */
export function checkPerKeyOrder(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  for (const node of new Set([...run.sinks.keys(), ...run.applies.keys()])) {
    const sink = run.sinks.get(node);
    if (!judged(sink, 'per-key-order', options)) continue;
    const observed = sink ? observedRegression(run, sink) : undefined;
    if (observed) out.push(observed);
    else out.push(...appliedRegressions(node, run.applies.get(node) ?? []));
  }
  return out;
}

/** One observation of a key at a sink: a client's read, or the final rows (after every read). */
interface Observation {
  key: string;
  value: Value;
  op?: Operation;
  final?: FinalEntry;
}

function observedRegression(run: CdcRun, sink: SinkInfo): Violation | undefined {
  const obs: Observation[] = [];
  for (const op of run.ops) {
    if (op.node !== sink.node) continue;
    for (const r of externalReads(op)) {
      const key = sink.transform ? cdcSinkRows(sink.transform, { [r.key]: r.value }).keys().next().value ?? r.key : r.key;
      obs.push({ key, value: r.value, op });
    }
  }
  if (obs.length === 0) return undefined;
  const at = sinkFinal(run, sink);
  if (at) for (const key of new Set(obs.map((o) => o.key))) obs.push({ key, value: at.rows.get(key) ?? null, final: at.final });
  for (const later of obs) {
    for (const earlier of obs) {
      if (earlier === later || earlier.key !== later.key || earlier.final || !earlier.op) continue;
      if (later.op && !precedes(earlier.op, later.op)) continue;
      const [lo, hi] = [versionIndexes(run, earlier), versionIndexes(run, later)];
      if (lo.length === 0 || hi.length === 0 || Math.max(...hi) >= Math.min(...lo)) continue;
      return regression(sink.node, earlier, later, run);
    }
  }
  return undefined;
}

/** Indexes among the key's source versions (-1 = the initial absent state) that a value may be. */
function versionIndexes(run: CdcRun, o: Observation): number[] {
  const vs = run.source.versions.get(o.key) ?? [];
  if ((run.source.maybe.get(o.key) ?? []).includes(o.value) || run.source.blurred.has(o.key)) return [];
  const out = vs.flatMap((v, i) => (v.value === o.value ? [i] : []));
  if (o.value === null) out.push(-1);
  return out;
}

function regression(sink: NodeId, earlier: Observation, later: Observation, run: CdcRun): Violation {
  const when = (o: Observation): string => (o.op ? `session ${o.op.session} read ${fmtValue(o.value)} at ${fmtMs(o.op.completeT!)}` : `the sink ends holding ${fmtValue(o.value)}`);
  return {
    guarantee: 'per-key-order',
    sentence: `sink ${sink}: key ${earlier.key} went back — ${when(earlier)}, then ${when(later)}, an older version in the source's ` +
      'commit order — events of one key reached the sink out of source order',
    witness: compact([...(earlier.op ? opEntries(earlier.op) : []), ...(later.op ? opEntries(later.op) : []), later.final, run.auth.final]),
    data: { sink, key: earlier.key, from: earlier.value, to: later.value, evidence: 'observed' },
  };
}

function appliedRegressions(sink: NodeId, applies: EvPos[]): Violation[] {
  const out: Violation[] = [];
  const last = new Map<string, EvPos>();
  for (const a of withoutRepeats(applies)) {
    if (a.e.data?.['effect'] !== 'applied') continue;
    const prev = last.get(a.key);
    last.set(a.key, a);
    if (!prev || !(a.lsn < prev.lsn || (a.lsn === prev.lsn && a.idx < prev.idx))) continue;
    out.push({
      guarantee: 'per-key-order',
      sentence: `sink ${sink}: key ${a.key} went back from version ${prev.lsn}:${prev.idx} (${fmtValue(prev.value)}, applied at ` +
        `${fmtMs(prev.e.t)}) to older version ${a.lsn}:${a.idx} (${fmtValue(a.value)}, applied at ${fmtMs(a.e.t)}) — ` +
        `events of one key reached the sink out of source order`,
      witness: [prev.e, a.e],
      data: { sink, key: a.key, from: `${prev.lsn}:${prev.idx}`, to: `${a.lsn}:${a.idx}`, evidence: 'events' },
    });
  }
  return out;
}

/**
 * A sink's applications without `recovered` re-announcements of an application
 * already announced: after a restart a sink announces batches it finds in its
 * store but cannot tell were announced before the crash (models/cdc/sink.ts).
 */
function withoutRepeats(applies: EvPos[]): EvPos[] {
  const seen = new Set<string>();
  return applies.filter((a) => {
    const id = `${a.lsn}:${a.idx}:${a.key}`;
    const repeat = seen.has(id) && a.e.data?.['recovered'] === true;
    seen.add(id);
    return !repeat;
  });
}

/**
 * 'completeness': every change the source committed after the snapshot point
 * (and that survived on the source) was applied at least once at every sink.
 * From the rows: a sink holding no row of a key although the source committed
 * a change of it after the snapshot point and never deleted the key since (and
 * every version since shows in the sink's transform) never applied any of
 * those changes; a sink that deduplicates by source position (its rows only
 * move forward) and holds an older version of a key than the last change
 * owed never applied that change. From the sink's own account: a change with
 * no `cdc.apply` at the sink (a dedup skip counts: the sink saw it), where
 * those events account for the sink's rows. One violation per sink: the first miss.
 */
export function checkCompleteness(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  for (const sink of run.sinks.values()) {
    if (!judged(sink, 'completeness', options)) continue;
    const v = missingRow(run, sink) ?? missingInBroker(run, sink) ?? missingApply(run, sink);
    if (v) out.push(v);
  }
  return out;
}

function missingRow(run: CdcRun, sink: SinkInfo): Violation | undefined {
  const at = sinkFinal(run, sink);
  if (!at) return undefined;
  const forward = sink.exactlyOnce === 'dedup' || sink.exactlyOnce === 'txn-offset';
  for (const [key, vs] of run.source.versions) {
    if (run.source.blurred.has(key) || run.source.maybe.has(key)) continue;
    const owed = vs.findIndex((v) => v.lsn > run.snapshotPoint);
    if (owed < 0) continue;
    const held = at.rows.get(key);
    const since = vs.slice(owed);
    if (held === undefined) {
      if (since.every((v) => Object.keys(cdcTransformRow(at.transform, key, v.value)).length > 0)) return lostChange(run, sink, at.final, key, vs[owed]!, undefined);
      continue;
    }
    if (!forward) continue;
    const lastIdx = vs.length - 1;
    const heldIdx = vs.map((v) => v.value).lastIndexOf(held);
    if (heldIdx >= 0 && heldIdx < lastIdx && lastIdx >= owed && vs[lastIdx]!.value !== held) {
      return lostChange(run, sink, at.final, key, vs[lastIdx]!, held);
    }
  }
  return undefined;
}

/**
 * A change a client saw committed after the snapshot point that no partition
 * of the broker holds at the end (its key and commit position, with the value
 * it wrote) never reached any sink: sinks read only from the broker. Judged
 * from the broker's final read, whatever the pipeline's events say.
 */
function missingInBroker(run: CdcRun, sink: SinkInfo): Violation | undefined {
  const held = run.held;
  if (!held) return undefined;
  // A compacted topic keeps only each key's last record (and its delete only for delete.retention.ms):
  // only a key's last written value is owed by the final read.
  const compacted = held.final.view.positions?.['compacted'] === 1;
  for (const [key, vs] of run.source.versions) {
    for (const [i, v] of vs.entries()) {
      if (v.lsn <= run.snapshotPoint || !changedRow(run, key, vs, i)) continue;
      if (compacted && (i < vs.length - 1 || v.value === null || run.source.maybe.has(key))) continue;
      const values = held.byChange.get(`${v.lsn}\u0000${key}`) ?? [];
      if (values.includes(v.value)) continue;
      const by = v.op ? `by session ${v.op.session}, acknowledged at ${fmtMs(v.op.completeT!)}` : `at ${fmtMs(v.event?.t ?? 0)}`;
      const has = values.length === 0 ? 'no record of it' : `only ${values.map(fmtValue).join(', ')} for it`;
      return {
        guarantee: 'completeness',
        sentence: `sink ${sink.node} never got the change at source lsn ${v.lsn} (key ${key} := ${fmtValue(v.value)}, committed ${by}, ` +
          `after the snapshot point lsn ${run.snapshotPoint}): at the end the broker's partitions (${held.records.length} records) hold ` +
          `${has}, and sinks read only from the broker — a committed change was lost on the way`,
        witness: compact([...(v.op ? opEntries(v.op) : [v.event]), run.snapshotEvent, held.final]),
        data: { sink: sink.node, lsn: v.lsn, key, evidence: 'final-state' },
      };
    }
  }
  return undefined;
}

/**
 * Whether the version surely changed a row (and so left a change event): a
 * delete changes nothing when the key was already absent, so a delete counts
 * only after a known present version (no write of unknown outcome between)
 * or after a write of the key earlier in its own transaction.
 */
function changedRow(run: CdcRun, key: string, vs: SourceVersion[], i: number): boolean {
  const v = vs[i]!;
  if (v.value !== null) return true;
  if (v.op?.txn.some((m) => m.k === key && m.f !== 'r' && m.f !== 'del')) return true;
  return i > 0 && vs[i - 1]!.value !== null && !run.source.maybe.has(key);
}

function lostChange(run: CdcRun, sink: SinkInfo, final: FinalEntry, key: string, v: SourceVersion, held: Value | undefined): Violation {
  const by = v.op ? `by session ${v.op.session}, acknowledged at ${fmtMs(v.op.completeT!)}` : `at ${fmtMs(v.event?.t ?? 0)}`;
  const has = held === undefined ? 'holds no row of the key' : `still holds the older ${fmtValue(held)} and deduplicates by position`;
  return {
    guarantee: 'completeness',
    sentence: `sink ${sink.node} never applied the change at source lsn ${v.lsn} (key ${key} := ${fmtValue(v.value)}, committed ${by}, ` +
      `after the snapshot point lsn ${run.snapshotPoint}): at the end it ${has} — a committed change was lost on the way`,
    witness: compact([...(v.op ? opEntries(v.op) : [v.event]), run.snapshotEvent, run.auth.final, final]),
    data: { sink: sink.node, lsn: v.lsn, key, evidence: 'final-state' },
  };
}

/**
 * Whether `events` (a sink's applications, or the broker's publications) give
 * an account to find a gap in: a silent pipeline (none at all while the sink
 * holds rows) proves nothing is missing; the rows are judged instead.
 */
function accountFor(run: CdcRun, sink: SinkInfo, events: EvPos[]): boolean {
  const at = sinkFinal(run, sink);
  return events.length > 0 || !at || at.rows.size === 0;
}

function missingApply(run: CdcRun, sink: SinkInfo): Violation | undefined {
  if (!accountFor(run, sink, run.applies.get(sink.node) ?? [])) return undefined;
  const seen = new Set((run.applies.get(sink.node) ?? []).map((a) => `${a.lsn}\u0000${a.key}`));
  const misses = missingChanges(run, (lsn, key) => seen.has(`${lsn}\u0000${key}`));
  if (misses.length === 0) return undefined;
  const m = misses[0]!;
  return {
    guarantee: 'completeness',
    sentence: `sink ${sink.node} never applied the change at source lsn ${m.lsn} (key ${m.key} := ${fmtValue(m.value)}, ` +
      `committed at ${fmtMs(m.event.t)}, after the snapshot point lsn ${run.snapshotPoint})` +
      (misses.length > 1 ? ` — nor ${misses.length - 1} other change(s)` : '') + ' — a committed change was lost on the way',
    witness: compact([run.snapshotEvent, m.event, run.finals.get(sink.node)]),
    data: { sink: sink.node, lsn: m.lsn, key: m.key, missing: misses.length, evidence: 'events' },
  };
}

interface Change {
  lsn: number;
  key: string;
  value: Value;
  event: ModelEventEntry;
}

function missingChanges(run: CdcRun, has: (lsn: number, key: string) => boolean): Change[] {
  const out: Change[] = [];
  for (const entry of run.auth.log) {
    if (entry.lsn <= run.snapshotPoint) continue;
    for (const [key, value] of Object.entries(entry.writes)) {
      if (!has(entry.lsn, key)) out.push({ lsn: entry.lsn, key, value, event: entry.event });
    }
  }
  return out;
}

/**
 * 'exactly-once': no event has its effect twice at a sink. From the rows: a
 * sink holding a value its key never had at the source, which one more
 * application of one of the key's `x = x + n` / `x = x * n` updates on top of a
 * source version explains, applied that update twice — whatever its labels
 * say. From the sink's own account, where the rows cannot show a repeat (an
 * upsert applied twice leaves the same row): at most one `cdc.apply` with
 * effect 'applied' per (sink, position, key), a `recovered` re-announcement of
 * an announced batch not counted again. One violation per sink.
 */
export function checkExactlyOnce(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  for (const node of new Set([...run.sinks.keys(), ...run.applies.keys()])) {
    const sink = run.sinks.get(node);
    if (!judged(sink, 'exactly-once', options)) continue;
    const v = (sink ? repeatedEffect(run, sink) : undefined) ?? repeatedApply(run, node);
    if (v) out.push(v);
  }
  return out;
}

function repeatedEffect(run: CdcRun, sink: SinkInfo): Violation | undefined {
  const at = sinkFinal(run, sink);
  if (!at) return undefined;
  for (const [key, x] of at.rows) {
    if (typeof x !== 'number' || run.source.blurred.has(key)) continue;
    const values = sourceValues(run, key);
    if (values.has(x)) continue;
    for (const op of run.ops) {
      const u = op.node === run.auth.node ? op.txn.find((m) => m.f === 'upd' && m.k === key) : undefined;
      if (!u || u.f !== 'upd') continue;
      const base = u.expr.op === 'add' ? x - u.expr.n : u.expr.n === 0 ? NaN : x / u.expr.n;
      if (!values.has(base)) continue;
      return {
        guarantee: 'exactly-once',
        sentence: `sink ${sink.node} ends holding ${key} = ${x}, a value the source never held; session ${op.session}'s ` +
          `${key} = ${key} ${u.expr.op === 'add' ? '+' : '*'} ${u.expr.n} applied once more to ${key} = ${base}, which the source did hold, ` +
          'gives it — an update had its effect twice',
        witness: compact([...opEntries(op), run.auth.final, at.final]),
        data: { sink: sink.node, key, value: x, base, op: op.id, evidence: 'final-state' },
      };
    }
  }
  return undefined;
}

function repeatedApply(run: CdcRun, sink: NodeId): Violation | undefined {
  const first = new Map<string, EvPos>();
  for (const a of withoutRepeats(run.applies.get(sink) ?? [])) {
    if (a.e.data?.['effect'] !== 'applied') continue;
    const id = `${a.lsn}:${a.idx}:${a.key}`;
    const prev = first.get(id);
    if (!prev) {
      first.set(id, a);
      continue;
    }
    return {
      guarantee: 'exactly-once',
      sentence: `sink ${sink} applied the event at position ${a.lsn}:${a.idx} (key ${a.key}, ${a.op} ${fmtValue(a.value)}) ` +
        `twice: at ${fmtMs(prev.e.t)} and again at ${fmtMs(a.e.t)} — a redelivered event had a second effect`,
      witness: [prev.e, a.e],
      data: { sink, key: a.key, pos: `${a.lsn}:${a.idx}`, evidence: 'events' },
    };
  }
  return undefined;
}

/**
 * 'delete-propagation': a key the source deleted and that stays deleted is
 * absent from every live sink after the quiet phase (its tombstone arrived).
 * Judged from the rows: any cell the key can occupy under the sink's built-in
 * transform, held at the end, is stale — whatever the sink announced.
 */
export function checkDeletePropagation(history: History, options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  const deleted = deletedKeys(run);
  for (const sink of run.sinks.values()) {
    const final = run.finals.get(sink.node);
    if (!final?.alive || !sink.transform || !judged(sink, 'delete-propagation', options)) continue;
    for (const [key, del] of deleted) {
      const stale = cellsOfKey(sink.transform, key).filter((c) => c in final.view.data).sort();
      if (stale.length === 0) continue;
      const last = lastApply(run, sink.node, key);
      out.push({
        guarantee: 'delete-propagation',
        sentence: `sink ${sink.node} still holds ${stale[0]} = ${fmtValue(final.view.data[stale[0]!])} after the quiet phase although ` +
          `the source deleted key ${key} at lsn ${del.lsn} (${fmtMs(del.t)}) and never re-created it — the delete (tombstone) did not propagate`,
        witness: compact([...del.witness, last?.e, final]),
        data: { sink: sink.node, key, cells: stale },
      });
      break;
    }
  }
  return out;
}

interface Deletion {
  lsn: number;
  t: number;
  witness: HistoryEntry[];
}

/** Keys the source ends without, whose last known version is a delete (a client's or its log's). */
function deletedKeys(run: CdcRun): Map<string, Deletion> {
  const out = new Map<string, Deletion>();
  const data = run.auth.final.view.data;
  for (const [key, vs] of run.source.versions) {
    const v = vs[vs.length - 1];
    if (!v || v.value !== null || key in data) continue;
    const witness = compact(v.op ? opEntries(v.op) : [v.event]);
    out.set(key, { lsn: v.lsn, t: v.op?.completeT ?? v.event?.t ?? 0, witness });
  }
  return out;
}

/**
 * 'snapshot-handover': the snapshot and the stream meet without losing or
 * resurrecting anything. (a) Every snapshot row ('r' event) published at a
 * chunk's high-watermark position carries the source's value of its key as of
 * that position — a stale row or a deleted key coming back breaks it (the
 * DBLog invariant). (b) Every change committed while the snapshot ran (from the
 * snapshot point to the last high watermark) was published: no gap between the
 * snapshot read and the stream start (deletes are judged by delete-propagation),
 * judged where the publications account for every sink's rows.
 */
export function checkSnapshotHandover(history: History, _options: CdcCheckOptions = {}): Violation[] {
  const run = parseCdcRun(history);
  if (!run) return [];
  const out: Violation[] = [];
  const stale = run.publishes.find((p) => p.op === 'r' && valueAt(run.auth, p.key, p.lsn).value !== p.value);
  // The broker's final read shows the same rows without the pipeline's word.
  const held = stale ? undefined : run.held?.records.find((r) => r.op === 'r' && valueAt(run.auth, r.key, r.lsn).value !== r.value);
  if (stale) out.push(staleRow(run, stale));
  else if (held) out.push(staleRow(run, { ...held, e: run.held!.final }));
  const gap = snapshotGap(run);
  if (gap) out.push(gap);
  return out;
}

function staleRow(run: CdcRun, p: Omit<EvPos, 'e'> & { e: HistoryEntry }): Violation {
  const at = valueAt(run.auth, p.key, p.lsn);
  const chunk = run.chunks.find((c) => Number(c.data?.['high']) === p.lsn);
  const what = at.value === null ? 'the key did not exist then (a deleted row resurrected)' : `the source held ${fmtValue(at.value)}`;
  return {
    guarantee: 'snapshot-handover',
    sentence: `snapshot row for key ${p.key} published at position ${p.lsn}:${p.idx} carries ${fmtValue(p.value)}, but as of lsn ` +
      `${p.lsn} ${what}` + (at.lsn > 0 ? ` (last changed at lsn ${at.lsn})` : '') +
      ' — a buffered snapshot row outlived a newer streamed change',
    witness: compact([at.event, chunk, p.e]),
    data: { key: p.key, pos: `${p.lsn}:${p.idx}`, published: p.value, source: at.value },
  };
}

function snapshotGap(run: CdcRun): Violation | undefined {
  if (run.chunks.length === 0) return undefined;
  if (![...run.sinks.values()].every((sink) => accountFor(run, sink, run.publishes))) return undefined;
  const end = Math.max(...run.chunks.map((c) => Number(c.data?.['high'])));
  const published = new Set(run.publishes.map((p) => `${p.lsn}\u0000${p.key}`));
  // Deletes are left to 'delete-propagation' (a dropped tombstone is not a handover gap).
  const miss = missingChanges(run, (lsn, key) => lsn > end || published.has(`${lsn}\u0000${key}`)).find((m) => m.value !== null);
  if (!miss) return undefined;
  return {
    guarantee: 'snapshot-handover',
    sentence: `the change at source lsn ${miss.lsn} (key ${miss.key} := ${fmtValue(miss.value)}, committed at ${fmtMs(miss.event.t)}) ` +
      `fell between the snapshot (from lsn ${run.snapshotPoint}) and the stream and was never published — a gap between snapshot read and stream start`,
    witness: compact([run.snapshotEvent, miss.event, run.chunks[run.chunks.length - 1]]),
    data: { lsn: miss.lsn, key: miss.key, snapshotPoint: run.snapshotPoint, snapshotEnd: end },
  };
}

/** Guarantee ids of the CDC checkers, with their checkers. */
export const CDC_CHECKERS = {
  'sink-convergence': checkSinkConvergence,
  'per-key-order': checkPerKeyOrder,
  'completeness': checkCompleteness,
  'exactly-once': checkExactlyOnce,
  'delete-propagation': checkDeletePropagation,
  'snapshot-handover': checkSnapshotHandover,
} as const satisfies Record<string, (h: History, o?: CdcCheckOptions) => Violation[]>;

export type CdcGuaranteeId = keyof typeof CDC_CHECKERS;

/** Runs the named CDC checkers (default all). */
export function checkCdc(history: History, ids: readonly CdcGuaranteeId[] = Object.keys(CDC_CHECKERS) as CdcGuaranteeId[],
  options: CdcCheckOptions = {}): Violation[] {
  return ids.flatMap((id) => CDC_CHECKERS[id](history, options));
}
