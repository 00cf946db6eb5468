/**
 * A self-contained SVG space-time diagram of a (minimal) run, for the HTML
 * report: one vertical lane per node plus a client lane on the left, time going
 * down, messages as arrows from send to delivery (dropped ones end in a red ✗),
 * fault windows shaded with their description, crashes/restarts marked on the
 * lanes (dashed while a node is down), client operations as labelled arrows
 * between the client lane and the serving node, and internal events (commit,
 * apply, promote, rewind …) as dots with labels. Hovering any mark shows its
 * details (`<title>`).
 *
 * Time is drawn on an ordinal axis: every row (and every send instant) gets its
 * own line, so bursts of simultaneous events stay readable; the true time is
 * printed at the left of the first row of each instant. Rows beyond `maxRows`
 * are cut (the diagram says how many).
 */
import type { History, NodeId } from '../src/analysis.js';
// Until src/index.ts exports the timeline, import it directly (to be switched to ../src/index.js).
import { timelineItems, type TimelineItem } from '../src/history/timeline.js';

export interface SpacetimeSvgOptions {
  /** Most rows drawn (default 150); later rows are cut and counted in a note. */
  maxRows?: number;
  /** Internal events to show (default: the timeline's set). */
  events?: readonly string[];
}

const ROW_H = 22;
const TOP = 48;
const TIME_X = 8;
const CLIENT_X = 110;
const LANE_GAP = 170;
const FIRST_LANE_X = 330;

/** XML-escape text and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

const n2 = (v: number): string => (Math.round(v * 10) / 10).toString();

interface Geometry {
  laneX: Map<NodeId, number>;
  width: number;
  height: number;
}

/** Row positions: one per item, plus one per send instant that has no item of its own. */
interface Rows {
  /** y of each item, by index. */
  item: number[];
  /** y of the first row at or after time t. */
  at(t: number): number;
  /** Instants with the y of their first row, for the time labels. */
  labels: { t: number; y: number }[];
  bottom: number;
}

export function spacetimeSvg(history: History, opts: SpacetimeSvgOptions = {}): string {
  const model = timelineItems(history, opts.events);
  const maxRows = Math.max(1, opts.maxRows ?? 150);
  const items = model.items.slice(0, maxRows);
  const rows = layoutRows(items);
  const g: Geometry = {
    laneX: new Map(model.lanes.map((n, i) => [n, FIRST_LANE_X + i * LANE_GAP])),
    width: FIRST_LANE_X + Math.max(1, model.lanes.length) * LANE_GAP,
    height: rows.bottom + ROW_H + 16,
  };
  const parts = [
    ...faultBands(items, g, rows),
    ...rows.labels.map((l) => text(TIME_X, l.y + 4, `${l.t.toFixed(3)} ms`, 'time')),
    ...lanes(model.lanes, items, g, rows),
    ...items.flatMap((i, idx) => drawItem(i, g, rows.item[idx] as number, rows)),
  ];
  const cut = model.items.length - items.length;
  if (cut > 0) parts.push(text(TIME_X, g.height - 8, `… ${cut} later row${cut === 1 ? '' : 's'} not drawn`, 'note'));
  return wrap(g, parts);
}

function layoutRows(items: readonly TimelineItem[]): Rows {
  const itemTimes = new Set(items.map((i) => i.t));
  const sends = [...new Set(items.flatMap((i) => (i.kind === 'msg' && i.sentT !== undefined && !itemTimes.has(i.sentT) ? [i.sentT] : [])))];
  const slots = [...items.map((i, idx) => ({ t: i.t, idx })), ...sends.map((t) => ({ t, idx: -1 }))];
  // Stable: items keep history order within an instant; a bare send instant sorts by time.
  slots.sort((a, b) => a.t - b.t || (a.idx === -1 ? -1 : b.idx === -1 ? 1 : a.idx - b.idx));
  const item: number[] = [];
  const labels: { t: number; y: number }[] = [];
  slots.forEach((s, row) => {
    const y = TOP + row * ROW_H;
    if (s.idx >= 0) item[s.idx] = y;
    if (labels.at(-1)?.t !== s.t) labels.push({ t: s.t, y });
  });
  const at = (t: number): number => labels.find((l) => l.t >= t)?.y ?? TOP + Math.max(0, slots.length - 1) * ROW_H;
  return { item, at, labels, bottom: TOP + Math.max(0, slots.length - 1) * ROW_H };
}

