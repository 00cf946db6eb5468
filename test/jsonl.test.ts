import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HistoryFormatError, historyHash, readHistoryJsonl, writeHistoryJsonl } from '../src/history/jsonl.js';
import type { History, HistoryEntry, MicroOp } from '../src/history/types.js';

// ───────────── a generator of valid histories (every entry type, awkward strings and floats) ─────────────

const text = fc.string({ unit: 'binary', maxLength: 8 });
const node = fc.constantFrom('n1', 'n2', 'n3');
const value = fc.oneof(fc.constant(null), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const strip = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

const microOp: fc.Arbitrary<MicroOp> = fc.oneof(
  fc.record({ f: fc.constant('r' as const), k: text, v: maybe(value) }),
  fc.record({ f: fc.constant('w' as const), k: text, v: value }),
  fc.record({ f: fc.constant('upd' as const), k: text, expr: fc.record({ op: fc.constantFrom('add' as const, 'mul' as const), n: fc.integer() }), v: maybe(value) }),
  fc.record({ f: fc.constantFrom('now' as const, 'rand' as const), k: text, v: maybe(value) }),
  fc.record({ f: fc.constant('del' as const), k: text }),
).map(strip);
const txn = fc.array(microOp, { minLength: 1, maxLength: 3 });
const commit = maybe(fc.record({ lsn: fc.nat(), timeline: maybe(fc.nat(5)) }).map(strip));
const client = { op: fc.nat(), session: fc.constantFrom('s1', 's2'), node };

/** Entry bodies without `t`; times are added in order below. */
const body: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('invoke'), ...client, req: fc.record({ txn, end: fc.constantFrom('commit', 'rollback'), after: commit }) }),
  fc.record({ type: fc.constant('ok'), ...client, txn, commit }),
  fc.record({ type: fc.constant('fail'), ...client, error: text }),
  fc.record({ type: fc.constant('info'), ...client, reason: text }),
  fc.record({ type: fc.constant('event'), node, name: fc.constantFrom('wal.append', 'apply', 'txn.commit', 'x.custom'), data: maybe(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }))) }),
  fc.record({ type: fc.constant('net'), ev: fc.constantFrom('send', 'recv', 'drop', 'break'), from: node, to: node, msg: fc.nat(), channel: fc.constantFrom('stream', 'datagram'), label: text, why: maybe(text) }),
  fc.record({ type: fc.constant('fault'), phase: fc.constantFrom('inject', 'heal'), fault: fc.record({ kind: text, nodes: fc.array(node), text }) }),
  fc.record({ type: fc.constant('node'), node, ev: fc.constantFrom('start', 'crash', 'restart', 'pause', 'resume'), mode: maybe(fc.constantFrom('process', 'machine')) }),
  fc.record({ type: fc.constant('quiet') }),
  fc.record({ type: fc.constant('final'), node, alive: fc.boolean(), view: fc.record({ role: text, data: fc.dictionary(text, value), positions: maybe(fc.dictionary(text, fc.integer())) }) }),
);

const meta = fc.record({ type: fc.constant('meta'), t: fc.constant(0), model: text, bug: maybe(text), seed: fc.nat(), nodes: fc.array(node), scenario: maybe(fc.jsonValue({ maxDepth: 3 })) });

const historyArb: fc.Arbitrary<History> = fc
  .tuple(meta, fc.array(fc.tuple(fc.double({ min: 0, max: 50, noNaN: true }), body), { maxLength: 40 }))
  .map(([m, rest]) => {
    let t = 0;
    const entries = rest.map(([dt, b]) => ({ type: b.type, t: (t += dt), ...b }));
    return [m, ...entries].map((e) => strip(e)) as unknown as History;
  });

// ───────────── tests ─────────────

