/**
 * A space-time view of a (minimal) run: one lane per node plus a client
 * column, time going down. `timelineItems` turns a history into plain rows
 * (shared by the text diagram here and the SVG diagram in reports/);
 * `textTimeline` draws them for a terminal.
 *
 * Rows: client operations (invoke and ok/fail/info, with values), messages at
 * their delivery (an arrow from sender to receiver, labelled with the message
 * type) or their drop (an arrow ending in ✗), faults injected and healed, node
 * crashes/restarts/pauses, the quiet phase, and the internal events that
 * explain consistency outcomes (commit, apply, promote, demote, rewind,
 * recover, abort, CDC apply). A lane is drawn dotted while its node is down.
 */
import type { History, HistoryEntry, MicroOp, NetEntry, NodeId, Value } from './types.js';

export type TimelineItem =
  | { kind: 'op'; t: number; session: string; op: number; node: NodeId; phase: 'invoke' | 'ok' | 'fail' | 'info'; text: string }
  | { kind: 'msg'; t: number; sentT: number | undefined; from: NodeId; to: NodeId; label: string; msg: number; fate: 'recv' | 'drop'; why?: string }
  | { kind: 'fault'; t: number; phase: 'inject' | 'heal'; nodes: NodeId[]; text: string }
  | { kind: 'node'; t: number; node: NodeId; ev: 'start' | 'crash' | 'restart' | 'pause' | 'resume'; text: string }
  | { kind: 'event'; t: number; node: NodeId; name: string; text: string }
  | { kind: 'quiet'; t: number };

export interface TimelineModel {
  /** Node lanes, left to right: the run's nodes (meta entry) then any others seen. */
  lanes: NodeId[];
  items: TimelineItem[];
}

/** Internal events shown by default. */
export const TIMELINE_EVENTS: readonly string[] = ['txn.commit', 'txn.abort', 'apply', 'promote', 'demote', 'rewind', 'recover', 'cdc.apply'];

/**
 * Background messages (polls, heartbeats: NetEntry.bg) are left out unless
 * `background` is true — they repeat forever and drown what matters.
 */
export function timelineItems(
  history: History,
  events: readonly string[] = TIMELINE_EVENTS,
  background = false,
): TimelineModel {
  const lanes: NodeId[] = [];
  const lane = (n: NodeId): void => {
    if (!lanes.includes(n)) lanes.push(n);
  };
  const meta = history.find((e) => e.type === 'meta');
  if (meta?.type === 'meta') meta.nodes.forEach(lane);
  const sentAt = new Map<number, number>();
  const shown = new Set(events);
  const lifecycle = new Set(history.flatMap((e) => (e.type === 'node' ? [`${e.t}\u0000${e.node}`] : [])));
  const items: TimelineItem[] = [];
  for (const e of history) {
    // A crash or pause fault is also recorded as node lifecycle entries; draw it once.
    if (e.type === 'fault' && /^(crash|pause)\b/.test(e.fault.kind) && e.fault.nodes.every((n) => lifecycle.has(`${e.t}\u0000${n}`))) continue;
    if (e.type === 'net' && e.bg && !background) continue;
    const item = toItem(e, sentAt, shown);
    if (!item) continue;
    for (const n of itemNodes(item)) lane(n);
    items.push(item);
  }
  return { lanes, items };
}

function itemNodes(i: TimelineItem): NodeId[] {
  if (i.kind === 'msg') return [i.from, i.to];
  if (i.kind === 'fault') return i.nodes;
  if (i.kind === 'quiet') return [];
  return [i.node];
}

function toItem(e: HistoryEntry, sentAt: Map<number, number>, shown: Set<string>): TimelineItem | undefined {
  switch (e.type) {
    case 'invoke':
      return { kind: 'op', t: e.t, session: e.session, op: e.op, node: e.node, phase: 'invoke', text: formatTxn(e.req.txn, e.req.end) };
    case 'ok':
      return { kind: 'op', t: e.t, session: e.session, op: e.op, node: e.node, phase: 'ok', text: formatTxn(e.txn, 'commit', true) + commitSuffix(e.commit) };
    case 'fail':
      return { kind: 'op', t: e.t, session: e.session, op: e.op, node: e.node, phase: 'fail', text: e.error };
    case 'info':
      return { kind: 'op', t: e.t, session: e.session, op: e.op, node: e.node, phase: 'info', text: e.reason };
    case 'net':
      return netItem(e, sentAt);
    case 'fault':
      return { kind: 'fault', t: e.t, phase: e.phase, nodes: e.fault.nodes, text: e.fault.text };
    case 'node':
      return e.ev === 'start' ? undefined : { kind: 'node', t: e.t, node: e.node, ev: e.ev, text: e.mode ? `${e.ev} (${e.mode})` : e.ev };
    case 'quiet':
      return { kind: 'quiet', t: e.t };
    case 'event':
      return shown.has(e.name) ? { kind: 'event', t: e.t, node: e.node, name: e.name, text: eventText(e.name, e.data ?? {}) } : undefined;
    default:
      return undefined;
  }
}

