/**
 * `replicheck report --pbs-latency`: measured WARS latencies plug into the PBS
 * curves. A valid spec changes the curves and the report says which latencies
 * it used; a bad one exits 2 with an error naming the leg and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/cli.js';
import { DEFAULT_PBS_LEGS, pbsGrid } from '../reports/levels.js';
import { parseLatency, parseWarsLatencies, warsLatenciesFromJson } from '../src/metrics/pbs.js';
import type { ReportDoc } from '../reports/schema.js';

let root: string;
const small = ['--models', 'leaderless', '--profiles', 'calm', '--runs', '1', '--shrink', '0', '--cost-runs', '0', '--level-runs', '1', '--workers', '1'];

async function report(dir: string, ...extra: string[]): Promise<{ code: number; err: string; doc?: ReportDoc; md?: string; html?: string }> {
  const out = join(root, dir);
  const r = await cli('report', ...small, '--out', out, ...extra);
  if (!existsSync(join(out, 'report.json'))) return { code: r.code, err: r.err };
  return {
    code: r.code, err: r.err,
    doc: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportDoc,
    md: readFileSync(join(out, 'summary.md'), 'utf8').replace(/\s+/g, ' '), // unwrapped
    html: readFileSync(join(out, 'index.html'), 'utf8'),
  };
}

const p = (doc: ReportDoc, r: number, w: number, i: number) => doc.levels[0]!.pbs.curves.find((c) => c.r === r && c.w === w)!.points[i]!;

let base: Awaited<ReturnType<typeof report>>;
let slowWrites: Awaited<ReturnType<typeof report>>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'replicheck-pbs-test-'));
  base = await report('base');
  slowWrites = await report('slow', '--pbs-latency', 'W=exp:5:0.1,A=exp:0.5:0.1');
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--pbs-latency', () => {
  it('parses the short form; legs left out keep the default', () => {
    const l = parseWarsLatencies('W=exp:2,a=const:0.3, R=uniform:0.1:2,S=pareto:0.5:1.5:100', DEFAULT_PBS_LEGS);
    expect(l).toEqual({
      w: { kind: 'exponential', meanMs: 2 }, a: { kind: 'constant', ms: 0.3 },
      r: { kind: 'uniform', minMs: 0.1, maxMs: 2 }, s: { kind: 'pareto', scaleMs: 0.5, shape: 1.5, capMs: 100 },
    });
    expect(parseWarsLatencies('R=exp:3', DEFAULT_PBS_LEGS)).toEqual({ ...DEFAULT_PBS_LEGS, r: { kind: 'exponential', meanMs: 3 } });
    expect(parseLatency('exp:1:0.2')).toEqual({ kind: 'exponential', meanMs: 1, minMs: 0.2 });
    expect(warsLatenciesFromJson({ w: { kind: 'mixture', parts: [{ weight: 9, dist: { kind: 'constant', ms: 1 } }, { weight: 1, dist: { kind: 'constant', ms: 50 } }] } }, DEFAULT_PBS_LEGS).w.kind).toBe('mixture');
  });

  it('the default report names the default legs; its curves are unchanged by the option existing', () => {
    expect(base.code).toBe(0);
    expect(base.md).toContain('WARS legs the default, LAN-like: W (write to replica) 0.1 ms + exp(mean 1 ms)');
    expect(base.doc!.levels[0]!.pbs.curves[0]!.points.map((x) => x.tMs)).toEqual([0, 0.2, 0.5, 1, 2, 5, 10]);
  });

  it('slower writes lower P(consistent read) soon after commit, and the report says which latencies it used', () => {
    expect(slowWrites.code).toBe(0);
    const legs = slowWrites.doc!.levels[0]!.pbs.legs;
    expect(legs).toEqual({ ...DEFAULT_PBS_LEGS, w: { kind: 'exponential', meanMs: 5, minMs: 0.1 } });
    // The grid stretches with the slower legs: the same points, later.
    const grid = pbsGrid(legs as never);
    expect(slowWrites.doc!.levels[0]!.pbs.curves[0]!.points.map((x) => x.tMs)).toEqual(grid);
    expect(grid[grid.length - 1]!).toBeGreaterThan(10);
    // R=1, W=1 right at commit: a slow write leg leaves the other replicas further behind.
    expect(p(slowWrites.doc!, 1, 1, 0).probability).toBeLessThan(p(base.doc!, 1, 1, 0).probability - 0.05);
    // R + W > N stays 1 whatever the latencies.
    expect(p(slowWrites.doc!, 2, 2, 0).probability).toBe(1);
    expect(slowWrites.md).toContain('WARS legs set with --pbs-latency: W (write to replica) 0.1 ms + exp(mean 5 ms)');
    expect(slowWrites.html).toContain('set with --pbs-latency: W (write to replica) 0.1 ms + exp(mean 5 ms)');
  });

  it('reads legs from a JSON file given as @FILE', async () => {
    const file = join(root, 'legs.json');
    writeFileSync(file, JSON.stringify({ s: { kind: 'constant', ms: 2 } }));
    const r = await report('file', '--pbs-latency', `@${file}`);
    expect(r.code).toBe(0);
    expect(r.doc!.levels[0]!.pbs.legs).toEqual({ ...DEFAULT_PBS_LEGS, s: { kind: 'constant', ms: 2 } });
    expect(r.md).toContain('S (read response) 2 ms');
  }, 300_000);

  const bad: [string, RegExp][] = [
    ['W=exp:-1', /--pbs-latency: leg W: the mean must be a number ≥ 0 \(ms\), got '-1'/],
    ['X=exp:1', /--pbs-latency: 'X=exp:1': expected LEG=DIST with LEG one of W, A, R, S/],
    ['W=gauss:1', /--pbs-latency: leg W: unknown distribution 'gauss'/],
    ['W=uniform:3:1', /--pbs-latency: leg W: 'uniform:3:1' — MAX must be at least MIN/],
    ['W=exp:1,W=exp:2', /--pbs-latency: leg W given twice/],
    ['R=pareto:1:0', /--pbs-latency: leg R: 'pareto:1:0' — the shape must be positive/],
    ['S=exp', /--pbs-latency: leg S: 'exp' — expected exp:MEAN or exp:MEAN:MIN/],
    ['@/nonexistent/legs.json', /--pbs-latency: cannot read \/nonexistent\/legs.json: ENOENT/],
  ];
  for (const [spec, message] of bad) {
    it(`rejects ${spec}: exit 2, a specific error, nothing written`, async () => {
      const r = await report(`bad-${bad.findIndex((b) => b[0] === spec)}`, '--pbs-latency', spec);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(existsSync(join(root, `bad-${bad.findIndex((b) => b[0] === spec)}`))).toBe(false);
    });
  }

  it('rejects a bad JSON file and --pbs-latency with --level-runs 0', async () => {
    const file = join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ w: { kind: 'exponential', meanMs: 'fast' } }));
    const r = await report('bad-json', '--pbs-latency', `@${file}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--pbs-latency: leg W: meanMs must be a number ≥ 0, got "fast"/);
    const out = join(root, 'bad-levels');
    const r2 = await cli('report', ...small.slice(0, -4), '--level-runs', '0', '--workers', '1', '--out', out, '--pbs-latency', 'W=exp:2');
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--level-runs 0 leaves out/);
    expect(existsSync(out)).toBe(false);
  });
});
