import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../src/check/linearizability.js';
import { kvModel, registerModel } from '../src/check/lin-models.js';
import {
  detectFormat,
  historyToLinOps,
  HistoryParseError,
  jepsenToKvOps,
  jepsenToRegisterOps,
  parseEdn,
  parseEtcdLog,
  parseKvLog,
} from '../src/history/import.js';
import type { History, InvokeEntry, MicroOp, OkEntry } from '../src/history/types.js';

const etcd = (lines: string[]): string => lines.map((l) => `INFO  jepsen.util - ${l.replace(/ +/g, '\t')}`).join('\n');

describe('parseEtcdLog', () => {
  it('pairs by process, uses line numbers as time, and reads failed cas as "compare did not match"', () => {
    const ops = parseEtcdLog(etcd(['0 :invoke :write 3', '1 :invoke :cas [1 2]', '0 :ok :write 3', '1 :fail :cas [1 2]']));
    expect(ops).toEqual([
      { id: 0, client: 'process 0', input: { f: 'write', value: 3 }, output: {}, call: 1, ret: 3, source: 'line 1' },
      { id: 1, client: 'process 1', input: { f: 'cas', from: 1, to: 2 }, output: { ok: false }, call: 2, ret: 4, source: 'line 2' },
    ]);
  });

  it('keeps :info and unanswered ops pending and drops timed-out reads', () => {
    const ops = parseEtcdLog(etcd(['0 :invoke :write 1', '1 :invoke :read nil', '2 :invoke :cas [1 4]', '0 :info :write :timed-out', '1 :fail :read :timed-out']));
    expect(ops.map((o) => [o.input.f, o.ret, o.output])).toEqual([
      ['write', Infinity, undefined],
      ['cas', Infinity, undefined],
    ]);
  });

  it('a failed cas is an observation: it makes a history illegal when the value did match', () => {
    const ops = parseEtcdLog(etcd(['0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :cas [1 2]', '1 :fail :cas [1 2]']));
    expect(checkLinearizable(ops, registerModel).verdict).toBe('illegal');
  });

  it('names the line and the expected form of a malformed line', () => {
    const text = etcd(['0 :invoke :write 1']) + '\nINFO  jepsen.util - 0\t:ok\t:write\n';
    expect(() => parseEtcdLog(text)).toThrow(HistoryParseError);
    expect(() => parseEtcdLog(text)).toThrow(/^line 2: expected a line "INFO {2}jepsen\.util - <process>/);
  });

  it('rejects a completion without an invocation and a second invocation while one is open', () => {
    expect(() => parseEtcdLog(etcd(['0 :ok :write 1']))).toThrow(/line 1: expected an :invoke by process 0/);
    expect(() => parseEtcdLog(etcd(['0 :invoke :write 1', '0 :invoke :read nil']))).toThrow(/line 2: expected a completion for process 0 \(its operation from line 1/);
  });
});

describe('parseEdn', () => {
  it('reads one map per line, with commas optional, and pairs invocations with completions', () => {
    const text = '{:type :invoke, :process 0, :f :read, :value nil}\n{:type :invoke :process 1 :f :write :value 3}\n{:type :ok, :process 1, :f :write, :value 3}\n{:type :ok, :process 0, :f :read, :value 3}\n';
    const ops = jepsenToRegisterOps(parseEdn(text));
    expect(ops.map((o) => [o.input, o.output, o.call, o.ret, o.source])).toEqual([
      [{ f: 'read' }, { value: 3 }, 0, 3, 'line 1'],
      [{ f: 'write', value: 3 }, {}, 1, 2, 'line 2'],
    ]);
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
  });

  it('reads a vector of tagged records, uses :time (ns → ms) and skips the nemesis', () => {
    const text = `[#jepsen.history.Op{:index 0, :time 1000000, :type :invoke, :process 0, :f :cas, :value [1 2]}
 {:time 1500000, :type :info, :process :nemesis, :f :start, :value "partition"}
 #jepsen.history.Op{:index 1, :time 3000000, :type :fail, :process 0, :f :cas, :value [1 2]}
 {:time 4000000, :type :invoke, :process 5, :f :write, :value "a\\"b"} ; a comment
]`;
    const jops = parseEdn(text);
    expect(jops.map((o) => [o.f, o.outcome, o.call, o.ret, o.line])).toEqual([
      ['cas', 'fail', 1, 3, 1],
      ['write', 'pending', 4, Infinity, 4],
    ]);
    const ops = jepsenToRegisterOps(jops);
    expect(ops.map((o) => o.input)).toEqual([{ f: 'write', value: 'a"b' }]);
  });

  it('reads jepsen.independent [key value] tuples as one register per key', () => {
    const text = [
      '{:type :invoke, :process 0, :f :write, :value [1 3]}',
      '{:type :ok, :process 0, :f :write, :value [1 3]}',
      '{:type :invoke, :process 1, :f :cas, :value [2 [nil 4]]}',
      '{:type :ok, :process 1, :f :cas, :value [2 [nil 4]]}',
      '{:type :invoke, :process 0, :f :read, :value [1 nil]}',
      '{:type :ok, :process 0, :f :read, :value [1 3]}',
    ].join('\n');
    const ops = jepsenToRegisterOps(parseEdn(text));
    expect(ops.map((o) => [o.input, o.output])).toEqual([
      [{ f: 'write', key: '1', value: 3 }, {}],
      [{ f: 'cas', key: '2', from: null, to: 4 }, { ok: true }],
      [{ f: 'read', key: '1' }, { value: 3 }],
    ]);
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
    const stale = text.replace(/:value \[1 3\]\}$/, ':value [1 nil]}');
    expect(checkLinearizable(jepsenToRegisterOps(parseEdn(stale)), registerModel).verdict).toBe('illegal');
  });

  it('reports unbalanced input with the line of the opening brace', () => {
    expect(() => parseEdn('{:type :invoke, :process 0, :f :read, :value nil}\n{:type :ok :process 0\n:f :read')).toThrow(/^line 2: expected a closing \}/);
  });

  it('reports a non-map form and a bad :type with their lines', () => {
    expect(() => parseEdn('{:type :invoke, :process 0, :f :read}\n42\n')).toThrow(/^line 2: expected an operation map/);
    expect(() => parseEdn('\n\n{:type :started, :process 0, :f :read}')).toThrow(/^line 3: expected :type :invoke, :ok, :fail or :info, found :type :started/);
  });

  it('reads op maps field by field: the last of a repeated key wins, other keys and non-keyword keys are skipped, tags and #_ as in EDN', () => {
    const text = [
      '{:type :ok, :type :invoke, "type" :fail, :process 0, :f :write, :value {:a [1 2]}, :extra #{1 2}, :valuex 9}',
      '#a #b {:type :ok, :process 0, :f :write, :value nil}',
      '#_ {:type :ok, :process 1, :f :read} {:type :invoke, :process 1, :f :read, :value nil, :time 7}',
    ].join('\n');
    const jops = parseEdn(text);
    expect(jops.map((o) => [o.process, o.f, o.outcome, o.call, o.ret, o.line])).toEqual([
      [0, 'write', 'ok', 0, 1, 1],
      [1, 'read', 'pending', 2, Infinity, 3],
    ]);
    const v = jops[0]!.invokeValue as { map: Map<string, unknown> };
    expect([...v.map.keys()]).toEqual([':a']);
    expect(() => parseEdn('{:type :invoke, :process 0, :f}')).toThrow(/^line 1: expected a map with an even number of forms, found 5 forms/);
    // A vector followed by more forms is a sequence of forms, and the vector is not an op map.
    expect(() => parseEdn('[{:type :invoke, :process 0, :f :read}]\n{:type :ok, :process 0, :f :read}')).toThrow(/^line 1: expected an operation map .*found a vector of 1/);
  });

  it('rejects register ops the model does not know, naming the line', () => {
    expect(() => jepsenToRegisterOps(parseEdn('{:type :invoke, :process 0, :f :add, :value 1}'))).toThrow(/line 1: expected :f :read, :write or :cas/);
    expect(() => jepsenToRegisterOps(parseEdn('{:type :invoke, :process 0, :f :cas, :value 1}'))).toThrow(/line 1: expected :cas value \[from to\]/);
  });
});

