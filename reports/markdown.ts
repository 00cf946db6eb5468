/**
 * summary.md: the report in GitHub-flavoured Markdown, small enough for a CI
 * job summary ($GITHUB_STEP_SUMMARY is capped at 1 MiB): the totals, the
 * guarantee matrix per model, replication lag per variant, the findings, and
 * the replay command of every broken cell. Charts and diagrams stay in
 * index.html.
 *
 * Every line fits MARKDOWN_COLUMNS characters so the file reads in a terminal,
 * a diff and a review tool alike: prose is wrapped, wide matrices are split
 * into several tables, and a replay command (one long token) is cut with
 * shell line continuations ("\" at the end of a line), which a POSIX shell
 * joins back into the same command when it is pasted.
 */
import { displayWidth, shortName, splitColumns, wrapText } from './matrix.js';
import { liveCellText } from './live.js';
import { pbsLegsText } from './levels.js';
import type { CellDoc, LiveDoc, ModelDoc, ReportDoc, SummaryDoc, VariantDoc } from './schema.js';

type MatrixModel = Pick<ModelDoc, 'name' | 'guarantees'> & { variants: readonly Pick<VariantDoc, 'name' | 'cells'>[] };

/** Longest line summary.md writes. */
export const MARKDOWN_COLUMNS = 120;

const ICON: Record<CellDoc['status'], string> = {
  'finding': '❌',
  'holds': '✅',
  'broken': '⚠️',
  'held': '·',
  'not-judged': '❔',
};

const LEGEND = [
  '✅ claimed, held · ❌ claimed, broke (finding) · ⚠️ not claimed, broke (runs broken / runs) ·',
  '· not claimed, held · ❔ not judged (no run had the evidence)',
];

export function reportMarkdown(doc: ReportDoc): string {
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken');
  const out: string[] = [
    '# replicheck report',
    '',
    wrap(
      `${doc.totals.runs} runs · ${doc.options.models.length} model(s) · profiles ${doc.options.profiles.join(', ')} · ` +
        `${doc.options.runs} runs per variant and profile · seed ${doc.options.seed} · ${(doc.elapsedMs / 1000).toFixed(1)} s`,
    ),
    '',
    wrap(
      claims.length === 0
        ? `**No claimed guarantee broke.** ${doc.totals.brokenCells} unclaimed guarantee cells broke (measured, expected by design).`
        : `**${claims.length} claimed guarantee(s) broke** — findings below.`,
    ),
    '',
    '## Guarantee matrix',
    '',
    ...LEGEND,
    '',
  ];
  out.push(
    doc.live?.column
      ? wrap(`The row "↳ PostgreSQL (live)" is ${doc.live.column.model}/${doc.live.column.variant} judged on a real server ` +
          `(${doc.live.column.runs} runs under ${doc.live.column.profile}): runs broken / judged; ≠ marks a disagreement with the model.`)
      : doc.live
        ? wrap('No live column: the live results hold no drawn scenarios (`replicheck live pg --runs N --variant V --out DIR` adds them); ' +
            'their synchronous_commit table is below.')
        : wrap('No live column: no live server results were given (`replicheck live pg --out DIR`, then `replicheck report --live DIR/live.json`).'),
    '',
  );
  for (const m of doc.models) out.push(...modelTables(m, doc.live), '');
  out.push(...liveSection(doc));
  out.push(...levelsSection(doc));
  out.push(...costsSection(doc));
  out.push(...lagSection(doc));
  out.push(...findingsSection(doc));
  out.push(...brokenCellsSection(doc));
  out.push('Open `index.html` in this directory for the charts and the space-time diagrams of every minimal counterexample.', '');
  return out.join('\n');
}

// ───────────────────────────── matrix ─────────────────────────────

/** Cell text: the icon, and runs broken / runs judged when it broke. */
function cell(c: CellDoc): string {
  return c.status === 'finding' || c.status === 'broken' ? `${ICON[c.status]} ${c.broken}/${c.runs}` : ICON[c.status];
}

