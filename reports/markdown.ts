/**
 * summary.md: the report in GitHub-flavoured Markdown, small enough for a CI
 * job summary ($GITHUB_STEP_SUMMARY is capped at 1 MiB): the totals, the
 * guarantee matrix per model, and the findings with their replay commands.
 * Charts and diagrams stay in index.html.
 */
import { cellSummary, shortName, splitColumns } from './matrix.js';
import type { CellDoc, ModelDoc, ReportDoc } from './schema.js';

const ICON: Record<CellDoc['status'], string> = {
  'finding': '❌',
  'holds': '✅',
  'broken': '⚠️',
  'held': '·',
  'not-judged': '❔',
};

export function reportMarkdown(doc: ReportDoc): string {
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken');
  const harness = doc.findings.filter((f) => f.kind === 'harness-failure');
  const out: string[] = [
    '# replicheck report',
    '',
    `${doc.totals.runs} runs · ${doc.options.models.length} model(s) · profiles ${doc.options.profiles.join(', ')} · ` +
      `${doc.options.runs} runs per variant and profile · seed ${doc.options.seed} · ${(doc.elapsedMs / 1000).toFixed(1)} s`,
    '',
    claims.length === 0
      ? `**No claimed guarantee broke.** ${doc.totals.brokenCells} unclaimed guarantee cells broke (measured, expected by design).`
      : `**${claims.length} claimed guarantee(s) broke** — findings below.`,
    '',
  ];
  out.push('## Guarantee matrix', '', '✅ claimed, held · ❌ claimed, broke (finding) · ⚠️ not claimed, broke (runs broken / runs) · · not claimed, held · ❔ not judged (no run had the evidence; hover for why)', '');
  for (const m of doc.models) out.push(...modelTable(m), '');
  if (claims.length > 0) {
    out.push('## Findings', '', '| model / variant | guarantee | broke | what happened | replay |', '|---|---|---|---|---|');
    for (const f of claims) {
      out.push(`| ${esc(`${f.model}/${f.variant}`)} | ${esc(f.guarantee)} | ${f.broken}/${f.runs} | ${esc(f.sentence)} | ${f.replay ? `\`${f.replay}\`` : ''} |`);
    }
    out.push('');
  }
  const unjudged = doc.findings.filter((f) => f.kind === 'claim-not-judged');
  if (unjudged.length > 0) {
    out.push('## Claimed guarantees no run could judge', '');
    for (const f of unjudged) out.push(`- ${esc(`${f.model}/${f.variant}`)}: ${esc(f.guarantee)} — not judged in any of ${f.runs} runs (${esc(f.sentence)})`);
    out.push('');
  }
  if (harness.length > 0) {
    out.push('## Runs that could not be judged', '');
    for (const f of harness) out.push(`- ${esc(`${f.model}/${f.variant}`)}: ${f.broken} run(s), ${esc(f.guarantee)} — ${esc(f.sentence)}${f.replay ? ` (\`${f.replay}\`)` : ''}`);
    out.push('');
  }
  out.push('Open `index.html` in this directory for the charts and the space-time diagrams of every minimal counterexample.', '');
  return out.join('\n');
}

function modelTable(m: ModelDoc): string[] {
  const { shown, quiet } = splitColumns(m);
  const head = `| ${esc(m.name)} | ${shown.map((i) => `<span title="${esc(m.guarantees[i]!)}">${esc(shortName(m.guarantees[i]!))}</span>`).join(' | ')} |`;
  const rows = m.variants.map((v) => `| ${esc(v.name)} | ${shown.map((i) => cell(v.cells[i]!)).join(' | ')} |`);
  const also = quiet.length > 0 ? ['', `Also measured, never broke: ${quiet.map(esc).join(', ')}.`] : [];
  return [`### ${esc(m.name)}`, '', head, `|---|${shown.map(() => ':-:').join('|')}|`, ...rows, ...also];
}

function cell(c: CellDoc): string {
  const count = c.status === 'finding' || c.status === 'broken' ? ` ${c.broken}/${c.runs}` : '';
  return `<span title="${esc(cellSummary(c))}">${ICON[c.status]}${count}</span>`;
}

/** Escape what would break a table cell or inline HTML. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
