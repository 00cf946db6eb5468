/**
 * The model's word, checked in every run (DESIGN.md, "Evidence"). A model's
 * events explain and measure; they may not stand for what its nodes show. Two
 * checks tie them to what the node itself exposes, for every model, whatever it
 * claims:
 *
 * 1. At the end, each live node's visible state folded from its own events
 *    equals `view().data` in its `final` entry (the contract in
 *    src/history/types.ts, EVENT_NAMES).
 * 2. Every read a node served equals a value its `view().data` showed while
 *    the request was at the node (the simulator records the ones that do not:
 *    `ReadMismatch`, src/sim/run.ts).
 * 3. A read that names the write of its value (`w`) on a node whose events
 *    name operations: one of the node's `txn.commit`/`apply` events before the
 *    reply names that operation and wrote that value to the key. A name is
 *    the model's word too: checkers place a read by it.
 *
 * Which nodes the fold covers. A node's visible state is folded from:
 * - `txn.commit` / `apply` {lsn, writes}: appended to its visible log;
 * - `rewind` {toLsn} / `recover` {lsn}: the visible log is cut to entries with
 *   lsn ≤ that position;
 * - `migration.apply` {writes}: a migration target took copied or streamed rows
 *   (ordered by arrival, not by a log position, so no cut removes them);
 * - `migration.recover` {writes}: after a restart the target's whole state is
 *   exactly these rows.
 * A node that emits none of these (CDC brokers, connectors, a user's model that
 * emits nothing) is exempt from the fold and judged by its reads and final data
 * alone. CDC sinks are exempt too: a sink's rows are what its consumer function
 * (user code: upsert, counters, SQL transformations) made of the `cdc.apply`
 * events it names, which the harness cannot replay; the CDC checkers judge
 * those rows against the source's committed history. Sinks serve no reads.
 */
import { HistoryError, diffStates, fmtMs, fmtValue, numberField, writesField } from '../history/ops.js';
import type { FinalEntry, History, ModelEventEntry, NodeId, Value } from '../history/types.js';
import type { ReadMismatch } from '../sim/run.js';
import { coreOf, finalsOf, shared } from './views.js';

/** One thing a node made visible, in the order it did. */
interface Item {
  /** Log position; undefined for migration rows, which no rewind or recover cuts. */
  lsn: number | undefined;
  writes: Record<string, Value>;
  event: ModelEventEntry;
}

/** A node's visible state as its events tell it. */
export interface VisibleFold {
  node: NodeId;
  state: Record<string, Value>;
  /** The event that last set each key in the fold (a delete included). */
  setBy: Map<string, ModelEventEntry>;
}

const FOLD_EVENTS = new Set(['txn.commit', 'apply', 'rewind', 'recover', 'migration.apply', 'migration.recover']);

/** Each node's visible state folded from its events among the first `upTo` entries; nodes without such events are absent. */
export function foldVisible(history: History, upTo = history.length): Map<NodeId, VisibleFold> {
  const items = new Map<NodeId, Item[]>();
  for (let i = 0; i < upTo; i++) {
    const e = history[i]!;
    if (e.type !== 'event' || !FOLD_EVENTS.has(e.name)) continue;
    const list = items.get(e.node) ?? [];
    items.set(e.node, step(list, e));
  }
  return new Map([...items].map(([node, list]) => [node, fold(node, list)]));
}

/** foldVisible over the whole history, derived once and shared with the checkers (./views.ts). */
export function foldsOf(history: History): Map<NodeId, VisibleFold> {
  return shared(history, 'folds', () => foldVisible(coreOf(history)));
}

function step(list: Item[], e: ModelEventEntry): Item[] {
  switch (e.name) {
    case 'txn.commit':
    case 'apply':
      list.push({ lsn: numberField(e, 'lsn'), writes: writesField(e), event: e });
      return list;
    case 'rewind':
    case 'recover': {
      const to = numberField(e, e.name === 'rewind' ? 'toLsn' : 'lsn');
      return list.filter((x) => x.lsn === undefined || x.lsn <= to);
    }
    case 'migration.apply':
      list.push({ lsn: undefined, writes: writesField(e), event: e });
      return list;
    default: // migration.recover: the whole state
      return [{ lsn: undefined, writes: writesField(e), event: e }];
  }
}

function fold(node: NodeId, list: readonly Item[]): VisibleFold {
  const state: Record<string, Value> = {};
  const setBy = new Map<string, ModelEventEntry>();
  for (const item of list) {
    for (const [k, v] of Object.entries(item.writes)) {
      if (v === null) delete state[k];
      else state[k] = v;
      setBy.set(k, item.event);
    }
  }
  return { node, state, setBy };
}


/** The first key (sorted) where a fold and a node's data differ (absent = null). */
export interface FoldMismatch {
  node: NodeId;
  key: string;
  /** What the events fold to. */
  folded: Value;
  /** What the node holds. */
  held: Value;
  /** The event that last set the key in the fold; undefined: no event wrote it. */
  setBy: ModelEventEntry | undefined;
}

export function foldMismatch(f: VisibleFold, data: Record<string, Value>): FoldMismatch | undefined {
  const key = diffStates(f.state, data)[0];
  if (key === undefined) return undefined;
  return { node: f.node, key, folded: f.state[key] ?? null, held: data[key] ?? null, setBy: f.setBy.get(key) };
}

