/**
 * One reusable property per guarantee family. Each is the guarantee property
 * restricted to the family's guarantees (those the variant claims), so a test
 * can target one concern:
 *
 *   fc.assert(familyProperty('durability', walModel, { config: { synchronousCommit: 'on' } }));
 */
import type fc from 'fast-check';
import type { Model, Scenario } from '../src/index.js';
import { guaranteeProperty, type PropertyOptions } from './harness.js';

export const PROPERTY_FAMILIES = {
  /** Eventual consistency after the quiet phase. */
  consistency: ['convergence'],
  /** Order of what replicas make visible, and of what reads observe. */
  ordering: ['committed-prefix', 'consistent-prefix'],
  /** Rolled-back, failed, intermediate and discarded writes stay invisible; replay is idempotent. */
  rollback: ['no-aborted-read', 'no-intermediate-read', 'discarded-branch', 'indeterminate-agreement', 'replay-idempotent'],
  /** Acknowledged writes survive within the faults the commit level tolerates. */
  durability: ['durability', 'lossless-failover'],
  /** Terry et al.'s session guarantees. */
  session: ['read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads'],
  staleness: ['bounded-staleness'],
  linearizability: ['linearizable-primary-reads'],
  cdc: ['sink-convergence', 'per-key-order', 'completeness', 'exactly-once', 'delete-propagation', 'snapshot-handover'],
  migration: ['migration-target-equals-source', 'migration-no-loss', 'migration-read-after-cutover'],
} as const satisfies Record<string, readonly string[]>;

export type PropertyFamily = keyof typeof PROPERTY_FAMILIES;

export function familyProperty<C>(
  family: PropertyFamily,
  model: Model<C>,
  opts: Omit<PropertyOptions, 'guarantees'> = {},
): fc.IPropertyWithHooks<[Scenario]> {
  return guaranteeProperty(model, { ...opts, guarantees: PROPERTY_FAMILIES[family] });
}
