/**
 * Report charts: Chart.js 4 drawn server-side on @napi-rs/canvas (prebuilt Skia,
 * no system headers needed — see DESIGN.md) and returned as PNG buffers. Every
 * function takes plain data and is deterministic for the same input and font.
 *
 * Text needs a font. @napi-rs/canvas loads the system fonts; we pick a sans
 * family from them (DejaVu Sans on Debian), try the usual font directories if
 * none was loaded, and otherwise still draw every chart — bars, lines and
 * shading — without text. `chartFont()` says which case applies so a report can
 * warn that its labels are missing.
 */
import type { ChartConfiguration, Plugin } from 'chart.js';
import { requireOptional } from '../src/optional.js';

type CanvasLib = typeof import('@napi-rs/canvas');
type ChartLib = typeof import('chart.js');

// Loaded on the first chart, so importing the report code costs nothing and a
// user without the optional packages is told which one to install.
let libs: { canvas: CanvasLib; chart: ChartLib } | undefined;
function chartLibs(): { canvas: CanvasLib; chart: ChartLib } {
  if (!libs) {
    const canvas = requireOptional<CanvasLib>('@napi-rs/canvas', 'Drawing report charts');
    const chart = requireOptional<ChartLib>('chart.js', 'Drawing report charts');
    chart.Chart.register(...chart.registerables);
    libs = { canvas, chart };
  }
  return libs;
}

const PREFERRED_FONTS = ['DejaVu Sans', 'Liberation Sans', 'Noto Sans', 'Arial', 'Helvetica', 'FreeSans'];
const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/System/Library/Fonts', 'C:\\Windows\\Fonts'];

let fontFamily: string | null | undefined;

/** The font family charts use, or null when the machine has no font (charts then carry no text). */
export function chartFont(): string | null {
  if (fontFamily !== undefined) return fontFamily;
  const pick = (): string | null => {
    const families = chartLibs().canvas.GlobalFonts.families.map((f) => f.family);
    return PREFERRED_FONTS.find((f) => families.includes(f)) ?? families.find((f) => /sans/i.test(f)) ?? families[0] ?? null;
  };
  let found = pick();
  if (found === null) {
    for (const dir of FONT_DIRS) chartLibs().canvas.GlobalFonts.loadFontsFromDir(dir);
    found = pick();
  }
  fontFamily = found;
  if (found) chartLibs().chart.Chart.defaults.font.family = found;
  return found;
}

export interface ChartSize {
  widthPx?: number;
  heightPx?: number;
}

