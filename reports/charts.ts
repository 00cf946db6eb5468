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

function render(config: ChartConfiguration, size: ChartSize = {}): Buffer {
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

/** Shades fault windows behind the data, clipped to the plot area. */
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
      for (const w of windows) {
        const x0 = x.getPixelForValue(w.startMs);
        const x1 = x.getPixelForValue(w.endMs);
        ctx.fillStyle = 'rgba(213, 94, 0, 0.15)';
        ctx.fillRect(Math.min(x0, x1), chartArea.top, Math.max(1, Math.abs(x1 - x0)), chartArea.height);
        if (w.label && chartFont()) {
          ctx.fillStyle = 'rgba(140, 50, 0, 0.9)';
          ctx.font = `11px "${chartFont()}"`;
          ctx.fillText(w.label, Math.min(x0, x1) + 3, chartArea.top + 12);
        }
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
          borderColor: color(i),
          backgroundColor: color(i),
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

/** PBS t-visibility curves; x is the grid of t values (uneven grids stay readable as categories). */
export function visibilityCurvesChart(curves: readonly VisibilityCurveInput[], opts: ChartSize & { title?: string } = {}): Buffer {
  const grid = [...new Set(curves.flatMap((c) => c.points.map((p) => p.tMs)))].sort((a, b) => a - b);
  return render(
    {
      type: 'line',
      data: {
        labels: grid.map(String),
        datasets: curves.map((c, i) => ({
          label: c.label,
          data: grid.map((t) => c.points.find((p) => p.tMs === t)?.probability ?? null),
          borderColor: color(i),
          backgroundColor: color(i),
          pointRadius: 3,
        })),
      },
      options: {
        plugins: { title: title(opts.title ?? 'Probability a read t ms after commit sees it (t-visibility)') },
        scales: {
          x: { title: { display: true, text: 't after commit (ms)' } },
          y: { min: 0, max: 1, title: { display: true, text: 'P(read sees the write or newer)' } },
        },
      },
    },
    opts,
  );
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

export function convergenceHistogramChart(valuesMs: readonly number[], opts: ChartSize & { title?: string; bins?: number } = {}): Buffer {
  const bins = histogramBins(valuesMs, opts.bins);
  const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
  return render(
    {
      type: 'bar',
      data: {
        labels: bins.map((b) => `${fmt(b.loMs)}–${fmt(b.hiMs)}`),
        datasets: [{ label: `runs (n = ${valuesMs.length})`, data: bins.map((b) => b.count), backgroundColor: color(2), barPercentage: 1, categoryPercentage: 1 }],
      },
      options: {
        plugins: { title: title(opts.title ?? 'Time to converge after faults heal') },
        scales: {
          x: { title: { display: true, text: 'ms from quiet phase to last state change' } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'runs' } },
        },
      },
    },
    opts,
  );
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
