/**
 * Writing a report directory atomically: everything is built in a staging
 * directory next to the target (same file system, so rename is atomic), then
 * swapped in. A reader sees the old report or the new one, never a half-written
 * one; on any error the staging directory is removed and the old report stays.
 *
 * Safety: the target is replaced only if it is absent, empty, or a report this
 * tool wrote (it holds our marker file) — `--out .` must never wipe a source
 * tree, even one that happens to hold a report.json.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  anomalyCountsChart,
  chartFont,
  commitLatencyChart,
  readScalingChart,
  convergenceHistogramChart,
  lagOverTimeChart,
  lagPercentilesChart,
  visibilityCurvesChart,
  type LagPercentilesRow,
} from './charts.js';
import { reportHtml } from './html.js';
import { reportMarkdown } from './markdown.js';
import { slug, type CollectedReport } from './run.js';
import { REPORT_SCHEMA_VERSION, type ChartDoc, type ReportDoc, type SummaryDoc } from './schema.js';

/** Written into every report directory: the only proof that replacing the directory loses nothing of the user's. */
export const REPORT_MARKER = '.replicheck-report';

/** What `replicheck live pg --out DIR` writes: a directory holding only these may become a report (which keeps them). */
export const LIVE_FILES = ['live.json', 'live.md'] as const;

/** The output directory cannot be used (not writable, not a directory, not a report). Exit 2. */
export class ReportOutputError extends Error {
  override name = 'ReportOutputError';
}

export interface Staging {
  /** The final directory. */
  out: string;
  /** Where files are written until commit. */
  dir: string;
}

/**
 * Check that the target may be replaced; call before the (long) runs, to fail
 * fast. Creates nothing: the staging directory is made only when the report is
 * written (stageOutput), so a report killed during its runs leaves no trace.
 */
export function checkOutput(outDir: string): string {
  const out = resolve(outDir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new ReportOutputError(`output ${out} exists and is not a directory`);
    const entries = readdirSync(out);
    // Only `live pg --out` files: the report picks them up and keeps them.
    const liveOnly = entries.every((e) => (LIVE_FILES as readonly string[]).includes(e));
    if (entries.length > 0 && !entries.includes(REPORT_MARKER) && !liveOnly) {
      throw new ReportOutputError(
        `refusing to replace ${out}: it is not empty and was not written by replicheck report (no ${REPORT_MARKER} marker); choose another --out or empty it`,
      );
    }
  }
  const parent = dirname(out);
  if (existsSync(parent) && !statSync(parent).isDirectory()) {
    throw new ReportOutputError(`cannot write the report next to ${out}: ${parent} is not a directory`);
  }
  return out;
}

/** Create the staging directory next to a checked target. */
export function stageOutput(out: string): Staging {
  const parent = dirname(out);
  try {
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, `.${basename(out)}.tmp-`));
    chmodSync(dir, 0o755); // mkdtemp makes it private; a report is for reading
    return { out, dir };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new ReportOutputError(`cannot write the report next to ${out}: ${code ? `${code}, ` : ''}${(err as Error).message}`);
  }
}

/** checkOutput then stageOutput, for callers with nothing long in between. */
export function prepareOutput(outDir: string): Staging {
  return stageOutput(checkOutput(outDir));
}

/** Swap the staged report in. The old report is removed only after the new one is in place. */
export function commitOutput(s: Staging): void {
  const old = `${s.dir}-old`;
  const hadOld = existsSync(s.out);
  try {
    if (hadOld) renameSync(s.out, old);
    renameSync(s.dir, s.out);
  } catch (err) {
    if (hadOld && !existsSync(s.out) && existsSync(old)) renameSync(old, s.out);
    throw new ReportOutputError(`cannot move the report into ${s.out}: ${(err as Error).message}`);
  }
  if (hadOld) rmSync(old, { recursive: true, force: true });
}

export function discardOutput(s: Staging): void {
  rmSync(s.dir, { recursive: true, force: true });
}

export interface WrittenReport {
  doc: ReportDoc;
  /** Absolute path of index.html in the final directory. */
  index: string;
  files: string[];
}

