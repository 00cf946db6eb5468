import { describe, expect, it } from 'vitest';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import {
  anomalyCountsChart,
  chartFont,
  convergenceChartConfig,
  convergenceHistogramChart,
  durationBins,
  histogramBins,
  placeLabels,
  seriesStyle,
  visibilityChartConfig,
  commitLatencyChartConfig,
  readScalingChartConfig,
  lagOverTimeChart,
  lagPercentilesChart,
  visibilityCurvesChart,
} from '../reports/charts.js';
import { simulate } from '../src/sim/run.js';
import type { History } from '../src/history/types.js';
import { escapeXml, isGap, LabelSpace, spacetimeSvg } from '../reports/spacetime-svg.js';
import { broadcastModel } from './helpers/sim-models.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Decoded {
  width: number;
  height: number;
  pixels: Uint8ClampedArray;
}

async function decode(png: Buffer): Promise<Decoded> {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, pixels: ctx.getImageData(0, 0, img.width, img.height).data };
}

/** Pixels matching `pred` (r, g, b, a). */
function count(d: Decoded, pred: (r: number, g: number, b: number, a: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < d.pixels.length; i += 4) if (pred(d.pixels[i]!, d.pixels[i + 1]!, d.pixels[i + 2]!, d.pixels[i + 3]!)) n++;
  return n;
}

const nonWhite = (r: number, g: number, b: number): boolean => r < 245 || g < 245 || b < 245;
const opaque = (_r: number, _g: number, _b: number, a: number): boolean => a === 255;
/** Okabe–Ito blue, the first series colour. */
const seriesBlue = (r: number, g: number, b: number): boolean => Math.abs(r - 0) < 30 && Math.abs(g - 114) < 30 && Math.abs(b - 178) < 30;
/** A saturated (data) colour: the grid, axes and text are grey. */
const saturated = (r: number, g: number, b: number): boolean => Math.max(r, g, b) - Math.min(r, g, b) > 80;
/** The fault shading (vermillion at 15% over white). */
const shading = (r: number, g: number, b: number): boolean => Math.abs(r - 249) <= 3 && Math.abs(g - 231) <= 4 && Math.abs(b - 217) <= 4;

describe('charts', () => {
  it('finds a font on this machine (labels are drawn)', () => {
    expect(chartFont()).toEqual(expect.any(String));
  });

  it('lag percentiles: a real PNG of the requested size with bars drawn', async () => {
    const png = lagPercentilesChart(
      [
        { label: 'wal/async n2', p50: 1, p90: 3, p99: 8, p999: 20, max: 25 },
        { label: 'wal/sync n3', p50: null, p90: null, p99: null, p999: null, max: null },
      ],
      { widthPx: 640, heightPx: 320 },
    );
    const d = await decode(png);
    expect([d.width, d.height]).toEqual([640, 320]);
    expect(count(d, opaque)).toBe(640 * 320); // white background, not transparent
    expect(count(d, seriesBlue)).toBeGreaterThan(500); // the p50 bar
    expect(count(d, nonWhite)).toBeGreaterThan(5000);
  });

  it('lag over time: draws the series and shades fault windows', async () => {
    const series = [{ label: 'n2 replay', points: [0, 10, 20, 30, 40].map((t) => ({ t, v: t % 20 })) }];
    const shaded = await decode(lagOverTimeChart({ series, faults: [{ startMs: 12, endMs: 25, label: 'partition' }] }));
    const plain = await decode(lagOverTimeChart({ series }));
    expect(count(shaded, shading)).toBeGreaterThan(10_000);
    expect(count(plain, shading)).toBe(0);
    expect(count(plain, seriesBlue)).toBeGreaterThan(100);
  });

  it('visibility curves, convergence histogram and anomaly counts draw content', async () => {
    const pngs = [
      visibilityCurvesChart([{ label: 'async', points: [0, 1, 10, 100].map((tMs, i) => ({ tMs, probability: i / 3 })) }]),
      convergenceHistogramChart([1, 2, 2, 3, 5, 8, 13]),
      anomalyCountsChart([
        { guarantee: 'read-your-writes', profile: 'calm', count: 1 },
        { guarantee: 'read-your-writes', profile: 'partitions', count: 7 },
        { guarantee: 'durability', profile: 'crashes', count: 3 },
      ]),
    ];
    for (const png of pngs) {
      const d = await decode(png);
      expect([d.width, d.height]).toEqual([900, 450]);
      expect(count(d, saturated)).toBeGreaterThan(2000); // a legend swatch alone is ≈ 450 px
    }
  });

  it('an empty chart is still a valid image (axes and title, no data)', async () => {
    const d = await decode(convergenceHistogramChart([]));
    expect(count(d, nonWhite)).toBeGreaterThan(100);
    expect(count(d, saturated)).toBeLessThan(600); // only the legend swatch
  });
});