/** Fills the canvas white before drawing: PNGs are transparent otherwise and unreadable on dark viewers. */
const whiteBackground: Plugin = {
  id: 'replicheckWhiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** A fixed, colour-blind-friendly palette (Okabe–Ito), so the same series keeps its colour across charts. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];
const color = (i: number): string => PALETTE[i % PALETTE.length] as string;

/** Dash patterns tried in turn once the palette is used up: colour × dash × point shape names one series. */
const DASHES: readonly number[][] = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const POINT_STYLES = ['circle', 'triangle', 'rect', 'rectRot'] as const;

export interface SeriesStyle {
  color: string;
  dash: number[];
  pointStyle: (typeof POINT_STYLES)[number];
}

/**
 * A distinct look for series i: the first 8 differ by colour; the next 8 reuse
 * the colours with a dashed line and another point shape, and so on, so up to
 * 32 series on one chart stay tellable apart (in print and for colour-blind readers too).
 */
export function seriesStyle(i: number): SeriesStyle {
  const round = Math.floor(i / PALETTE.length);
  return { color: color(i), dash: DASHES[round % DASHES.length] as number[], pointStyle: POINT_STYLES[round % POINT_STYLES.length]! };
}

export function render(config: ChartConfiguration, size: ChartSize = {}): Buffer {
  chartFont();
  const width = size.widthPx ?? 900;
  const height = size.heightPx ?? 450;
  const { canvas: { createCanvas }, chart: { Chart } } = chartLibs();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const options = { ...config.options, animation: false as const, responsive: false, devicePixelRatio: 1 };
  const chart = new Chart(ctx as unknown as CanvasRenderingContext2D, {
    ...config,
    options,
    plugins: [whiteBackground, ...(config.plugins ?? [])],
  } as ChartConfiguration);
  try {
    return canvas.toBuffer('image/png');
  } finally {
    chart.destroy();
  }
}

const title = (text: string | undefined) => ({ display: text !== undefined, text: text ?? '' });

// ───────────────────────────── lag percentiles ─────────────────────────────

export interface LagPercentilesRow {
  /** e.g. "wal/async n2 replay". */
  label: string;
  /** null: no measurement (caught-up idle standby, or nothing replicated). */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** Grouped bars: one group per row, one bar per percentile; a logarithmic axis when values span > 2 decades. */
export function lagPercentilesChart(rows: readonly LagPercentilesRow[], opts: ChartSize & { title?: string; unit?: string } = {}): Buffer {
  const keys = ['p50', 'p90', 'p99', 'p999', 'max'] as const;
  const names = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9', max: 'max' };
  const values = rows.flatMap((r) => keys.map((k) => r[k])).filter((v): v is number => v !== null && v > 0);
  const log = values.length > 0 && Math.max(...values) / Math.min(...values) > 100;
  return render(
    {
      type: 'bar',
      data: {
        labels: rows.map((r) => (r.max === null ? `${r.label} (no lag)` : r.label)),
        datasets: keys.map((k, i) => ({ label: names[k], data: rows.map((r) => r[k]), backgroundColor: color(i) })),
      },
      options: {
        plugins: { title: title(opts.title ?? 'Replication lag percentiles') },
        scales: { y: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: opts.unit ?? 'ms' } } },
      },
    },
    opts,
  );
}

// ───────────────────────────── lag over time ─────────────────────────────

export interface TimeSeries {
  label: string;
  /** null values leave a gap (e.g. pg_stat_replication NULL). */
  points: readonly { t: number; v: number | null }[];
}

export interface FaultWindow {
  startMs: number;
  endMs: number;
  label?: string;
}

/** Rows of fault labels drawn at most; a label that fits in none is left out (its window stays shaded). */
const LABEL_ROWS = 4;

export interface PlacedLabel {
  text: string;
  x: number;
  row: number;
}

/**
 * Place labels left to right, each in the first row where it does not overlap
 * the previous label of that row (2 px apart), so two faults at nearly the same
 * time do not print over each other ("clog" twice read as "dbg"). Labels equal
 * to one already placed that would overlap it are merged into it as "×n".
 * Pure: x and widths in pixels, input in any order.
 */
export function placeLabels(labels: readonly { text: string; x: number }[], widthOf: (text: string) => number, rows = LABEL_ROWS): PlacedLabel[] {
  const ends: number[] = [];
  const out: (PlacedLabel & { n: number; end: number })[] = [];
  for (const l of [...labels].sort((a, b) => a.x - b.x)) {
    const same = out.find((p) => p.text === l.text && l.x < p.end + 2);
    if (same) {
      same.n++;
      continue;
    }
    const w = widthOf(l.text);
    const row = Array.from({ length: rows }, (_, r) => r).find((r) => (ends[r] ?? -Infinity) + 2 <= l.x);
    if (row === undefined) continue;
    ends[row] = l.x + w;
    out.push({ text: l.text, x: l.x, row, n: 1, end: l.x + w });
  }
  return out.map((p) => ({ text: p.n > 1 ? `${p.text} ×${p.n}` : p.text, x: p.x, row: p.row }));
}

/** Shades fault windows behind the data, clipped to the plot area; labels staggered by placeLabels. */
function faultShading(windows: readonly FaultWindow[]): Plugin {
  return {
    id: 'replicheckFaultWindows',
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      const x = scales['x'];
      if (!x) return;
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
      ctx.clip();
      const labels: { text: string; x: number }[] = [];
      for (const w of windows) {
        const x0 = x.getPixelForValue(w.startMs);
        const x1 = x.getPixelForValue(w.endMs);
        ctx.fillStyle = 'rgba(213, 94, 0, 0.15)';
        ctx.fillRect(Math.min(x0, x1), chartArea.top, Math.max(1, Math.abs(x1 - x0)), chartArea.height);
        if (w.label) labels.push({ text: w.label, x: Math.min(x0, x1) + 3 });
      }
      if (chartFont()) {
        ctx.fillStyle = 'rgba(140, 50, 0, 0.9)';
        ctx.font = `11px "${chartFont()}"`;
        for (const l of placeLabels(labels, (t) => ctx.measureText(t).width)) ctx.fillText(l.text, l.x, chartArea.top + 12 + 13 * l.row);
      }
      ctx.restore();
    },
  };
}

