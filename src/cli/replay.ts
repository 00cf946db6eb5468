/**
 * `replicheck replay <token>`: re-run a scenario exactly (the token is the whole
 * scenario), print the same violation and the timeline, optionally export the
 * history as JSON lines.
 */
import type { Command } from 'commander';
import { explainVerdict } from '../verdict/explain.js';
import { writeAtomic } from '../verdict/failures.js';
import { failed, judgeScenario } from '../verdict/judge.js';
import { checkerFor } from '../check/types.js';
import { textTimeline } from '../history/timeline.js';
import { writeHistoryJsonl } from '../history/jsonl.js';
import { decodeToken, scenarioSize } from '../scenario/compact.js';
import { parseScenario } from '../scenario/validate.js';
import { isPathRef, loadModel } from './load-model.js';
import { resolve } from 'node:path';
import { println } from './options.js';

interface ReplayOptions {
  guarantee?: string;
  history?: string;
  json?: boolean;
  rows?: string;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('re-run a failing scenario exactly from its token and print the violation and timeline')
    .argument('<token>', 'replay token printed by run/test (rc1:…)')
    .option('--guarantee <ids>', 'also judge these guarantees (comma-separated), claimed or not')
    .option('--history <file>', 'write the run history as JSON lines to this file')
    .option('--json', 'print one JSON object')
    .action(async (token: string, opts: ReplayOptions) => {
      process.exitCode = await replayVerb(token, opts);
    });
}

async function replayVerb(token: string, opts: ReplayOptions): Promise<number> {
  const scenario = parseScenario(decodeToken(token));
  // A token is data from elsewhere; one that names a module path runs that file's code. Say so first.
  if (isPathRef(scenario.model)) {
    process.stderr.write(`replicheck replay: the token names a model module; loading ${resolve(scenario.model)}\n`);
  }
  const entry = await loadModel(scenario.model);
  const extra = (opts.guarantee ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of extra) checkerFor(g); // unknown id: a clear error, exit 2
  const verdict = judgeScenario(entry.model, scenario, {
    ...(entry.checkers ? { checkers: entry.checkers } : {}),
    extraClaims: extra.map((id) => ({ id })),
  });
  if (opts.history && verdict.run) writeAtomic(opts.history, writeHistoryJsonl(verdict.run.history));
  if (opts.json) {
    const size = scenarioSize(scenario);
    println(
      JSON.stringify(
        {
          model: scenario.model,
          bug: scenario.bug ?? null,
          ops: size.ops,
          faults: size.faults,
          failed: failed(verdict),
          failure: verdict.failure ?? null,
          violations: verdict.violations.map((v) => ({ guarantee: v.guarantee, sentence: v.sentence, data: v.data ?? null })),
          notJudged: verdict.outcomes.flatMap((o) => (o.notJudged !== undefined ? [{ guarantee: o.id, reason: o.notJudged }] : [])),
          hash: verdict.run?.hash ?? null,
          history: opts.history ?? null,
        },
        null,
        2,
      ),
    );
  } else if (failed(verdict)) {
    println(explainVerdict(verdict));
  } else {
    const unjudged = verdict.outcomes.filter((o) => o.notJudged !== undefined);
    const judged = verdict.outcomes.length - unjudged.length;
    println(unjudged.length === 0
      ? `${scenario.model}: every claimed guarantee held in this run\n`
      : `${scenario.model}: ${judged} claimed guarantee(s) judged and held in this run; not judged:\n` +
        `${unjudged.map((o) => `  ${o.id} (${o.notJudged})`).join('\n')}\n`);
    if (verdict.run) println(textTimeline(verdict.run.history, { maxRows: 80 }));
  }
  if (opts.history && !opts.json) println(`\nhistory written to ${opts.history}`);
  if (verdict.failure) return 2;
  return verdict.violations.length > 0 ? 1 : 0;
}