describe('histogramBins', () => {
  it('bins equal widths from 0 to max, last bin closed', () => {
    expect(histogramBins([0, 1, 2, 3, 4], 2)).toEqual([
      { loMs: 0, hiMs: 2, count: 2 },
      { loMs: 2, hiMs: 4, count: 3 },
    ]);
    expect(histogramBins([0, 0])).toEqual([{ loMs: 0, hiMs: 1, count: 2 }]);
    expect(histogramBins([])).toEqual([]);
    expect(histogramBins(Array.from({ length: 1000 }, (_, i) => i)).length).toBe(11);
  });

  it('rejects negative durations', () => {
    expect(() => histogramBins([1, -1])).toThrow(/≥ 0 ms, got -1/);
  });
});

describe('chart configuration (what a reader sees, without pixels)', () => {
  const grid = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

  it('t-visibility: a logarithmic t axis whose ticks are the grid, t = 0 drawn at half the first step', () => {
    const cfg = visibilityChartConfig([{ label: 'a', points: grid.map((tMs) => ({ tMs, probability: 1 })) }]);
    const x = (cfg.options?.scales as Record<string, Record<string, unknown>>)['x']!;
    expect(x['type']).toBe('logarithmic');
    const axis = { ticks: [] as { value: number }[] };
    (x['afterBuildTicks'] as (a: typeof axis) => void)(axis);
    expect(axis.ticks.map((t) => t.value)).toEqual([0.5, ...grid.slice(1)]);
    const label = (x['ticks'] as { callback: (v: number) => string }).callback;
    expect([label(0.5), label(5), label(5000)]).toEqual(['0', '5', '5000']);
    // Points sit at their own t (not at an index), so the log axis spaces them by log t.
    const xs = (cfg.data.datasets[0]!.data as { x: number }[]).map((p) => p.x);
    expect(xs).toEqual([0.5, ...grid.slice(1)]);
  });

  it('16 series get 16 distinct colour and dash combinations', () => {
    const cfg = visibilityChartConfig(Array.from({ length: 16 }, (_, i) => ({ label: `v${i}`, points: [{ tMs: 0, probability: 1 }] })));
    const looks = cfg.data.datasets.map((d) => JSON.stringify([(d as { borderColor: string }).borderColor, (d as { borderDash: number[] }).borderDash]));
    expect(new Set(looks).size).toBe(16);
    expect(new Set(Array.from({ length: 32 }, (_, i) => JSON.stringify(seriesStyle(i)))).size).toBe(32);
  });

  it('convergence bins: zeros apart, 1-2-5 bins over a wide range, never one bar across the chart', () => {
    expect(durationBins([0, 0, 0])).toEqual([
      { loMs: 0, hiMs: 0, count: 3 },
      { loMs: 1, hiMs: 2, count: 0 },
      { loMs: 2, hiMs: 5, count: 0 },
      { loMs: 5, hiMs: 10, count: 0 },
    ]);
    const wide = durationBins([0, 0, 1.3, 41.6, 249]);
    expect(wide.map((b) => [b.loMs, b.hiMs])).toEqual([[0, 0], [1, 2], [2, 5], [5, 10], [10, 20], [20, 50], [50, 100], [100, 200], [200, 500]]);
    expect(wide.map((b) => b.count)).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 1]);
    // A narrow range keeps equal widths; a lone value is one bin of four.
    expect(durationBins([3, 4, 5, 6]).map((b) => b.hiMs - b.loMs)).toEqual([2, 2, 2, 2]);
    expect(durationBins([7]).length).toBe(4);
    for (const vs of [[0], [7], [1, 1000], [0, 0.01, 50]]) expect(durationBins(vs).reduce((n, b) => n + b.count, 0)).toBe(vs.length);
    const cfg = convergenceChartConfig([0, 0, 0]);
    expect(cfg.data.labels).toEqual(['0', '1–2', '2–5', '5–10']);
  });

  it('convergence counts spanning more than two decades use a logarithmic count axis', () => {
    const y = (vs: number[]) => ((convergenceChartConfig(vs).options?.scales as Record<string, Record<string, unknown>>)['y']!)['type'];
    expect(y([...Array(500).fill(0), 300])).toBe('logarithmic');
    expect(y([0, 0, 300])).toBeUndefined();
  });

  it('fault labels: the same label nearby is merged, others are staggered into rows', () => {
    const w = (t: string) => t.length * 6;
    const placed = placeLabels([{ text: 'clog', x: 100 }, { text: 'clog', x: 104 }, { text: 'partition', x: 110 }, { text: 'crash', x: 400 }], w);
    expect(placed).toEqual([
      { text: 'clog ×2', x: 100, row: 0 },
      { text: 'partition', x: 110, row: 1 },
      { text: 'crash', x: 400, row: 0 },
    ]);
    // No two labels in one row overlap, whatever the input.
    const many = placeLabels(Array.from({ length: 30 }, (_, i) => ({ text: `f${i}`, x: (i * 7) % 90 })), w);
    for (const a of many) for (const b of many) if (a !== b && a.row === b.row) expect(a.x + w(a.text) + 2 <= b.x || b.x + w(b.text) + 2 <= a.x).toBe(true);
  });
});

