import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { readHistoryJsonl } from '../src/analysis.js';

const MODEL = './test/fixtures/user-model.ts';
const dir = mkdtempSync(join(tmpdir(), 'replicheck-cli-'));
// Leave nothing behind in the system's temp directory.
afterAll(() => rmSync(dir, { recursive: true, force: true }));


afterEach(() => {
  process.exitCode = undefined;
});

describe('replicheck run / replay on a user model', () => {
  it('exits 0 when the claimed guarantees hold', async () => {
    const r = await cli('run', MODEL, '--profile', 'calm', '--runs', '20', '--no-failure-file');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/all claimed guarantees held over 20 scenarios \(\d+ ms, profile calm, seed \d+, \d+ workers?\)/);
  });

  it('exits 1 on a planted bug, prints one JSON object with the replay token, and replay reproduces it', async () => {
    const r = await cli('run', MODEL, '--bug', 'skip-third', '--profile', 'calm', '--runs', '200', '--no-failure-file', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    expect(j).toMatchObject({ model: MODEL, bug: 'skip-third', found: true, guarantee: 'convergence' });
    expect(j.shrunkOps).toBeLessThanOrEqual(3);
    expect(j.shrunkFaults).toBe(0);
    expect(typeof j.runsUntilFound).toBe('number');
    expect(typeof j.msUntilFound).toBe('number');
    const token = j.token as string;
    expect(token).toMatch(/^rc1:/);

    const historyFile = join(dir, 'h.jsonl');
    const replay = await cli('replay', token, '--history', historyFile);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain(j.sentence as string);
    expect(replay.out).toMatch(/minimal scenario \(\d+ client ops?, 0 faults/);
    expect(replay.out).toMatch(/timeline of the minimal run/);
    expect(replay.out).toContain(`replay ${token}`);
    const history = readHistoryJsonl(readFileSync(historyFile, 'utf8'));
    expect(history[0]).toMatchObject({ type: 'meta', model: 'user-async', bug: 'skip-third' });

    // Exact replay: the same token gives the same history, byte for byte.
    const again = join(dir, 'h2.jsonl');
    await cli('replay', token, '--history', again, '--json');
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(historyFile, 'utf8'));
  });

  it('saves a failing scenario to the failure file and tries it first next time', async () => {
    const file = join(dir, 'failures.json');
    const cwd = process.cwd();
    // The failure file path is relative to the working directory.
    process.chdir(dir);
    try {
      const model = join(cwd, MODEL);
      const first = await cli('run', model, '--bug', 'skip-third', '--profile', 'calm', '--runs', '200', '--json');
      expect(first.code).toBe(1);
      const saved = JSON.parse(readFileSync(join(dir, '.replicheck/failures.json'), 'utf8'));
      expect(saved.failures).toHaveLength(1);
      // With a seed that would not find it quickly, the saved scenario still fails first.
      const second = await cli('run', model, '--bug', 'skip-third', '--profile', 'calm', '--runs', '1', '--seed', '1', '--json');
      expect(second.code).toBe(1);
      expect(JSON.parse(second.out).runsUntilFound).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(file)).toBe(false);
  });

  it('a model that throws gets a clear message and exit 2', async () => {
    const r = await cli('run', MODEL, '--bug', 'throw', '--profile', 'calm', '--runs', '50', '--no-failure-file');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/model code on node replica threw during onMessage\(change from primary\).*replica cannot parse change/);
  });

  it.each([
    [['run', 'no-such-model'], /unknown model 'no-such-model'/],
    [['run', './nope/model.ts'], /model module not found/],
    [['run', MODEL, '--bug', 'nope'], /no planted bug 'nope'; bugs: skip-third, throw/],
    [['run', MODEL, '--profile', 'stormy'], /unknown fault profile 'stormy'/],
    [['run', MODEL, '--runs', 'many'], /--runs must be an integer in 1..10000000, got 'many'/],
    [['run', MODEL, '--config', '{"x":1}'], /unknown knobs x/],
    [['replay', 'not-a-token'], /not a replay token/],
    [['replay', 'rc1:!!!'], /invalid character/],
  ])('bad input %j exits 2 with a specific message', async (args, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('the installed command', () => {
  it('prints --version and --help through bin/replicheck.js', () => {
    const version = execFileSync(process.execPath, ['bin/replicheck.js', '--version'], { encoding: 'utf8' });
    expect(version.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    const help = execFileSync(process.execPath, ['bin/replicheck.js', '--help'], { encoding: 'utf8' });
    for (const verb of ['models', 'run', 'replay', 'check']) expect(help).toContain(verb);
  });

  it('exits 2 for an unknown verb', () => {
    const r = spawnSync(process.execPath, ['bin/replicheck.js', 'frobnicate'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
  });
});

describe('replay --guarantee', () => {
  it('judges a guarantee the model does not claim, and rejects an unknown one', async () => {
    const run = await cli('run', MODEL, '--bug', 'skip-third', '--profile', 'calm', '--runs', '200', '--no-failure-file', '--json');
    const token = (JSON.parse(run.out) as { token: string }).token;
    const extra = await cli('replay', token, '--guarantee', 'monotonic-reads,convergence', '--json');
    expect(extra.code).toBe(1);
    const bad = await cli('replay', token, '--guarantee', 'nonsense');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown guarantee 'nonsense'/);
  });
});
