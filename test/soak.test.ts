/**
 * `replicheck soak`, in process: exit codes, the JSON document, tokens that
 * replay, and a report that does not depend on the worker count.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { parseDuration } from '../src/cli/soak.js';

const USER = './test/fixtures/user-model.ts';
const SPIN = './test/fixtures/spin-model.ts';


afterEach(() => {
  process.exitCode = undefined;
});

interface SoakJson {
  seed: number;
  runs: number;
  falseAlarms: number;
  harnessFailures: number;
  again: string;
  targets: { model: string; variant: string; runs: number; falseAlarms: number }[];
  alarms: { run: number; guarantee: string; sentence: string; token: string; replay: string }[];
  failures: { run: number; guarantee: string; token: string }[];
}

describe('replicheck soak', () => {
  it('exits 0 on a clean model and prints the seed, the table and how to soak again', async () => {
    const r = await cli('soak', '--model', USER, '--profile', 'calm', '--runs', '10', '--seed', '9', '--workers', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^soak seed 9: 1 variant of \.\/test\/fixtures\/user-model\.ts on 2 workers/);
    expect(r.out).toMatch(/default\s+10\s+0\s+0/);
    expect(r.out).toContain('no false alarms');
    expect(r.out).toContain(`soak again: replicheck soak --model ${USER} --seed 9 --runs 10 --profile calm`);
  });

  it('exits 1 on a model that breaks its claim, with tokens that replay, the same on 1 and 2 workers', async () => {
    const args = ['soak', '--model', USER, '--bug', 'skip-third', '--profile', 'calm', '--runs', '16', '--seed', '4', '--json'];
    const two = await cli(...args, '--workers', '2');
    expect(two.code).toBe(1);
    const j = JSON.parse(two.out) as SoakJson;
    expect(j).toMatchObject({ seed: 4, runs: 16, harnessFailures: 0 });
    expect(j.falseAlarms).toBeGreaterThan(0);
    expect(j.targets).toEqual([{ model: USER, variant: 'default', runs: 16, falseAlarms: j.falseAlarms, harnessFailures: 0 }]);
    const a = j.alarms[0]!;
    expect(a.guarantee).toBe('convergence');
    expect(a.replay).toBe(`npx replicheck replay ${a.token}`);
    const replay = await cli('replay', a.token);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain(a.sentence);

    const one = JSON.parse((await cli(...args, '--workers', '1')).out) as SoakJson;
    expect(one.alarms).toEqual(j.alarms);
  });

  it('shards judge disjoint slices whose alarms together are the whole soak\'s', async () => {
    const args = ['soak', '--model', USER, '--bug', 'skip-third', '--profile', 'calm', '--runs', '16', '--seed', '4', '--json', '--workers', '1'];
    const whole = JSON.parse((await cli(...args)).out) as SoakJson;
    const parts = [JSON.parse((await cli(...args, '--shard', '1/2')).out) as SoakJson, JSON.parse((await cli(...args, '--shard', '2/2')).out) as SoakJson];
    expect(parts.map((p) => p.runs)).toEqual([8, 8]);
    expect(parts[0]!.again).toContain('--runs 15 --bug skip-third --profile calm --shard 1/2'); // its last run is 14
    const runs = (j: SoakJson) => j.alarms.map((a) => a.run);
    expect(runs(parts[0]!).every((i) => i % 2 === 0) && runs(parts[1]!).every((i) => i % 2 === 1)).toBe(true);
    const merged = [...parts[0]!.alarms, ...parts[1]!.alarms].sort((a, b) => a.run - b.run);
    expect(merged).toEqual(whole.alarms);
  });

  it('reports a run whose model spins as "model hangs" with its token and exits 2', async () => {
    const r = await cli('soak', '--model', SPIN, '--bug', 'spin', '--profile', 'calm', '--runs', '1', '--seed', '1', '--workers', '1', '--timeout', '3');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/run could not be judged: \.\/test\/fixtures\/spin-model\.ts \(default\), run 0: run-failure:hang/);
    expect(r.out).toMatch(/model hangs: the run did not finish within \d+ ms/);
    expect(r.out).toMatch(/replay rc1:/);
  });

  it('exits 2 on bad input', async () => {
    expect((await cli('soak', '--model', 'nosuch', '--runs', '1')).code).toBe(2);
    expect((await cli('soak', '--time', '5 parsecs')).code).toBe(2);
    expect((await cli('soak', '--runs', '0')).code).toBe(2);
    expect((await cli('soak', '--model', USER, '--bug', 'nosuch', '--runs', '1')).code).toBe(2);
  });

  it('reads durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('20')).toBe(20_000);
    expect(() => parseDuration('0s')).toThrow(/positive/);
  });
});