// ───────────────────────────── space-time SVG ─────────────────────────────

/**
 * A strict XML well-formedness check (no DTDs): balanced, properly nested tags,
 * quoted attributes without raw '<' or bare '&', only predefined or numeric
 * entities, one root element. Returns the problem, or null when well formed.
 */
function xmlProblem(doc: string): string | null {
  const stack: string[] = [];
  let roots = 0;
  const badAmp = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?xml[^>]*\?>/y;
  let i = 0;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const textPart = doc.slice(i, lt === -1 ? doc.length : lt);
    if (badAmp.test(textPart)) return `bare & in text near ${i}`;
    if (textPart.trim() !== '' && stack.length === 0) return `text outside the root near ${i}`;
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(doc);
    if (!m) return `malformed markup at ${lt}: ${doc.slice(lt, lt + 40)}`;
    i = tag.lastIndex;
    if (m[2] === undefined) continue; // comment or declaration
    if (badAmp.test(m[3] ?? '')) return `bare & in attributes of <${m[2]}>`;
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) return `</${m[2]}> closes the wrong element`;
    } else if (m[4] !== '/') {
      if (stack.length === 0 && ++roots > 1) return 'more than one root element';
      stack.push(m[2]);
    } else if (stack.length === 0 && ++roots > 1) return 'more than one root element';
  }
  return stack.length === 0 ? (roots === 1 ? null : 'no root element') : `<${stack.at(-1)}> never closed`;
}

describe('xmlProblem (the test oracle itself)', () => {
  it('accepts well-formed and rejects malformed documents', () => {
    expect(xmlProblem('<?xml version="1.0"?><a x="1 &amp; 2"><b/>t &lt; u<!-- c --></a>')).toBeNull();
    expect(xmlProblem('<a><b></a>')).toMatch(/wrong element/);
    expect(xmlProblem('<a>&</a>')).toMatch(/bare &/);
    expect(xmlProblem('<a x=1/>')).toMatch(/malformed/);
    expect(xmlProblem('<a/><b/>')).toMatch(/more than one root/);
    expect(xmlProblem('<a x="<"/>')).toMatch(/malformed/);
    expect(xmlProblem('<a>')).toMatch(/never closed/);
  });
});