/** One model's matrix as one or more tables (columns split so every row fits), then the column names. */
function modelTables(m: MatrixModel, live: LiveDoc | null = null, heading = `### ${esc(m.name)}`): string[] {
  const col = live?.column && live.column.model === m.name ? live.column : null;
  const liveCell = (g: string): string => {
    const c = col?.cells.find((x) => x.guarantee === g);
    return c ? `${c.agree === false ? '≠ ' : ''}${liveCellText(c)}` : '—';
  };
  const { shown, quiet } = splitColumns(m);
  const head = Math.max(m.name.length, ...m.variants.map((v) => v.name.length)) + 4;
  const width = (i: number): number =>
    Math.max(shortName(m.guarantees[i]!).length, ...m.variants.map((v) => displayWidth(cell(v.cells[i]!))), col ? displayWidth(liveCell(m.guarantees[i]!)) : 0) + 3;
  const chunks: number[][] = [];
  for (const i of shown) {
    const cur = chunks[chunks.length - 1];
    if (cur && head + cur.reduce((n, j) => n + width(j), 0) + width(i) + 1 <= MARKDOWN_COLUMNS) cur.push(i);
    else chunks.push([i]);
  }
  const out = heading ? [heading, ''] : [];
  for (const cols of chunks.length > 0 ? chunks : [[]]) {
    out.push(`| ${esc(m.name)} | ${cols.map((i) => esc(shortName(m.guarantees[i]!))).join(' | ')} |`);
    out.push(`|---|${cols.map(() => ':-:').join('|')}|`);
    for (const v of m.variants) {
      out.push(`| ${esc(v.name)} | ${cols.map((i) => cell(v.cells[i]!)).join(' | ')} |`);
      if (col && col.variant === v.name) out.push(`| ↳ PostgreSQL (live) | ${cols.map((i) => liveCell(m.guarantees[i]!)).join(' | ')} |`);
    }
    out.push('');
  }
  const named = shown.map((i) => m.guarantees[i]!).filter((g) => shortName(g) !== g).map((g) => `${shortName(g)} = ${g}`);
  if (named.length > 0) out.push(wrap(`Columns: ${named.join(', ')}.`), '');
  if (quiet.length > 0) out.push(wrap(`Also measured, never broke: ${quiet.map(esc).join(', ')}.`), '');
  return out.slice(0, out.length - 1);
}

// ───────────────────────────── live, levels, costs ─────────────────────────────

function liveSection(doc: ReportDoc): string[] {
  const l = doc.live;
  if (!l) return [];
  const out = ['## Live PostgreSQL beside the model', '', wrap(`From ${esc(l.source)} (${esc(l.postgres)}). Real runs are not deterministic: counts say how often a break reproduced.`), ''];
  if (l.disagreements.length === 0) out.push('Model and server agree on every guarantee both judged.', '');
  else {
    out.push(`**${l.disagreements.length} disagreement(s) between model and server** (a model bug or a finding):`, '');
    for (const d of l.disagreements) {
      out.push(wrap(`- ≠ ${esc(d.sentence)}`, 2));
      if (d.token) out.push('', ...commandBlock(`npx replicheck live pg --replay ${d.token} --guarantee ${d.guarantee} --times 5`, '  '), '');
    }
    out.push('');
  }
  if (l.syncTable.length > 0) {
    out.push('| case | synchronous_commit | guarantee | model | PostgreSQL | reproduced | agree |', '|---|---|---|---|---|--:|---|');
    for (const r of l.syncTable) {
      out.push(`| ${esc(r.case)} | ${esc(r.level)} | ${esc(r.guarantee)} | ${esc(r.model)} | ${esc(r.live)} | ${r.broke} of ${r.runs} | ${r.agree ? 'yes' : '**no**'} |`);
    }
    out.push('');
  }
  if (l.replay) {
    const broke = l.replay.broke.map((b) => `${b.guarantee} broke in ${b.runs} of ${l.replay!.runs} plays`);
    out.push(wrap(`Replayed schedule: ${broke.length === 0 ? `nothing broke in ${l.replay.runs} plays` : broke.join('; ')}.`), '');
  }
  return out;
}

