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
 * printed at the left of the first row of each instant. Because equal steps
 * hide how much time passed, a step much longer than the run's usual one (see
 * isGap) is drawn as a break across the lanes with the time skipped. Rows
 * beyond `maxRows` are cut (the diagram says how many).
 *
 * Lanes are nodes only: an operation no node took (the router found none; the
 * history names its node "none") stays on the client lane, marked "(no node)".
 *
 * Labels never print over each other: each is placed at the first free spot
 * among a few candidates (registered boxes, estimated at 6.2 px per character
 * of 11 px text), in priority order — node and event labels, operations,
 * faults, then message labels, which are left out (their tooltip stays) when
 * no spot is free.
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

/** Estimated width of 11 px text (DejaVu Sans averages about 6.2 px per character). */
const CHAR_PX = 6.2;
const TEXT_H = 11;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Placed label boxes; a new label takes the first candidate spot that overlaps none. */
export class LabelSpace {
  readonly boxes: Box[] = [];

  /** Box of text whose baseline starts at (x, y). */
  static box(x: number, y: number, s: string): Box {
    return { x0: x, y0: y - TEXT_H + 2, x1: x + [...s].length * CHAR_PX, y1: y + 2 };
  }

  free(b: Box): boolean {
    return this.boxes.every((o) => b.x1 <= o.x0 || o.x1 <= b.x0 || b.y1 <= o.y0 || o.y1 <= b.y0);
  }

  /** The first free candidate (x, y baseline), registered; undefined when all are taken. */
  place(s: string, candidates: readonly [number, number][]): [number, number] | undefined {
    for (const [x, y] of candidates) {
      const b = LabelSpace.box(x, y, s);
      if (this.free(b)) {
        this.boxes.push(b);
        return [x, y];
      }
    }
    return undefined;
  }

  /** Register a label drawn wherever it must be (no alternative spot). */
  claim(x: number, y: number, s: string): void {
    this.boxes.push(LabelSpace.box(x, y, s));
  }
}

interface Geometry {
  laneX: Map<NodeId, number>;
  width: number;
  height: number;
  labels: LabelSpace;
}

/** Row positions: one per item, plus one per send instant that has no item of its own. */
interface Rows {
  /** y of each item, by index. */
  item: number[];
  /** y of the first row at or after time t. */
  at(t: number): number;
  /** Instants with the y of their first row, for the time labels. */
  labels: { t: number; y: number }[];
  /** Breaks in the time axis: y between the two rows, and the time skipped. */
  gaps: { y: number; ms: number }[];
  bottom: number;
}

export function spacetimeSvg(history: History, opts: SpacetimeSvgOptions = {}): string {
  const model = timelineItems(history, opts.events);
  const maxRows = Math.max(1, opts.maxRows ?? 150);
  const items = model.items.slice(0, maxRows);
  const laneIds = nodeLanes(history, model.lanes, model.items);
  const rows = layoutRows(items);
  const g: Geometry = {
    laneX: new Map(laneIds.map((n, i) => [n, FIRST_LANE_X + i * LANE_GAP])),
    width: FIRST_LANE_X + Math.max(1, laneIds.length) * LANE_GAP,
    height: rows.bottom + ROW_H + 16,
    labels: new LabelSpace(),
  };
  const times = rows.labels.map((l) => text(TIME_X, l.y + 4, `${l.t.toFixed(3)} ms`, 'time'));
  const drawn = items.map((i, idx) => drawItem(i, g, rows.item[idx] as number, rows));
  const parts = [
    ...faultBands(items, g, rows),
    ...times,
    ...lanes(laneIds, items, g, rows),
    ...gapMarks(rows, g),
    ...drawn.flatMap((d) => d.marks),
    ...drawn.flatMap((d) => d.labels),
    // Message labels last: they are the ones that may give way.
    ...items.flatMap((i, idx) => (i.kind === 'msg' ? msgLabel(i, g, rows.item[idx] as number, rows) : [])),
  ];
  const cut = model.items.length - items.length;
  if (cut > 0) parts.push(text(TIME_X, g.height - 8, `… ${cut} later row${cut === 1 ? '' : 's'} not drawn`, 'note'));
  return wrap(g, parts);
}

