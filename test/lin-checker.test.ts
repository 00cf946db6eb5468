import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { checkLinearizable, linearizationSvg } from '../src/check/linearizability.js';
import { casRegisterModel, kvModel, kvText, registerModel, type KvInput, type KvOutput, type LinModel, type LinOperation, type RegisterInput, type RegisterOutput } from '../src/check/lin-models.js';
import type { Value } from '../src/history/types.js';

type RegOp = LinOperation<RegisterInput, RegisterOutput>;

/** Shorthand: op(id, client, call, ret, input, output). `ret` Infinity = never returned. */
function op(id: number, client: string, call: number, ret: number, input: RegisterInput, output?: RegisterOutput): RegOp {
  return { id, client, call, ret, input, output: Number.isFinite(ret) ? output ?? {} : undefined };
}
const w = (v: Value): RegisterInput => ({ f: 'write', value: v });
const r: RegisterInput = { f: 'read' };

describe('register examples (MIT 6.824 quiz, as in Porcupine tests)', () => {
  it('accepts a read that overlaps the write it saw and a later read of the old value when concurrent', () => {
    const ops = [op(0, 'a', 0, 100, w(100)), op(1, 'b', 25, 75, r, { value: 100 }), op(2, 'c', 30, 60, r, { value: null })];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
  });

  it('rejects reading the old value after another read already saw the new one', () => {
    const ops = [op(0, 'a', 0, 100, w(200)), op(1, 'b', 10, 30, r, { value: 200 }), op(2, 'c', 40, 90, r, { value: null })];
    const res = checkLinearizable(ops, registerModel);
    expect(res.verdict).toBe('illegal');
    const p = res.partitions[0]!;
    expect(p.blocking).toBe(2);
    expect(p.longest).toEqual([0, 1]);
    expect(p.stateAfterLongest).toBe('200');
    expect(res.explanation).toContain('read() → nil by c [40, 90]');
  });

  it('treats touching intervals as concurrent (closed intervals)', () => {
    const ops = [op(0, 'a', 0, 10, w(1)), op(1, 'b', 10, 10, r, { value: null })];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
    const later = [op(0, 'a', 0, 10, w(1)), op(1, 'b', 11, 11, r, { value: null })];
    expect(checkLinearizable(later, registerModel).verdict).toBe('illegal');
  });
});

describe('operations that never returned', () => {
  it('may take effect after their call', () => {
    const ops = [op(0, 'a', 0, Infinity, w(1)), op(1, 'b', 50, 60, r, { value: 1 })];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
  });

  it('may never take effect', () => {
    const ops = [op(0, 'a', 0, Infinity, w(1)), op(1, 'b', 50, 60, r, { value: null })];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('ok');
  });

  it('cannot take effect before their call', () => {
    const ops = [op(0, 'b', 0, 10, r, { value: 1 }), op(1, 'a', 20, Infinity, w(1))];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('illegal');
  });

  it('cannot take effect, be seen, then be undone', () => {
    const ops = [op(0, 'a', 0, Infinity, w(1)), op(1, 'b', 10, 20, r, { value: 1 }), op(2, 'c', 30, 40, r, { value: null })];
    expect(checkLinearizable(ops, registerModel).verdict).toBe('illegal');
  });

  it('a pending cas applies only when its comparison matches', () => {
    const cas: RegisterInput = { f: 'cas', from: 1, to: 2 };
    const ok = [op(0, 'a', 0, 5, w(1)), op(1, 'b', 6, Infinity, cas), op(2, 'c', 10, 20, r, { value: 2 })];
    expect(checkLinearizable(ok, registerModel).verdict).toBe('ok');
    const bad = [op(0, 'a', 0, 5, w(3)), op(1, 'b', 6, Infinity, cas), op(2, 'c', 10, 20, r, { value: 2 })];
    expect(checkLinearizable(bad, registerModel).verdict).toBe('illegal');
  });
});

