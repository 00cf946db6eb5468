/**
 * What `replicheck models` lists about a knob is what `configure` accepts: every
 * listed value is accepted, and a numeric knob's range is exactly the validator's.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS } from '../models/index.js';

// wal knobs that bound each other (heartbeatMs < leaseMs < failoverTimeoutMs, semisyncAcks < nodes)
// are tried with the others set wide enough.
const WAL_BASE: Record<string, Record<string, unknown>> = {
  semisyncAcks: { nodes: 9 },
  failoverTimeoutMs: { leaseMs: 1, heartbeatMs: 0.5 },
  leaseMs: { heartbeatMs: 0.5 },
};

describe('knobs say what configure accepts', () => {
  for (const [name, entry] of Object.entries(BUILTIN_MODELS)) {
    const configure = (raw: Record<string, unknown>) => entry.model.configure(raw);
    it(`${name}: every listed value is accepted`, () => {
      for (const k of entry.model.knobs) for (const v of k.values) expect(() => configure({ [k.name]: v }), `${k.name}=${String(v)}`).not.toThrow();
    });
    it(`${name}: a numeric knob's range is the validator's`, () => {
      const ranged = entry.model.knobs.filter((k) => k.range);
      expect(ranged.length).toBeGreaterThan(0);
      for (const k of ranged) {
        const { min, max, integer } = k.range!;
        // Knobs that bound each other (semisyncAcks < nodes) are tried at the widest topology.
        const base = name === 'wal' ? (WAL_BASE[k.name] ?? {}) : {};
        expect(() => configure({ ...base, [k.name]: min }), `${k.name}=${min}`).not.toThrow();
        expect(() => configure({ ...base, [k.name]: min - (integer ? 1 : 0.01) }), `${k.name} below ${min}`).toThrow(new RegExp(k.name));
        if (max !== undefined) {
          expect(() => configure({ ...base, [k.name]: max }), `${k.name}=${max}`).not.toThrow();
          expect(() => configure({ ...base, [k.name]: max + 1 }), `${k.name} above ${max}`).toThrow(new RegExp(k.name));
        }
        if (integer) expect(() => configure({ ...base, [k.name]: min + 0.5 }), `${k.name} fractional`).toThrow(new RegExp(k.name));
      }
    });
  }
});