/**
 * The node lanes: the timeline's lanes without pseudo-nodes — a name that only
 * client operations carry and the run's meta entry does not list ("none" when
 * no node took the request).
 */
function nodeLanes(history: History, lanes: readonly NodeId[], items: readonly TimelineItem[]): NodeId[] {
  const meta = history.find((e) => e.type === 'meta');
  const known = new Set(meta?.type === 'meta' ? meta.nodes : []);
  const seen = new Set(items.flatMap((i) => (i.kind === 'op' ? [] : i.kind === 'msg' ? [i.from, i.to] : i.kind === 'fault' ? i.nodes : i.kind === 'quiet' ? [] : [i.node])));
  return lanes.filter((n) => known.has(n) || seen.has(n));
}

/**
 * A step between two instants is a gap worth marking when it is at least
 * GAP_FACTOR times the median step of the drawing and at least GAP_MIN_MS:
 * the ordinal axis draws both as one row, so the reader must be told.
 */
const GAP_FACTOR = 8;
const GAP_MIN_MS = 1;

export function isGap(stepMs: number, medianStepMs: number): boolean {
  return stepMs >= GAP_MIN_MS && stepMs >= GAP_FACTOR * medianStepMs;
}

function layoutRows(items: readonly TimelineItem[]): Rows {
  const itemTimes = new Set(items.map((i) => i.t));
  const sends = [...new Set(items.flatMap((i) => (i.kind === 'msg' && i.sentT !== undefined && !itemTimes.has(i.sentT) ? [i.sentT] : [])))];
  const slots = [...items.map((i, idx) => ({ t: i.t, idx })), ...sends.map((t) => ({ t, idx: -1 }))];
  // Stable: items keep history order within an instant; a bare send instant sorts by time.
  slots.sort((a, b) => a.t - b.t || (a.idx === -1 ? -1 : b.idx === -1 ? 1 : a.idx - b.idx));
  const instants = [...new Set(slots.map((s) => s.t))];
  const steps = instants.slice(1).map((t, i) => t - instants[i]!);
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)] ?? 0;
  const item: number[] = [];
  const labels: { t: number; y: number }[] = [];
  const gaps: { y: number; ms: number }[] = [];
  let y = TOP - ROW_H;
  for (const s of slots) {
    const prev = labels.at(-1);
    if (prev && prev.t !== s.t && isGap(s.t - prev.t, median)) {
      gaps.push({ y: y + ROW_H, ms: s.t - prev.t });
      y += ROW_H; // a row of its own for the break
    }
    y += ROW_H;
    if (s.idx >= 0) item[s.idx] = y;
    if (prev?.t !== s.t) labels.push({ t: s.t, y });
  }
  const bottom = Math.max(TOP, y);
  const at = (t: number): number => labels.find((l) => l.t >= t)?.y ?? bottom;
  return { item, at, labels, gaps, bottom };
}