const STYLE = `
  text { font: 11px "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; fill: #222; }
  .lane-name { font-weight: bold; font-size: 13px; }
  .time { fill: #777; font-variant-numeric: tabular-nums; }
  .lane { stroke: #444; stroke-width: 1.5; }
  .lane-down { stroke: #bbb; stroke-width: 1.5; stroke-dasharray: 3 4; }
  .client { stroke: #999; stroke-width: 1; stroke-dasharray: 2 3; }
  .msg { stroke: #0072B2; stroke-width: 1.2; fill: none; }
  .drop { stroke: #D55E00; stroke-width: 1.2; stroke-dasharray: 4 2; fill: none; }
  .op { stroke: #555; stroke-width: 1; fill: none; }
  .op-head { fill: #555; } .msg-head { fill: #0072B2; }
  .ok { fill: #009E73; } .fail { fill: #D55E00; } .info { fill: #E69F00; } .invoke { fill: #555; }
  .fault { fill: #D55E00; fill-opacity: 0.10; stroke: #D55E00; stroke-opacity: 0.4; }
  .fault-text { fill: #a04000; font-style: italic; }
  .event { fill: #CC79A7; } .crash { stroke: #D55E00; stroke-width: 2.5; } .restart { fill: #009E73; }
  .quiet { stroke: #009E73; stroke-dasharray: 6 3; }
  .note { fill: #777; font-style: italic; }
`;

function wrap(g: Geometry, parts: string[]): string {
  const header = [text(CLIENT_X - 20, 24, 'clients', 'lane-name'), ...[...g.laneX].map(([n, x]) => text(x - 10, 24, n, 'lane-name'))];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}" role="img">`,
    `<defs><style>${STYLE}</style></defs>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    ...header,
    ...parts,
    '</svg>',
  ].join('\n');
}

function text(x: number, y: number, s: string, cls?: string): string {
  return `<text x="${n2(x)}" y="${n2(y)}"${cls ? ` class="${cls}"` : ''}>${escapeXml(s)}</text>`;
}

/**
 * A filled arrowhead at (x2, y2) pointing along the segment from (x1, y1).
 * Drawn as a polygon rather than an SVG marker so every renderer shows it.
 */
function arrowHead(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  const len = Math.hypot(x2 - x1, y2 - y1) || 1;
  const [ux, uy] = [(x2 - x1) / len, (y2 - y1) / len];
  const [bx, by] = [x2 - ux * 8, y2 - uy * 8];
  const pts = [[x2, y2], [bx - uy * 3.5, by + ux * 3.5], [bx + uy * 3.5, by - ux * 3.5]];
  return `<polygon class="${cls}" points="${pts.map(([x, y]) => `${n2(x as number)},${n2(y as number)}`).join(' ')}"/>`;
}

function titled(el: string, title: string): string {
  return `<g><title>${escapeXml(title)}</title>${el}</g>`;
}

/** Vertical lanes, dashed while the node is crashed or paused. */
function lanes(laneIds: readonly NodeId[], items: readonly TimelineItem[], g: Geometry, rows: Rows): string[] {
  const bottom = rows.bottom + ROW_H;
  const out = [`<line class="client" x1="${CLIENT_X}" y1="${TOP - 12}" x2="${CLIENT_X}" y2="${n2(bottom)}"/>`];
  for (const node of laneIds) {
    const x = g.laneX.get(node) as number;
    let fromY = TOP - 12;
    let down = false;
    const seg = (toY: number): void => {
      out.push(`<line class="${down ? 'lane-down' : 'lane'}" x1="${x}" y1="${n2(fromY)}" x2="${x}" y2="${n2(toY)}"/>`);
      fromY = toY;
    };
    items.forEach((i, idx) => {
      const change = i.kind === 'node' && i.node === node ? i.ev === 'crash' || i.ev === 'pause' : i.kind === 'quiet' ? false : undefined;
      if (change === undefined || change === down) return;
      seg(rows.item[idx] as number);
      down = change;
    });
    seg(bottom);
  }
  return out;
}

/** Fault windows: from injection to heal (or the end of the drawing), across the affected lanes. */
function faultBands(items: readonly TimelineItem[], g: Geometry, rows: Rows): string[] {
  const out: string[] = [];
  const open = new Map<string, { f: Extract<TimelineItem, { kind: 'fault' }>; y: number }>();
  const band = (o: { f: Extract<TimelineItem, { kind: 'fault' }>; y: number }, healY: number, healT: number | undefined): void => {
    const xs = o.f.nodes.map((n) => g.laneX.get(n)).filter((x): x is number => x !== undefined);
    const x0 = xs.length ? Math.min(...xs) - 30 : FIRST_LANE_X - 30;
    const x1 = xs.length ? Math.max(...xs) + 30 : g.width - 10;
    const y0 = o.y - ROW_H / 2;
    const h = Math.max(ROW_H, healY - o.y);
    const rect = `<rect class="fault" x="${n2(x0)}" y="${n2(y0)}" width="${n2(x1 - x0)}" height="${n2(h)}" rx="4"/>`;
    out.push(titled(rect, `${o.f.text}: ${o.f.t} → ${healT ?? '(not healed in the drawing)'} ms`), text(x0 + 4, y0 + 11, o.f.text, 'fault-text'));
  };
  items.forEach((i, idx) => {
    if (i.kind !== 'fault') return;
    const y = rows.item[idx] as number;
    if (i.phase === 'inject') open.set(i.text, { f: i, y });
    else {
      const o = open.get(i.text);
      if (o) band(o, y, i.t);
      open.delete(i.text);
    }
  });
  for (const o of open.values()) band(o, rows.bottom + ROW_H / 2, undefined);
  return out;
}

function drawItem(i: TimelineItem, g: Geometry, y: number, rows: Rows): string[] {
  switch (i.kind) {
    case 'op':
      return drawOp(i, g, y);
    case 'msg':
      return drawMsg(i, g, y, rows);
    case 'node':
      return drawNode(i, g, y);
    case 'event': {
      const x = g.laneX.get(i.node) ?? FIRST_LANE_X;
      return [titled(`<circle class="event" cx="${x}" cy="${n2(y)}" r="4"/>`, `${i.node} ${i.name} at ${i.t} ms`), text(x + 7, y + 4, i.text)];
    }
    case 'quiet':
      return [`<line class="quiet" x1="${CLIENT_X}" y1="${n2(y)}" x2="${g.width - 10}" y2="${n2(y)}"/>`, text(CLIENT_X + 4, y - 3, 'quiet phase: faults healed', 'note')];
    case 'fault':
      return [];
  }
}

function drawOp(i: Extract<TimelineItem, { kind: 'op' }>, g: Geometry, y: number): string[] {
  const x = g.laneX.get(i.node) ?? FIRST_LANE_X;
  const yy = n2(y);
  const [x1, x2] = i.phase === 'invoke' ? [CLIENT_X, x - 5] : [x, CLIENT_X + 3];
  const label = `${i.session} #${i.op} ${i.phase === 'invoke' ? '' : `${i.phase} `}${i.text}`;
  const arrow = `<line class="op" x1="${x1}" y1="${yy}" x2="${x2}" y2="${yy}"/>` + arrowHead(x1, y, x2, y, 'op-head');
  const dot = `<circle class="${i.phase}" cx="${CLIENT_X}" cy="${yy}" r="4"/>`;
  return [titled(arrow + dot, `${label} (node ${i.node}, ${i.t} ms)`), text(CLIENT_X + 8, y - 3, label.length > 34 ? `${label.slice(0, 33)}…` : label)];
}