describe("cas-register model (Knossos' semantics)", () => {
  const cas = (from: Value, to: Value): RegisterInput => ({ f: 'cas', from, to });

  it('starts at the configured initial value: read 0 then cas 0→5 is legal from 0, not from nil', () => {
    const ops = [op(0, 'a', 0, 1, r, { value: 0 }), op(1, 'a', 2, 3, cas(0, 5), { ok: true }), op(2, 'b', 4, 5, r, { value: 5 })];
    expect(checkLinearizable(ops, casRegisterModel(0)).verdict).toBe('ok');
    expect(checkLinearizable(ops, casRegisterModel()).verdict).toBe('illegal');
    expect(checkLinearizable(ops, registerModel).verdict).toBe('illegal');
    expect(casRegisterModel(0).name).toBe('cas-register');
  });

  it('treats a read of nil as telling nothing, while other reads and cas still must match', () => {
    const nilRead = [op(0, 'a', 0, 1, w(3)), op(1, 'b', 2, 3, r, { value: null })];
    expect(checkLinearizable(nilRead, casRegisterModel()).verdict).toBe('ok');
    expect(checkLinearizable(nilRead, registerModel).verdict).toBe('illegal');
    const staleRead = [op(0, 'a', 0, 1, w(3)), op(1, 'b', 2, 3, r, { value: 0 })];
    expect(checkLinearizable(staleRead, casRegisterModel(0)).verdict).toBe('illegal');
    const badCas = [op(0, 'a', 0, 1, w(3)), op(1, 'b', 2, 3, cas(0, 5), { ok: true })];
    expect(checkLinearizable(badCas, casRegisterModel(0)).verdict).toBe('illegal');
    const failedCas = [op(0, 'a', 0, 1, w(3)), op(1, 'b', 2, 3, cas(3, 5), { ok: false })];
    expect(checkLinearizable(failedCas, casRegisterModel()).verdict).toBe('illegal');
  });
});

describe('register state hash', () => {
  it('agrees with equality (-0 and 0 alike) and tells apart nil, numbers and strings', () => {
    const h = registerModel.hash;
    expect(h(-0)).toBe(h(0));
    expect(h(7)).toBe(h(3 + 4));
    expect(h(2 ** 40)).toBe(h(2 ** 40));
    expect(h(0.5)).toBe(h(1 / 2));
    const distinct: Value[] = [null, 0, 1, -1, 2 ** 31, 2 ** 40, 0.5, '', '0', '1', ':a'];
    expect(new Set(distinct.map(h)).size).toBe(distinct.length);
  });
});

describe('P-compositionality and limits', () => {
  it('checks keys separately and reports the failing key', () => {
    const ops: RegOp[] = [
      op(0, 'a', 0, 10, { f: 'write', key: 'x', value: 1 }),
      op(1, 'b', 20, 30, { f: 'read', key: 'y' }, { value: null }),
      op(2, 'b', 40, 50, { f: 'read', key: 'x' }, { value: null }),
    ];
    const res = checkLinearizable(ops, registerModel);
    expect(res.verdict).toBe('illegal');
    expect(res.partitions.map((p) => p.label)).toEqual(['x', 'y']);
    expect(res.explanation.startsWith('key "x": not linearizable')).toBe(true);
  });

  it('gives unknown, not a guess, when the step limit ends the search', () => {
    const ops = concurrentWrites(12);
    const res = checkLinearizable(ops, registerModel, { maxSteps: 5 });
    expect(res.verdict).toBe('unknown');
    expect(res.explanation).toContain('step limit');
    expect(checkLinearizable(ops, registerModel).verdict).toBe('illegal');
  });

  it('gives unknown when the memoised-state limit is reached', () => {
    const res = checkLinearizable(concurrentWrites(12), registerModel, { maxStates: 3 });
    expect(res.verdict).toBe('unknown');
    expect(res.explanation).toContain('memory (state) limit');
  });

  it('says so when not even the first operation can be placed', () => {
    const res = checkLinearizable([op(0, 'a', 0, 1, r, { value: 5 })], registerModel);
    expect(res.explanation).toBe('not linearizable: no operation can be placed first from the initial state nil, yet read() → 5 by a [0, 1] must take effect before it returns and no legal order allows it.');
  });

  it('rejects an operation that returns before it is called', () => {
    expect(() => checkLinearizable([op(0, 'a', 5, 1, w(1))], registerModel)).toThrow(/returns \(1\) before it is called \(5\)/);
  });
});