export function lagOverTimeChart(
  input: { series: readonly TimeSeries[]; faults?: readonly FaultWindow[]; yLabel?: string },
  opts: ChartSize & { title?: string } = {},
): Buffer {
  return render(
    {
      type: 'line',
      data: {
        datasets: input.series.map((s, i) => ({
          label: s.label,
          data: s.points.map((p) => ({ x: p.t, y: p.v })),
          borderColor: seriesStyle(i).color,
          backgroundColor: seriesStyle(i).color,
          borderDash: seriesStyle(i).dash,
          pointRadius: 0,
          borderWidth: 1.5,
          stepped: true,
          spanGaps: false,
        })),
      },
      options: {
        parsing: false,
        plugins: { title: title(opts.title ?? 'Replication lag over time') },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'true time (ms)' } },
          y: { beginAtZero: true, title: { display: true, text: input.yLabel ?? 'lag (ms)' } },
        },
      },
      plugins: [faultShading(input.faults ?? [])],
    } as ChartConfiguration,
    opts,
  );
}

// ───────────────────────────── t-visibility ─────────────────────────────

export interface VisibilityCurveInput {
  label: string;
  points: readonly { tMs: number; probability: number }[];
}

/**
 * Where t = 0 sits on the logarithmic axis: half the smallest positive grid
 * value, labelled "0" (a log scale has no zero, and t = 0 — visible at commit —
 * is the point that matters most for synchronous replicas).
 */
export function visibilityZeroAt(grid: readonly number[]): number {
  const pos = grid.filter((t) => t > 0);
  return pos.length > 0 ? Math.min(...pos) / 2 : 0.5;
}

/** Chart.js configuration of the t-visibility chart (exported so its axes and styles can be tested without pixels). */
export function visibilityChartConfig(curves: readonly VisibilityCurveInput[], opts: { title?: string } = {}): ChartConfiguration {
  const grid = [...new Set(curves.flatMap((c) => c.points.map((p) => p.tMs)))].sort((a, b) => a - b);
  const zeroAt = visibilityZeroAt(grid);
  const xOf = (t: number): number => (t === 0 ? zeroAt : t);
  const ticks = grid.map(xOf);
  return {
    type: 'line',
    data: {
      datasets: curves.map((c, i) => {
        const st = seriesStyle(i);
        return {
          label: c.label,
          data: [...c.points].sort((a, b) => a.tMs - b.tMs).map((p) => ({ x: xOf(p.tMs), y: p.probability })),
          borderColor: st.color,
          backgroundColor: st.color,
          borderDash: st.dash,
          pointStyle: st.pointStyle,
          pointRadius: 3,
        };
      }),
    },
    options: {
      parsing: false,
      plugins: { title: title(opts.title ?? 'Probability a read t ms after commit sees it (t-visibility)') },
      scales: {
        x: {
          type: 'logarithmic',
          min: zeroAt,
          max: grid.length > 0 ? Math.max(...ticks) : 1,
          title: { display: true, text: 't after commit (ms, logarithmic; the first tick is t = 0)' },
          // Exactly the grid values as ticks: a log axis' own ticks (1, 10, 100 …) would hide 2, 5, 20 …
          afterBuildTicks: (axis: { ticks: { value: number }[] }) => {
            axis.ticks = ticks.map((value) => ({ value }));
          },
          ticks: { callback: (v: number | string) => (Number(v) === zeroAt && !grid.includes(zeroAt) ? '0' : String(v)) },
        },
        y: { min: 0, max: 1, title: { display: true, text: 'P(read sees the write or newer)' } },
      },
    },
  } as ChartConfiguration;
}

