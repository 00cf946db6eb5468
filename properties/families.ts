/**
 * One reusable property per guarantee family. Each is the guarantee property
 * restricted to the family's guarantees (those the variant claims), so a test
 * can target one concern:
 *
 *   fc.assert(familyProperty('durability', walModel, { config: { synchronousCommit: 'on' } }));
 *
 * Which guarantee belongs to which family is the guarantee table's `family`
 * column (src/check/guarantees.ts); this file only names the families.
 */
import type fc from 'fast-check';
import { GUARANTEES, familyIds, type GuaranteeId, type Model, type Scenario } from '../src/analysis.js';
import { guaranteeProperty, type PropertyOptions } from './harness.js';

export type PropertyFamily = (typeof GUARANTEES)[number]['family'];

/** What each family is about. */
export const FAMILY_DESCRIPTIONS: Readonly<Record<PropertyFamily, string>> = {
  consistency: 'Eventual consistency after the quiet phase.',
  ordering: 'Order of what replicas make visible, and of what reads observe.',
  rollback: 'Rolled-back, failed, intermediate and discarded writes stay invisible; replay is idempotent.',
  durability: 'Acknowledged writes survive within the faults the commit level tolerates.',
  session: "Terry et al.'s session guarantees.",
  staleness: 'How far behind a read may be.',
  linearizability: 'Primary reads and all writes are linearizable per key.',
  cdc: 'Change data capture: each sink against the source.',
  migration: 'Online migration: the target against the source, before and after cut-over.',
  leaderless: 'Leaderless last-write-wins: convergence, durability in the LWW order, read-latest, real-time order.',
};

/** Guarantee ids per family, in table order. */
export const PROPERTY_FAMILIES = {} as Record<PropertyFamily, readonly GuaranteeId[]>;
for (const f of Object.keys(FAMILY_DESCRIPTIONS) as PropertyFamily[]) PROPERTY_FAMILIES[f] = familyIds(f);

export function familyProperty<C>(
  family: PropertyFamily,
  model: Model<C>,
  opts: Omit<PropertyOptions, 'guarantees'> = {},
): fc.IPropertyWithHooks<[Scenario]> {
  return guaranteeProperty(model, { ...opts, guarantees: PROPERTY_FAMILIES[family] });
}
