import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../src/check/linearizability.js';
import { kvModel, registerModel } from '../src/check/lin-models.js';
import { parseEtcdLog, parseKvLog } from '../src/history/import.js';
import { porcupineExpected, porcupineText } from './lin-porcupine-data.js';

const expected = porcupineExpected();
const etcdFiles = Object.keys(expected).filter((f) => f.startsWith('jepsen/')).sort();

describe('Porcupine etcd histories (Jepsen logs, register model)', () => {
  it('has all 102 labelled logs, 23 of them linearizable', () => {
    expect(etcdFiles).toHaveLength(102);
    expect(etcdFiles.filter((f) => expected[f])).toHaveLength(23);
  });

  it.each(etcdFiles)('%s agrees with the expected verdict', (file) => {
    const res = checkLinearizable(parseEtcdLog(porcupineText(file)), registerModel);
    expect(res.verdict).toBe(expected[file] ? 'ok' : 'illegal');
    const p = res.partitions[0]!;
    if (res.verdict === 'ok') {
      expect(p.longest).toHaveLength(res.opCount);
    } else {
      expect(res.explanation).toMatch(/^not linearizable: /);
      expect(p.unplaced).toContain(p.blocking);
      expect(p.longest).not.toContain(p.blocking);
    }
  });
});

describe('Porcupine kv histories, small ones (all six run in the slow suite)', () => {
  it.each(['kv/c01-ok.txt', 'kv/c01-bad.txt', 'kv/c10-ok.txt', 'kv/c10-bad.txt'])('%s agrees with the expected verdict', (file) => {
    const res = checkLinearizable(parseKvLog(porcupineText(file)), kvModel);
    expect(res.verdict).toBe(expected[file] ? 'ok' : 'illegal');
  });
});
