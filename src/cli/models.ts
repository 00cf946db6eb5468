/**
 * `replicheck models [MODEL]`: every built-in model, or one model (built-in or
 * a module path), with its variants, knobs, planted bugs, claims, the real
 * system's behaviours it reproduces (knobs, claims, bugs and sources of each)
 * and the protocol moments it marks (what generated faults can be timed from).
 */
import type { Command } from 'commander';
import type { ModelBehaviour, ModelKnob } from '../sim/types.js';
import { BUILTIN_MODELS } from '../../models/index.js';
import type { ModelEntry } from '../verdict/judge.js';
import { GUARANTEES } from '../check/guarantees.js';
import { loadModel } from './load-model.js';
import { println } from './options.js';

export function registerModels(program: Command): void {
  program
    .command('models [model]')
    .description('list built-in models, or one model (name or ./module.ts): variants, knobs, planted bugs, claimed guarantees, behaviours, marked moments')
    .option('--json', 'print one JSON document')
    .option('--guarantees', 'list the guarantees the checkers know: family and the evidence each needs')
    .action(async (ref: string | undefined, opts: { json?: boolean; guarantees?: boolean }) => {
      if (opts.guarantees) {
        const rows = GUARANTEES.map((g) => ({ id: g.id, system: g.system, family: g.family, evidence: g.evidence }));
        println(opts.json ? JSON.stringify(rows, null, 2) : rows.map((g) => `${g.id.padEnd(32)} ${`${g.system}/${g.family}`.padEnd(28)} ${g.evidence}`).join('\n'));
        return;
      }
      const list = ref === undefined ? describeModels() : [describeModel(ref, await loadModel(ref))];
      if (opts.json) println(JSON.stringify(ref === undefined ? list : list[0], null, 2));
      else println(formatModels(list));
    });
}

export function describeModels() {
  return Object.entries(BUILTIN_MODELS).map(([name, entry]) => describeModel(name, entry));
}

function describeModel(name: string, { model, variants }: ModelEntry) {
  return {
    name,
    description: model.description,
    knobs: model.knobs,
    bugs: model.bugs,
    behaviours: model.behaviours ?? [],
    marks: model.marks ?? [],
    variants: Object.entries(variants).map(([variant, raw]) => {
      const config = model.configure(raw);
      return { name: variant, config: raw, claims: model.claims(config) };
    }),
  };
}

function formatModels(list: ReturnType<typeof describeModels>): string {
  const out: string[] = [];
  for (const m of list) {
    out.push(`${m.name} — ${m.description}`);
    out.push('  variants (claimed guarantees):');
    for (const v of m.variants) {
      // Ids only here; what each claim means and tolerates is in --json.
      const claims = v.claims.map((c) => c.id).join(', ');
      out.push(`    ${v.name.padEnd(24)} ${claims || '(none)'}`);
    }
    out.push('  knobs:');
    for (const k of m.knobs) out.push(`    ${k.name.padEnd(24)} ${knobValues(k)} (default ${String(k.default)}) — ${k.description}`);
    out.push('  planted bugs (--bug NAME):');
    for (const b of m.bugs) out.push(`    ${b.name.padEnd(34)} ${b.description}\n    ${''.padEnd(34)} source: ${b.source}`);
    if (m.behaviours.length) out.push('  behaviours of the real system (knobs that select each, claims that depend on it, bugs beside it):');
    for (const b of m.behaviours) out.push(...behaviourLines(b));
    out.push(m.marks.length ? '  marked moments (faults can be timed from the n-th one on a node):' : '  marked moments: none (faults are timed by the clock only)');
    for (const k of m.marks) out.push(`    ${k.name.padEnd(24)} ${k.description}`);
    out.push('');
  }
  return out.join('\n');
}

/** One behaviour: id and title, what it does, then its knobs, claims, bugs and sources. */
function behaviourLines(b: ModelBehaviour): string[] {
  const pad = ' '.repeat(6);
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : '—');
  return [
    `    ${b.id} — ${b.title}`,
    `${pad}${b.what}`,
    `${pad}knobs: ${list(b.knobs)} · claims: ${list(b.claims)} · bugs: ${list(b.bugs)}`,
    ...b.sources.map((s) => `${pad}source: ${s}`),
  ];
}

/** "a | b" for a knob with a closed list; "2..9 (e.g. 2 | 3)" or "≥ 1 (e.g. 60 | 120)" for a numeric range. */
function knobValues(k: ModelKnob): string {
  const list = k.values.map((v) => (v === '' ? '""' : String(v))).join(' | ');
  if (!k.range) return list;
  const { min, max, integer } = k.range;
  const span = max === undefined ? `≥ ${min}` : integer ? `${min}..${max}` : `${min} to ${max}`;
  return `${span}${integer && max === undefined ? ' (integer)' : ''}, e.g. ${list}`;
}