function netItem(e: NetEntry, sentAt: Map<number, number>): TimelineItem | undefined {
  if (e.ev === 'send') {
    if (!sentAt.has(e.msg)) sentAt.set(e.msg, e.t);
    return undefined;
  }
  if (e.ev === 'break') return { kind: 'event', t: e.t, node: e.from, name: 'break', text: `stream→${e.to} broke` };
  const base = { kind: 'msg' as const, t: e.t, sentT: sentAt.get(e.msg), from: e.from, to: e.to, label: e.label, msg: e.msg };
  return e.ev === 'recv' ? { ...base, fate: 'recv' } : { ...base, fate: 'drop', ...(e.why ? { why: e.why } : {}) };
}

function commitSuffix(c: { lsn: number; timeline?: number } | undefined): string {
  if (!c) return '';
  return c.timeline === undefined ? ` @${c.lsn}` : ` @${c.timeline}/${c.lsn}`;
}

function fmtVal(v: Value | undefined): string {
  return v === undefined ? '?' : JSON.stringify(v);
}

/** `w(x,7)`, `r(x)=7` (with results), `BEGIN … ROLLBACK` for multi-op or rolled-back transactions. */
export function formatTxn(txn: readonly MicroOp[], end: 'commit' | 'rollback', withResults = false): string {
  const body = txn.map((m) => formatMicro(m, withResults)).join(' ');
  return txn.length === 1 && end === 'commit' ? body : `BEGIN ${body} ${end.toUpperCase()}`;
}

function formatMicro(m: MicroOp, withResults: boolean): string {
  const res = (v: Value | undefined): string => (withResults && v !== undefined ? `=${fmtVal(v)}` : '');
  switch (m.f) {
    case 'r':
      return `r(${m.k})${res(m.v)}`;
    case 'w':
      return `w(${m.k},${fmtVal(m.v)})`;
    case 'upd':
      return `upd(${m.k},${m.expr.op === 'add' ? '+' : '*'}${m.expr.n})${res(m.v)}`;
    case 'now':
    case 'rand':
      return `${m.f}(${m.k})${res(m.v)}`;
    case 'del':
      return `del(${m.k})`;
  }
}

function eventText(name: string, d: Record<string, unknown>): string {
  const at = d['lsn'] !== undefined ? `@${String(d['lsn'])}` : '';
  switch (name) {
    case 'txn.commit':
      return `commit${at}`;
    case 'apply':
      return `apply${at}`;
    case 'txn.abort':
      return 'abort';
    case 'promote':
      return `PROMOTE tl${String(d['timeline'] ?? '?')}`;
    case 'demote':
      return 'demote';
    case 'rewind':
      return `rewind→${String(d['toLsn'] ?? '?')}`;
    case 'recover':
      return `recover${at}`;
    case 'cdc.apply':
      return `sink ${String(d['key'] ?? '?')}=${JSON.stringify(d['value'] ?? null)}`;
    default:
      return name;
  }
}

// ───────────────────────────── text rendering ─────────────────────────────

export interface TextTimelineOptions {
  /** Total width in characters. Default 100; lanes never get narrower than 8. */
  width?: number;
  /** Most diagram rows printed; lower-priority rows (messages, then events) are elided first. Default 60. */
  maxRows?: number;
  /** Internal event names to show. Default TIMELINE_EVENTS. */
  events?: readonly string[];
}

const TIME_W = 10;
const LANE_MIN = 8;

interface Layout {
  width: number;
  clientW: number;
  centers: Map<NodeId, number>;
  laneEnd: Map<NodeId, number>;
}

/**
 * Draw the run as text. Example (3 nodes, width 80):
 * ```
 *     t ms  client              n1          n2          n3
 *    0.000  s1 #0 w(x,1) ──────▶○           │           │
 *    0.400                      ●commit@1   │           │
 *    0.900                      │──append──▶│           │
 * ```
 */