/** PBS t-visibility curves on a logarithmic t axis; each series its own colour, dash and point shape. */
export function visibilityCurvesChart(curves: readonly VisibilityCurveInput[], opts: ChartSize & { title?: string } = {}): Buffer {
  return render(visibilityChartConfig(curves, opts), opts);
}

// ───────────────────────────── convergence ─────────────────────────────

export interface HistogramBin {
  loMs: number;
  hiMs: number;
  count: number;
}

/**
 * Equal-width bins from 0 to the largest value; the last bin is closed. Default
 * bin count: Sturges' rule (⌈log2 n⌉ + 1), at most 20.
 */
export function histogramBins(valuesMs: readonly number[], bins?: number): HistogramBin[] {
  if (valuesMs.length === 0) return [];
  for (const v of valuesMs) if (!Number.isFinite(v) || v < 0) throw new RangeError(`histogramBins: values must be finite and ≥ 0 ms, got ${v}`);
  bins ??= Math.min(20, Math.ceil(Math.log2(valuesMs.length)) + 1);
  const max = Math.max(...valuesMs);
  const n = max === 0 ? 1 : Math.max(1, Math.floor(bins));
  const width = max === 0 ? 1 : max / n;
  const out = Array.from({ length: n }, (_, i) => ({ loMs: i * width, hiMs: (i + 1) * width, count: 0 }));
  for (const v of valuesMs) (out[Math.min(n - 1, Math.floor(v / width))] as HistogramBin).count++;
  return out;
}

/** Values above this many times the smallest positive value call for logarithmic bins. */
const LOG_BINS_RANGE = 20;
const STEPS_125 = [1, 2, 5];

/**
 * Bins for a duration histogram that stay readable whatever the spread:
 * - exact zeros get a bin of their own ("0"), since "converged at once" is
 *   the common case and must not swallow the small positive values;
 * - positive values spanning more than LOG_BINS_RANGE× get 1-2-5 logarithmic
 *   bins (lo, hi], otherwise equal-width bins (histogramBins);
 * - there are always at least MIN_BINS bins, so one value never fills the
 *   whole width as a single bar.
 * A zero bin has loMs = hiMs = 0.
 */
export function durationBins(valuesMs: readonly number[]): HistogramBin[] {
  if (valuesMs.length === 0) return [];
  for (const v of valuesMs) if (!Number.isFinite(v) || v < 0) throw new RangeError(`durationBins: values must be finite and ≥ 0 ms, got ${v}`);
  const zeros = valuesMs.filter((v) => v === 0).length;
  const pos = valuesMs.filter((v) => v > 0);
  const zeroBin: HistogramBin[] = zeros > 0 ? [{ loMs: 0, hiMs: 0, count: zeros }] : [];
  const lo = pos.length > 0 ? Math.min(...pos) : 1;
  const hi = pos.length > 0 ? Math.max(...pos) : 1;
  if (pos.length > 0 && zeros === 0 && hi / lo <= LOG_BINS_RANGE) return padBins(histogramBins(pos), MIN_BINS, (b) => 2 * b.hiMs - b.loMs);
  const edges = edges125(lo, hi);
  const bins = edges.slice(1).map((e, i) => ({ loMs: edges[i] as number, hiMs: e, count: 0 }));
  for (const v of pos) (bins.find((b) => v <= b.hiMs) ?? (bins[bins.length - 1] as HistogramBin)).count++;
  return [...zeroBin, ...padBins(bins, MIN_BINS - zeroBin.length, (b) => nextEdge125(b.hiMs))];
}

const MIN_BINS = 4;

/** 1-2-5 edges from the largest at or below lo to the first at or above hi (at least two edges). */
function edges125(lo: number, hi: number): number[] {
  const decade = 10 ** Math.floor(Math.log10(lo) + 1e-9);
  const start = [...STEPS_125].reverse().map((s) => s * decade).find((e) => e <= lo * (1 + 1e-9)) ?? decade;
  const out = [start];
  while (out.length < 2 || out[out.length - 1]! < hi) out.push(nextEdge125(out[out.length - 1]!));
  return out;
}