function levelsSection(doc: ReportDoc): string[] {
  const out: string[] = [];
  for (const l of doc.levels) {
    out.push(`## ${esc(l.model)}: guarantees per consistency level`, '');
    out.push(wrap(`Every write level × read level on the default ring, ${l.runs} runs per pair and fault profile.`), '');
    out.push(...modelTables({ name: l.model, guarantees: l.guarantees, variants: l.variants }, null, ''), '');
    const at = (r: number, w: number, t: number): string => {
      const p = l.pbs.curves.find((c) => c.r === r && c.w === w)?.points.find((x) => x.tMs === t);
      return p ? p.probability.toFixed(3) : '—';
    };
    const ts = l.pbs.curves[0]?.points.map((p) => p.tMs) ?? [];
    out.push(wrap(`PBS t-visibility, N = ${l.pbs.n}: P(a read t ms after commit returns it), ${l.pbs.trials} Monte Carlo trials per point. WARS legs ${pbsLegsText(l.pbs.legs)}.`), '');
    out.push(`| R, W | ${ts.map((t) => `t=${t} ms`).join(' | ')} |`, `|---|${ts.map(() => '--:').join('|')}|`);
    for (const c of l.pbs.curves) out.push(`| R=${c.r} W=${c.w} | ${ts.map((t) => at(c.r, c.w, t)).join(' | ')} |`);
    out.push('');
  }
  return out;
}

function costsSection(doc: ReportDoc): string[] {
  const c = doc.costs;
  if (!c) return [];
  const out = ['## What replication costs', ''];
  out.push(wrap(`Measured on ${c.model}'s simulated histories, ${c.runs} scenarios per level (or topology) and fault profile; ` +
    `tunables drawn from the report seed: ${c.drawnKnobs.join(', ')}.`), '');
  const profiles = [...new Set(c.commitLatency.map((x) => x.profile))];
  const levels = [...new Set(c.commitLatency.map((x) => x.level))];
  out.push('Commit latency, p50/p99 ms (client invocation → acknowledgement of committed writes):', '');
  out.push(`| level | ${profiles.map((p) => (p === 'all' ? 'every profile' : p)).join(' | ')} |`, `|---|${profiles.map(() => '--:').join('|')}|`);
  for (const lv of levels) {
    out.push(`| ${esc(lv)} | ${profiles.map((p) => {
      const x = c.commitLatency.find((y) => y.level === lv && y.profile === p);
      return x && x.count > 0 ? `${ms(x.p50!)}/${ms(x.p99!)}` : '—';
    }).join(' | ')} |`);
  }
  out.push('', 'Reads as standbys are added (asynchronous replication, pooled over the profiles):', '');
  out.push('| standbys | policy | reads/s | busiest node reads/s | read p50 / p99 ms | stale reads |', '|--:|---|--:|--:|--:|--:|');
  for (const r of c.readScaling) {
    const lat = r.latencyMs.p50 === null ? '—' : `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99!)}`;
    out.push(`| ${r.standbys} | ${r.policy} | ${r.readsPerS ?? '—'} | ${r.busiestNodeReadsPerS ?? '—'} | ${lat} | ${r.staleFraction === null ? '—' : `${(r.staleFraction * 100).toFixed(1)}%`} |`);
  }
  out.push('');
  return out;
}

// ───────────────────────────── lag ─────────────────────────────

/** p50 / p99 / max replication lag per variant: replay lag per standby, end-to-end lag per CDC sink. */
function lagSection(doc: ReportDoc): string[] {
  const rows = doc.models.flatMap((m) => m.variants.flatMap((v) => lagRows(m, v)));
  if (rows.length === 0) return [];
  return [
    '## Replication lag (ms, every run pooled)',
    '',
    wrap('Standbys: replay lag (primary flush → standby replayed). CDC sinks: end-to-end lag (source commit → sink applied). ' +
      '"—": nothing was measured (an idle standby, or no change reached the sink).'),
    '',
    '| model/variant | standby or sink | p50 | p99 | max | samples |',
    '|---|---|--:|--:|--:|--:|',
    ...rows,
    '',
  ];
}

function lagRows(m: ModelDoc, v: VariantDoc): string[] {
  const row = (who: string, s: SummaryDoc | null, samples: number): string =>
    `| ${esc(`${m.name}/${v.name}`)} | ${esc(who)} | ${ms(s?.p50)} | ${ms(s?.p99)} | ${ms(s?.max)} | ${samples} |`;
  return [...v.lag.map((l) => row(l.standby, l.replayLagMs, l.replayLagMs?.count ?? 0)), ...v.sinks.map((s) => row(`→ ${s.sink}`, s.lagMs, s.lagMs?.count ?? 0))];
}

