/**
 * The `replicheck` command. Verbs: models, run, replay, check, report, soak.
 * Exit codes: 0 nothing broke, 1 a guarantee broke, 2 bad input or harness error.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCheck } from './check.js';
import { registerModels } from './models.js';
import { registerReplay } from './replay.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerSoak } from './soak.js';

const pkgPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('replicheck')
    .description('Property-based consistency testing for data replication (WAL, CDC, migration).')
    .version(pkg.version)
    .exitOverride();
  registerModels(program);
  registerRun(program);
  registerReplay(program);
  registerCheck(program);
  registerReport(program);
  registerSoak(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`replicheck: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