describe('kv logs', () => {
  it('reads Porcupine kv lines as per-key kv operations', () => {
    const text = [
      '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}',
      '{:process 1, :type :invoke, :f :get, :key "0", :value nil}',
      '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}',
      '{:process 1, :type :ok, :f :get, :key "0", :value ""}',
      '{:process 1, :type :invoke, :f :get, :key "0", :value nil}',
      '{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}',
    ].join('\n');
    const ops = parseKvLog(text);
    expect(ops.map((o) => o.input)).toEqual([
      { f: 'append', key: '0', value: 'x 0 0 y' },
      { f: 'get', key: '0' },
      { f: 'get', key: '0' },
    ]);
    expect(checkLinearizable(ops, kvModel).verdict).toBe('ok');
    // The second get, issued after the append returned, misses it.
    const broken = text.replace(/"x 0 0 y"\}$/, '""}');
    expect(broken).not.toBe(text);
    expect(checkLinearizable(parseKvLog(broken), kvModel).verdict).toBe('illegal');
  });

  it('needs a :key', () => {
    expect(() => jepsenToKvOps(parseEdn('{:type :invoke, :process 0, :f :get, :value nil}'))).toThrow(/line 1: expected a :key for the kv model/);
  });
});

describe('detectFormat', () => {
  it('tells the formats apart by their first line', () => {
    expect(detectFormat('INFO  jepsen.util - 0\t:invoke\t:read\tnil')).toBe('etcd');
    expect(detectFormat('\n{"type":"meta","t":0}')).toBe('jsonl');
    expect(detectFormat('{:type :invoke}')).toBe('edn');
    expect(detectFormat('[{:type :invoke}]')).toBe('edn');
    expect(detectFormat('hello')).toBeUndefined();
  });

  it('skips leading ; comment lines and blank lines before an EDN history', () => {
    expect(detectFormat('; Jepsen history of test x\n;; second comment\n\n{:type :invoke, :process 0}')).toBe('edn');
    expect(detectFormat('  ; indented comment\r\n[{:type :invoke}]')).toBe('edn');
    expect(detectFormat('; comment\nhello')).toBeUndefined();
  });
});

