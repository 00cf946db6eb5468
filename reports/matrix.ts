/**
 * The guarantee matrix as text: one grid per model (rows = variants, columns =
 * guarantees) for the terminal, with short column names and a legend, and the
 * cell vocabulary the Markdown and HTML share.
 *
 *   ✓        claimed, held in every run where the claim was in force
 *   ✗ 3/40   claimed and broke in 3 of 40 runs — a finding
 *   ~ 12/40  not claimed; measured broken in 12 of 40 runs
 *   ·        not claimed; never broke
 *   ?        no run could judge it (no authority, no read …; the reason is in the tooltip)
 *
 * Columns nobody claims and no run broke are listed under the grid instead.
 */
import { guaranteeDef } from '../src/analysis.js';
import type { CellDoc, ModelDoc, ReportDoc } from './schema.js';

/** A short column name: the table's, the id itself when short, else "first-initials" (read-after-cutover → rea-ac). */
export function shortName(g: string): string {
  const def = guaranteeDef(g);
  if (def) return def.short;
  if (g.length <= 9) return g;
  const [first, ...rest] = g.split('-');
  return rest.length === 0 ? g.slice(0, 9) : `${first!.slice(0, 3)}-${rest.map((p) => p[0] ?? '').join('')}`;
}

/** The cell as the grid prints it (plain text, no colour). */
export function cellText(c: CellDoc): string {
  switch (c.status) {
    case 'finding':
      return `✗ ${c.broken}/${c.runs}`;
    case 'holds':
      return '✓';
    case 'broken':
      return `~ ${c.broken}/${c.runs}`;
    case 'held':
      return '·';
    default:
      return '?';
  }
}

/** One sentence saying what a cell means, for tooltips and the Markdown. */
export function cellSummary(c: CellDoc): string {
  const outside = c.outsideRuns > 0 ? `; outside its fault tolerance it broke in ${c.outsideBroken} of ${c.outsideRuns} runs (measured)` : '';
  switch (c.status) {
    case 'finding':
      return `claimed (${c.under ?? 'always'}) and broke in ${c.broken} of ${c.runs} runs${outside}`;
    case 'holds':
      return `claimed (${c.under ?? 'always'}); held in all ${c.runs} runs where the claim was in force${outside}`;
    case 'broken':
      return `not claimed; broke in ${c.broken} of ${c.runs} runs`;
    case 'held':
      return `not claimed; never broke in ${c.runs} runs`;
    default: {
      const why = c.notJudged ? ` (${c.notJudged.reason})` : c.claimed ? ' (no run kept within its fault tolerance)' : '';
      return `${c.claimed ? 'claimed, but ' : ''}not judged: no run could judge it${why}`;
    }
  }
}

const COLOUR = { red: '\x1b[31;1m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

function paint(c: CellDoc, text: string, colour: boolean): string {
  if (!colour) return text;
  const code = c.status === 'finding' ? COLOUR.red : c.status === 'holds' ? COLOUR.green : c.status === 'broken' ? COLOUR.yellow : COLOUR.dim;
  return `${code}${text}${COLOUR.reset}`;
}

/**
 * Which columns to draw: a guarantee some variant claims or some run broke.
 * The rest (measured, never broke — often guarantees of another model family,
 * such as CDC sink checks on a WAL model) are listed in one line instead, so
 * the grid shows what matters; report.json keeps every cell.
 */
export function splitColumns(m: Pick<ModelDoc, 'guarantees'> & { variants: readonly { cells: CellDoc[] }[] }): { shown: number[]; quiet: string[] } {
  const shown: number[] = [];
  const quiet: string[] = [];
  m.guarantees.forEach((g, i) => {
    const cells = m.variants.map((v) => v.cells[i]!);
    if (cells.some((c) => c.claimed || c.broken > 0 || c.outsideBroken > 0)) shown.push(i);
    else if (cells.some((c) => c.runs > 0)) quiet.push(g);
  });
  return { shown, quiet };
}

/** Terminal width the text output fits (the common default of a terminal and of CI logs). */
export const TERMINAL_COLUMNS = 80;

/** Width on a terminal: one column per code point (✓ ✗ · are narrow), ANSI colour codes excluded. */
export function displayWidth(s: string): number {
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - displayWidth(s)));

/**
 * One model's grid, fitted to `width` columns: when the guarantee columns do
 * not fit beside the variant names, they are split over several tables (each
 * repeating the variant names), rather than letting the terminal wrap every
 * row. Columns are as wide as their short name or widest cell, plus 2.
 */
export function modelGrid(m: ModelDoc, opts: { colour?: boolean; width?: number } = {}): string {
  const { shown, quiet } = splitColumns(m);
  const maxWidth = opts.width ?? TERMINAL_COLUMNS;
  const rowHead = Math.max(8, m.name.length, ...m.variants.map((v) => v.name.length)) + 2;
  const width = (i: number): number => Math.max(shortName(m.guarantees[i]!).length, ...m.variants.map((v) => displayWidth(cellText(v.cells[i]!)))) + 2;
  const chunks = fitColumns(shown, width, maxWidth - rowHead + 2); // the last column's padding is trimmed
  const tables = chunks.map((cols, k) => {
    const name = k === 0 ? m.name : `${m.name} (${k + 1}/${chunks.length})`;
    const lines = [pad(name, rowHead) + cols.map((i) => pad(shortName(m.guarantees[i]!), width(i))).join('')];
    for (const v of m.variants) {
      const cells = cols.map((i) => paint(v.cells[i]!, pad(cellText(v.cells[i]!), width(i)), opts.colour ?? false)).join('');
      lines.push(`${pad(v.name, rowHead)}${cells}`);
    }
    return lines.map((l) => l.trimEnd()).join('\n');
  });
  const also = quiet.length > 0 ? [wrapText(`(also measured, never broke: ${quiet.join(', ')})`, maxWidth, 1)] : [];
  return [tables.join('\n\n'), ...also].join('\n');
}

