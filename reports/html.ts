/**
 * index.html: one self-contained page (charts inlined as PNG data URIs, the
 * space-time diagrams as inline SVG, styles inline, no script, no network), so
 * it opens from disk, from a CI artifact, or attached to a ticket.
 *
 * Reading order: what broke that should not have (findings), the guarantee
 * matrix (every variant × guarantee, colour first, numbers on it), then lag,
 * visibility, convergence and anomaly charts, and last the minimal
 * counterexample of every broken cell, drawn.
 */
import { plural } from '../src/analysis.js';
import { cellSummary, splitColumns } from './matrix.js';
import { slug } from './run.js';
import { liveCellText } from './live.js';
import { pbsLegsText } from './levels.js';
import type { CellDoc, ChartDoc, LevelsDoc, LiveDoc, ModelDoc, ReportDoc, SummaryDoc, VariantDoc } from './schema.js';

/** What the matrix draws of a model: its variants' cells (a level pair is drawn as a variant). */
type MatrixModel = Pick<ModelDoc, 'name' | 'description' | 'guarantees'> & { variants: readonly MatrixRow[] };
type MatrixRow = Pick<VariantDoc, 'name' | 'config' | 'runs' | 'cells'>;

export interface HtmlAssets {
  /** Chart files (path relative to the report) → PNG. */
  pngs: Record<string, Buffer>;
  /** Diagram files (path relative to the report) → SVG text. */
  diagrams: Record<string, string>;
}

