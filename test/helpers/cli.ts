/**
 * Run the `replicheck` CLI in this process, capturing what it prints on
 * stdout and stderr and its exit code (process.exitCode is left clean).
 */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

/** Run `f` with stderr and console.log silenced (a verb's progress and messages). */
export async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const l = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    return await f();
  } finally {
    e.mockRestore();
    l.mockRestore();
  }
}