function run(): History {
  return simulate({
    model: broadcastModel(),
    config: {},
    sim: {
      seed: 3,
      nodes: ['n1', 'n2', 'n3'],
      network: { defaultLink: { latency: { kind: 'uniform', minMs: 1, maxMs: 3 }, lossRate: 0, dupRate: 0 } },
      faults: [
        { kind: 'partition', atMs: 5, from: ['n1'], to: ['n3'], durationMs: 10 },
        { kind: 'crash', atMs: 12, node: 'n2', mode: 'process', restartAfterMs: 5 },
      ],
      sessions: [
        { id: 's1', policy: 'primary', ops: [0, 3, 6, 9, 12].map((atMs, i) => ({ atMs, req: { txn: [{ f: 'w', k: 'x', v: i }], end: 'commit' } })) },
        { id: 's2', policy: 'primary', ops: [2, 8].map((atMs) => ({ atMs, req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } })) },
      ],
    },
  }).history;
}

const occurrences = (s: string, re: RegExp): number => s.match(re)?.length ?? 0;

describe('spacetimeSvg', () => {
  const history = run();
  const svg = spacetimeSvg(history);

  it('is a well-formed, self-contained SVG document', () => {
    expect(xmlProblem(svg)).toBeNull();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(svg).not.toMatch(/href=|url\(/); // nothing external, no markers
  });

  it('draws one arrow per delivered message and one ✗ path per dropped message', () => {
    const recvs = history.filter((e) => e.type === 'net' && e.ev === 'recv').length;
    const drops = history.filter((e) => e.type === 'net' && e.ev === 'drop').length;
    expect(recvs).toBeGreaterThan(3);
    expect(drops).toBeGreaterThan(0);
    expect(occurrences(svg, /<path class="msg"/g)).toBe(recvs);
    expect(occurrences(svg, /class="msg-head"/g)).toBe(recvs);
    expect(occurrences(svg, /<path class="drop"/g)).toBe(drops);
  });

  it('has a lane per node, client ops with labels, faults shaded and crashes marked', () => {
    for (const n of ['n1', 'n2', 'n3', 'clients']) expect(svg).toContain(`class="lane-name">${n}</text>`);
    expect(svg).toContain('>s1 #0 w(x,0)</text>');
    expect(svg).toContain('>s2 #1 ok r(x)=0</text>');
    expect(occurrences(svg, /<rect class="fault"/g)).toBe(1); // the partition; the crash is drawn on n2's lane
    expect(svg).toContain('partition n1 &lt;-/-&gt; n3');
    expect(svg).toMatch(/<path class="crash"/);
    expect(svg).toMatch(/class="lane-down"/);
    expect(svg).toContain('quiet phase');
  });

  it('escapes labels, errors and node names', () => {
    const h: History = [
      { type: 'meta', t: 0, model: 'm', seed: 1, nodes: ['a&b', 'c'] },
      { type: 'net', t: 1, ev: 'send', from: 'a&b', to: 'c', msg: 1, channel: 'stream', label: '<evil "x">' },
      { type: 'net', t: 2, ev: 'recv', from: 'a&b', to: 'c', msg: 1, channel: 'stream', label: '<evil "x">' },
      { type: 'invoke', t: 3, op: 0, session: "s'1", node: 'c', req: { txn: [{ f: 'w', k: 'k<', v: 'v&' }], end: 'commit' } },
      { type: 'fail', t: 4, op: 0, session: "s'1", node: 'c', error: 'no <primary> & no luck' },
    ];
    const out = spacetimeSvg(h);
    expect(xmlProblem(out)).toBeNull();
    expect(out).toContain('&lt;evil &quot;x&quot;&gt;');
    expect(out).toContain('a&amp;b');
    expect(out).not.toContain('<evil');
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });

  it('cuts long runs and says so', () => {
    const cut = spacetimeSvg(history, { maxRows: 10 });
    expect(xmlProblem(cut)).toBeNull();
    expect(cut).toMatch(/… \d+ later rows not drawn/);
  });

  it('no two labels overlap (at the width the layout assumes)', () => {
    const boxes = [...svg.matchAll(/<text x="([\d.-]+)" y="([\d.-]+)"(?: class="([\w-]+)")?>([^<]*)<\/text>/g)]
      .filter((m) => m[3] !== 'lane-name' && m[3] !== 'fail')
      .map((m) => LabelSpace.box(Number(m[1]), Number(m[2]), m[4]!.replace(/&[a-z]+;/g, '_')));
    expect(boxes.length).toBeGreaterThan(20);
    const space = new LabelSpace();
    for (const b of boxes) {
      expect(space.free(b)).toBe(true);
      space.boxes.push(b);
    }
  });

  it('an operation no node took stays on the client lane: no lane named "none"', () => {
    const h: History = [
      { type: 'meta', t: 0, model: 'm', seed: 1, nodes: ['n1'] },
      { type: 'invoke', t: 1, op: 0, session: 's1', node: 'none', req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } },
      { type: 'fail', t: 1, op: 0, session: 's1', node: 'none', error: 'no node available' },
    ];
    const out = spacetimeSvg(h);
    expect(xmlProblem(out)).toBeNull();
    expect(out).not.toContain('class="lane-name">none<');
    expect(out).toContain('class="lane-name">n1<');
    expect(out).toContain('no node available (no node)');
    expect(occurrences(out, /class="op-head"/g)).toBe(0);
  });

  it('marks a long stretch of skipped time on the ordinal axis, and only that', () => {
    const ev = (t: number): History[number] => ({ type: 'event', t, node: 'n1', name: 'txn.commit', data: { xid: t, lsn: t, writes: {} } });
    const base: History = [{ type: 'meta', t: 0, model: 'm', seed: 1, nodes: ['n1'] }];
    const steady = spacetimeSvg([...base, ...[1, 2, 3, 4, 5].map(ev)]);
    expect(steady).not.toContain('class="gap-cut"');
    const jump = spacetimeSvg([...base, ...[1, 2, 3, 4, 500, 501].map(ev)]);
    expect(occurrences(jump, /<text[^>]*class="gap-text">≈ 496 ms later<\/text>/g)).toBe(1);
    expect(occurrences(jump, /class="gap-cut"/g)).toBe(2); // the break crosses the client lane and n1
    expect([isGap(10, 1), isGap(5, 1), isGap(0.5, 0.01)]).toEqual([true, false, false]);
  });
});

