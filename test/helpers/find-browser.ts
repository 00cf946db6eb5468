/**
 * Where a headless-capable Chromium lives on this machine: on PATH under its
 * usual names, else the newest build in Playwright's cache
 * (PLAYWRIGHT_BROWSERS_PATH or ~/.cache/ms-playwright). Undefined when none.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function inPlaywrightCache(): string | undefined {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright');
  if (!existsSync(root)) return undefined;
  // Newest first: chromium-1234 sorts by build number.
  const builds = readdirSync(root).filter((d) => /^chromium-\d+$/.test(d))
    .sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  for (const b of builds) {
    for (const rel of ['chrome-linux/chrome', 'chrome-linux64/chrome']) {
      const p = join(root, b, rel);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

export function findChromium(): string | undefined {
  for (const n of NAMES) {
    const p = onPath(n);
    if (p) return p;
  }
  return inPlaywrightCache();
}
