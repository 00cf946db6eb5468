/**
 * `replicheck run <model | ./path/to/model.ts>`: run the property suite (every
 * claimed guarantee, generated scenarios with faults) on one model, over each of
 * its variants or the one chosen. Exit 1 when a claimed guarantee breaks, 2 when
 * the model throws, a run hits a limit or the model breaks its contract (its
 * events or reads disagree with its visible state; src/check/contract.ts), 3
 * when nothing broke but some claimed guarantee was never judged (no run had
 * the evidence it needs) — never 0 with "held" for a claim nobody checked.
 */
import type { Command } from 'commander';
import { checkModel, type ModelCheckResult } from '../../properties/harness.js';
import { explainVerdict, replayCommand } from '../check/explain.js';
import { FAULT_PROFILE_NAMES } from '../scenario/arbitraries.js';
import { assertBug, parseProfile, targetOptions } from '../run/targets.js';
import { loadModel, selectVariants } from './load-model.js';
import { intOption, println } from './options.js';

interface RunOptions {
  bug?: string;
  variant?: string;
  config?: string;
  profile?: string;
  runs?: string;
  seed?: string;
  json?: boolean;
  failureFile?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the property suite on one model; exit 1 when a claimed guarantee breaks, 3 when one was never judged')
    .argument('<model>', 'built-in model name or path to a model module (./my-model.ts)')
    .option('--bug <name>', 'enable a planted bug')
    .option('--variant <name>', 'run only this variant (default: every variant)')
    .option('--config <json>', 'run this configuration (JSON object) instead of the variants')
    .option('--profile <name>', `fault profile: ${FAULT_PROFILE_NAMES.join(', ')}`, 'everything')
    .option('--runs <n>', 'scenarios per variant (default REPLICHECK_RUNS or 100)')
    .option('--seed <n>', 'fast-check seed (default REPLICHECK_SEED or fixed per variant)')
    .option('--no-failure-file', 'neither replay nor save .replicheck/failures.json')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExit codes: 0 every claimed guarantee held and was judged; 1 a claimed guarantee broke; ' +
      '2 bad input or harness error; 3 nothing broke, but a claimed guarantee was never judged (printed with the reason).')
    .action(async (ref: string, opts: RunOptions) => {
      process.exitCode = await runCommand(ref, opts);
    });
}

async function runCommand(ref: string, opts: RunOptions): Promise<number> {
  const entry = await loadModel(ref);
  assertBug(entry, ref, opts.bug);
  const profile = parseProfile(opts.profile);
  const numRuns = intOption(opts.runs, '--runs', 1);
  const seed = intOption(opts.seed, '--seed', 0);
  const results: ModelCheckResult[] = [];
  const t0 = performance.now();
  for (const v of selectVariants(entry, opts.variant, opts.config)) {
    // Validate the configuration up front: a bad one is the user's error (exit 2).
    entry.model.configure(v.config, opts.bug);
    const target = { modelRef: ref, variant: v.name, config: v.config, profile, ...(opts.bug !== undefined ? { bug: opts.bug } : {}) };
    const r = checkModel(entry.model, {
      ...targetOptions(entry, target),
      ...(numRuns !== undefined ? { numRuns } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(opts.failureFile === false ? { failureFile: false as const } : {}),
    });
    results.push(r);
    if (!opts.json) printProgress(r);
    if (r.found) break;
  }
  const ms = Math.round(performance.now() - t0);
  const found = results.find((r) => r.found);
  const unjudged = results.flatMap((r) => r.notJudged.map((n) => ({ variant: r.variant ?? null, ...n })));
  if (opts.json) printJson(ref, opts.bug, results, found, ms);
  else if (found?.verdict) println(`\n${explainVerdict(found.verdict, { label: label(ref, found) })}`);
  else if (unjudged.length > 0) printNotJudged(results, ms);
  else println(`\nall claimed guarantees held over ${sum(results)} scenarios (${ms} ms)`);
  if (found) return found.verdict?.failure ? 2 : 1;
  return unjudged.length > 0 ? 3 : 0;
}

function printNotJudged(results: ModelCheckResult[], ms: number): void {
  const n = results.reduce((k, r) => k + r.notJudged.length, 0);
  println(`\nno claimed guarantee broke over ${sum(results)} scenarios (${ms} ms), but ${n} claimed guarantee${n > 1 ? 's were' : ' was'} never judged:`);
  for (const r of results) {
    for (const x of r.notJudged) println(`  ${r.variant ? `${r.variant}: ` : ''}${x.guarantee} — not judged (${x.reason}) in all ${x.runs} runs`);
  }
}

function label(ref: string, r: ModelCheckResult): string {
  return `${ref}${r.variant ? ` (${r.variant})` : ''}${r.bug ? ` with bug ${r.bug}` : ''}`;
}

function printProgress(r: ModelCheckResult): void {
  const status = r.found
    ? `✗ broke ${r.guarantee} after ${r.runsUntilFound} runs`
    : r.notJudged.length > 0
      ? `? ${r.runs} runs, not judged: ${r.notJudged.map((n) => n.guarantee).join(', ')}`
      : `✓ ${r.runs} runs`;
  const fixed = r.fixed ? ` (${r.fixed} saved failure${r.fixed > 1 ? 's' : ''} now pass)` : '';
  println(`${(r.variant ?? '').padEnd(24)} ${status}${fixed}`);
}

function sum(rs: ModelCheckResult[]): number {
  return rs.reduce((s, r) => s + r.runs, 0);
}

function printJson(
  ref: string,
  bug: string | undefined,
  results: ModelCheckResult[],
  found: ModelCheckResult | undefined,
  ms: number,
): void {
  const out = {
    model: ref,
    bug: bug ?? null,
    runs: sum(results),
    found: Boolean(found),
    notJudged: results.flatMap((r) => r.notJudged.map((n) => ({ variant: r.variant ?? null, guarantee: n.guarantee, reason: n.reason, runs: n.runs }))),
    variant: found?.variant ?? null,
    guarantee: found?.guarantee ?? null,
    sentence: found?.sentence ?? null,
    token: found?.token ?? null,
    replay: found?.token ? replayCommand(found.token) : null,
    shrunkOps: found?.ops ?? null,
    shrunkFaults: found?.faults ?? null,
    runsUntilFound: found?.runsUntilFound ?? null,
    msUntilFound: found?.msUntilFound ?? null,
    ms,
    variants: results.map((r) => ({
      variant: r.variant, runs: r.runs, found: r.found, seed: r.seed,
      notJudged: r.notJudged.map((n) => ({ guarantee: n.guarantee, reason: n.reason, runs: n.runs })),
    })),
  };
  println(JSON.stringify(out, null, 2));
}