/** "apply xid x4 (lsn 4) at 41.0 ms", or "no event on n2 wrote k3". */
export function describeSetter(m: { node: NodeId; key: string; setBy: ModelEventEntry | undefined }): string {
  const e = m.setBy;
  if (!e) return `no event on ${m.node} wrote ${m.key}`;
  const xid = e.data?.['xid'];
  const lsn = e.data?.['lsn'];
  const id = [xid !== undefined ? `xid ${String(xid)}` : '', typeof lsn === 'number' ? `lsn ${lsn}` : ''].filter(Boolean).join(', ');
  return `last set by ${e.name}${id ? ` (${id})` : ''} at ${fmtMs(e.t)}`;
}

/** One place where a model's word and what its node showed disagree. */
export interface ContractBreach {
  kind: 'fold' | 'read' | 'name';
  node: NodeId;
  key: string;
  /** What the node's visible state should hold: its events' fold (fold), its view (read). */
  expected: Value;
  /** What it showed: its final view (fold), the value it served (read). */
  found: Value;
  /** The first diverging event: the one that last set the key in the fold, when any did. */
  event: ModelEventEntry | undefined;
  sentence: string;
}

/**
 * Both checks over one run: fold-vs-final-view for every live node with
 * visible-log events, then every recorded read mismatch. Fold breaches come
 * first, one per node (its first key).
 */
export function checkModelContract(history: History, reads: readonly ReadMismatch[] = []): ContractBreach[] {
  const folds = foldsOf(history);
  const out: ContractBreach[] = [];
  for (const e of finalsOf(history)) {
    if (!e.alive) continue;
    const f = folds.get(e.node);
    const m = f && foldMismatch(f, e.view.data);
    if (m) out.push(foldBreach(m, e));
  }
  for (const r of reads) out.push(readBreach(history, r));
  out.push(...nameBreaches(history));
  return out;
}

/**
 * Reads whose name (`w`) no event of the serving node backs: among the
 * node's visible-log events before the completion, those that wrote the key
 * with the value read all name another operation (none of them names none).
 * A node whose events never wrote that key/value is left to check 2.
 */
function nameBreaches(history: History): ContractBreach[] {
  const out: ContractBreach[] = [];
  const writers = new Map<string, (number | undefined)[]>(); // node + key/value → ops its events named
  const id = (node: NodeId, k: string, v: Value) => JSON.stringify([node, k, v]);
  for (const e of history) {
    if (e.type === 'event' && (e.name === 'txn.commit' || e.name === 'apply')) {
      const op = e.data?.['op'];
      for (const [k, v] of Object.entries(writesField(e))) {
        const list = writers.get(id(e.node, k, v)) ?? [];
        list.push(typeof op === 'number' ? op : undefined);
        writers.set(id(e.node, k, v), list);
      }
    } else if (e.type === 'ok') {
      for (const m of e.txn) {
        if (m.f !== 'r' || m.w === undefined || m.v === undefined) continue;
        const named = writers.get(id(e.node, m.k, m.v));
        if (!named || named.includes(m.w) || named.includes(undefined)) continue;
        out.push({
          kind: 'name', node: e.node, key: m.k, expected: m.v, found: m.v, event: undefined,
          sentence: `node ${e.node}, key ${m.k}: op ${e.op} (session ${e.session}) read ${fmtValue(m.v)} named as written by ` +
            `op ${m.w} at ${fmtMs(e.t)}, but its events show ${fmtValue(m.v)} written only by op${named.length > 1 ? 's' : ''} ` +
            `${[...new Set(named)].join(', ')}`,
        });
      }
    }
  }
  return out;
}

function foldBreach(m: FoldMismatch, fin: FinalEntry): ContractBreach {
  return {
    kind: 'fold', node: m.node, key: m.key, expected: m.folded, found: m.held, event: m.setBy,
    sentence: `node ${m.node}, key ${m.key}: its events fold to ${fmtValue(m.folded)} (${describeSetter(m)}), ` +
      `but its view().data at the end (${fmtMs(fin.t)}) holds ${fmtValue(m.held)}`,
  };
}

function readBreach(history: History, r: ReadMismatch): ContractBreach {
  const setBy = foldVisible(history, r.at).get(r.node)?.setBy.get(r.key);
  const shown = r.seen.length > 0 && (r.seen.length > 1 || r.seen[0] !== r.visible)
    ? ` (values it showed since the request arrived at ${fmtMs(r.arrivedT)}: ${r.seen.map(fmtValue).join(', ')})`
    : '';
  return {
    kind: 'read', node: r.node, key: r.key, expected: r.visible, found: r.value, event: setBy,
    sentence: `node ${r.node}, key ${r.key}: op ${r.op} (session ${r.session}) read ${fmtValue(r.value)} at ${fmtMs(r.t)}, ` +
      `but its view().data held ${fmtValue(r.visible)}${shown}; ${describeSetter({ node: r.node, key: r.key, setBy })}`,
  };
}

/** The harness failure message for a run whose model broke its contract. */
export function contractMessage(breaches: readonly ContractBreach[]): string {
  const more = breaches.length > 1 ? ` (+${breaches.length - 1} more)` : '';
  return `model contract broken — ${breaches[0]!.sentence}${more}. A node's events must fold to its view().data and ` +
    `its reads must come from its visible state (see EVENT_NAMES in src/history/types.ts)`;
}