/** n concurrent writes then a read of a value nobody wrote: illegal, but only after trying many orders. */
function concurrentWrites(n: number): RegOp[] {
  const ops: RegOp[] = [];
  for (let i = 0; i < n; i++) ops.push(op(i, `c${i}`, 0, 100, w(i)));
  ops.push(op(n, 'reader', 200, 210, r, { value: -1 }));
  return ops;
}

describe('kv model', () => {
  const kv = (id: number, client: string, call: number, ret: number, input: KvInput, output?: KvOutput): LinOperation<KvInput, KvOutput> => ({ id, client, call, ret, input, output: output ?? {} });
  it('appends in a legal order and rejects a get that misses a completed append', () => {
    const ops = [
      kv(0, 'a', 0, 10, { f: 'append', key: 'k', value: 'x' }),
      kv(1, 'b', 5, 15, { f: 'append', key: 'k', value: 'y' }),
      kv(2, 'c', 20, 30, { f: 'get', key: 'k' }, { value: 'yx' }),
    ];
    expect(checkLinearizable(ops, kvModel).verdict).toBe('ok');
    ops[2] = kv(2, 'c', 20, 30, { f: 'get', key: 'k' }, { value: 'x' });
    expect(checkLinearizable(ops, kvModel).verdict).toBe('illegal');
  });

  it('state equality compares text, whatever path built it', () => {
    const a = kvModel.step(kvModel.step(kvModel.init(), { f: 'append', key: 'k', value: 'ab' }, {})!, { f: 'append', key: 'k', value: 'c' }, {})!;
    const b = kvModel.step(kvModel.init(), { f: 'put', key: 'k', value: 'abc' }, {})!;
    expect(kvText(a)).toBe('abc');
    expect(kvModel.equal(a, b)).toBe(true);
    expect(kvModel.hash(a)).toBe(kvModel.hash(b));
  });
});

// ---------------------------------------------------------------------------
// Cross-check against brute force on small random histories.

/** Is there a total order respecting real time in which every op is legal? Pending ops may also be left out. */
function bruteForce<S, I, O>(ops: LinOperation<I, O>[], model: LinModel<S, I, O>): boolean {
  const n = ops.length;
  const go = (placed: number, state: S, count: number): boolean => {
    if (count === n) return true;
    for (let i = 0; i < n; i++) {
      if (placed & (1 << i)) continue;
      // i may go next only if no unplaced op returned strictly before i was called.
      const blocked = ops.some((o, j) => j !== i && !(placed & (1 << j)) && o.ret < ops[i]!.call);
      if (blocked) continue;
      const ns = model.step(state, ops[i]!.input, ops[i]!.output);
      if (ns !== undefined && go(placed | (1 << i), ns, count + 1)) return true;
    }
    // A pending op may never take effect: drop one if all remaining are pending.
    const rest = ops.map((o, i) => i).filter((i) => !(placed & (1 << i)));
    return rest.every((i) => !Number.isFinite(ops[i]!.ret));
  };
  return go(0, model.init(), 0);
}

const valueArb = fc.constantFrom<Value>(null, 1, 2);
const inputArb: fc.Arbitrary<RegisterInput> = fc.oneof(
  fc.constant<RegisterInput>({ f: 'read' }),
  valueArb.map((v): RegisterInput => ({ f: 'write', value: v })),
  fc.tuple(valueArb, valueArb).map(([a, b]): RegisterInput => ({ f: 'cas', from: a, to: b })),
);
const opArb = fc.record({
  call: fc.integer({ min: 0, max: 20 }),
  len: fc.integer({ min: 0, max: 10 }),
  pending: fc.integer({ min: 0, max: 3 }).map((k) => k === 0),
  input: inputArb,
  readValue: valueArb,
  casOk: fc.boolean(),
});

interface RawOp {
  call: number;
  len: number;
  pending: boolean;
  input: RegisterInput;
  readValue: Value;
  casOk: boolean;
}