describe('historyToLinOps', () => {
  const inv = (op: number, t: number, session: string, txn: MicroOp[], end: 'commit' | 'rollback' = 'commit'): InvokeEntry => ({ type: 'invoke', t, op, session, node: 'n1', req: { txn, end } });
  const ok = (op: number, t: number, session: string, txn: MicroOp[]): OkEntry => ({ type: 'ok', t, op, session, node: 'n1', txn });

  it('turns reads, writes, read-then-write and updates into register operations per key', () => {
    const h: History = [
      inv(1, 0, 's1', [{ f: 'w', k: 'x', v: 1 }, { f: 'w', k: 'y', v: 10 }]),
      ok(1, 2, 's1', [{ f: 'w', k: 'x', v: 1 }, { f: 'w', k: 'y', v: 10 }]),
      inv(2, 3, 's2', [{ f: 'r', k: 'x' }, { f: 'w', k: 'x', v: 2 }]),
      ok(2, 4, 's2', [{ f: 'r', k: 'x', v: 1 }, { f: 'w', k: 'x', v: 2 }]),
      inv(3, 5, 's1', [{ f: 'upd', k: 'y', expr: { op: 'add', n: 5 } }]),
      ok(3, 6, 's1', [{ f: 'upd', k: 'y', expr: { op: 'add', n: 5 }, v: 15 }]),
      inv(4, 7, 's2', [{ f: 'r', k: 'x' }, { f: 'r', k: 'y' }]),
      ok(4, 8, 's2', [{ f: 'r', k: 'x', v: 2 }, { f: 'r', k: 'y', v: 15 }]),
    ];
    const { ops, skipped } = historyToLinOps(h);
    expect(skipped).toEqual([]);
    expect(ops.map((o) => [o.input, o.output, o.call, o.ret, o.client])).toEqual([
      [{ f: 'write', key: 'x', value: 1 }, {}, 0, 2, 's1'],
      [{ f: 'write', key: 'y', value: 10 }, {}, 0, 2, 's1'],
      [{ f: 'cas', key: 'x', from: 1, to: 2 }, { ok: true }, 3, 4, 's2'],
      [{ f: 'update', key: 'y', expr: { op: 'add', n: 5 } }, { value: 15 }, 5, 6, 's1'],
      [{ f: 'read', key: 'x' }, { value: 2 }, 7, 8, 's2'],
      [{ f: 'read', key: 'y' }, { value: 15 }, 7, 8, 's2'],
    ]);
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
  });

  it('drops failed ops, keeps info ops pending, and catches a lost acknowledged write', () => {
    const h: History = [
      inv(1, 0, 's1', [{ f: 'w', k: 'x', v: 1 }]),
      ok(1, 1, 's1', [{ f: 'w', k: 'x', v: 1 }]),
      inv(2, 2, 's1', [{ f: 'w', k: 'x', v: 2 }]),
      { type: 'fail', t: 3, op: 2, session: 's1', node: 'n1', error: 'read-only' },
      inv(3, 4, 's1', [{ f: 'w', k: 'x', v: 3 }]),
      { type: 'info', t: 5, op: 3, session: 's1', node: 'n1', reason: 'crash' },
      inv(4, 6, 's2', [{ f: 'r', k: 'x' }]),
      ok(4, 7, 's2', [{ f: 'r', k: 'x', v: 1 }]),
    ];
    const { ops } = historyToLinOps(h);
    expect(ops.map((o) => [o.input, o.ret])).toEqual([
      [{ f: 'write', key: 'x', value: 1 }, 1],
      [{ f: 'write', key: 'x', value: 3 }, Infinity],
      [{ f: 'read', key: 'x' }, 7],
    ]);
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
    // After failover the new primary lost write 1: a later read sees nil.
    const lost: History = [...h, inv(5, 8, 's2', [{ f: 'r', k: 'x' }]), ok(5, 9, 's2', [{ f: 'r', k: 'x', v: null }])];
    const res = checkLinearizable(historyToLinOps(lost).ops, registerModel);
    expect(res.verdict).toBe('illegal');
    expect(res.explanation).toContain('x: read() → nil by s2 [8, 9]');
  });

  it('rejects a completion with no invocation, naming the op and line, rather than dropping its effect', () => {
    const h: History = [
      ok(1, 1, 's1', [{ f: 'w', k: 'x', v: 1 }]),
      inv(2, 2, 's2', [{ f: 'r', k: 'x' }]),
      ok(2, 3, 's2', [{ f: 'r', k: 'x', v: 1 }]),
    ];
    expect(() => historyToLinOps(h)).toThrow(HistoryParseError);
    expect(() => historyToLinOps(h)).toThrow('line 1: expected an invoke of op 1 before its ok, found an ok of op 1 with no invocation');
    expect(() => historyToLinOps(h, { lineOf: (i) => i + 3 })).toThrow(/^line 3: /);
    const failed: History = [{ type: 'fail', t: 0, op: 9, session: 's1', node: 'n1', error: 'x' }];
    expect(() => historyToLinOps(failed)).toThrow(/a fail of op 9 with no invocation/);
    // An invocation left out by the include filter is still an invocation.
    expect(historyToLinOps(h.slice(1), { include: () => false }).ops).toEqual([]);
  });

  it('uses only the reads of a rolled-back transaction, honours the include filter, and skips unknowable pending writes', () => {
    const h: History = [
      inv(1, 0, 's1', [{ f: 'r', k: 'x' }, { f: 'w', k: 'x', v: 5 }], 'rollback'),
      ok(1, 1, 's1', [{ f: 'r', k: 'x', v: null }, { f: 'w', k: 'x', v: 5 }]),
      inv(2, 2, 's1', [{ f: 'now', k: 't' }]),
      { type: 'info', t: 3, op: 2, session: 's1', node: 'n1', reason: 'timeout' },
      { ...inv(3, 4, 's2', [{ f: 'r', k: 'x' }]), node: 'n2' },
      { ...ok(3, 5, 's2', [{ f: 'r', k: 'x', v: 7 }]), node: 'n2' },
    ];
    const all = historyToLinOps(h);
    expect(all.ops.map((o) => o.input)).toEqual([{ f: 'read', key: 'x' }, { f: 'read', key: 'x' }]);
    expect(all.skipped).toEqual([{ op: 2, key: 't', reason: expect.stringContaining('NOW()') }]);
    const primaryOnly = historyToLinOps(h, { include: (e) => e.node === 'n1' });
    expect(primaryOnly.ops).toHaveLength(1);
  });
});