function drawMsg(i: Extract<TimelineItem, { kind: 'msg' }>, g: Geometry, y: number, rows: Rows): string[] {
  const xa = g.laneX.get(i.from) ?? FIRST_LANE_X;
  const xb = g.laneX.get(i.to) ?? FIRST_LANE_X;
  const ya = i.sentT === undefined ? y : rows.at(i.sentT);
  const yb = y;
  const tip = `${i.from} → ${i.to} ${i.label} #${i.msg}: sent ${i.sentT ?? '?'} ms, ${i.fate === 'recv' ? 'delivered' : `dropped (${i.why ?? 'lost'})`} ${i.t} ms`;
  if (i.fate === 'drop') {
    // Lost somewhere on the way: the ✗ sits 40% along, clear of any lane in between.
    const xm = xa + (xb - xa) * 0.4;
    const ym = ya + (yb - ya) * 0.4;
    const path = `<path class="drop" data-msg="${i.msg}" d="M${n2(xa)},${n2(ya)} L${n2(xm)},${n2(ym)}"/>`;
    return [titled(path + text(xm - 4, ym + 4, '✗', 'fail'), tip)];
  }
  const path = `<path class="msg" data-msg="${i.msg}" d="M${n2(xa)},${n2(ya)} L${n2(xb)},${n2(yb)}"/>` + arrowHead(xa, ya, xb, yb, 'msg-head');
  return [titled(path, tip), text((xa + xb) / 2 - 12, (ya + yb) / 2 - 4, i.label)];
}

function drawNode(i: Extract<TimelineItem, { kind: 'node' }>, g: Geometry, y: number): string[] {
  const x = g.laneX.get(i.node) ?? FIRST_LANE_X;
  const yy = y;
  const mark =
    i.ev === 'crash' || i.ev === 'pause'
      ? `<path class="crash" d="M${x - 6},${n2(yy - 6)} L${x + 6},${n2(yy + 6)} M${x + 6},${n2(yy - 6)} L${x - 6},${n2(yy + 6)}"/>`
      : `<circle class="restart" cx="${x}" cy="${n2(yy)}" r="5"/>`;
  return [titled(mark, `${i.node} ${i.text} at ${i.t} ms`), text(x + 9, yy + 4, `${i.node} ${i.text}`)];
}