/** A break across every lane where time was skipped, with how much. */
function gapMarks(rows: Rows, g: Geometry): string[] {
  return rows.gaps.flatMap(({ y, ms }) => {
    const label = `≈ ${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms later`;
    g.labels.claim(TIME_X, y + 4, label);
    const xs = [CLIENT_X, ...g.laneX.values()];
    const cuts = xs.map((x) => `<path class="gap-cut" d="M${x - 7},${n2(y + 1)} L${x + 7},${n2(y - 3)} M${x - 7},${n2(y + 5)} L${x + 7},${n2(y + 1)}"/>`);
    const band = `<rect class="gap" x="${CLIENT_X - 10}" y="${n2(y - 4)}" width="${n2(g.width - CLIENT_X)}" height="10"/>`;
    return [titled(band + cuts.join(''), `time axis break: ${ms} ms with nothing drawn`), text(TIME_X, y + 4, label, 'gap-text')];
  });
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
  .gap { fill: #ffffff; stroke: none; } .gap-cut { stroke: #999; stroke-width: 1.2; }
  .gap-text { fill: #777; font-style: italic; }
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
    const at = g.labels.place(o.f.text, [0, 1, 2, 3].map((k) => [x0 + 4, y0 + 11 + k * 12] as [number, number]));
    out.push(titled(rect, `${o.f.text}: ${o.f.t} → ${healT ?? '(not healed in the drawing)'} ms`));
    if (at) out.push(text(at[0], at[1], o.f.text, 'fault-text'));
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

/** What one item draws: marks (lines, dots) and the labels placed for them. */
interface Drawn {
  marks: string[];
  labels: string[];
}

function drawItem(i: TimelineItem, g: Geometry, y: number, rows: Rows): Drawn {
  switch (i.kind) {
    case 'op':
      return drawOp(i, g, y);
    case 'msg':
      return { marks: drawMsg(i, g, y, rows), labels: [] };
    case 'node':
      return drawNode(i, g, y);
    case 'event': {
      const x = g.laneX.get(i.node) ?? FIRST_LANE_X;
      return {
        marks: [titled(`<circle class="event" cx="${x}" cy="${n2(y)}" r="4"/>`, `${i.node} ${i.name} at ${i.t} ms`)],
        labels: laneLabel(g, x, y, i.text),
      };
    }
    case 'quiet': {
      g.labels.claim(CLIENT_X + 4, y - 3, 'quiet phase: faults healed');
      return {
        marks: [`<line class="quiet" x1="${CLIENT_X}" y1="${n2(y)}" x2="${g.width - 10}" y2="${n2(y)}"/>`],
        labels: [text(CLIENT_X + 4, y - 3, 'quiet phase: faults healed', 'note')],
      };
    }
    case 'fault':
      return { marks: [], labels: [] };
  }
}

/** Most characters a label beside a lane may take before it reaches the next lane. */
const LANE_LABEL_CHARS = Math.floor((LANE_GAP - 16) / CHAR_PX);

/** A label to the right of a lane mark, cut to the lane gap, moved down a little if the spot is taken. */
function laneLabel(g: Geometry, x: number, y: number, s: string, cls?: string): string[] {
  const shown = [...s].length > LANE_LABEL_CHARS ? `${[...s].slice(0, LANE_LABEL_CHARS - 1).join('')}…` : s;
  const at = g.labels.place(shown, [[x + 7, y + 4], [x + 7, y + 13], [x + 7, y - 5]]) ?? [x + 7, y + 4];
  return [text(at[0], at[1], shown, cls)];
}

function drawOp(i: Extract<TimelineItem, { kind: 'op' }>, g: Geometry, y: number): Drawn {
  const routed = g.laneX.get(i.node);
  const x = routed ?? CLIENT_X;
  const yy = n2(y);
  const label = `${i.session} #${i.op} ${i.phase === 'invoke' ? '' : `${i.phase} `}${i.text}${routed === undefined ? ' (no node)' : ''}`;
  const dot = `<circle class="${i.phase}" cx="${CLIENT_X}" cy="${yy}" r="4"/>`;
  // No node took it: a dot on the client lane, no arrow to a lane that does not exist.
  const [x1, x2] = i.phase === 'invoke' ? [CLIENT_X, x - 5] : [x, CLIENT_X + 3];
  const arrow = routed === undefined ? '' : `<line class="op" x1="${x1}" y1="${yy}" x2="${x2}" y2="${yy}"/>` + arrowHead(x1, y, x2, y, 'op-head');
  const room = Math.floor((FIRST_LANE_X - CLIENT_X - 16) / CHAR_PX);
  const shown = label.length > room ? `${label.slice(0, room - 1)}…` : label;
  g.labels.claim(CLIENT_X + 8, y - 3, shown);
  return { marks: [titled(arrow + dot, `${label} (${routed === undefined ? 'no node took it' : `node ${i.node}`}, ${i.t} ms)`)], labels: [text(CLIENT_X + 8, y - 3, shown)] };
}

function msgEnds(i: Extract<TimelineItem, { kind: 'msg' }>, g: Geometry, y: number, rows: Rows): { xa: number; ya: number; xb: number; yb: number } {
  const xa = g.laneX.get(i.from) ?? FIRST_LANE_X;
  const xb = g.laneX.get(i.to) ?? FIRST_LANE_X;
  return { xa, ya: i.sentT === undefined ? y : rows.at(i.sentT), xb, yb: y };
}

function drawMsg(i: Extract<TimelineItem, { kind: 'msg' }>, g: Geometry, y: number, rows: Rows): string[] {
  const { xa, ya, xb, yb } = msgEnds(i, g, y, rows);
  const tip = `${i.from} → ${i.to} ${i.label} #${i.msg}: sent ${i.sentT ?? '?'} ms, ${i.fate === 'recv' ? 'delivered' : `dropped (${i.why ?? 'lost'})`} ${i.t} ms`;
  if (i.fate === 'drop') {
    // Lost somewhere on the way: the ✗ sits 40% along, clear of any lane in between.
    const xm = xa + (xb - xa) * 0.4;
    const ym = ya + (yb - ya) * 0.4;
    const path = `<path class="drop" data-msg="${i.msg}" d="M${n2(xa)},${n2(ya)} L${n2(xm)},${n2(ym)}"/>`;
    return [titled(path + text(xm - 4, ym + 4, '✗', 'fail'), tip)];
  }
  const path = `<path class="msg" data-msg="${i.msg}" d="M${n2(xa)},${n2(ya)} L${n2(xb)},${n2(yb)}"/>` + arrowHead(xa, ya, xb, yb, 'msg-head');
  return [titled(path, tip)];
}

/**
 * A delivered message's label: on its arrow within the first lane gap after
 * the sender (a label at the middle of a long arrow sits on the lane it
 * crosses), at the first free spot; none when every spot is taken.
 */
function msgLabel(i: Extract<TimelineItem, { kind: 'msg' }>, g: Geometry, y: number, rows: Rows): string[] {
  if (i.fate === 'drop') return [];
  const { xa, ya, xb, yb } = msgEnds(i, g, y, rows);
  const span = Math.abs(xb - xa);
  if (span === 0) return [];
  const w = [...i.label].length * CHAR_PX;
  const spots = [0.45, 0.3, 0.6, 0.15, 0.75].map((k) => {
    const d = Math.min(span, LANE_GAP) * k;
    const f = d / span;
    const x = xa + (xb - xa) * f;
    const yl = ya + (yb - ya) * f;
    return [x - w / 2, yl - 3] as [number, number];
  });
  const at = g.labels.place(i.label, spots);
  return at ? [text(at[0], at[1], i.label)] : [];
}

function drawNode(i: Extract<TimelineItem, { kind: 'node' }>, g: Geometry, y: number): Drawn {
  const x = g.laneX.get(i.node) ?? FIRST_LANE_X;
  const mark =
    i.ev === 'crash' || i.ev === 'pause'
      ? `<path class="crash" d="M${x - 6},${n2(y - 6)} L${x + 6},${n2(y + 6)} M${x + 6},${n2(y - 6)} L${x - 6},${n2(y + 6)}"/>`
      : `<circle class="restart" cx="${x}" cy="${n2(y)}" r="5"/>`;
  return { marks: [titled(mark, `${i.node} ${i.text} at ${i.t} ms`)], labels: laneLabel(g, x + 2, y, `${i.node} ${i.text}`) };
}