/** Append empty bins (upper edge from `next`) until there are `min`. */
function padBins(bins: HistogramBin[], min: number, next: (last: HistogramBin) => number): HistogramBin[] {
  const out = [...bins];
  for (let last = out[out.length - 1]; last && out.length < min; last = out[out.length - 1]) out.push({ loMs: last.hiMs, hiMs: next(last), count: 0 });
  return out;
}

function nextEdge125(v: number): number {
  const decade = 10 ** Math.floor(Math.log10(v) + 1e-9);
  const step = STEPS_125.find((s) => s * decade > v * (1 + 1e-9));
  return step !== undefined ? step * decade : 10 * decade;
}

function binLabel(b: HistogramBin): string {
  const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 1 ? String(Math.round(v * 10) / 10) : String(Math.round(v * 1000) / 1000));
  return b.hiMs === 0 ? '0' : `${fmt(b.loMs)}–${fmt(b.hiMs)}`;
}

/** Chart.js configuration of the convergence histogram (exported so its bins and axes can be tested). */
export function convergenceChartConfig(valuesMs: readonly number[], opts: { title?: string; bins?: number } = {}): ChartConfiguration {
  const bins = opts.bins !== undefined ? histogramBins(valuesMs, opts.bins) : durationBins(valuesMs);
  const counts = bins.map((b) => b.count).filter((c) => c > 0);
  // Bar heights spanning more than two decades (a thousand runs at 0, three in the tail): log counts.
  const logY = counts.length > 0 && Math.max(...counts) / Math.min(...counts) > 100;
  const logX = bins.some((b, i) => i > 0 && b.loMs > 0 && Math.abs(b.hiMs - b.loMs - (bins[i - 1]!.hiMs - bins[i - 1]!.loMs)) > 1e-9 && bins[i - 1]!.hiMs > 0);
  return {
    type: 'bar',
    data: {
      labels: bins.map(binLabel),
      datasets: [{ label: `runs (n = ${valuesMs.length})`, data: bins.map((b) => b.count), backgroundColor: color(2), barPercentage: 0.96, categoryPercentage: 1 }],
    },
    options: {
      plugins: { title: title(opts.title ?? 'Time to converge after faults heal') },
      scales: {
        x: { title: { display: true, text: `ms from quiet phase to last state change${logX ? ' (bins grow 1-2-5: logarithmic)' : ''}` } },
        y: logY
          ? { type: 'logarithmic', min: 0.8, title: { display: true, text: 'runs (logarithmic)' } }
          : { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'runs' } },
      },
    },
  } as ChartConfiguration;
}

export function convergenceHistogramChart(valuesMs: readonly number[], opts: ChartSize & { title?: string; bins?: number } = {}): Buffer {
  return render(convergenceChartConfig(valuesMs, opts), opts);
}

// ───────────────────────────── anomalies ─────────────────────────────

export interface AnomalyCount {
  guarantee: string;
  profile: string;
  count: number;
}

/** Grouped bars: guarantees on x, one bar per fault profile. */
export function anomalyCountsChart(counts: readonly AnomalyCount[], opts: ChartSize & { title?: string } = {}): Buffer {
  const guarantees = [...new Set(counts.map((c) => c.guarantee))];
  const profiles = [...new Set(counts.map((c) => c.profile))];
  const at = (g: string, p: string): number => counts.filter((c) => c.guarantee === g && c.profile === p).reduce((n, c) => n + c.count, 0);
  return render(
    {
      type: 'bar',
      data: {
        labels: guarantees,
        datasets: profiles.map((p, i) => ({ label: p, data: guarantees.map((g) => at(g, p)), backgroundColor: color(i) })),
      },
      options: {
        plugins: { title: title(opts.title ?? 'Anomalies per guarantee and fault profile') },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'runs with a violation' } } },
      },
    },
    opts,
  );
}

// ───────────────────────────── costs ─────────────────────────────

export interface CommitLatencyBar {
  level: string;
  profile: string;
  p50: number | null;
  p99: number | null;
}

/**
 * Commit latency per level: one group per level, one floating bar per profile
 * spanning p50 (bottom) to p99 (top) — what a client usually waits and the
 * tail in one mark; logarithmic when values span more than two decades. A
 * level without commits under a profile leaves a gap.
 */
