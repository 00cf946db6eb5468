#!/usr/bin/env node
// The `replicheck` command: the compiled CLI (dist/, built by `npm install`
// through `prepare`) runs in this very process, so start-up is one Node and
// signals reach the process doing the work. A checkout without dist/ (the
// build never ran) falls back to the TypeScript sources through tsx's loader.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
let entry = compiled;
if (!existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli', 'main.ts');
}
const { run } = await import(pathToFileURL(entry).href);
await run(process.argv.slice(2));
