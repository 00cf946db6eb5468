/**
 * The behaviours each built-in model lists (`replicheck models --json`) refer to
 * what the model really has: knob names, planted bug names and guarantee ids of
 * its family; their sources are the ones its knobs, claims and bugs already cite
 * (quoted verbatim, so none is invented). Every built-in model has some, and
 * every planted bug sits beside some behaviour: there is no "baseline" bug outside
 * them (the basic mechanics — streaming and replay, at-least-once delivery — are
 * behaviours too), so a new bug fails here until a behaviour names it.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, type BuiltinModel } from '../models/index.js';
import type { ModelBehaviour } from '../src/sim/types.js';
import { cli } from './helpers/cli.js';

/** Every built-in model: one added without behaviours fails here. */
const MODELS = Object.keys(BUILTIN_MODELS);

/** The behaviours issue 13 asks for, by the ids the models give them. */
const REQUIRED: Record<string, string[]> = {
  wal: ['in-doubt-commits', 'visibility-order', 'remote-write-primary-os-crash', 'first-k-streaming-only', 'rewind', 'statement-shipping', 'semisync-wait-point'],
  cdc: ['replicated-broker', 'idempotent-producer', 'slot-on-source', 'tombstones-compaction'],
  migration: ['dual-write', 'verification-at-switch', 'backfill-never-overwrites', 'cutover-drains-lag'],
  leaderless: ['tunable-consistency', 'sloppy-quorum'],
  'leaderless-cdc': ['per-replica-commit-logs', 'dedup-by-write-timestamp'],
};

/** Everything the model itself says: knob texts, bug texts, and its variants' claims. */
function modelTexts(entry: BuiltinModel): string {
  const { model, variants } = entry;
  const parts: string[] = [];
  for (const k of model.knobs) parts.push(k.description, k.source ?? '');
  for (const b of model.bugs) parts.push(b.description, b.source);
  for (const raw of Object.values(variants)) {
    for (const c of model.claims(model.configure(raw))) parts.push(c.under ?? '', c.source ?? '');
  }
  return parts.join('\n');
}

/** What is wrong with a model's behaviours (empty: nothing). */
function problems(entry: BuiltinModel, behaviours: readonly ModelBehaviour[]): string[] {
  const out: string[] = [];
  const knobs = new Set(entry.model.knobs.map((k) => k.name));
  const bugs = new Set(entry.model.bugs.map((b) => b.name));
  const guarantees = new Set(entry.guarantees ?? []);
  const texts = modelTexts(entry);
  const ids = new Set<string>();
  if (behaviours.length === 0) out.push(`${entry.model.name}: no behaviours`);
  for (const b of behaviours) {
    if (ids.has(b.id)) out.push(`${b.id}: duplicate id`);
    ids.add(b.id);
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(b.id)) out.push(`${b.id}: id is not kebab-case`);
    if (!b.title.trim() || !b.what.trim()) out.push(`${b.id}: no title or description`);
    for (const k of b.knobs) if (!knobs.has(k)) out.push(`${b.id}: unknown knob ${k}`);
    for (const x of b.bugs) if (!bugs.has(x)) out.push(`${b.id}: unknown bug ${x}`);
    for (const c of b.claims) if (!guarantees.has(c)) out.push(`${b.id}: guarantee ${c} is not one of the model's family`);
    if (b.sources.length === 0) out.push(`${b.id}: no source`);
    for (const s of b.sources) if (!texts.includes(s)) out.push(`${b.id}: source not cited by the model's knobs, claims or bugs: ${s}`);
  }
  for (const bug of bugs) if (!behaviours.some((b) => b.bugs.includes(bug))) out.push(`bug ${bug} sits beside no behaviour`);
  return out;
}

describe('model behaviours', () => {
  for (const name of MODELS) {
    const entry = BUILTIN_MODELS[name]!;
    it(`${name}: knobs, claims, bugs and sources refer to what the model has; every planted bug is beside one`, () => {
      const behaviours = entry.model.behaviours ?? [];
      expect(problems(entry, behaviours)).toEqual([]);
      expect(behaviours.map((b) => b.id)).toEqual(expect.arrayContaining(REQUIRED[name] ?? []));
    });
  }

  it('the check catches a wrong knob, bug, claim or source and a bug beside no behaviour', () => {
    const entry = BUILTIN_MODELS['wal']!;
    const good = entry.model.behaviours!;
    const first = good[0]!;
    const bad: ModelBehaviour = { ...first, id: 'Bad Id', knobs: ['noSuchKnob'], bugs: ['no-such-bug'], claims: ['lww-convergence'], sources: ['https://example.org/invented'] };
    const found = problems(entry, [bad, ...good.slice(1)]);
    expect(found).toEqual(expect.arrayContaining([
      'Bad Id: id is not kebab-case',
      'Bad Id: unknown knob noSuchKnob',
      'Bad Id: unknown bug no-such-bug',
      "Bad Id: guarantee lww-convergence is not one of the model's family",
      "Bad Id: source not cited by the model's knobs, claims or bugs: https://example.org/invented",
    ]));
    // The first behaviour's bugs now sit beside nothing.
    for (const bug of first.bugs) expect(found).toContain(`bug ${bug} sits beside no behaviour`);
    expect(problems(entry, [...good, good[1]!])).toEqual([`${good[1]!.id}: duplicate id`]);
    // A model without behaviours (as leaderless-cdc was): named, and each of its bugs beside none.
    const bare = BUILTIN_MODELS['leaderless-cdc']!;
    expect(problems(bare, [])).toEqual(['leaderless-cdc: no behaviours', ...bare.model.bugs.map((b) => `bug ${b.name} sits beside no behaviour`)]);
  });

  it('replicheck models prints them, as text and JSON', async () => {
    const json = await cli('models', 'wal', '--json');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.out) as { behaviours: ModelBehaviour[] };
    const inDoubt = doc.behaviours.find((b) => b.id === 'in-doubt-commits');
    expect(inDoubt).toMatchObject({ knobs: ['inDoubtCommits', 'statementTimeoutMs'], bugs: ['sync-cancel-reported-as-rollback'] });
    expect(inDoubt!.claims).toContain('lossless-failover');
    expect(inDoubt!.sources.join(' ')).toContain('SYNCHRONOUS-REPLICATION-HA');
    const text = await cli('models', 'cdc');
    expect(text.out).toMatch(/behaviours of the real system.*\n(.*\n)*\s+slot-on-source — .*\n.*\n\s+knobs: maxSlotWalKeep, checkpointMs · claims: .* · bugs: slot-lost-silent-restart/);
  });
});