describe('cost charts (configuration)', () => {
  it('commit latency: a p50 → p99 bar per profile, levels in order, log axis only for a wide spread', () => {
    const bars = [
      { level: 'off', profile: 'calm', p50: 0.4, p99: 0.5 },
      { level: 'on', profile: 'calm', p50: 5, p99: 20 },
      { level: 'off', profile: 'crashes', p50: 0.4, p99: 0.6 },
      { level: 'on', profile: 'crashes', p50: 12, p99: null },
    ];
    const cfg = commitLatencyChartConfig(bars) as any;
    expect(cfg.data.labels).toEqual(['off', 'on']);
    expect(cfg.data.datasets.map((d: any) => d.label)).toEqual(['calm', 'crashes']);
    expect(cfg.data.datasets[0].data).toEqual([[0.4, 0.5], [5, 20]]); // each bar spans p50 → p99
    expect(cfg.data.datasets[1].data).toEqual([[0.4, 0.6], null]); // no p99: a gap, not 0
    expect(cfg.options.scales.y.type).toBe('linear');
    expect((commitLatencyChartConfig([...bars, { level: 'remote_apply', profile: 'calm', p50: 50, p99: 500 }]) as any).options.scales.y.type).toBe('logarithmic');
  });

  it('read scaling: busiest-node reads on the left axis, stale percent on the right, one pair per policy', () => {
    const pts = [1, 2, 3].flatMap((n) => ['primary', 'any-standby'].map((policy) => ({
      standbys: n, policy, readsPerS: 10, busiestNodeReadsPerS: policy === 'primary' ? 10 : 10 / n, staleFraction: policy === 'primary' ? 0 : 0.1 * n,
    })));
    const cfg = readScalingChartConfig(pts) as any;
    expect(cfg.data.labels).toEqual(['1 standby', '2 standbys', '3 standbys']);
    const ds = Object.fromEntries(cfg.data.datasets.map((d: any) => [d.label, d]));
    expect(ds['any-standby: busiest node reads/s'].data).toEqual([10, 5, 10 / 3]);
    expect(ds['any-standby: busiest node reads/s'].yAxisID).toBe('y');
    expect(ds['any-standby: stale reads'].data.map((v: number) => Math.round(v))).toEqual([10, 20, 30]);
    expect(ds['any-standby: stale reads'].yAxisID).toBe('y1');
    expect(cfg.options.scales.y1.position).toBe('right');
  });
});