function toOps(raw: RawOp[]): RegOp[] {
  return raw.map((x, id) => {
    const output: RegisterOutput | undefined = x.pending ? undefined : x.input.f === 'read' ? { value: x.readValue } : x.input.f === 'cas' ? { ok: x.casOk } : {};
    return { id, client: `c${id}`, call: x.call, ret: x.pending ? Infinity : x.call + x.len, input: x.input, output };
  });
}

describe('agrees with brute force', () => {
  test.prop([fc.array(opArb, { minLength: 1, maxLength: 7 })], { numRuns: 300 })('on random small register histories', (raw) => {
    const ops = toOps(raw);
    const expected = bruteForce(ops, registerModel) ? 'ok' : 'illegal';
    expect(checkLinearizable(ops, registerModel).verdict).toBe(expected);
  });

  test.prop([fc.array(linearOpArb, { minLength: 1, maxLength: 7 })], { numRuns: 100 })(
    'a history built from a sequential run is ok, and its longest order is a legal sequential run of every op', (raw) => {
      const ops = fromSequentialRun(raw);
      const res = checkLinearizable(ops, registerModel);
      expect(res.verdict).toBe('ok');
      let s: Value | undefined = registerModel.init();
      for (const id of res.partitions[0]!.longest) s = registerModel.step(s!, ops[id]!.input, ops[id]!.output);
      expect(s).not.toBeUndefined();
      expect(res.partitions[0]!.longest.length).toBe(ops.length);
    });
});

/**
 * One op of a run that is linearizable by construction: it takes effect at
 * `point` (distinct points, so the sequential order is known) inside its
 * interval [point - before, point + after].
 */
const linearOpArb = fc.record({
  point: fc.integer({ min: 0, max: 1000 }),
  before: fc.integer({ min: 0, max: 300 }),
  after: fc.integer({ min: 0, max: 300 }),
  pending: fc.integer({ min: 0, max: 3 }).map((k) => k === 0),
  input: inputArb,
});

/** Execute the ops in point order on a register, giving each the output that run produced. */
function fromSequentialRun(raw: { point: number; before: number; after: number; pending: boolean; input: RegisterInput }[]): RegOp[] {
  const seen = new Set<number>();
  const uniq = raw.filter((x) => !seen.has(x.point) && seen.add(x.point));
  const order = [...uniq].sort((a, b) => a.point - b.point);
  let state: Value = null;
  const outputs = new Map<(typeof uniq)[number], RegisterOutput>();
  for (const x of order) {
    if (x.input.f === 'read') outputs.set(x, { value: state });
    else if (x.input.f === 'write') {
      state = x.input.value;
      outputs.set(x, {});
    } else if (x.input.f === 'cas') {
      const ok = state === x.input.from;
      if (ok) state = x.input.to;
      outputs.set(x, { ok });
    } else throw new Error(`inputArb makes no '${x.input.f}' ops`);
  }
  // A pending op took effect at its point but its reply never came: ret = Infinity, no output.
  return uniq.map((x, id) => op(id, `c${id}`, x.point - x.before, x.pending ? Infinity : x.point + x.after, x.input, outputs.get(x)));
}

describe('timeline SVG', () => {
  it('draws every operation of the failing partition, numbered in the order found, the blocker in red', () => {
    const ops = [op(0, 'a', 0, 100, w(200)), op(1, 'b', 10, 30, r, { value: 200 }), op(2, 'c', 40, 90, r, { value: null })];
    const svg = linearizationSvg(checkLinearizable(ops, registerModel));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('#1 write(200)');
    expect(svg).toContain('#2 read() → 200');
    expect(svg).toMatch(/fill="#f6b3b3" stroke="#555"\/><text[^>]*>read\(\) → nil</);
    expect((svg.match(/<g><title>/g) ?? []).length).toBe(3);
  });

  it('escapes text from the history', () => {
    const ops = [op(0, '<script>', 0, 1, w('a&b'))];
    const svg = linearizationSvg(checkLinearizable(ops, registerModel));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;');
  });
});
