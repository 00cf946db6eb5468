/**
 * `replicheck check <file|dir>... --model register|cas-register|kv [--format …] [--timeout-ms N] [--json]`:
 * check recorded histories for linearizability, all in one process.
 *
 * A directory stands for every history file under it (.edn, .log, .txt, .jsonl,
 * .json; recursively, sorted by path). One file prints its verdict and
 * explanation; several print a table (file, format, ops, verdict, ms) and then
 * the explanation of each file that is not linearizable. `--json` prints one
 * object for one file, one array (an object per file) for several.
 *
 * Exit codes: 0 linearizable; 1 not linearizable (a violation is proven);
 * 2 bad input (unreadable file, malformed line, unknown format/model, no operations in a lone file);
 * 3 undecided — the time or step limit ended the search before either answer.
 * 3 is kept apart from 0 and 1 on purpose: a limit is neither a pass nor a
 * proof, and scripts may retry with a larger --timeout-ms. With several files
 * the worst wins in this order: 2, then 3, then 1, then 0.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { checkLinearizable, linearizationSvg, type LinResult } from '../check/linearizability.js';
import { casRegisterModel, kvModel, registerModel } from '../check/lin-models.js';
import {
  detectFormat,
  historyToLinOps,
  HistoryParseError,
  jepsenToKvOps,
  jepsenToRegisterOps,
  parseEdn,
  parseEtcdLog,
  type HistoryFormat,
  type RegisterOp,
  type SkippedKey,
} from '../history/import.js';
import { HistoryFormatError, readHistoryJsonl } from '../history/jsonl.js';
import type { Value } from '../history/types.js';

export const EXIT_UNDECIDED = 3;

/** About 1-2 GB of search memory: past this the check ends `unknown` rather than exhausting the heap. */
const DEFAULT_MAX_STATES = 20_000_000;

/** Extensions a directory is searched for (Porcupine's kv logs are .txt). */
const HISTORY_EXTENSIONS = new Set(['.edn', '.log', '.txt', '.jsonl', '.json']);

type ModelName = 'register' | 'cas-register' | 'kv';

interface CheckCliOptions {
  model: ModelName;
  initial?: Value;
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

/** `nil`/`null` → null, an integer → number, `"text"` or anything else → string (EDN-style). */
export function parseInitial(v: string): Value {
  if (v === 'nil' || v === 'null') return null;
  if (/^-?\d+$/.test(v)) return Number(v);
  if (/^".*"$/.test(v)) return v.slice(1, -1);
  return v;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Check recorded histories (Jepsen EDN, Jepsen etcd log, Porcupine kv log, replicheck JSON lines) for linearizability. ' +
        'Several files and directories (every .edn/.log/.txt/.jsonl/.json file under them, sorted) are checked in one process and summarised in a table. ' +
        'Exit code: 2 if any file is bad input, else 3 if any is undecided, else 1 if any is not linearizable, else 0.',
    )
    .argument('<files...>', 'history files or directories')
    .addOption(new Option('--model <model>', 'sequential model (cas-register: Knossos\' semantics, a read of nil is always legal)').choices(['register', 'cas-register', 'kv']).makeOptionMandatory())
    .option('--initial <value>', 'initial value of the cas-register model: nil (default), an integer or a string', parseInitial)
    .addOption(new Option('--format <format>', 'input format').choices(['auto', 'edn', 'etcd', 'kv', 'jsonl']).default('auto'))
    .option('--timeout-ms <n>', 'give up on a file with verdict "unknown" (exit 3) after this many ms', positiveInt('--timeout-ms'))
    .option('--max-steps <n>', 'give up on a file with verdict "unknown" (exit 3) after this many search steps', positiveInt('--max-steps'))
    .option('--max-states <n>', 'give up on a file with verdict "unknown" (exit 3) after memoising this many search states (bounds memory)', positiveInt('--max-states'), DEFAULT_MAX_STATES)
    .option('--all-partitions', 'keep checking other keys after a violation (fuller report, slower)')
    .option('--svg <out>', 'write the partial-linearization timeline as SVG to this file (one history only)')
    .option('--json', 'print exactly one JSON document (an array when several files are checked)')
    .action((args: string[], opts: CheckCliOptions) => {
      process.exitCode = runCheck(args, opts);
    });
}

type Loaded = { result: LinResult; format: HistoryFormat; skipped: SkippedKey[] };

/**
 * One file's outcome: checked, rejected as bad input, or empty. Among several
 * files an empty one is listed and skipped (Porcupine's own jepsen/etcd_095.log
 * is empty): it says nothing, so it neither passes nor fails the run.
 */