export function commitLatencyChartConfig(bars: readonly CommitLatencyBar[], opts: { title?: string } = {}): ChartConfiguration {
  const levels = [...new Set(bars.map((b) => b.level))];
  const profiles = [...new Set(bars.map((b) => b.profile))];
  const at = (l: string, p: string): CommitLatencyBar | undefined => bars.find((b) => b.level === l && b.profile === p);
  const values = bars.flatMap((b) => [b.p50, b.p99]).filter((v): v is number => v !== null && v > 0);
  const log = values.length > 0 && Math.max(...values) / Math.min(...values) > 100;
  return {
    type: 'bar',
    data: {
      labels: levels,
      datasets: profiles.map((p, i) => ({
        label: p,
        data: levels.map((l) => {
          const b = at(l, p);
          return b && b.p50 !== null && b.p99 !== null ? [b.p50, b.p99] : null;
        }),
        backgroundColor: seriesStyle(i).color,
        // p50 = p99 (a level that never waits) would be an invisible bar.
        minBarLength: 3,
      })),
    },
    options: {
      plugins: { title: title(opts.title ?? 'Commit latency per level (each bar: p50 at the bottom to p99 at the top)') },
      scales: {
        y: {
          type: log ? 'logarithmic' : 'linear',
          ...(log ? { min: Math.min(...values) / 2 } : { beginAtZero: true }),
          title: { display: true, text: 'ms from invocation to acknowledgement (bar: p50 → p99)' },
        },
      },
    },
  } as ChartConfiguration;
}

export function commitLatencyChart(bars: readonly CommitLatencyBar[], opts: ChartSize & { title?: string } = {}): Buffer {
  return render(commitLatencyChartConfig(bars, opts), opts);
}

export interface ReadScalingPoint {
  standbys: number;
  policy: string;
  readsPerS: number | null;
  busiestNodeReadsPerS: number | null;
  staleFraction: number | null;
}

/**
 * Reads as standbys are added: per read policy, the busiest node's reads per
 * second (solid, left axis: the load a replica takes off) and the share of
 * stale reads (dashed, right axis: what it costs).
 */
export function readScalingChartConfig(points: readonly ReadScalingPoint[], opts: { title?: string } = {}): ChartConfiguration {
  const policies = [...new Set(points.map((p) => p.policy))];
  const standbys = [...new Set(points.map((p) => p.standbys))].sort((a, b) => a - b);
  const series = (policy: string, f: (p: ReadScalingPoint) => number | null) =>
    standbys.map((s) => {
      const p = points.find((x) => x.policy === policy && x.standbys === s);
      return p ? f(p) : null;
    });
  return {
    type: 'line',
    data: {
      labels: standbys.map((s) => `${s} standby${s === 1 ? '' : 's'}`),
      datasets: [
        ...policies.map((p, i) => ({
          label: `${p}: busiest node reads/s`, data: series(p, (x) => x.busiestNodeReadsPerS), yAxisID: 'y',
          borderColor: seriesStyle(i).color, backgroundColor: seriesStyle(i).color, pointStyle: seriesStyle(i).pointStyle, pointRadius: 4,
        })),
        ...policies.map((p, i) => ({
          label: `${p}: stale reads`, data: series(p, (x) => (x.staleFraction === null ? null : x.staleFraction * 100)), yAxisID: 'y1',
          borderColor: seriesStyle(i).color, backgroundColor: seriesStyle(i).color, borderDash: [6, 4], pointStyle: seriesStyle(i).pointStyle, pointRadius: 3,
        })),
      ],
    },
    options: {
      plugins: { title: title(opts.title ?? 'Reads as standbys are added') },
      scales: {
        y: { beginAtZero: true, position: 'left', title: { display: true, text: 'reads/s on the busiest node (solid)' } },
        y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: '% stale reads (dashed)' } },
      },
    },
  } as ChartConfiguration;
}

export function readScalingChart(points: readonly ReadScalingPoint[], opts: ChartSize & { title?: string } = {}): Buffer {
  return render(readScalingChartConfig(points, opts), opts);
}
