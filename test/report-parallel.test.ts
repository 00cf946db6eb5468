/**
 * The report over worker threads: one task per (variant, profile) cell and per
 * shrink, merged in a fixed order, so the figures and every file written are the
 * same whatever the worker count (only wall-clock timings and the date differ).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { quietly } from './helpers/cli.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reportCommand } from '../src/cli/report.js';
import { BUILTIN_MODELS } from '../models/index.js';
import { builtinRegistryModule, collectReport, type CollectedReport } from '../reports/run.js';
import { registry } from './helpers/report-registry.js';

const registryModule = { url: pathToFileURL(join(import.meta.dirname, 'helpers/report-registry.ts')).href, exportName: 'registry' };
const root = mkdtempSync(join(tmpdir(), 'replicheck-report-parallel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The report without its wall-clock figures. */
function figures(r: CollectedReport): string {
  const { elapsedMs: _e, totals: { runsPerS: _r, ...totals }, ...rest } = r;
  return JSON.stringify({ ...rest, totals });
}

/** Every file of a report directory, wall-clock timings and the date blanked out. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        if (name.endsWith('.png')) {
          out.set(relative(dir, p), bytes.toString('base64'));
          continue;
        }
        const text = bytes.toString('utf8')
          .replace(/"(elapsedMs|runsPerS|generatedAt)":\s*[^,\n}]+/g, '"$1": …')
          .replace(/\d+\.\d s( ·|\n| \()/g, '… s$1')
          .replace(/[\d.]+ runs\/s/g, '… runs/s')
          .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '…');
        out.set(relative(dir, p), text);
      }
    }
  };
  walk(dir);
  return out;
}

describe('report over worker threads', () => {
  it('gives the same figures in this thread, on 1 and on 2 workers', async () => {
    const opts = { registry, runs: 3, seed: 5, shrinkBudget: 10, profiles: ['calm', 'crashes', 'everything'] };
    const here = await collectReport(opts);
    const one = await collectReport({ ...opts, workers: 1, registryModule });
    const two = await collectReport({ ...opts, workers: 2, registryModule });
    // Something to compare: runs, findings with shrunk counterexamples, diagrams.
    const variants = Object.values(registry).reduce((n, e) => n + Object.keys(e.variants).length, 0);
    expect(here.totals.runs).toBe(variants * 3 * 3);
    expect(Object.keys(here.diagrams).length).toBeGreaterThan(0);
    expect(figures(one)).toBe(figures(here));
    expect(figures(two)).toBe(figures(here));
  });

  it('`replicheck report` writes the same files with --workers 1 and --workers 2', async () => {
    const out1 = join(root, 'w1');
    const out2 = join(root, 'w2');
    const args = { models: 'cdc', profiles: 'calm,crashes', runs: '2', shrink: '5', seed: '3' };
    expect(await quietly(() => reportCommand({ ...args, out: out1, workers: '1' }))).toBe(0);
    expect(await quietly(() => reportCommand({ ...args, out: out2, workers: '2' }))).toBe(0);
    const a = files(out1);
    const b = files(out2);
    expect([...a.keys()]).toContain('report.json');
    expect([...a.keys()].some((f) => f.endsWith('.png'))).toBe(true);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, text] of a) expect(b.get(f), f).toBe(text);
  });

  it('workers load the built-in models from their own module', async () => {
    const mod = (await import(builtinRegistryModule().url)) as Record<string, unknown>;
    expect(mod[builtinRegistryModule().exportName]).toBe(BUILTIN_MODELS);
  });
});
