/**
 * The `replicheck` command. Verbs: models, run, replay, check, report, soak, live.
 * Exit codes: 0 nothing broke, 1 a guarantee broke, 2 bad input or harness error,
 * 3 not judged (`run`: a claimed guarantee no run could judge; `check`: undecided).
 *
 * Each verb's module is imported only when that verb runs (help imports them
 * all): start-up stays one small import for `--version` or a single `check`.
 */
import { Command, CommanderError } from 'commander';
import { fileURLToPath } from 'node:url';
import { packageVersion } from './options.js';

type Register = (program: Command) => void;

const VERBS: Record<string, () => Promise<Register>> = {
  models: async () => (await import('./models.js')).registerModels,
  run: async () => (await import('./run.js')).registerRun,
  replay: async () => (await import('./replay.js')).registerReplay,
  check: async () => (await import('./check.js')).registerCheck,
  report: async () => (await import('./report.js')).registerReport,
  soak: async () => (await import('./soak.js')).registerSoak,
  live: async () => (await import('./live.js')).registerLive,
};

/** The program with the given verbs registered (all of them by default). */
export async function buildProgram(verbs: readonly string[] = Object.keys(VERBS)): Promise<Command> {
  const program = new Command();
  program
    .name('replicheck')
    .description('Property-based consistency testing for data replication (WAL, CDC, migration).')
    .version(packageVersion())
    .exitOverride();
  for (const v of verbs) (await VERBS[v]!())(program);
  return program;
}

/** The verb argv names, when it names a known one (options before it are global ones like --help). */
function verbOf(argv: readonly string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return first !== undefined && first in VERBS ? first : undefined;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const verb = verbOf(argv);
    const wantsVersionOnly = verb === undefined && (argv.includes('--version') || argv.includes('-V'));
    const program = await buildProgram(verb ? [verb] : wantsVersionOnly ? [] : Object.keys(VERBS));
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`replicheck: ${message}\n`);
    // A script that asked for JSON gets JSON, even for an error.
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: message, exit: 2 })}\n`);
    return 2;
  }
}

/**
 * Run as the process's command: exit with main's code once stdout has drained
 * (exiting at once cuts output piped to another program at 64 KiB).
 */
export async function run(argv: string[]): Promise<void> {
  const code = await main(argv);
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void run(process.argv.slice(2));
}
