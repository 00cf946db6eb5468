import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../src/check/linearizability.js';
import { kvModel, type KvState } from '../src/check/lin-models.js';
import { parseKvLog } from '../src/history/import.js';
import { porcupineExpected, porcupineText } from './lin-porcupine-data.js';

const expected = porcupineExpected();
const kvFiles = Object.keys(expected).filter((f) => f.startsWith('kv/')).sort();

describe('Porcupine kv histories (kv model, checked per key)', () => {
  it('has all 6 labelled logs, 3 of them linearizable', () => {
    expect(kvFiles).toHaveLength(6);
    expect(kvFiles.filter((f) => expected[f])).toHaveLength(3);
  });

  it.each(kvFiles)('%s agrees with the expected verdict, and every partial order found is legal', (file) => {
    const ops = parseKvLog(porcupineText(file));
    const res = checkLinearizable(ops, kvModel);
    expect(res.verdict).toBe(expected[file] ? 'ok' : 'illegal');
    for (const p of res.partitions) {
      let s: KvState | undefined = kvModel.init();
      for (const id of p.longest) s = s && kvModel.step(s, ops[id]!.input, ops[id]!.output);
      expect(s).toBeDefined();
    }
  });

  it('c50-bad, every key searched under a step limit: the cheap violations are all found, the rest stay unknown, none turns ok', () => {
    // A step limit (not a time limit) keeps this deterministic.
    const res = checkLinearizable(parseKvLog(porcupineText('kv/c50-bad.txt')), kvModel, { allPartitions: true, maxSteps: 8_000_000 });
    expect(res.verdict).toBe('illegal');
    const byVerdict = (v: string): string[] => res.partitions.filter((p) => p.verdict === v).map((p) => p.label);
    expect(byVerdict('illegal')).toEqual(['1', '2', '3', '4', '6', '8']);
    expect(byVerdict('unknown')).toEqual(['0', '5', '7', '9']);
    expect(res.steps).toBeLessThanOrEqual(8_000_000);
  });
});