/**
 * Split columns into as few tables as fit `room`, then even out how many each
 * holds (12 columns in three tables go 4-4-4, not 5-6-1).
 */
function fitColumns(cols: readonly number[], width: (i: number) => number, room: number): number[][] {
  const greedy = (perTable: number): number[][] => {
    const out: number[][] = [];
    for (const i of cols) {
      const cur = out[out.length - 1];
      if (cur && cur.length < perTable && cur.reduce((n, j) => n + width(j), 0) + width(i) <= room) cur.push(i);
      else out.push([i]);
    }
    return out;
  };
  const fewest = greedy(Infinity).length;
  if (fewest <= 1) return fewest === 0 ? [[]] : [[...cols]];
  const even = greedy(Math.ceil(cols.length / fewest));
  return even.length === fewest ? even : greedy(Infinity);
}

/** Items joined by `sep` and wrapped only between items (an item never splits), continuation indented. */
export function wrapItems(items: readonly string[], sep: string, width = TERMINAL_COLUMNS, indent = 2): string {
  const lines: string[] = [];
  let cur = '';
  for (const [k, item] of items.entries()) {
    const piece = k < items.length - 1 ? `${item}${sep.trimEnd()}` : item;
    if (cur !== '' && displayWidth(cur) + 1 + displayWidth(piece) > width) {
      lines.push(cur);
      cur = ' '.repeat(indent) + piece;
    } else cur = cur === '' ? piece : `${cur} ${piece}`;
  }
  if (cur !== '') lines.push(cur);
  return lines.join('\n');
}

/**
 * Wrap prose at spaces to `width` columns; continuation lines are indented by
 * `indent`. A single word longer than a line (a replay token) is kept whole:
 * a command must stay copyable.
 */
export function wrapText(text: string, width = TERMINAL_COLUMNS, indent = 0): string {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    const lead = lines.length === 0 ? '' : ' '.repeat(indent);
    if (cur !== '' && displayWidth(lead + cur) + 1 + displayWidth(word) > width) {
      lines.push(lead + cur);
      cur = word;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  if (cur !== '') lines.push((lines.length === 0 ? '' : ' '.repeat(indent)) + cur);
  return lines.join('\n');
}

/** Findings printed in full on the terminal; the rest are counted (each carries a long replay token). */
const FINDINGS_SHOWN = 8;

const LEGEND_ITEMS = ['✓ claimed, held', '✗ claimed and broke (a finding)', '~ not claimed, broke (measured)', '· not claimed, held', '? not judged'];
export const LEGEND = LEGEND_ITEMS.join(' · ');

/** What the terminal prints after a report: every model's grid, the findings, and where the report is. */
export function terminalSummary(doc: ReportDoc, indexPath: string, opts: { colour?: boolean } = {}): string {
  const out: string[] = [];
  for (const m of doc.models) out.push(modelGrid(m, opts), '');
  out.push(wrapItems(LEGEND_ITEMS, ' · '));
  const used = [...new Set(doc.models.flatMap((m) => splitColumns(m).shown.map((i) => m.guarantees[i]!)))];
  out.push(wrapItems(used.map((g, k) => `${k === 0 ? 'columns: ' : ''}${shortName(g)} = ${g}`), ', '), '');
  const claims = doc.findings.filter((f) => f.kind === 'claim-broken');
  const harness = doc.findings.filter((f) => f.kind === 'harness-failure');
  const unjudged = doc.findings.filter((f) => f.kind === 'claim-not-judged');
  if (claims.length === 0) out.push(`no claimed guarantee broke in ${doc.totals.runs} runs`);
  for (const f of claims.slice(0, FINDINGS_SHOWN)) {
    out.push(wrapText(`✗ ${f.model}/${f.variant}: claimed '${f.guarantee}' broke in ${f.broken} of ${f.runs} runs`, TERMINAL_COLUMNS, 4));
    out.push(wrapText(`    ${f.sentence}`, TERMINAL_COLUMNS, 4));
    if (f.replay) out.push(`    ${f.replay}`);
  }
  if (claims.length > FINDINGS_SHOWN) out.push(wrapText(`… and ${claims.length - FINDINGS_SHOWN} more findings (summary.md and index.html list them all)`));
  for (const f of unjudged) out.push(wrapText(`? ${f.model}/${f.variant}: claimed '${f.guarantee}' not judged in any of ${f.runs} runs (${f.sentence})`, TERMINAL_COLUMNS, 4));
  for (const f of harness) out.push(wrapText(`! ${f.model}/${f.variant}: ${f.broken} run(s) could not be judged (${f.guarantee}): ${f.sentence}`, TERMINAL_COLUMNS, 4));
  if (doc.live) {
    const n = doc.live.disagreements.length;
    out.push(wrapText(n === 0 ? `live ${doc.live.postgres}: model and server agree wherever both judged`
      : `≠ live ${doc.live.postgres}: ${n} disagreement(s) between model and server (summary.md and index.html list them)`, TERMINAL_COLUMNS, 4));
  }
  const secs = (doc.elapsedMs / 1000).toFixed(1);
  out.push('', `${doc.totals.runs} runs in ${secs} s (${doc.totals.runsPerS} runs/s)`, `report: ${indexPath}`);
  return out.join('\n');
}
