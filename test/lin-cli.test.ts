import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { EXIT_UNDECIDED } from '../src/cli/check.js';
import { PORCUPINE_DIR } from './lin-porcupine-data.js';

const dir = mkdtempSync(join(tmpdir(), 'replicheck-lin-'));
// Leave nothing behind in the system's temp directory.
afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

  it('rejects a JSON-lines completion with no invocation (exit 2, op and line named) instead of calling it a violation', async () => {
    const f = join(dir, 'orphan.jsonl');
    const lines = [
      { type: 'ok', t: 1, op: 1, session: 's1', node: 'n1', txn: [{ f: 'w', k: 'x', v: 1 }] },
      { type: 'invoke', t: 2, op: 2, session: 's2', node: 'n1', req: { txn: [{ f: 'r', k: 'x' }], end: 'commit' } },
      { type: 'ok', t: 3, op: 2, session: 's2', node: 'n1', txn: [{ f: 'r', k: 'x', v: 1 }] },
    ];
    writeFileSync(f, '\n' + lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await check(f, '--model', 'register');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('orphan.jsonl: line 2: expected an invoke of op 1 before its ok, found an ok of op 1 with no invocation');
  });

  it('says "no operations in FILE" (exit 2) for an empty history, whatever its format', async () => {
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const r = await check(empty, '--model', 'register');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`replicheck check: no operations in ${empty}\n`);
    const comments = join(dir, 'comments.edn');
    writeFileSync(comments, '; nothing recorded\n\n');
    expect((await check(comments, '--model', 'register')).err).toContain(`no operations in ${comments}`);
    const nemesisOnly = join(dir, 'nemesis.edn');
    writeFileSync(nemesisOnly, '{:type :info, :process :nemesis, :f :start, :value nil}\n');
    expect((await check(nemesisOnly, '--model', 'register', '--json')).out).toBe(`${JSON.stringify({ error: `no operations in ${nemesisOnly}` })}\n`);
    const jsonlMetaOnly = join(dir, 'meta.jsonl');
    writeFileSync(jsonlMetaOnly, `${JSON.stringify({ type: 'invoke', t: 0, op: 1, session: 's', node: 'n1', req: { txn: [{ f: 'w', k: 'x', v: 1 }], end: 'commit' } })}\n${JSON.stringify({ type: 'fail', t: 1, op: 1, session: 's', node: 'n1', error: 'e' })}\n`);
    expect((await check(jsonlMetaOnly, '--model', 'register')).code).toBe(2);
  });

  it('detects an EDN history that opens with ; comments', async () => {
    const f = join(dir, 'commented.edn');
    writeFileSync(f, ';; recorded by a Jepsen test\n\n; second line\n{:type :invoke, :process 0, :f :write, :value 1}\n{:type :ok, :process 0, :f :write, :value 1}\n');
    const r = await check(f, '--model', 'register');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('(edn, model register, 1 operations): LINEARIZABLE');
  });

  describe('cas-register (Knossos semantics)', () => {
    const f = join(dir, 'cas.edn');
    writeFileSync(
      f,
      [
        '{:type :invoke, :process 0, :f :read, :value nil}',
        '{:type :ok, :process 0, :f :read, :value 0}',
        '{:type :invoke, :process 0, :f :cas, :value [0 5]}',
        '{:type :ok, :process 0, :f :cas, :value [0 5]}',
        '{:type :invoke, :process 1, :f :read, :value nil}',
        '{:type :ok, :process 1, :f :read, :value nil}',
      ].join('\n'),
    );

    it('checks read 0 then cas 0→5 from --initial 0 as linearizable (the register model starts at nil and cannot)', async () => {
      const r = await check(f, '--model', 'cas-register', '--initial', '0');
      expect(r.code).toBe(0);
      expect(r.out).toContain('(edn, model cas-register, 3 operations): LINEARIZABLE');
      expect((await check(f, '--model', 'cas-register')).code).toBe(1);
      expect((await check(f, '--model', 'register')).code).toBe(1);
    });

    it('takes --initial only with cas-register', async () => {
      const r = await check(f, '--model', 'register', '--initial', '0');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--initial sets the cas-register model's initial value/);
    });
  });

  describe('several files and directories in one process', () => {
    const root = join(dir, 'many');
    mkdirSync(join(root, 'sub'), { recursive: true });
    copyFileSync(data('jepsen/etcd_002.log'), join(root, 'b-ok.log'));
    copyFileSync(data('jepsen/etcd_000.log'), join(root, 'sub', 'a-bad.log'));
    copyFileSync(data('jepsen/etcd_101.log'), join(root, 'a-ok.log'));
    writeFileSync(join(root, 'README.md'), 'not a history\n');
    const broken = join(dir, 'broken.log');
    writeFileSync(broken, 'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nnot a log line\n');

    it('prints one table of every history file under a directory, sorted, then the explanation of each violation', async () => {
      const r = await check(root, '--model', 'register');
      expect(r.code).toBe(1);
      const lines = r.out.split('\n');
      expect(lines[0]).toMatch(/^file +format +ops +verdict +ms$/);
      expect(lines.slice(1, 4).map((l) => l.split(/ {2,}/).slice(0, 4))).toEqual([
        [join(root, 'a-ok.log'), 'etcd', '72', 'LINEARIZABLE'],
        [join(root, 'b-ok.log'), 'etcd', '77', 'LINEARIZABLE'],
        [join(root, 'sub', 'a-bad.log'), 'etcd', '85', 'NOT LINEARIZABLE'],
      ]);
      expect(lines[4]).toBe('3 files: 2 linearizable, 1 not linearizable, 0 undecided, 0 bad input');
      expect(r.out).toContain(`\n${join(root, 'sub', 'a-bad.log')}:\nnot linearizable: the longest legal order places`);
      expect(r.out).not.toContain('README');
    });

    it('--json prints one array with one object per file', async () => {
      const r = await check(join(root, 'sub'), data('jepsen/etcd_002.log'), '--model', 'register', '--json');
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.out) as { file: string; verdict: string; opCount: number; ms: number }[];
      expect(doc.map((d) => [d.file, d.verdict, d.opCount])).toEqual([
        [join(root, 'sub', 'a-bad.log'), 'illegal', 85],
        [data('jepsen/etcd_002.log'), 'ok', 77],
      ]);
      expect(doc.every((d) => typeof d.ms === 'number')).toBe(true);
    });

    it('exits 2 if any file is bad input, else 3 if any is undecided, else 1 if any is illegal, else 0', async () => {
      const withBad = await check(root, broken, '--model', 'register', '--json');
      expect(withBad.code).toBe(2);
      const docs = JSON.parse(withBad.out) as { file: string; error?: string }[];
      expect(docs).toHaveLength(4);
      expect(docs[3]).toEqual({ file: broken, error: `${broken}: line 2: expected a line "INFO  jepsen.util - <process> :invoke|:ok|:fail|:info :read|:write|:cas <value>", found "not a log line"` });
      const table = await check(broken, root, '--model', 'register');
      expect(table.code).toBe(2);
      expect(table.out).toMatch(/broken\.log +- +- +BAD INPUT/);
      expect(table.err).toContain('broken.log: line 2');
      // A read of 0 from nil is refuted within 50 steps; etcd_002 needs far more.
      const tiny = join(dir, 'tiny-bad.edn');
      writeFileSync(tiny, '{:type :invoke, :process 0, :f :read, :value nil}\n{:type :ok, :process 0, :f :read, :value 0}\n');
      const mixed = await check(tiny, data('jepsen/etcd_002.log'), '--model', 'register', '--max-steps', '50', '--json');
      expect((JSON.parse(mixed.out) as { verdict: string }[]).map((d) => d.verdict)).toEqual(['illegal', 'unknown']);
      expect(mixed.code).toBe(EXIT_UNDECIDED);
      expect((await check(root, '--model', 'register')).code).toBe(1);
      expect((await check(data('jepsen/etcd_002.log'), data('jepsen/etcd_101.log'), '--model', 'register')).code).toBe(0);
      expect((await check(join(root, 'sub'), join(dir, 'nowhere.log'), '--model', 'register')).code).toBe(2);
      const emptyDir = join(dir, 'nothing-here');
      mkdirSync(emptyDir, { recursive: true });
      expect((await check(emptyDir, '--model', 'register')).err).toMatch(/no history files .* under directory/);
    });

    it('lists an empty file among several as skipped, without failing the run; only empty files exit 2', async () => {
      const empty = join(dir, 'empty-among.log');
      writeFileSync(empty, '');
      const r = await check(data('jepsen/etcd_002.log'), empty, '--model', 'register');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/empty-among\.log +- +0 +EMPTY \(skipped\)/);
      expect(r.out).toMatch(/2 files: 1 linearizable, 0 not linearizable, 0 undecided, 0 bad input, 1 empty \(skipped\)/);
      expect(r.err).toContain(`no operations in ${empty} (skipped)`);
      const j = await check(empty, data('jepsen/etcd_002.log'), '--model', 'register', '--json');
      expect((JSON.parse(j.out) as object[])[0]).toEqual({ file: empty, empty: true, note: `no operations in ${empty} (skipped)` });
      expect((await check(empty, empty, '--model', 'register')).code).toBe(2);
    });

    it('refuses --svg for more than one history', async () => {
      const r = await check(root, '--model', 'register', '--svg', join(dir, 'x.svg'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--svg draws one history/);
    });
  });
});