export function textTimeline(history: History, opts: TextTimelineOptions = {}): string {
  const model = timelineItems(history, opts.events);
  const layout = makeLayout(model.lanes, opts.width ?? 100);
  const down = new Set<NodeId>();
  const rendered = model.items.map((item) => {
    const line = renderItem(item, layout, down);
    updateDown(item, down);
    return line;
  });
  const keep = selectRows(model.items, opts.maxRows ?? 60);
  return [header(layout), ...withGaps(rendered, keep, layout), footer(model.items, keep)].filter((l) => l !== '').join('\n');
}

function makeLayout(lanes: NodeId[], widthRaw: number): Layout {
  const n = Math.max(1, lanes.length);
  const clientW = Math.max(16, Math.min(30, Math.floor(widthRaw * 0.3)));
  const laneW = Math.max(LANE_MIN, Math.floor((widthRaw - TIME_W - clientW) / n));
  const centers = new Map<NodeId, number>();
  const laneEnd = new Map<NodeId, number>();
  lanes.forEach((l, i) => {
    centers.set(l, TIME_W + clientW + i * laneW + 1);
    laneEnd.set(l, TIME_W + clientW + (i + 1) * laneW);
  });
  return { width: TIME_W + clientW + n * laneW, clientW, centers, laneEnd };
}

function updateDown(item: TimelineItem, down: Set<NodeId>): void {
  if (item.kind === 'node') {
    if (item.ev === 'crash' || item.ev === 'pause') down.add(item.node);
    else down.delete(item.node);
  } else if (item.kind === 'quiet') down.clear();
}

function blankRow(layout: Layout, down: Set<NodeId>, t: number | undefined): string[] {
  const row = Array.from({ length: layout.width }, () => ' ');
  if (t !== undefined) put(row, 0, t.toFixed(3).padStart(TIME_W - 2), TIME_W - 2);
  for (const [node, c] of layout.centers) row[c] = down.has(node) ? '┆' : '│';
  return row;
}

/** Write `s` into `row` at `at`, at most `max` characters (… when cut). */
function put(row: string[], at: number, s: string, max: number): void {
  const chars = [...s];
  const text = chars.length > max ? [...chars.slice(0, Math.max(0, max - 1)), '…'] : chars;
  text.forEach((ch, i) => {
    if (at + i < row.length) row[at + i] = ch;
  });
}

function renderItem(item: TimelineItem, layout: Layout, down: Set<NodeId>): string {
  const row = blankRow(layout, down, item.t);
  switch (item.kind) {
    case 'op':
      renderOp(row, item, layout);
      break;
    case 'msg':
      renderMsg(row, item, layout);
      break;
    case 'fault':
      put(row, TIME_W, `${item.phase === 'inject' ? 'FAULT' : 'HEAL'} ${item.text}`, layout.clientW - 1);
      for (const n of item.nodes) mark(row, layout, n, item.phase === 'inject' ? '╳' : '◇');
      break;
    case 'node':
      put(row, TIME_W, `${item.node} ${item.text}`, layout.clientW - 1);
      mark(row, layout, item.node, NODE_MARK[item.ev]);
      break;
    case 'event':
      mark(row, layout, item.node, '●');
      put(row, (layout.centers.get(item.node) ?? 0) + 1, item.text, (layout.laneEnd.get(item.node) ?? layout.width) - (layout.centers.get(item.node) ?? 0) - 1);
      break;
    case 'quiet':
      put(row, TIME_W, '── quiet: faults healed ──', layout.clientW - 1);
      break;
  }
  return row.join('').trimEnd();
}

const NODE_MARK: Record<'start' | 'crash' | 'restart' | 'pause' | 'resume', string> = {
  start: '↑',
  crash: 'X',
  restart: '↺',
  pause: '‖',
  resume: '▷',
};

function mark(row: string[], layout: Layout, node: NodeId, ch: string): void {
  const c = layout.centers.get(node);
  if (c !== undefined) row[c] = ch;
}

const OP_MARK = { invoke: '○', ok: '✓', fail: '✗', info: '?' } as const;