function ms(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

// ───────────────────────────── findings and broken cells ─────────────────────────────

function findingsSection(doc: ReportDoc): string[] {
  const out: string[] = [];
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken');
  if (claims.length > 0) {
    out.push('## Findings', '');
    for (const f of claims) {
      out.push(wrap(`- ❌ **${esc(`${f.model}/${f.variant}`)}** claimed \`${f.guarantee}\`; broke in ${f.broken} of ${f.runs} runs: ${esc(f.sentence)}`, 2));
    }
    out.push('', 'Their replay commands are with the broken cells below.', '');
  }
  const unjudged = doc.findings.filter((f) => f.kind === 'claim-not-judged');
  if (unjudged.length > 0) {
    out.push('## Claimed guarantees no run could judge', '');
    for (const f of unjudged) out.push(wrap(`- ${esc(`${f.model}/${f.variant}`)}: ${esc(f.guarantee)} — not judged in any of ${f.runs} runs (${esc(f.sentence)})`, 2));
    out.push('');
  }
  const harness = doc.findings.filter((f) => f.kind === 'harness-failure');
  if (harness.length > 0) {
    out.push('## Runs that could not be judged', '');
    for (const f of harness) {
      out.push(wrap(`- ${esc(`${f.model}/${f.variant}`)}: ${f.broken} run(s), ${esc(f.guarantee)} — ${esc(f.sentence)}`, 2));
      if (f.replay) out.push('', ...commandBlock(f.replay, '  '), '');
    }
    out.push('');
  }
  return out;
}

/** Every broken cell (claimed or measured) with its smallest run and the command that replays it. */
function brokenCellsSection(doc: ReportDoc): string[] {
  const cells = doc.models.flatMap((m) => m.variants.flatMap((v) => v.cells.filter((c) => c.counterexample).map((c) => ({ m, v, c }))));
  if (cells.length === 0) return [];
  const out = [
    '## Replaying a broken cell',
    '',
    wrap('The smallest run found for every broken cell. Each command is one line cut with `\\` continuations; ' +
      'paste it as is into a POSIX shell.'),
    '',
  ];
  for (const { m, v, c } of cells) {
    const x = c.counterexample!;
    const kind = c.status === 'finding' ? '❌ finding' : '⚠️ measured';
    out.push(wrap(`- ${kind}: **${esc(`${m.name}/${v.name}`)}** × \`${c.guarantee}\` (${c.broken}/${c.runs} runs; smallest: ` +
      `${x.ops} ops, ${x.faults} faults under ${x.profile}): ${esc(x.sentence)}`, 2));
    out.push('', ...commandBlock(x.replay, '  '), '');
  }
  return out;
}

/**
 * A shell command in a fenced block, cut into lines that fit: words are kept
 * whole where they fit, a longer word (the replay token) is cut anywhere, and
 * every line but the last ends in a backslash. A backslash-newline is removed
 * by the shell even inside a word, so the pasted lines run the same command.
 */
export function commandBlock(command: string, indent = ''): string[] {
  const room = MARKDOWN_COLUMNS - indent.length - 2; // leave space for " \"
  const lines: string[] = [];
  let cur = '';
  for (const word of command.split(' ')) {
    const sep = cur === '' ? '' : ' ';
    if (cur.length + sep.length + word.length <= room) {
      cur += sep + word;
      continue;
    }
    if (cur !== '' && word.length <= room) {
      lines.push(`${cur} \\`);
      cur = word;
      continue;
    }
    // Cut the word: fill the current line, then whole lines of it.
    let rest = cur === '' ? word : `${cur} ${word}`;
    while (rest.length > room) {
      lines.push(`${rest.slice(0, room)}\\`);
      rest = rest.slice(room);
    }
    cur = rest;
  }
  if (cur !== '') lines.push(cur);
  return [`${indent}\`\`\`sh`, ...lines.map((l) => indent + l), `${indent}\`\`\``];
}

// ───────────────────────────── text ─────────────────────────────

function wrap(text: string, indent = 0): string {
  return wrapText(text, MARKDOWN_COLUMNS, indent);
}

/** Escape what would break a table cell or inline HTML. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
