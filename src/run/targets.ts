/**
 * What `run` and `soak` explore: one variant of one model (built-in name or module
 * path), optionally with a planted bug, turned into the options the property
 * harness takes. Both verbs build their targets here, so a soak run and a `run`
 * with the same seed draw and judge the same scenario.
 */
import type { CheckModelOptions } from '../../properties/harness.js';
import { FAULT_PROFILE_NAMES, type CoverageBias, type FaultProfileName, type WorkloadOptions } from '../scenario/arbitraries.js';
import type { SimLimits } from '../sim/types.js';
import { ModelLoadError, selectVariants, type LoadedModel } from '../cli/load-model.js';

/** One variant to explore, as plain data (it crosses to worker threads). */
export interface RunTarget {
  /** How a replay finds the model: built-in name or module path, as the user typed it. */
  modelRef: string;
  variant: string;
  config: Record<string, unknown>;
  bug?: string;
  profile: FaultProfileName;
  /** The model's own workload description; absent means the scenario defaults. */
  workload?: WorkloadOptions;
  /** Simulator limits (`--max-events`), written into each scenario so a replay keeps them. */
  limits?: SimLimits;
}

/** A user error unless the model plants this bug. */
export function assertBug(entry: LoadedModel, ref: string, bug: string | undefined): void {
  if (bug === undefined || entry.model.bugs.some((b) => b.name === bug)) return;
  const known = entry.model.bugs.map((b) => b.name).join(', ') || 'none';
  throw new ModelLoadError(`model '${ref}' has no planted bug '${bug}'; bugs: ${known}`);
}

/** `--profile` checked against the known fault profiles. */
export function parseProfile(name: string | undefined): FaultProfileName {
  const profile = name as FaultProfileName;
  if (!FAULT_PROFILE_NAMES.includes(profile)) {
    throw new ModelLoadError(`unknown fault profile '${name}'; profiles: ${FAULT_PROFILE_NAMES.join(', ')}`);
  }
  return profile;
}

/**
 * The harness options for a target: what `checkModel` and `guaranteeProperty` take;
 * `bias`, what coverage feedback steers a run's draw with.
 * Family checkers come from the loaded entry (functions do not cross threads).
 */
export function targetOptions(entry: LoadedModel, t: RunTarget, bias?: CoverageBias): CheckModelOptions {
  return {
    modelRef: t.modelRef,
    variant: t.variant,
    config: t.config,
    profile: t.profile,
    ...(t.bug !== undefined ? { bug: t.bug } : {}),
    ...(t.workload ? { workload: t.workload } : {}),
    ...(t.limits ? { limits: t.limits } : {}),
    ...(entry.checkers ? { checkers: entry.checkers } : {}),
    ...(bias ? { bias } : {}),
  };
}

/**
 * One target per named variant of a model, as `soak` explores them: the model's
 * own fault profile and workload unless a profile is given, no bug unless asked.
 * Each configuration is checked up front, so a bad one is the user's error.
 */
export function variantTargets(entry: LoadedModel, opts: TargetChoice = {}): RunTarget[] {
  const chosen = opts.variant !== undefined || opts.config !== undefined
    ? selectVariants(entry, opts.variant, opts.config)
    : Object.entries(entry.variants).map(([name, config]) => ({ name, config }));
  return chosen.map(({ name: variant, config }) => {
    entry.model.configure(config, opts.bug);
    return {
      modelRef: entry.ref,
      variant,
      config,
      profile: opts.profile ?? entry.profile ?? 'everything',
      ...(opts.bug !== undefined ? { bug: opts.bug } : {}),
      ...(entry.workload ? { workload: entry.workload } : {}),
      ...(opts.limits ? { limits: opts.limits } : {}),
    };
  });
}

/** Which variants to explore and how: `run`'s and `soak`'s options. */
export interface TargetChoice {
  profile?: FaultProfileName;
  bug?: string;
  /** Only this variant (`--variant`), or the name of `config`. */
  variant?: string;
  /** This configuration as JSON (`--config`) instead of the named variants. */
  config?: string;
  limits?: SimLimits;
}
