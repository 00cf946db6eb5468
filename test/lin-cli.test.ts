import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { EXIT_UNDECIDED } from '../src/cli/check.js';
import { PORCUPINE_DIR } from './lin-porcupine-data.js';

const dir = mkdtempSync(join(tmpdir(), 'replicheck-lin-'));
const data = (f: string): string => resolve(PORCUPINE_DIR, 'test_data', f);

/** Run `replicheck check …` in-process; returns exit code and captured output. */
async function check(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  const program = await buildProgram();
  let code: number;
  try {
    await program.parseAsync(['check', ...args], { from: 'user' });
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch {
    code = 2; // commander usage errors, as main() maps them
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { code, out, err };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('replicheck check', () => {
  it('exits 0 and says so for a linearizable etcd log', async () => {
    const r = await check(data('jepsen/etcd_002.log'), '--model', 'register');
    expect(r.code).toBe(0);
    expect(r.out).toContain('(etcd, model register, 77 operations): LINEARIZABLE');
  });

  it('exits 1 with the explanation for a violation, and writes the timeline SVG', async () => {
    const svg = join(dir, 't.svg');
    const r = await check(data('jepsen/etcd_000.log'), '--model', 'register', '--svg', svg);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT LINEARIZABLE\nnot linearizable: the longest legal order places \d+ of 85 operations/);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg xmlns/);
  });

  it('--json prints exactly one JSON document with verdict, partitions and explanation', async () => {
    const r = await check(data('kv/c10-bad.txt'), '--model', 'kv', '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out) as { verdict: string; format: string; partitions: { verdict: string }[]; explanation: string };
    expect(doc.verdict).toBe('illegal');
    expect(doc.format).toBe('edn');
    expect(doc.partitions).toHaveLength(10);
    expect(doc.explanation).toMatch(/^key "\d": not linearizable/);
  });

  it(`exits ${EXIT_UNDECIDED} with verdict unknown when the step limit ends the search`, async () => {
    const r = await check(data('jepsen/etcd_002.log'), '--model', 'register', '--max-steps', '10');
    expect(r.code).toBe(EXIT_UNDECIDED);
    expect(r.out).toContain('UNKNOWN (limit reached)');
  });

  it('exits 2 naming the line and what was expected for malformed input', async () => {
    const f = join(dir, 'bad.edn');
    writeFileSync(f, '{:type :invoke, :process 0, :f :read, :value nil}\n{:type :ok, :process 0, :f :read, :value [1}\n');
    const r = await check(f, '--model', 'register');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.edn: line 2: expected an EDN value, found "\}"/);
  });

  it('exits 2 for a model that does not fit the file, an unreadable file, and a bad option', async () => {
    expect((await check(data('kv/c01-ok.txt'), '--model', 'register')).err).toMatch(/line 1: expected :f :read, :write or :cas for the register model, found :f :append/);
    expect((await check(join(dir, 'missing.log'), '--model', 'register')).code).toBe(2);
    expect((await check(data('kv/c01-ok.txt'), '--model', 'kv', '--timeout-ms', 'soon')).code).toBe(2);
    expect((await check(data('jepsen/etcd_002.log'), '--model', 'kv')).err).toMatch(/use --model register/);
  });

  it('checks our own JSON-lines histories as one register per key', async () => {
    const f = join(dir, 'h.jsonl');
    const lines = [
      { type: 'invoke', t: 0, op: 1, session: 's1', node: 'n1', req: { txn: [{ f: 'w', k: 'x', v: 1 }], end: 'commit' } },
      { type: 'ok', t: 1, op: 1, session: 's1', node: 'n1', txn: [{ f: 'w', k: 'x', v: 1 }] },
      { type: 'invoke', t: 2, op: 2, session: 's2', node: 'n1', req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } },
      { type: 'ok', t: 3, op: 2, session: 's2', node: 'n1', txn: [{ f: 'r', k: 'x', v: null }] },
    ];
    writeFileSync(f, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await check(f, '--model', 'register');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain('key "x": not linearizable');
  });
});
