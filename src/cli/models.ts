/** `replicheck models`: every built-in model with its variants, knobs, planted bugs and claims. */
import type { Command } from 'commander';
import { BUILTIN_MODELS } from '../../models/index.js';
import { GUARANTEES } from '../check/guarantees.js';
import { println } from './options.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list built-in models: variants, knobs, planted bugs and claimed guarantees')
    .option('--json', 'print one JSON document')
    .option('--guarantees', 'list the guarantees the checkers know: family and the evidence each needs')
    .action((opts: { json?: boolean; guarantees?: boolean }) => {
      if (opts.guarantees) {
        const rows = GUARANTEES.map((g) => ({ id: g.id, system: g.system, family: g.family, evidence: g.evidence }));
        println(opts.json ? JSON.stringify(rows, null, 2) : rows.map((g) => `${g.id.padEnd(32)} ${`${g.system}/${g.family}`.padEnd(28)} ${g.evidence}`).join('\n'));
        return;
      }
      const list = describeModels();
      if (opts.json) println(JSON.stringify(list, null, 2));
      else println(formatModels(list));
    });
}

export function describeModels() {
  return Object.entries(BUILTIN_MODELS).map(([name, { model, variants }]) => ({
    name,
    description: model.description,
    knobs: model.knobs,
    bugs: model.bugs,
    variants: Object.entries(variants).map(([variant, raw]) => {
      const config = model.configure(raw);
      return { name: variant, config: raw, claims: model.claims(config) };
    }),
  }));
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
    for (const k of m.knobs) out.push(`    ${k.name.padEnd(24)} ${k.values.join(' | ')} (default ${String(k.default)}) — ${k.description}`);
    out.push('  planted bugs (--bug NAME):');
    for (const b of m.bugs) out.push(`    ${b.name.padEnd(34)} ${b.description}\n    ${''.padEnd(34)} source: ${b.source}`);
    out.push('');
  }
  return out.join('\n');
}