describe('JSON-lines history', () => {
  test.prop([historyArb], { numRuns: 200 })('write → read → write is byte-identical and read gives the same entries', (h) => {
    const text1 = writeHistoryJsonl(h);
    const back = readHistoryJsonl(text1);
    expect(back).toEqual(h);
    expect(writeHistoryJsonl(back)).toBe(text1);
    expect(text1.split('\n')).toHaveLength(h.length + 1);
    expect(text1.endsWith('\n')).toBe(true);
  });

  test.prop([historyArb])('historyHash is the sha256 of exactly the JSONL bytes', (h) => {
    expect(historyHash(h)).toBe(createHash('sha256').update(Buffer.from(writeHistoryJsonl(h), 'utf8')).digest('hex'));
  });

  it('hashes differ when one entry differs', () => {
    const h: History = [{ type: 'meta', t: 0, model: 'm', seed: 1, nodes: ['n1'] }, { type: 'quiet', t: 5 }];
    const h2: History = [h[0]!, { type: 'quiet', t: 5.000001 }];
    expect(historyHash(h)).not.toBe(historyHash(h2));
    expect(historyHash(h)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps key order as constructed', () => {
    const e = { t: 3, type: 'quiet' } as unknown as HistoryEntry;
    expect(writeHistoryJsonl([e])).toBe('{"t":3,"type":"quiet"}\n');
    expect(writeHistoryJsonl([])).toBe('');
    expect(readHistoryJsonl('')).toEqual([]);
  });

  it('skips blank lines and tolerates CRLF', () => {
    expect(readHistoryJsonl('\n{"type":"quiet","t":1}\r\n\n{"type":"quiet","t":2}')).toEqual([{ type: 'quiet', t: 1 }, { type: 'quiet', t: 2 }]);
  });
});

describe('malformed history lines', () => {
  const good = [
    '{"type":"meta","t":0,"model":"wal","seed":1,"nodes":["n1","n2"]}',
    '{"type":"invoke","t":1,"op":0,"session":"s1","node":"n1","req":{"txn":[{"f":"w","k":"k1","v":"s1-1"}],"end":"commit"}}',
    '{"type":"ok","t":2,"op":0,"session":"s1","node":"n1","txn":[{"f":"w","k":"k1","v":"s1-1"}],"commit":{"lsn":3,"timeline":1}}',
  ];

  it('the good prefix parses', () => {
    expect(readHistoryJsonl(good.join('\n'))).toHaveLength(3);
  });

  it.each<[string, string, number, string]>([
    ['not JSON', '{"type":', 4, 'line 4: not valid JSON'],
    ['not an object', '[1,2]', 4, 'line 4: expected a JSON object'],
    ['unknown type', '{"type":"oops","t":3}', 4, "line 4: entry needs 'type' to be one of meta,invoke,ok,fail,info,event,net,fault,node,quiet,final"],
    ['prototype key as type', '{"type":"constructor","t":3}', 4, "line 4: entry needs 'type' to be one of"],
    ['missing op', '{"type":"ok","t":3,"session":"s1","node":"n1","txn":[{"f":"r","k":"k1"}]}', 4, "line 4: entry of type 'ok' needs integer 'op'"],
    ['string op', '{"type":"fail","t":3,"op":"7","session":"s1","node":"n1","error":"x"}', 4, "line 4: entry of type 'fail' needs integer 'op'"],
    ['missing t', '{"type":"quiet"}', 4, "line 4: entry of type 'quiet' needs numeric 't'"],
    ['meta t', '{"type":"meta","t":1,"model":"m","seed":1,"nodes":[]}', 4, "line 4: entry of type 'meta' needs 't' to be 0"],
    ['bad micro-op', '{"type":"invoke","t":3,"op":1,"session":"s1","node":"n1","req":{"txn":[{"f":"r","k":"k1"},{"f":"x","k":"k1"}],"end":"commit"}}', 4, "line 4: entry of type 'invoke' needs 'req.txn[1].f' to be one of r,w,upd,now,rand,del"],
    ['write without value', '{"type":"ok","t":3,"op":1,"session":"s1","node":"n1","txn":[{"f":"w","k":"k1"}]}', 4, "line 4: entry of type 'ok' needs 'txn[0].v' to be a number, a string or null"],
    ['empty txn', '{"type":"ok","t":3,"op":1,"session":"s1","node":"n1","txn":[]}', 4, "line 4: entry of type 'ok' needs non-empty 'txn'"],
    ['bad commit', '{"type":"ok","t":3,"op":1,"session":"s1","node":"n1","txn":[{"f":"r","k":"k"}],"commit":{"lsn":"7"}}', 4, "line 4: entry of type 'ok' needs numeric 'commit.lsn'"],
    ['unexpected key', '{"type":"info","t":3,"op":1,"session":"s1","node":"n1","reason":"timeout","extra":1}', 4, "line 4: entry of type 'info' has unexpected key 'extra'"],
    ['bad net ev', '{"type":"net","t":3,"ev":"lost","from":"n1","to":"n2","msg":1,"channel":"stream","label":"x"}', 4, "line 4: entry of type 'net' needs 'ev' to be one of send,recv,drop,break"],
    ['bad fault', '{"type":"fault","t":3,"phase":"inject","fault":{"kind":"crash","nodes":"n1","text":"x"}}', 4, "line 4: entry of type 'fault' needs array 'fault.nodes'"],
    ['bad node mode', '{"type":"node","t":3,"node":"n1","ev":"crash","mode":"power"}', 4, "line 4: entry of type 'node' needs 'mode' to be one of process,machine"],
    ['bad final view', '{"type":"final","t":3,"node":"n1","alive":true,"view":{"role":"primary","data":{"k1":[1]}}}', 4, "line 4: entry of type 'final' needs 'view.data.k1' to be a number, a string or null"],
    ['bad alive', '{"type":"final","t":3,"node":"n1","alive":"yes","view":{"role":"primary","data":{}}}', 4, "line 4: entry of type 'final' needs boolean 'alive'"],
    ['event data array', '{"type":"event","t":3,"node":"n1","name":"apply","data":[1]}', 4, "line 4: entry of type 'event' needs object 'data'"],
    ['time going back', '{"type":"quiet","t":1.5}', 4, 'line 4: t=1.5 goes back in time (previous entry has t=2)'],
  ])('%s → names the line and what was expected', (_name, bad, line, message) => {
    const input = [...good, bad, '{"type":"quiet","t":9}'].join('\n');
    let err: unknown;
    try {
      readHistoryJsonl(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HistoryFormatError);
    expect((err as HistoryFormatError).line).toBe(line);
    expect((err as Error).message.startsWith(message)).toBe(true);
  });

  it('counts blank lines in line numbers', () => {
    expect(() => readHistoryJsonl(`${good[0]}\n\n\n{"type":"quiet","t":"x"}\n`)).toThrow(/^line 4: entry of type 'quiet' needs numeric 't'$/);
  });
});
