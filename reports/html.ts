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
import type { CellDoc, ChartDoc, ModelDoc, ReportDoc, SummaryDoc, VariantDoc } from './schema.js';

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
<nav><a href="#matrix">Guarantee matrix</a><a href="#findings">Findings</a><a href="#lag">Lag</a><a href="#visibility">Visibility</a><a href="#convergence">Convergence</a><a href="#anomalies">Anomalies</a><a href="#counterexamples">Counterexamples</a></nav>
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
  const tables = doc.models.map((m) => modelMatrix(m)).join('\n');
  return `<section id="matrix"><h2>Guarantee matrix</h2>
<p class="intro">Rows are model variants, columns guarantees. Claimed guarantees are checked in every run where the claim is in force (no fault outside what it tolerates); the rest are measured. Numbers are runs broken / runs judged. Click a broken cell for its smallest counterexample; hover for details.</p>
${LEGEND_HTML}
${tables}</section>`;
}

function modelMatrix(m: ModelDoc): string {
  const { shown, quiet } = splitColumns(m);
  const head = shown.map((i) => `<th class="g" title="${esc(m.guarantees[i]!)}"><span>${esc(m.guarantees[i]!)}</span></th>`).join('');
  const rows = m.variants
    .map((v) => `<tr><th class="v" title="${esc(JSON.stringify(v.config))}">${esc(v.name)}<small>${v.runs} runs</small></th>${shown.map((i) => matrixCell(m, v, v.cells[i]!)).join('')}</tr>`)
    .join('\n');
  const also = quiet.length > 0 ? `<p class="muted small">Also measured, never broke: ${quiet.map(esc).join(', ')}.</p>` : '';
  return `<h3>${esc(m.name)}</h3><p class="desc">${esc(m.description)}</p>
<div class="scroll"><table class="matrix"><thead><tr><th class="corner">variant \\ guarantee</th>${head}</tr></thead><tbody>
${rows}
</tbody></table></div>${also}`;
}

function matrixCell(m: ModelDoc, v: VariantDoc, c: CellDoc): string {
  const tip = `${v.name} · ${c.guarantee}: ${cellSummary(c)}${c.example ? ` — e.g. ${c.example}` : ''}`;
  const text = c.status === 'finding' || c.status === 'broken' ? `${c.broken}/${c.runs}` : c.status === 'holds' ? '✓' : c.status === 'held' ? '·' : '?';
  const share = c.runs > 0 ? c.broken / c.runs : 0;
  const style = c.status === 'broken' ? ` style="--share:${(0.25 + 0.75 * share).toFixed(2)}"` : '';
  // A claimed cell can still break outside the faults its claim tolerates: expected, but worth a glance.
  const mark = c.claimed && c.outsideBroken > 0 ? `<em>+${c.outsideBroken} outside</em>` : '';
  const inner = c.counterexample ? `<a href="#${cxId(m.name, v.name, c.guarantee)}">${text}</a>` : text;
  return `<td class="${c.status}"${style} title="${esc(tip)}">${inner}${mark}</td>`;
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