export function reportHtml(doc: ReportDoc, assets: HtmlAssets): string {
  const body = [
    header(doc),
    matrix(doc),
    findings(doc),
    liveSection(doc),
    levelsSection(doc, assets),
    costsSection(doc, assets),
    chartSection('lag', 'Replication lag', lagIntro(doc), doc, ['lag-percentiles', 'lag-over-time'], lagTables(doc), assets),
    chartSection('visibility', 'Read visibility', VIS_INTRO, doc, ['visibility'], stalenessTable(doc), assets),
    chartSection('convergence', 'Convergence after faults heal', CONV_INTRO, doc, ['convergence'], '', assets),
    chartSection('anomalies', 'Anomalies by fault profile', ANOM_INTRO, doc, ['anomalies'], '', assets),
    counterexamples(doc, assets),
    footer(doc),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>replicheck report — ${esc(doc.options.models.join(', '))}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script>${OPEN_TARGET}</script>
</body>
</html>
`;
}

/** Following a link to a closed diagram opens it (the page works without this, one click more). */
const OPEN_TARGET = `(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();`;

const VIS_INTRO =
  'Probability that a read started t ms after a commit returns that write or a newer one (t-visibility of Probabilistically Bounded Staleness). ' +
  'Each write is weighted by the nodes that served the reads started after its commit; runs without reads measure nothing. ' +
  'The t axis is logarithmic and its first tick is t = 0. A curve at 1 from t = 0 means no read could miss a commit, as when clients read ' +
  'only the primary or the CDC source (sink lag is in the lag section); a curve that stays below 1 means some reads went to a node that ' +
  'never received those writes (a migration\'s old database after cut-over). The table shows how stale the stale reads were.';
const CONV_INTRO = 'Time from the quiet phase (every fault healed, no more client operations) to the last change to any node\'s visible state.';
const ANOM_INTRO = 'How many runs broke each guarantee under each fault profile, over every model and variant, claimed or not.';

function lagIntro(doc: ReportDoc): string {
  const l = doc.lagOverTime;
  const rep = l ? ` The time series is one representative run, picked by ${esc(l.why)}; its replay command is under the chart.` : '';
  return `PostgreSQL's replay_lag per standby (time from the primary's flush of a WAL position to the standby reporting it replayed) and end-to-end lag per CDC sink, pooled over every run.${rep}`;
}

// ───────────────────────────── header and findings ─────────────────────────────

function header(doc: ReportDoc): string {
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken').length;
  const harness = doc.totals.harnessFailures;
  const card = (value: string, label: string, cls = ''): string => `<div class="card ${cls}"><div class="v">${value}</div><div class="l">${label}</div></div>`;
  return `<header>
<h1>replicheck report</h1>
<p class="sub">${esc(doc.options.models.join(', '))} · profiles ${esc(doc.options.profiles.join(', '))} · ${doc.options.runs} runs per variant and profile · seed ${doc.options.seed} · ${esc(doc.generatedAt)}</p>
<div class="cards">
${card(String(claims), claims === 1 ? 'claimed guarantee broke' : 'claimed guarantees broke', claims > 0 ? 'bad' : 'good')}
${card(String(doc.totals.brokenCells - claims), 'unclaimed guarantees broke (measured)', 'warn')}
${card(String(doc.totals.runs), `runs · ${(doc.elapsedMs / 1000).toFixed(1)} s · ${doc.totals.runsPerS} runs/s`)}
${card(String(harness), 'runs that could not be judged', harness > 0 ? 'bad' : '')}
</div>
<nav><a href="#matrix">Guarantee matrix</a><a href="#findings">Findings</a>${doc.live ? '<a href="#live">Live PostgreSQL</a>' : ''}${doc.levels.length > 0 ? '<a href="#levels">Consistency levels</a>' : ''}${doc.costs ? '<a href="#costs">Costs</a>' : ''}<a href="#lag">Lag</a><a href="#visibility">Visibility</a><a href="#convergence">Convergence</a><a href="#anomalies">Anomalies</a><a href="#counterexamples">Counterexamples</a></nav>
</header>`;
}

function findings(doc: ReportDoc): string {
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken');
  const harness = doc.findings.filter((f) => f.kind === 'harness-failure');
  const none = claims.length === 0
    ? `<p class="ok">✓ Every claimed guarantee held in every run where its claim was in force (${doc.totals.runs} runs).</p>` : '';
  const rows = claims.map(
    (f) => `<tr><td class="nw"><b>${esc(f.model)}/${esc(f.variant)}</b></td><td class="nw">${esc(f.guarantee)}</td><td class="nw">${f.broken} / ${f.runs}</td><td>${esc(f.sentence)}</td><td class="nw"><a href="#${cxId(f.model, f.variant, f.guarantee)}">minimal run →</a></td></tr>`,
  );
  const table = rows.length === 0 ? '' : `<p class="intro">A variant claims these guarantees, yet runs broke them where the claim was in force. Each links to its smallest run, drawn, with the command that replays it.</p>
<div class="scroll"><table class="data findings"><thead><tr><th>variant</th><th>claimed guarantee</th><th>runs broken</th><th>what happened (smallest run)</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
  const bad = harness.map(
    (f) => `<tr><td class="nw"><b>${esc(f.model)}/${esc(f.variant)}</b></td><td class="nw">${esc(f.guarantee)}</td><td class="nw">${f.broken} / ${f.runs}</td><td><div class="clip">${esc(f.sentence)}</div>${f.replay ? `<code class="cmd">${esc(f.replay)}</code>` : ''}</td></tr>`,
  );
  const unjudged = doc.findings.filter((f) => f.kind === 'claim-not-judged').map(
    (f) => `<tr><td class="nw"><b>${esc(f.model)}/${esc(f.variant)}</b></td><td class="nw">${esc(f.guarantee)}</td><td class="nw">0 / ${f.runs}</td><td>${esc(f.sentence)}</td></tr>`,
  );
  const unjudgedPart = unjudged.length === 0 ? '' : `<h3>Claimed guarantees no run could judge</h3>
<p class="intro">No run had the evidence these checks need, so they are neither held nor broken. They count as findings for <code>--strict</code>.</p>
<div class="scroll"><table class="data findings"><thead><tr><th>variant</th><th>claimed guarantee</th><th>runs judged</th><th>why not (most runs)</th></tr></thead><tbody>${unjudged.join('')}</tbody></table></div>`;
  const harnessPart = bad.length === 0 ? '' : `<h3>Runs that could not be judged</h3>
<p class="intro">The simulator stopped them (a limit), or the model or a checker threw. They count as findings for <code>--strict</code>; the command replays the first one.</p>
<div class="scroll"><table class="data findings harness"><thead><tr><th>variant</th><th>why</th><th>runs</th><th>first one</th></tr></thead><tbody>${bad.join('')}</tbody></table></div>`;
  return `<section id="findings"><h2>Findings</h2>${none}${table}${unjudgedPart}${harnessPart}</section>`;
}

// ───────────────────────────── matrix ─────────────────────────────

const LEGEND_HTML = `<div class="legend">
<span><i class="sw finding"></i>claimed, broke — a finding</span>
<span><i class="sw holds"></i>claimed, held</span>
<span><i class="sw broken"></i>not claimed, broke (measured; darker = more often)</span>
<span><i class="sw held"></i>not claimed, held</span>
<span><i class="sw not-judged"></i>not judged</span>
</div>`;

function matrix(doc: ReportDoc): string {
  const tables = doc.models.map((m) => modelMatrix(m, doc.live)).join('\n');
  const live = doc.live?.column
    ? `<p class="intro">The row <b>↳ PostgreSQL (live)</b> under ${esc(doc.live.column.model)}/${esc(doc.live.column.variant)} is the same guarantees judged on a real server (${esc(doc.live.postgres)}; ${plural(doc.live.column.runs, 'run')} under ${esc(doc.live.column.profile)}): runs broken / runs judged; a red outline marks a cell where model and server disagree (<a href="#live">details</a>).</p>`
    : doc.live
      ? '<p class="muted small">No live column: the live results hold no drawn scenarios (<code>replicheck live pg --runs N --variant V --out DIR</code> adds them); their synchronous_commit table is <a href="#live">below</a>.</p>'
      : '<p class="muted small">No live column: no live server results were given (run <code>replicheck live pg --out DIR</code>, then <code>replicheck report --live DIR/live.json</code>).</p>';
  return `<section id="matrix"><h2>Guarantee matrix</h2>
<p class="intro">Rows are model variants, columns guarantees. Claimed guarantees are checked in every run where the claim is in force (no fault outside what it tolerates); the rest are measured. Numbers are runs broken / runs judged. Click a broken cell for its smallest counterexample; hover for details.</p>
${LEGEND_HTML}
${live}
${tables}</section>`;
}

function modelMatrix(m: MatrixModel, live: LiveDoc | null = null, heading = true): string {
  const { shown, quiet } = splitColumns(m);
  const head = shown.map((i) => `<th class="g" title="${esc(m.guarantees[i]!)}"><span>${esc(m.guarantees[i]!)}</span></th>`).join('');
  const col = live?.column && live.column.model === m.name ? live.column : null;
  const rows = m.variants
    .map((v) => {
      const row = `<tr><th class="v" title="${esc(JSON.stringify(v.config))}">${esc(v.name)}<small>${v.runs} runs</small></th>${shown.map((i) => matrixCell(m, v, v.cells[i]!)).join('')}</tr>`;
      return col && col.variant === v.name ? `${row}\n${liveRow(col, shown.map((i) => m.guarantees[i]!))}` : row;
    })
    .join('\n');
  const also = quiet.length > 0 ? `<p class="muted small">Also measured, never broke: ${quiet.map(esc).join(', ')}.</p>` : '';
  return `${heading ? `<h3>${esc(m.name)}</h3><p class="desc">${esc(m.description)}</p>` : ''}
<div class="scroll"><table class="matrix"><thead><tr><th class="corner">variant \\ guarantee</th>${head}</tr></thead><tbody>
${rows}
</tbody></table></div>${also}`;
}

/** The live server's row under its variant: broke/judged per shown column, disagreements outlined. */
function liveRow(col: NonNullable<LiveDoc['column']>, guarantees: readonly string[]): string {
  const cells = guarantees.map((g) => {
    const c = col.cells.find((x) => x.guarantee === g);
    if (!c) return '<td class="live none" title="not measured on the server">—</td>';
    const cls = c.judged === 0 ? 'not-judged' : c.broke > 0 ? (c.claimed ? 'finding' : 'broken') : c.claimed ? 'holds' : 'held';
    const model = !c.model ? 'no model cell' : c.model.runs === 0 ? 'the model judged it in no run'
      : `model ${c.model.broken}/${c.model.runs}${c.model.profile === 'all' ? '' : ` under ${c.model.profile}`}`;
    const tip = `PostgreSQL · ${g}: broke in ${c.broke} of ${c.judged} judged runs (${model})${c.example ? ` — e.g. ${c.example}` : ''}`;
    const share = c.judged > 0 ? c.broke / c.judged : 0;
    const style = cls === 'broken' ? ` style="--share:${(0.25 + 0.75 * share).toFixed(2)}"` : '';
    return `<td class="${cls} live${c.agree === false ? ' disagree' : ''}"${style} title="${esc(tip)}">${esc(liveCellText(c))}${c.agree === false ? '<em>≠ model</em>' : ''}</td>`;
  });
  return `<tr class="live"><th class="v">↳ PostgreSQL (live)<small>${col.runs} runs · ${esc(col.profile)}</small></th>${cells.join('')}</tr>`;
}

function matrixCell(m: MatrixModel, v: MatrixRow, c: CellDoc): string {
  const tip = `${v.name} · ${c.guarantee}: ${cellSummary(c)}${c.example ? ` — e.g. ${c.example}` : ''}`;
  const text = c.status === 'finding' || c.status === 'broken' ? `${c.broken}/${c.runs}` : c.status === 'holds' ? '✓' : c.status === 'held' ? '·' : '?';
  const share = c.runs > 0 ? c.broken / c.runs : 0;
  const style = c.status === 'broken' ? ` style="--share:${(0.25 + 0.75 * share).toFixed(2)}"` : '';
  // A claimed cell can still break outside the faults its claim tolerates: expected, but worth a glance.
  const mark = c.claimed && c.outsideBroken > 0 ? `<em>+${c.outsideBroken} outside</em>` : '';
  const inner = c.counterexample ? `<a href="#${cxId(m.name, v.name, c.guarantee)}">${text}</a>` : text;
  return `<td class="${c.status}"${style} title="${esc(tip)}">${inner}${mark}</td>`;
}

// ───────────────────────────── live, levels, costs ─────────────────────────────

function liveSection(doc: ReportDoc): string {
  const l = doc.live;
  if (!l) return '';
  const dis = l.disagreements.length === 0
    ? '<p class="ok">✓ Model and server agree on every guarantee both judged.</p>'
    : `<div class="disagree-box"><b>${plural(l.disagreements.length, 'disagreement')} between model and server</b> — each is a model bug or a finding:<ul>${l.disagreements
        .map((d) => `<li>${esc(d.sentence)}${d.token ? `<br><code class="cmd">npx replicheck live pg --replay ${esc(d.token)} --guarantee ${esc(d.guarantee)} --times 5</code>` : ''}</li>`)
        .join('')}</ul></div>`;
  const col = l.column;
  const colTable = col
    ? `<h3>Live column: ${esc(col.model)}/${esc(col.variant)} on PostgreSQL</h3><p class="intro">${plural(col.runs, 'scenario')} drawn for ${esc(col.variant)} under ${esc(col.profile)}${col.perMinute !== null ? ` (${col.perMinute} per minute)` : ''}; the model's cell is the same variant in this report.</p>
<div class="scroll"><table class="data"><thead><tr><th>guarantee</th><th>claimed</th><th>model: broken / runs</th><th>PostgreSQL: broken / judged</th><th>agree</th><th>example on the server</th></tr></thead><tbody>${col.cells
        .map((c) => `<tr${c.agree === false ? ' class="bad"' : ''}><td>${esc(c.guarantee)}</td><td>${c.claimed ? 'yes' : 'no'}</td><td>${c.model ? `${c.model.broken} / ${c.model.runs}${c.model.profile === 'all' ? '' : ` (${esc(c.model.profile)})`}` : '—'}</td><td>${c.judged === 0 ? 'not judged' : `${c.broke} / ${c.judged}`}</td><td>${c.agree === null ? '—' : c.agree ? 'yes' : '<b>no</b>'}</td><td>${esc(c.example ?? '')}</td></tr>`)
        .join('')}</tbody></table></div>`
    : '';
  const sync = l.syncTable.length === 0 ? '' : `<h3>synchronous_commit: model beside server</h3>
<div class="scroll"><table class="data"><thead><tr><th>case</th><th>synchronous_commit</th><th>guarantee</th><th>model</th><th>PostgreSQL</th><th>reproduced</th><th>agree</th></tr></thead><tbody>${l.syncTable
    .map((r) => `<tr${r.agree ? '' : ' class="bad"'}><td>${esc(r.case)}</td><td>${esc(r.level)}</td><td>${esc(r.guarantee)}</td><td>${esc(r.model)}</td><td>${esc(r.live)}</td><td>${r.broke} of ${r.runs}</td><td>${r.agree ? 'yes' : '<b>no</b>'}</td></tr>`)
    .join('')}</tbody></table></div>`;
  const replay = l.replay
    ? `<h3>Replayed schedule</h3><p>${l.replay.broke.length === 0 ? `Nothing broke in ${plural(l.replay.runs, 'play')}.` : l.replay.broke.map((b) => `${esc(b.guarantee)} broke in ${b.runs} of ${l.replay!.runs} plays`).join('; ')}</p>`
    : '';
  return `<section id="live"><h2>Live PostgreSQL beside the model</h2><p class="intro">From ${esc(l.source)} (${esc(l.postgres)}). Real runs are not deterministic: counts say how often a break reproduced.</p>${dis}${colTable}${sync}${replay}</section>`;
}

function levelsSection(doc: ReportDoc, assets: HtmlAssets): string {
  if (doc.levels.length === 0) return '';
  const parts = doc.levels.map((l) => {
    const charts = doc.charts.filter((c) => c.kind === 'pbs' && c.model === l.model).map((c) => figure(c, doc, assets)).join('\n');
    const m: MatrixModel = { name: l.model, description: '', guarantees: l.guarantees, variants: l.variants };
    return `<h3>${esc(l.model)}: guarantees per consistency level</h3>
<p class="intro">Every write level × read level on the default ring (${plural(l.runs, 'run')} per pair and fault profile; cells as in the matrix above). With R + W > RF a read overlaps every acknowledged write; below it, reads may miss one — how often is measured here.</p>
${modelMatrix(m, null, false)}
<p class="intro">PBS (Bailis et al., VLDB 2012): the probability that a read t ms after a commit returns it, for N = ${l.pbs.n} and every R, W, by Monte Carlo over the WARS model (${l.pbs.trials} trials per point). WARS legs ${esc(pbsLegsText(l.pbs.legs))} <span class="mono">${esc(JSON.stringify(l.pbs.legs))}</span>.</p>
${charts}`;
  });
  return `<section id="levels"><h2>Consistency levels</h2>${parts.join('\n')}</section>`;
}

function costsSection(doc: ReportDoc, assets: HtmlAssets): string {
  const c = doc.costs;
  if (!c) return '';
  const fig = (kind: ChartDoc['kind']): string => doc.charts.filter((x) => x.kind === kind).map((x) => figure(x, doc, assets)).join('\n');
  const profiles = [...new Set(c.commitLatency.map((x) => x.profile))];
  const levels = [...new Set(c.commitLatency.map((x) => x.level))];
  const cellOf = (lv: string, p: string): string => {
    const x = c.commitLatency.find((y) => y.level === lv && y.profile === p);
    return x && x.count > 0 ? `${fmt(x.p50!)} / ${fmt(x.p99!)}` : '—';
  };
  const commitTable = `<div class="scroll"><table class="data"><thead><tr><th>level</th>${profiles.map((p) => `<th>${esc(p === 'all' ? 'every profile' : p)}</th>`).join('')}</tr></thead><tbody>${levels
    .map((lv) => `<tr><td>${esc(lv)}</td>${profiles.map((p) => `<td>${cellOf(lv, p)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
  const readTable = `<div class="scroll"><table class="data"><thead><tr><th>standbys</th><th>read policy</th><th>runs</th><th>reads/s</th><th>busiest node reads/s</th><th>read p50 (ms)</th><th>read p99</th><th>stale reads</th><th>stale p99 (ms)</th></tr></thead><tbody>${c.readScaling
    .map((r) => `<tr><td>${r.standbys}</td><td>${esc(r.policy)}</td><td>${r.runs}</td><td>${r.readsPerS ?? '—'}</td><td>${r.busiestNodeReadsPerS ?? '—'}</td><td>${r.latencyMs.p50 === null ? '—' : fmt(r.latencyMs.p50)}</td><td>${r.latencyMs.p99 === null ? '—' : fmt(r.latencyMs.p99)}</td><td>${r.staleFraction === null ? '—' : `${(r.staleFraction * 100).toFixed(1)}%`}</td><td>${r.staleMsP99 === null ? '—' : fmt(r.staleMsP99)}</td></tr>`)
    .join('')}</tbody></table></div>`;
  return `<section id="costs"><h2>What replication costs</h2>
<p class="intro">Measured on ${esc(c.model)}'s simulated histories: ${plural(c.runs, 'scenario')} per level (or topology) and fault profile, each with the model's tunables (${esc(c.drawnKnobs.join(', '))}) drawn from the report seed — the same draws and scenarios for every level.${c.failedRuns > 0 ? ` ${plural(c.failedRuns, 'run')} could not finish and gave no figures.` : ''}</p>
<h3>Write speed: commit latency per level</h3>
<p class="intro">Client invocation to acknowledgement of committed writes (p50 / p99 ms, nearest rank). Failed and indeterminate commits are left out. PostgreSQL's synchronous levels wait for one standby (FIRST 1); semi-sync for <code>semisyncAcks</code> replicas (a drawn tunable).</p>
${fig('commit-latency')}${commitTable}
<h3>Read speed: adding standbys</h3>
<p class="intro">Asynchronous replication with 1–3 standbys, every session on one read policy, pooled over the fault profiles. The simulated nodes have no request-processing capacity, so total reads/s follows the offered load; what a standby buys is the load taken off the busiest node, and what it costs is stale reads.</p>
${fig('read-scaling')}${readTable}</section>`;
}

// ───────────────────────────── charts and tables ─────────────────────────────

function chartSection(id: string, title: string, intro: string, doc: ReportDoc, kinds: ChartDoc['kind'][], extra: string, assets: HtmlAssets): string {
  const charts = doc.charts.filter((c) => kinds.includes(c.kind));
  const figs = charts.map((c) => figure(c, doc, assets)).join('\n');
  const empty = charts.length === 0 ? '<p class="muted">No run produced data for this section.</p>' : '';
  return `<section id="${id}"><h2>${esc(title)}</h2><p class="intro">${intro}</p>${empty}${figs}${extra}</section>`;
}

function figure(c: ChartDoc, doc: ReportDoc, assets: HtmlAssets): string {
  const png = assets.pngs[c.file];
  const src = png ? `data:image/png;base64,${png.toString('base64')}` : c.file;
  const replay = c.kind === 'lag-over-time' && doc.lagOverTime ? `<br><code class="cmd">${esc(doc.lagOverTime.replay)}</code>` : '';
  return `<figure><img src="${src}" alt="${esc(c.title)}" width="1000"><figcaption>${esc(c.title)} · <a href="${esc(c.file)}">${esc(c.file)}</a>${replay}</figcaption></figure>`;
}

const ms = (s: SummaryDoc | null | undefined, k: keyof SummaryDoc): string => (s ? fmt(s[k]) : '—');

function lagTables(doc: ReportDoc): string {
  const rows = doc.models.flatMap((m) =>
    m.variants.flatMap((v) => [
      ...v.lag.map((l) => `<tr><td>${esc(m.name)}/${esc(v.name)}</td><td>${esc(l.standby)}</td><td>${ms(l.writeLagMs, 'p50')}</td><td>${ms(l.flushLagMs, 'p50')}</td><td>${ms(l.replayLagMs, 'p50')}</td><td>${ms(l.replayLagMs, 'p99')}</td><td>${ms(l.replayLagMs, 'max')}</td><td>${l.positions}</td><td>${l.unreplayed}</td></tr>`),
      ...v.sinks.map((s) => `<tr><td>${esc(m.name)}/${esc(v.name)}</td><td>→ ${esc(s.sink)}</td><td>—</td><td>—</td><td>${ms(s.lagMs, 'p50')}</td><td>${ms(s.lagMs, 'p99')}</td><td>${ms(s.lagMs, 'max')}</td><td>${s.applies}</td><td>${s.reapplied} re-applied</td></tr>`),
    ]),
  );
  if (rows.length === 0) return '';
  return `<details><summary>Lag table (ms)</summary><div class="scroll"><table class="data"><thead><tr><th>variant</th><th>standby / sink</th><th>write p50</th><th>flush p50</th><th>replay p50</th><th>replay p99</th><th>replay max</th><th>positions</th><th>never replayed</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></details>`;
}

function stalenessTable(doc: ReportDoc): string {
  const rows = doc.models.flatMap((m) =>
    m.variants.map((v) => {
      const s = v.staleness;
      const k = s.byVersionsBehind.map((n, i) => `${i}:${n}`).join(' ');
      const frac = s.staleFraction === null ? '—' : `${(s.staleFraction * 100).toFixed(1)}%`;
      return `<tr><td>${esc(m.name)}/${esc(v.name)}</td><td>${s.reads}</td><td>${frac}</td><td>${ms(s.staleMs, 'p50')}</td><td>${ms(s.staleMs, 'p99')}</td><td>${ms(s.staleMs, 'max')}</td><td class="mono">${esc(k)}</td></tr>`;
    }),
  );
  return `<details><summary>Stale reads per variant</summary><div class="scroll"><table class="data"><thead><tr><th>variant</th><th>reads</th><th>stale</th><th>T p50 (ms)</th><th>T p99</th><th>T max</th><th>reads by versions behind (K:count)</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></details>`;
}

// ───────────────────────────── counterexamples ─────────────────────────────

function counterexamples(doc: ReportDoc, assets: HtmlAssets): string {
  const openFindings = doc.findings.filter((f) => f.kind === 'claim-broken').length <= 3;
  const items = doc.models.flatMap((m) =>
    m.variants.flatMap((v) => v.cells.filter((c) => c.counterexample).map((c) => counterexample(m, v, c, assets, openFindings && c.status === 'finding'))),
  );
  const empty = items.length === 0 ? '<p class="muted">No cell broke, so there is nothing to draw.</p>' : '';
  return `<section id="counterexamples"><h2>Minimal counterexamples</h2>
<p class="intro">For every broken cell, the smallest run found (then shrunk by fast-check): one lane per node, time going down, messages as arrows, faults shaded, client operations from the client lane. Replaying the command re-runs it exactly.</p>
${empty}${items.join('\n')}</section>`;
}

function counterexample(m: ModelDoc, v: VariantDoc, c: CellDoc, assets: HtmlAssets, open: boolean): string {
  const x = c.counterexample!;
  const svg = x.svg ? assets.diagrams[x.svg] : undefined;
  const lin = x.linearization ? assets.diagrams[x.linearization] : undefined;
  const kind = c.status === 'finding' ? '<span class="tag bad">finding</span>' : '<span class="tag warn">measured</span>';
  const profiles = c.byProfile.map((p) => `${esc(p.profile)} ${p.broken}/${p.runs}`).join(' · ');
  return `<details id="${cxId(m.name, v.name, c.guarantee)}"${open ? ' open' : ''}>
<summary>${kind} <b>${esc(m.name)}/${esc(v.name)}</b> — ${esc(c.guarantee)} · ${plural(x.ops, 'op')}, ${plural(x.faults, 'fault')} (${esc(x.profile)})</summary>
<p class="fs">${esc(x.sentence)}</p>
<p class="muted">Broke per profile: ${profiles}. Shrunk in ${x.shrinks} steps (${x.evaluations} simulations).</p>
<code class="cmd">${esc(x.replay)}</code>
${svg ? `<div class="svg">${svg}</div>` : '<p class="muted">The minimal run could not be re-simulated for a diagram.</p>'}
${lin ? `<p class="muted">Partial linearization: the longest legal order found, and the operations no legal order can place.</p><div class="svg">${lin}</div>` : ''}
</details>`;
}

function footer(doc: ReportDoc): string {
  return `<footer>report.json schema version ${doc.schemaVersion} · replicheck ${esc(doc.tool.version)} · ${doc.totals.events.toLocaleString('en-US')} simulated events${doc.chartLabels ? '' : ' · no font was found, so the charts carry no text'}</footer>`;
}

export function cxId(model: string, variant: string, guarantee: string): string {
  return `cx-${slug(model)}--${slug(variant)}--${slug(guarantee)}`;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const CSS = `
:root{--bg:#f6f7f9;--fg:#1d2330;--muted:#667085;--card:#fff;--line:#e3e6ea;--red:#c62828;--redbg:#fde8e8;--green:#2e7d32;--greenbg:#e3f4e4;--amber:#b26a00;--blue:#0072B2}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header,section,footer{max-width:1240px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{margin:0;font-size:26px;letter-spacing:-.01em}
h2{font-size:20px;margin:36px 0 8px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:16px;margin:22px 0 2px}
.sub,.desc,.muted,.intro{color:var(--muted)}
.small{font-size:12px}
.intro{max-width:900px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px;min-width:200px}
.card .v{font-size:28px;font-weight:700}
.card .l{color:var(--muted);font-size:13px}
.card.bad{border-color:var(--red);background:var(--redbg)}.card.bad .v{color:var(--red)}
.card.good .v{color:var(--green)}
.card.warn .v{color:var(--amber)}
nav{display:flex;gap:16px;flex-wrap:wrap;padding:8px 0;border-top:1px solid var(--line)}
nav a,a{color:var(--blue);text-decoration:none}a:hover{text-decoration:underline}
.ok{background:var(--greenbg);border:1px solid #b7dfb9;border-radius:8px;padding:10px 14px;color:var(--green);font-weight:600}
table.data.findings td,table.data.findings th{text-align:left;vertical-align:top}
table.findings{width:100%}
.nw{white-space:nowrap}
.fs{margin:4px 0}
table.findings.harness td:last-child{max-width:0;width:60%}
code.cmd{display:inline-block;max-width:100%;overflow-x:auto;white-space:nowrap;vertical-align:middle;background:#101828;color:#e4e7ec;border-radius:6px;padding:4px 8px;font-size:12px}
.legend{display:flex;gap:16px;flex-wrap:wrap;margin:10px 0;font-size:13px}
.sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:6px;border:1px solid var(--line)}
.scroll{overflow-x:auto}
table.matrix{border-collapse:separate;border-spacing:3px;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:6px}
table.matrix th.g{height:150px;vertical-align:bottom;padding:0 0 4px;font-weight:600;font-size:12px;white-space:nowrap}
table.matrix th.g span{writing-mode:vertical-rl;transform:rotate(180deg);display:inline-block}
table.matrix th.v{text-align:left;padding:4px 10px 4px 4px;white-space:nowrap;font-weight:600}
table.matrix th.v small{display:block;font-weight:400;color:var(--muted);font-size:11px}
table.matrix th.corner{text-align:left;vertical-align:bottom;color:var(--muted);font-weight:400;font-size:12px}
table.matrix td{width:58px;min-width:58px;height:40px;text-align:center;border-radius:6px;font-weight:600;font-size:12px;position:relative}
table.matrix td em{position:absolute;left:0;right:0;bottom:1px;font-size:9px;font-style:normal;font-weight:400;opacity:.75}
table.matrix td a{color:inherit;display:block}
td.finding,.sw.finding{background:var(--red);color:#fff}
td.finding{box-shadow:0 0 0 2px #7f1010 inset}
td.holds,.sw.holds{background:#5cb85f;color:#fff}
td.broken{background:rgba(230,159,0,var(--share,.6));color:#3d2600}
.sw.broken{background:#E69F00}
td.held,.sw.held{background:#eef0f3;color:#98a2b3}
tr.live th.v{color:var(--blue)}
td.live{outline:1px dashed var(--blue);outline-offset:-3px}
td.live.disagree{outline:3px solid var(--red);outline-offset:-3px}
td.live.none{background:#fff;color:#98a2b3}
.disagree-box{background:var(--redbg);border:1px solid var(--red);border-radius:8px;padding:10px 14px;margin:8px 0}
table.data tr.bad td{background:var(--redbg)}
td.not-judged,.sw.not-judged{background:repeating-linear-gradient(45deg,#f4f5f7,#f4f5f7 4px,#e9ebef 4px,#e9ebef 8px);color:#98a2b3}
figure{margin:16px 0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px}
figure img{max-width:100%;height:auto;display:block}
figcaption{color:var(--muted);font-size:12px;margin-top:6px}
table.data{border-collapse:collapse;background:var(--card);font-size:13px;margin:8px 0}
table.data th,table.data td{border:1px solid var(--line);padding:4px 8px;text-align:right}
table.data td:first-child,table.data th:first-child,table.data td:nth-child(2){text-align:left}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
details{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;margin:10px 0}
details summary{cursor:pointer}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:11px;font-weight:700;color:#fff}
.tag.bad{background:var(--red)}.tag.warn{background:#E69F00;color:#3d2600}
.svg{overflow:auto;max-height:720px;border:1px solid var(--line);border-radius:6px;margin-top:8px;background:#fff}
footer{color:var(--muted);font-size:12px;padding:32px 24px 48px}
`;
