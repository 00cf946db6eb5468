/**
 * `replicheck report` end to end: a small report (our small model plus every
 * built-in model, two runs each) writes every file; report.json validates
 * against its schema; the charts are real PNGs with drawn content; bad input
 * and unusable output directories exit 2 and leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { quietly } from './helpers/cli.js';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { reportCommand } from '../src/cli/report.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { validateReport, type ReportDoc } from '../reports/schema.js';
import { toyEntry } from './helpers/report-model.js';

const registry = { ...BUILTIN_MODELS, toy: toyEntry };
const LIVE_FIXTURE = join(import.meta.dirname, 'fixtures/live/live.json');
let root: string;
let out: string;
let doc: ReportDoc;

/** Run a CLI command, capturing stdout/stderr and the exit code. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  const l = vi.spyOn(console, 'log').mockImplementation((...xs) => void (stdout += `${xs.join(' ')}\n`));
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
    l.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'replicheck-report-test-'));
  out = join(root, 'report');
  const code = await quietly(() => reportCommand({ runs: '2', out, shrink: '5', costRuns: '1', levelRuns: '1', live: LIVE_FIXTURE }, registry));
  expect(code).toBe(0);
  doc = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportDoc;
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function pixels(file: string): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const buf = readFileSync(file);
  expect(buf.subarray(0, 8).equals(PNG_SIGNATURE), file).toBe(true);
  const img = await loadImage(buf);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

describe('replicheck report: files', () => {
  it('writes report.json, summary.md, index.html, every chart kind and a diagram per broken cell', () => {
    const files = readdirSync(out);
    expect(files.sort()).toEqual(['.replicheck-report', 'charts', 'index.html', 'live.json', 'report.json', 'spacetime', 'summary.md']);
    expect(new Set(doc.charts.map((c) => c.kind))).toEqual(
      new Set(['lag-percentiles', 'lag-over-time', 'visibility', 'convergence', 'anomalies', 'commit-latency', 'read-scaling', 'pbs']),
    );
    expect(readFileSync(join(out, 'live.json'), 'utf8')).toBe(readFileSync(LIVE_FIXTURE, 'utf8'));
    expect(doc.live?.column?.variant).toBe('async');
    for (const c of doc.charts) expect(existsSync(join(out, c.file)), c.file).toBe(true);
    const svgs = doc.models.flatMap((m) => m.variants.flatMap((v) => v.cells.map((c) => c.counterexample?.svg).filter((s): s is string => !!s)));
    expect(svgs.length).toBeGreaterThan(0);
    for (const s of svgs) expect(readFileSync(join(out, s), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(readdirSync(root)).toEqual(['report']); // no staging directory left behind
  });

  it('report.json validates against its schema and covers every requested model', () => {
    expect(validateReport(doc)).toEqual([]);
    expect(doc.schemaVersion).toBe(3);
    expect(doc.models.map((m) => m.name)).toEqual(Object.keys(registry));
    expect(doc.options).toMatchObject({ runs: 2, seed: 1, shrinkBudget: 5, profiles: ['calm', 'lossy-network', 'partitions', 'clock-skew', 'crashes', 'everything'] });
    for (const m of doc.models) for (const v of m.variants) expect(v.runs).toBe(12);
  });

  it('charts are real PNGs with drawn content', async () => {
    for (const c of doc.charts) {
      const p = await pixels(join(out, c.file));
      expect(p.width).toBe(1000);
      let ink = 0;
      let colour = 0;
      for (let i = 0; i < p.data.length; i += 4) {
        const [r, g, b] = [p.data[i]!, p.data[i + 1]!, p.data[i + 2]!];
        if (r < 245 || g < 245 || b < 245) ink++;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 80) colour++;
      }
      expect(ink, c.file).toBeGreaterThan(5000); // axes, labels, data
      expect(colour, c.file).toBeGreaterThan(200); // data series are in colour; axes and text are grey
    }
  });

  it('index.html is self-contained: charts inlined, no external references', () => {
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const imgs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
    expect(imgs).toHaveLength(doc.charts.length);
    for (const src of imgs) expect(src.startsWith('data:image/png;base64,')).toBe(true);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect([...html.matchAll(/<script/g)]).toHaveLength(1); // only the one that opens a linked diagram
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('<table class="matrix">');
  });

  it('summary.md fits a CI job summary and carries the matrix', () => {
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    expect(md).toMatch(/^# replicheck report/);
    for (const m of doc.models) expect(md).toContain(`### ${m.name}`);
    expect(md).toMatch(/\| overclaim \|.*❌ \d+\/\d+/);
  });

  it('replaces an earlier report atomically and keeps nothing of it', async () => {
    writeFileSync(join(out, 'stale.txt'), 'from an earlier report');
    const code = await quietly(() => reportCommand({ runs: '1', out, models: 'toy', profiles: 'calm', shrink: '0' }, registry));
    expect(code).toBe(0);
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).options.models).toEqual(['toy']);
    expect(readdirSync(root)).toEqual(['report']);
  });
});

describe('replicheck report: live results', () => {
  it('a directory holding only live pg\'s files becomes the report, which shows and keeps them', async () => {
    const dir = join(root, 'live-dir');
    mkdirSync(dir);
    writeFileSync(join(dir, 'live.json'), readFileSync(LIVE_FIXTURE));
    writeFileSync(join(dir, 'live.md'), '# replicheck live: PostgreSQL\n');
    const code = await quietly(() => reportCommand({ runs: '1', out: dir, models: 'toy', profiles: 'calm', shrink: '0' }, registry));
    expect(code).toBe(0);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['live.json', 'live.md', 'report.json', '.replicheck-report']));
    const d = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReportDoc;
    expect(d.live?.postgres).toBe('PostgreSQL 15.10 (fixture)');
    expect(d.live?.disagreements.some((x) => x.where === 'synchronous-commit')).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('--live naming no live.json exits 2 and writes nothing', async () => {
    const dir = join(root, 'live-bad');
    const r = await cli(['report', '--models', 'toy', '--live', join(root, 'nope.json'), '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--live: .*nope\.json does not exist/);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('replicheck report: exit codes and bad input', () => {
  it('--strict exits 1 on a finding, and --json prints report.json alone on stdout', async () => {
    const dir = join(root, 'strict');
    const strict = await quietly(() => reportCommand({ runs: '5', out: dir, models: 'toy', shrink: '0', strict: true }, registry));
    expect(strict).toBe(1);
    let stdout = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await reportCommand({ runs: '5', out: dir, models: 'toy', shrink: '0', json: true }, registry)).toBe(0);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    const printed = JSON.parse(stdout) as ReportDoc;
    expect(validateReport(printed)).toEqual([]);
    expect(printed.findings.some((f) => f.kind === 'claim-broken')).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it.each([
    [['--models', 'no-such-model'], /unknown model 'no-such-model'/],
    [['--profiles', 'calm,stormy'], /unknown fault profile 'stormy'/],
    [['--runs', 'lots'], /--runs must be an integer in 1..10000000, got 'lots'/],
  ])('report %j exits 2 with a clear message and writes nothing', async (args, message) => {
    const dir = join(root, 'bad-input');
    const r = await cli(['report', ...args, '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('an output path that cannot be written exits 2 and leaves nothing behind', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await cli(['report', '--models', 'toy', '--out', join(file, 'report')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot write the report next to .*a-file\/report: .*a-file is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
    rmSync(file);
  });

  it('refuses to replace a directory that is not an earlier report, and leaves it as it was', async () => {
    const dir = join(root, 'src-tree');
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.ts'), 'precious');
    const r = await cli(['report', '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to replace .*src-tree: it is not empty and was not written by replicheck report/);
    expect(readdirSync(dir)).toEqual(['main.ts']);
    rmSync(dir, { recursive: true });
  });

  it('an error once the output is staged keeps the old report and removes the staging directory', async () => {
    const before = readFileSync(join(out, 'report.json'), 'utf8');
    const broken = { toy: { ...toyEntry, variants: { bad: { colour: 'red' } } } };
    await expect(quietly(() => reportCommand({ runs: '1', out, shrink: '0' }, broken))).rejects.toThrow(/unknown knob "colour"/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe(before);
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('lag chart packing', () => {
  it('keeps a variant\'s standbys together and never exceeds the rows per chart', async () => {
    const { chunkRows } = await import('../reports/output.js');
    expect(chunkRows([[1, 2], [3, 4], [5, 6], [7]], 4)).toEqual([[1, 2, 3, 4], [5, 6, 7]]);
    expect(chunkRows([[1, 2, 3], [4, 5]], 4)).toEqual([[1, 2, 3], [4, 5]]);
    expect(chunkRows([[1, 2, 3, 4, 5]], 4)).toEqual([[1, 2, 3, 4, 5]]); // one group larger than a chart stays whole
    expect(chunkRows([], 4)).toEqual([]);
  });
});
