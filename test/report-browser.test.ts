/**
 * index.html in a real browser (a Chromium found on PATH or in Playwright's
 * cache, headless, driven by playwright-core): opened from disk with every
 * network feature off, it logs no console error, every chart image decodes, and
 * the guarantee matrix, the findings and the counterexample diagrams are there.
 *
 * Without a browser the suite is skipped with the reason printed, except when
 * REPLICHECK_REQUIRE_BROWSER=1 (set by .ci/run, which installs one): then a
 * missing browser fails instead of hiding behind a skip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium } from './helpers/find-browser.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collectReport } from '../reports/run.js';
import { commitOutput, prepareOutput, writeStaged, type WrittenReport } from '../reports/output.js';
import { toyEntry } from './helpers/report-model.js';

const CHROMIUM = findChromium();
const REQUIRED = process.env.REPLICHECK_REQUIRE_BROWSER === '1';
if (!CHROMIUM) {
  const why = 'no Chromium on PATH (chromium, chromium-browser, google-chrome) or in the Playwright cache';
  if (REQUIRED) throw new Error(`REPLICHECK_REQUIRE_BROWSER=1 but ${why}`);
  console.warn(`report-browser: skipped: ${why}; install one (apt-get install chromium) to run it`);
}
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let root: string;
let written: WrittenReport;
let browser: Browser;
let page: Page;
const errors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  if (!CHROMIUM) return;
  root = mkdtempSync(join(tmpdir(), 'replicheck-report-browser-'));
  const staging = prepareOutput(join(root, 'report'));
  const collected = await collectReport({ registry: { toy: toyEntry }, runs: 4, shrinkBudget: 5 });
  written = writeStaged(staging, collected, { version: 'test', generatedAt: '2026-01-01T00:00:00.000Z' });
  commitOutput(staging);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(written.index).href, { waitUntil: 'load' });
});

afterAll(async () => {
  await browser?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!CHROMIUM)('index.html in headless Chromium', () => {
  it('loads without console errors and without leaving the file', () => {
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
  });

  it('every chart image loads and has pixels', async () => {
    const imgs = await page.$$eval('img', (xs) => xs.map((i) => ({ ok: i.complete, w: i.naturalWidth, h: i.naturalHeight, alt: i.alt })));
    expect(imgs.length).toBe(written.doc.charts.length);
    expect(imgs.length).toBeGreaterThanOrEqual(5);
    for (const i of imgs) {
      expect(i.ok, i.alt).toBe(true);
      expect(i.w, i.alt).toBeGreaterThan(0);
      expect(i.h, i.alt).toBeGreaterThan(0);
    }
  });

  it('shows the guarantee matrix with one row per variant and the finding highlighted', async () => {
    const rows = await page.$$eval('table.matrix tbody tr th.v', (xs) => xs.map((x) => x.firstChild?.textContent));
    expect(rows).toEqual(['async', 'overclaim']);
    const findingCells = await page.$$eval('table.matrix td.finding', (xs) => xs.map((x) => x.getAttribute('title') ?? ''));
    expect(findingCells.length).toBeGreaterThan(0);
    expect(findingCells[0]).toMatch(/^overclaim · read-your-writes: claimed .* and broke in \d+ of \d+ runs/);
    const colour = await page.$eval('table.matrix td.finding', (x) => getComputedStyle(x).backgroundColor);
    expect(colour).toBe('rgb(198, 40, 40)');
    expect(await page.locator('#findings table.findings tbody tr').count()).toBeGreaterThan(0);
  });

  it('every broken cell links to a drawn counterexample', async () => {
    const links = await page.$$eval('table.matrix td a', (xs) => xs.map((a) => a.getAttribute('href')!));
    expect(links.length).toBeGreaterThan(0);
    for (const href of links) {
      const svgRects = await page.$$eval(`${href} svg`, (xs) => xs.map((s) => s.getBoundingClientRect().width));
      // A linearizability cell draws its partial linearization beside the run.
      expect(svgRects.length, href).toBe(/linearizable/.test(href) ? 2 : 1);
    }
    // Following a link opens its diagram, drawn with a real size.
    const closed = await page.$$eval('details[id^="cx-"]:not([open])', (xs) => xs.map((d) => d.id));
    expect(closed.length).toBeGreaterThan(0);
    await page.click(`a[href="#${closed[0]}"]`);
    expect(await page.$eval(`#${closed[0]}`, (d) => (d as HTMLDetailsElement).open)).toBe(true);
    const height = await page.$eval(`#${closed[0]} .svg svg`, (s) => s.getBoundingClientRect().height);
    expect(height).toBeGreaterThan(50);
  });
});