function renderOp(row: string[], item: Extract<TimelineItem, { kind: 'op' }>, layout: Layout): void {
  const c = layout.centers.get(item.node) ?? TIME_W + layout.clientW;
  const verb = item.phase === 'invoke' ? '' : `${item.phase} `;
  const text = `${item.session} #${item.op} ${verb}${item.text}`;
  const textLen = Math.min([...text].length, layout.clientW - 2);
  put(row, TIME_W, text, layout.clientW - 2);
  const from = TIME_W + textLen + 1;
  for (let i = from; i < c; i++) if (row[i] === ' ') row[i] = '─';
  if (item.phase === 'invoke') row[c - 1] = '▶';
  else row[from] = '◀';
  row[c] = OP_MARK[item.phase];
}

function renderMsg(row: string[], item: Extract<TimelineItem, { kind: 'msg' }>, layout: Layout): void {
  const a = layout.centers.get(item.from);
  const b = layout.centers.get(item.to);
  if (a === undefined || b === undefined || a === b) return;
  const lo = Math.min(a, b) + 1;
  const hi = Math.max(a, b) - 1;
  const end = item.fate === 'drop' ? Math.floor((lo + hi) / 2) : hi;
  const [s, e] = a < b ? [lo, end] : [item.fate === 'drop' ? Math.ceil((lo + hi) / 2) : lo, hi];
  for (let i = s; i <= e; i++) row[i] = '─';
  if (item.fate === 'drop') row[a < b ? e : s] = '✗';
  else row[a < b ? e : s] = a < b ? '▶' : '◀';
  const span = e - s - 1;
  const label = [...item.label];
  if (span >= 3) {
    const shownLabel = label.length > span - 2 ? [...label.slice(0, Math.max(1, span - 3)), '…'] : label;
    const start = s + 1 + Math.floor((span - shownLabel.length) / 2);
    shownLabel.forEach((ch, i) => (row[start + i] = ch));
  }
}

function header(layout: Layout): string {
  const row = Array.from({ length: layout.width }, () => ' ');
  put(row, 0, 't ms'.padStart(TIME_W - 2), TIME_W);
  put(row, TIME_W, 'client', layout.clientW);
  for (const [node, c] of layout.centers) put(row, c, node, (layout.laneEnd.get(node) ?? layout.width) - c);
  return row.join('').trimEnd();
}

/** Row priority when eliding: client ops, faults, crashes first; then internal events; messages last. */
function priority(item: TimelineItem): number {
  return item.kind === 'msg' ? 2 : item.kind === 'event' ? 1 : 0;
}

/** Indices of rows to print: highest priority first, earliest first, with gap lines counted against the cap. */
export function selectRows(items: readonly TimelineItem[], maxRows: number): Set<number> {
  const cap = Math.max(1, Math.floor(maxRows));
  if (items.length <= cap) return new Set(items.keys());
  const order = [...items.keys()].sort((x, y) => priority(items[x] as TimelineItem) - priority(items[y] as TimelineItem) || x - y);
  for (let k = cap; k > 0; k--) {
    const keep = new Set(order.slice(0, k));
    if (k + countGaps(keep, items.length) <= cap) return keep;
  }
  return new Set();
}

function countGaps(keep: Set<number>, n: number): number {
  let gaps = 0;
  for (let i = 0; i < n; i++) if (!keep.has(i) && (i === 0 || keep.has(i - 1))) gaps++;
  return gaps;
}

function withGaps(rendered: string[], keep: Set<number>, layout: Layout): string[] {
  const out: string[] = [];
  let skipped = 0;
  const flush = (): void => {
    if (skipped === 0) return;
    const row = Array.from({ length: TIME_W + layout.clientW }, () => ' ');
    put(row, TIME_W - 4, `⋮   ${skipped} row${skipped === 1 ? '' : 's'} elided`, layout.clientW + 4);
    out.push(row.join('').trimEnd());
    skipped = 0;
  };
  rendered.forEach((line, i) => {
    if (keep.has(i)) {
      flush();
      out.push(line);
    } else skipped++;
  });
  flush();
  return out;
}

function footer(items: readonly TimelineItem[], keep: Set<number>): string {
  const elided = items.filter((_, i) => !keep.has(i));
  if (elided.length === 0) return '';
  const msgs = elided.filter((i) => i.kind === 'msg').length;
  const evs = elided.filter((i) => i.kind === 'event').length;
  const other = elided.length - msgs - evs;
  const parts = [`${msgs} messages`, `${evs} events`, ...(other > 0 ? [`${other} other`] : [])];
  return `(${elided.length} of ${items.length} rows elided: ${parts.join(', ')})`;
}