type FileOutcome = { file: string; ms: number } & ({ loaded: Loaded } | { error: string } | { empty: string });

class UsageError extends Error {}
/** The history holds no operations. */
class EmptyHistory extends UsageError {}

function runCheck(args: string[], opts: CheckCliOptions): number {
  if (opts.initial !== undefined && opts.model !== 'cas-register') return fail(opts, '--initial sets the cas-register model\'s initial value: use it with --model cas-register');
  const single = args.length === 1 && !isDirectory(args[0]!);
  if (single) return runOne(args[0]!, opts);
  if (opts.svg) return fail(opts, '--svg draws one history: pass a single file');
  const outcomes: FileOutcome[] = [];
  for (const arg of args) {
    const listed = expand(arg);
    if (typeof listed === 'string') outcomes.push({ file: arg, ms: 0, error: listed });
    else for (const file of listed) outcomes.push(checkFile(file, opts));
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(outcomes.map(jsonOf))}\n`);
  else printTable(outcomes);
  if (outcomes.every((o) => 'empty' in o)) return 2; // nothing at all was checked
  return worstExit(outcomes.map(exitOf));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The history files an argument stands for, sorted; a string is why there are none. */
function expand(arg: string): string[] | string {
  if (!isDirectory(arg)) return [arg];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (HISTORY_EXTENSIONS.has(extname(entry.name).toLowerCase())) found.push(path);
    }
  };
  walk(arg);
  if (found.length === 0) return `no history files (${[...HISTORY_EXTENSIONS].join(', ')}) under directory ${arg}`;
  // Code-unit order, not the locale's: the same table on every machine.
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Read, parse and check one file; bad input becomes an error outcome, anything else throws. */
function checkFile(file: string, opts: CheckCliOptions): FileOutcome {
  const t0 = performance.now();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { file, ms: 0, error: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
  try {
    const loaded = load(file, text, opts);
    return { file, ms: performance.now() - t0, loaded };
  } catch (err) {
    if (err instanceof HistoryParseError || err instanceof HistoryFormatError) return { file, ms: performance.now() - t0, error: `${file}: ${err.message}` };
    if (err instanceof EmptyHistory) return { file, ms: performance.now() - t0, empty: err.message };
    if (err instanceof UsageError) return { file, ms: performance.now() - t0, error: err.message };
    throw err;
  }
}

function runOne(file: string, opts: CheckCliOptions): number {
  const outcome = checkFile(file, opts);
  if ('error' in outcome) return fail(opts, outcome.error);
  if ('empty' in outcome) return fail(opts, outcome.empty);
  if (opts.svg) writeFileSync(opts.svg, linearizationSvg(outcome.loaded.result));
  print(file, outcome.loaded, opts);
  return exitOf(outcome);
}

function exitOf(o: FileOutcome): number {
  if ('error' in o) return 2;
  if ('empty' in o) return 0;
  const v = o.loaded.result.verdict;
  return v === 'ok' ? 0 : v === 'illegal' ? 1 : EXIT_UNDECIDED;
}

/** Bad input outranks undecided, which outranks a proven violation: each hides what comes after. */
function worstExit(codes: number[]): number {
  for (const c of [2, EXIT_UNDECIDED, 1]) if (codes.includes(c)) return c;
  return 0;
}

/** A text with nothing but blank and `;` comment lines holds no operations whatever its format. */
const NOTHING = /^(?:[ \t\r,]*(?:;[^\n]*)?(?:\n|$))*$/;

function load(file: string, text: string, opts: CheckCliOptions): Loaded {
  const none = () => new EmptyHistory(`no operations in ${file}`);
  if (NOTHING.test(text)) throw none();
  const format = opts.format === 'auto' ? detectFormat(text) : opts.format;
  if (format === undefined) {
    throw new UsageError(`${file}: cannot tell the format from the first line (expected "INFO  jepsen.util …", an EDN map "{:type …}" or vector, or a JSON object); pass --format`);
  }
  const limits = { timeoutMs: opts.timeoutMs, maxSteps: opts.maxSteps, maxStates: opts.maxStates, allPartitions: opts.allPartitions ?? false };
  const register = opts.model === 'cas-register' ? casRegisterModel(opts.initial ?? null) : registerModel;
  const checkRegister = (ops: RegisterOp[]): LinResult => {
    if (ops.length === 0) throw none();
    return checkLinearizable(ops, register, limits);
  };
  if (format === 'etcd') {
    if (opts.model === 'kv') throw new UsageError(`${file}: etcd logs hold register operations: use --model register or cas-register`);
    return { result: checkRegister(parseEtcdLog(text)), format, skipped: [] };
  }
  if (format === 'jsonl') {
    if (opts.model === 'kv') throw new UsageError(`${file}: replicheck JSON-lines histories are checked as one register per key: use --model register or cas-register`);
    const history = readHistoryJsonl(text);
    const { ops, skipped } = historyToLinOps(history, { lineOf: nonBlankLines(text) });
    return { result: checkRegister(ops), format, skipped };
  }
  const jops = parseEdn(text);
  if (opts.model === 'kv') {
    const ops = jepsenToKvOps(jops);
    if (ops.length === 0) throw none();
    return { result: checkLinearizable(ops, kvModel, limits), format, skipped: [] };
  }
  return { result: checkRegister(jepsenToRegisterOps(jops)), format, skipped: [] };
}

/** Entry i of a JSON-lines history is its i-th non-blank line (readHistoryJsonl skips blank ones). */
function nonBlankLines(text: string): (index: number) => number {
  const lines: number[] = [];
  text.split('\n').forEach((l, i) => l.trim() !== '' && lines.push(i + 1));
  return (index) => lines[index] ?? index + 1;
}

function fail(opts: CheckCliOptions, message: string): number {
  if (opts.json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
  else process.stderr.write(`replicheck check: ${message}\n`);
  return 2;
}

const HEADS = { ok: 'LINEARIZABLE', illegal: 'NOT LINEARIZABLE', unknown: 'UNKNOWN (limit reached)' } as const;

function print(file: string, { result, format, skipped }: Loaded, opts: CheckCliOptions): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ file, format, ...result, skippedKeys: skipped })}\n`);
    return;
  }
  const lines = [`${file} (${format}, model ${result.model}, ${result.opCount} operations): ${HEADS[result.verdict]}`, result.explanation];
  const counts = new Map<string, number>();
  for (const p of result.partitions) counts.set(p.verdict, (counts.get(p.verdict) ?? 0) + 1);
  if (result.partitions.length > 1) lines.push(`partitions: ${[...counts].map(([v, n]) => `${n} ${v}`).join(', ')}; ${result.steps} search steps`);
  for (const p of result.partitions) if (p.verdict === 'illegal' && p !== result.partitions.find((q) => q.verdict === 'illegal')) lines.push(`  ${p.explanation}`);
  if (skipped.length > 0) lines.push(`${skipped.length} (operation, key) pair(s) left out: ${skipped[0]!.reason}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function jsonOf(o: FileOutcome): object {
  if ('error' in o) return { file: o.file, error: o.error };
  if ('empty' in o) return { file: o.file, empty: true, note: `${o.empty} (skipped)` };
  const { result, format, skipped } = o.loaded;
  return { file: o.file, format, ms: Math.round(o.ms * 100) / 100, ...result, skippedKeys: skipped };
}

/** One row per file, then the explanation of each file not linearizable and each error (on stderr). */
function printTable(outcomes: FileOutcome[]): void {
  const rows = outcomes.map((o) =>
    'error' in o
      ? [o.file, '-', '-', 'BAD INPUT', '-']
      : 'empty' in o
        ? [o.file, '-', '0', 'EMPTY (skipped)', '-']
        : [o.file, o.loaded.format, String(o.loaded.result.opCount), HEADS[o.loaded.result.verdict], o.ms.toFixed(1)],
  );
  const head = ['file', 'format', 'ops', 'verdict', 'ms'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const right = [false, false, true, false, true];
  const fmt = (r: string[]) => r.map((cell, c) => (right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const counts = { ok: 0, illegal: 0, unknown: 0, error: 0, empty: 0 };
  for (const o of outcomes) counts['error' in o ? 'error' : 'empty' in o ? 'empty' : o.loaded.result.verdict]++;
  const lines = [fmt(head), ...rows.map(fmt)];
  const empty = counts.empty > 0 ? `, ${counts.empty} empty (skipped)` : '';
  lines.push(`${outcomes.length} files: ${counts.ok} linearizable, ${counts.illegal} not linearizable, ${counts.unknown} undecided, ${counts.error} bad input${empty}`);
  for (const o of outcomes) {
    if (!('loaded' in o) || o.loaded.result.verdict !== 'illegal') continue;
    lines.push('', `${o.file}:`, o.loaded.result.explanation);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  for (const o of outcomes) if ('error' in o) process.stderr.write(`replicheck check: ${o.error}\n`);
  for (const o of outcomes) if ('empty' in o) process.stderr.write(`replicheck check: ${o.empty} (skipped)\n`);
}
