/**
 * What the CLI says about what it is doing: JSON even for an error when JSON
 * was asked for, a variant with --config overrides labelled as such, a token
 * that loads a module path saying which file it loads, counts in words.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { selectVariants, loadModel } from '../src/cli/load-model.js';
import { encodeToken, plural } from '../src/scenario/compact.js';
import { runSeed } from '../src/run/explore.js';

describe('CLI labels', () => {
  it('an error under --json is one JSON object on stdout as well as the message on stderr', async () => {
    for (const args of [['run', 'no-such-model', '--json'], ['replay', 'rc1:!!!', '--json'], ['run', 'wal', '--bug', 'nope', '--json']]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      const j = JSON.parse(r.out) as { error: string; exit: number };
      expect(j.exit).toBe(2);
      expect(j.error.length).toBeGreaterThan(0);
      expect(r.err).toContain(j.error);
    }
    // Without --json, stdout stays clean.
    expect((await cli('run', 'no-such-model')).out).toBe('');
  });

  it('--variant with --config runs the variant with the overrides and says so', async () => {
    const entry = await loadModel('wal');
    const [v] = selectVariants(entry, 'sync-on', '{"nodes": 2}');
    expect(v!.name).toBe('sync-on+config');
    expect(v!.config).toEqual({ ...entry.variants['sync-on'], nodes: 2 });
    expect(selectVariants(entry, undefined, '{"nodes": 2}')).toEqual([{ name: 'custom', config: { nodes: 2 } }]);
    expect(() => selectVariants(entry, 'no-such', '{}')).toThrow(/no variant 'no-such'/);
  });

  it('replay of a token naming a module path says which file it loads before running it', async () => {
    const token = encodeToken({
      model: './test/fixtures/user-model.ts', config: {}, seed: 1, sessions: [], faults: [],
      network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
    });
    const r = await cli('replay', token);
    expect(r.err).toMatch(/the token names a model module; loading \/.*test\/fixtures\/user-model\.ts/);
    const builtin = await cli('replay', encodeToken({
      model: 'wal', config: {}, seed: 1, sessions: [], faults: [],
      network: { defaultLink: { latency: { kind: 'constant', ms: 1 }, lossRate: 0, dupRate: 0 } },
    }));
    expect(builtin.err).not.toMatch(/loading/);
  });

  it('counts read as words', () => {
    expect(plural(1, 'client op')).toBe('1 client op');
    expect(plural(0, 'fault')).toBe('0 faults');
    expect(plural(3, 'fault')).toBe('3 faults');
  });
});

describe('CLI bounds', () => {
  it('--runs and --seed are bounded: a seed past exact integers, or runs that never end, are refused', async () => {
    const model = (verb: string) => (verb === 'run' ? ['wal'] : []);
    for (const verb of ['run', 'soak', 'report']) {
      const seed = await cli(verb, ...model(verb), '--seed', String(2 ** 53), '--runs', '1');
      expect(seed.code, verb).toBe(2);
      expect(seed.err).toMatch(/--seed must be an integer in 0\.\.9007199254740991, got '9007199254740992'/);
      const runs = await cli(verb, ...model(verb), '--runs', '1e12');
      expect(runs.code, verb).toBe(2);
      expect(runs.err).toMatch(/--runs must be an integer in 1\.\.10000000, got '1e12'/);
    }
    // live hands its seed to fast-check as it is: 31 bits there.
    const live = await cli('live', 'pg', '--seed', String(2 ** 31));
    expect(live.code).toBe(2);
    expect(live.err).toMatch(/--seed must be an integer in 0\.\.2147483647, got '2147483648'/);
  });

  it('run takes a seed above 31 bits (as --seed $RANDOM$RANDOM gives): hashed with each run index, not cut', async () => {
    const big = await cli('run', 'wal', '--seed', '3276732767', '--runs', '1', '--variant', 'async', '--no-failure-file', '--json');
    expect(big.code, big.err).not.toBe(2); // 3 at one run: some claims not judged yet
    expect(JSON.parse(big.out).seed).toBe(3276732767);
    // Distinct seeds name distinct runs: the 31-bit cut of this seed draws other scenarios.
    expect(runSeed(3276732767, 0)).not.toBe(runSeed(3276732767 % 2 ** 31, 0));
  });
});
