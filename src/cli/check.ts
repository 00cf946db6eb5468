/**
 * `replicheck check <file> --model register|kv [--format …] [--timeout-ms N] [--json]`:
 * check a recorded history for linearizability.
 *
 * Exit codes: 0 linearizable; 1 not linearizable (a violation is proven);
 * 2 bad input (unreadable file, malformed line, unknown format/model);
 * 3 undecided — the time or step limit ended the search before either answer.
 * 3 is kept apart from 0 and 1 on purpose: a limit is neither a pass nor a
 * proof, and scripts may retry with a larger --timeout-ms.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { checkLinearizable, linearizationSvg, type LinResult } from '../check/linearizability.js';
import { kvModel, registerModel } from '../check/lin-models.js';
import {
  detectFormat,
  historyToLinOps,
  HistoryParseError,
  jepsenToKvOps,
  jepsenToRegisterOps,
  parseEdn,
  parseEtcdLog,
  type HistoryFormat,
  type SkippedKey,
} from '../history/import.js';
import { HistoryFormatError, readHistoryJsonl } from '../history/jsonl.js';

export const EXIT_UNDECIDED = 3;

/** About 1-2 GB of search memory: past this the check ends `unknown` rather than exhausting the heap. */
const DEFAULT_MAX_STATES = 20_000_000;

interface CheckCliOptions {
  model: 'register' | 'kv';
  format: HistoryFormat | 'auto';
  timeoutMs?: number;
  maxSteps?: number;
  maxStates: number;
  allPartitions?: boolean;
  svg?: string;
  json?: boolean;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}.`);
    return n;
  };
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Check a recorded history (Jepsen EDN, Jepsen etcd log, Porcupine kv log, replicheck JSON lines) for linearizability.')
    .argument('<file>', 'history file')
    .addOption(new Option('--model <model>', 'sequential model').choices(['register', 'kv']).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'input format').choices(['auto', 'edn', 'etcd', 'kv', 'jsonl']).default('auto'))
    .option('--timeout-ms <n>', 'give up with verdict "unknown" (exit 3) after this many ms', positiveInt('--timeout-ms'))
    .option('--max-steps <n>', 'give up with verdict "unknown" (exit 3) after this many search steps', positiveInt('--max-steps'))
    .option('--max-states <n>', 'give up with verdict "unknown" (exit 3) after memoising this many search states (bounds memory)', positiveInt('--max-states'), DEFAULT_MAX_STATES)
    .option('--all-partitions', 'keep checking other keys after a violation (fuller report, slower)')
    .option('--svg <out>', 'write the partial-linearization timeline as SVG to this file')
    .option('--json', 'print exactly one JSON document')
    .action((file: string, opts: CheckCliOptions) => {
      process.exitCode = runCheck(file, opts);
    });
}

type Loaded = { result: LinResult; format: HistoryFormat; skipped: SkippedKey[] };

function runCheck(file: string, opts: CheckCliOptions): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return fail(opts, `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let loaded: Loaded;
  try {
    loaded = load(text, opts);
  } catch (err) {
    if (err instanceof HistoryParseError || err instanceof HistoryFormatError || err instanceof UsageError) {
      return fail(opts, `${file}: ${err.message}`);
    }
    throw err;
  }
  if (opts.svg) writeFileSync(opts.svg, linearizationSvg(loaded.result));
  print(file, loaded, opts);
  return loaded.result.verdict === 'ok' ? 0 : loaded.result.verdict === 'illegal' ? 1 : EXIT_UNDECIDED;
}

class UsageError extends Error {}

function load(text: string, opts: CheckCliOptions): Loaded {
  const format = opts.format === 'auto' ? detectFormat(text) : opts.format;
  if (format === undefined) {
    throw new UsageError('cannot tell the format from the first line (expected "INFO  jepsen.util …", an EDN map "{:type …}" or vector, or a JSON object); pass --format');
  }
  const limits = { timeoutMs: opts.timeoutMs, maxSteps: opts.maxSteps, maxStates: opts.maxStates, allPartitions: opts.allPartitions ?? false };
  if (format === 'etcd') {
    if (opts.model !== 'register') throw new UsageError('etcd logs hold register operations: use --model register');
    return { result: checkLinearizable(parseEtcdLog(text), registerModel, limits), format, skipped: [] };
  }
  if (format === 'jsonl') {
    if (opts.model !== 'register') throw new UsageError('replicheck JSON-lines histories are checked as one register per key: use --model register');
    const { ops, skipped } = historyToLinOps(readHistoryJsonl(text));
    return { result: checkLinearizable(ops, registerModel, limits), format, skipped };
  }
  const jops = parseEdn(text);
  const result = opts.model === 'kv' ? checkLinearizable(jepsenToKvOps(jops), kvModel, limits) : checkLinearizable(jepsenToRegisterOps(jops), registerModel, limits);
  return { result, format, skipped: [] };
}

function fail(opts: CheckCliOptions, message: string): number {
  if (opts.json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
  else process.stderr.write(`replicheck check: ${message}\n`);
  return 2;
}

function print(file: string, { result, format, skipped }: Loaded, opts: CheckCliOptions): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ file, format, ...result, skippedKeys: skipped })}\n`);
    return;
  }
  const head = { ok: 'LINEARIZABLE', illegal: 'NOT LINEARIZABLE', unknown: 'UNKNOWN (limit reached)' }[result.verdict];
  const lines = [`${file} (${format}, model ${result.model}, ${result.opCount} operations): ${head}`, result.explanation];
  const counts = new Map<string, number>();
  for (const p of result.partitions) counts.set(p.verdict, (counts.get(p.verdict) ?? 0) + 1);
  if (result.partitions.length > 1) lines.push(`partitions: ${[...counts].map(([v, n]) => `${n} ${v}`).join(', ')}; ${result.steps} search steps`);
  for (const p of result.partitions) if (p.verdict === 'illegal' && p !== result.partitions.find((q) => q.verdict === 'illegal')) lines.push(`  ${p.explanation}`);
  if (skipped.length > 0) lines.push(`${skipped.length} (operation, key) pair(s) left out: ${skipped[0]!.reason}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