/** Render charts, HTML and Markdown from the collected data and write them all into the staging directory. */
export function writeStaged(s: Staging, collected: CollectedReport, meta: { version: string; generatedAt: string }): WrittenReport {
  const { charts, pngs } = renderCharts(collected);
  const { diagrams, ...rest } = collected;
  const doc: ReportDoc = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'replicheck', version: meta.version },
    generatedAt: meta.generatedAt,
    ...rest,
    charts,
    chartLabels: chartFont() !== null,
  };
  const files: Record<string, string | Buffer> = {
    [REPORT_MARKER]: `${JSON.stringify({ tool: 'replicheck', kind: 'report', version: meta.version })}\n`,
    'report.json': `${JSON.stringify(doc, null, 2)}\n`,
    'summary.md': reportMarkdown(doc),
    'index.html': reportHtml(doc, { pngs, diagrams }),
    ...pngs,
    ...diagrams,
  };
  for (const [rel, body] of Object.entries(files)) {
    const path = join(s.dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
  return { doc, index: join(s.out, 'index.html'), files: Object.keys(files).sort() };
}

// ───────────────────────────── charts ─────────────────────────────

const WIDE = { widthPx: 1000, heightPx: 420 };

/** Every chart of the report, as files under charts/ with their descriptions. */
export function renderCharts(c: CollectedReport): { charts: ChartDoc[]; pngs: Record<string, Buffer> } {
  const charts: ChartDoc[] = [];
  const pngs: Record<string, Buffer> = {};
  const add = (doc: ChartDoc, png: Buffer): void => {
    charts.push(doc);
    pngs[doc.file] = png;
  };
  for (const m of c.models) {
    const chunks = chunkRows(m.variants.map((v) => lagRows(v)).filter((g) => g.length > 0), LAG_ROWS_PER_CHART);
    chunks.forEach((rows, i) => {
      const part = chunks.length > 1 ? ` (${i + 1}/${chunks.length})` : '';
      const file = `charts/lag-percentiles-${slug(m.name)}${chunks.length > 1 ? `-${i + 1}` : ''}.png`;
      const title = `${m.name}: replay lag percentiles per variant and standby or sink (ms, all runs)${part}`;
      add({ file, kind: 'lag-percentiles', title, model: m.name }, lagPercentilesChart(rows, { ...WIDE, heightPx: 460, title }));
    });
  }
  if (c.lagOverTime) {
    const l = c.lagOverTime;
    const title = `${l.model}/${l.variant} under ${l.profile}: replay lag over time (fault windows shaded)`;
    add(
      { file: 'charts/lag-over-time.png', kind: 'lag-over-time', title, model: l.model },
      lagOverTimeChart({ series: l.series, faults: l.faults.map((f) => ({ startMs: f.startMs, endMs: f.endMs, label: f.kind })) }, { ...WIDE, title }),
    );
  }
  for (const m of c.models) {
    const curves = m.variants.filter((v) => v.visibility).map((v) => ({ label: v.name, points: v.visibility!.points }));
    if (curves.length === 0) continue;
    const title = `${m.name}: probability a read t ms after a commit sees it (t-visibility)`;
    add({ file: `charts/visibility-${slug(m.name)}.png`, kind: 'visibility', title, model: m.name }, visibilityCurvesChart(curves, { ...WIDE, title }));
  }
  for (const m of c.models) {
    const values = m.variants.flatMap((v) => v.convergence.valuesMs);
    if (values.length === 0) continue;
    const title = `${m.name}: time to converge after faults heal (${values.length} runs)`;
    add({ file: `charts/convergence-${slug(m.name)}.png`, kind: 'convergence', title, model: m.name }, convergenceHistogramChart(values, { ...WIDE, title }));
  }
  addCostCharts(c, add);
  for (const l of c.levels) {
    const curves = l.pbs.curves.map((x) => ({ label: `R=${x.r} W=${x.w}`, points: x.points }));
    const title = `${l.model}: PBS t-visibility, N=${l.pbs.n} (P(consistent read) t ms after commit, WARS model)`;
    add({ file: `charts/pbs-${slug(l.model)}.png`, kind: 'pbs', title, model: l.model }, visibilityCurvesChart(curves, { ...WIDE, heightPx: 460, title }));
  }
  const counts = anomalyCounts(c);
  if (counts.length > 0) {
    const title = 'Runs with a violation, per guarantee and fault profile (every model, claimed or not)';
    add({ file: 'charts/anomalies.png', kind: 'anomalies', title, model: null }, anomalyCountsChart(counts, { ...WIDE, heightPx: 460, title }));
  }
  return { charts, pngs };
}

function addCostCharts(c: CollectedReport, add: (doc: ChartDoc, png: Buffer) => void): void {
  const costs = c.costs;
  if (!costs) return;
  const bars = costs.commitLatency.filter((x) => x.profile !== 'all');
  if (bars.some((b) => b.count > 0)) {
    const title = `${costs.model}: commit latency per synchronous_commit level and semi-sync wait point, per fault profile (bars: p50 → p99, ms)`;
    add({ file: 'charts/commit-latency.png', kind: 'commit-latency', title, model: costs.model }, commitLatencyChart(bars, { ...WIDE, heightPx: 460, title }));
  }
  if (costs.readScaling.some((r) => r.readsPerS !== null)) {
    const title = `${costs.model}: reads as standbys are added — busiest node's reads/s and stale reads, per read policy`;
    add({ file: 'charts/read-scaling.png', kind: 'read-scaling', title, model: costs.model }, readScalingChart(costs.readScaling, { ...WIDE, heightPx: 460, title }));
  }
}

/** Bars stay readable up to about this many groups of five in a 1000 px chart; more rows go to a second chart. */
const LAG_ROWS_PER_CHART = 12;

function lagRows(v: CollectedReport['models'][number]['variants'][number]): LagPercentilesRow[] {
  const row = (label: string, s: SummaryDoc | null): LagPercentilesRow =>
    s ? { label, p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max } : { label, p50: null, p90: null, p99: null, p999: null, max: null };
  return [...v.lag.map((l) => row(`${v.name} ${l.standby}`, l.replayLagMs)), ...v.sinks.map((s) => row(`${v.name} → ${s.sink}`, s.lagMs))];
}

/** Pack groups (a variant's rows) into charts of at most `max` rows, never splitting a group that fits. */
export function chunkRows<T>(groups: T[][], max: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  for (const g of groups) {
    if (cur.length > 0 && cur.length + g.length > max) {
      out.push(cur);
      cur = [];
    }
    cur.push(...g);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Guarantees that broke somewhere (all of them when none did), per profile. */
function anomalyCounts(c: CollectedReport): { guarantee: string; profile: string; count: number }[] {
  const broke = new Set(c.anomalies.filter((a) => a.broken > 0).map((a) => a.guarantee));
  const rows = broke.size > 0 ? c.anomalies.filter((a) => broke.has(a.guarantee)) : c.anomalies;
  return rows.map((a) => ({ guarantee: a.guarantee, profile: a.profile, count: a.broken }));
}
