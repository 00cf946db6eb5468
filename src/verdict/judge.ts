/**
 * Judging one scenario: configure the model, run the simulator, check the
 * guarantees the variant claims and measure the rest. This is the single step
 * every property, `replicheck run`, `replicheck replay` and the report share.
 */
import type { History } from '../history/types.js';
import { DeterminismError, ModelError, SimLimitError } from '../sim/errors.js';
import { simulate, type SimRun } from '../sim/run.js';
import type { GuaranteeClaim, Model, RunResult } from '../sim/types.js';
import type { Scenario } from '../scenario/types.js';
import { toSimConfig } from '../scenario/validate.js';
import { encodeToken } from '../scenario/compact.js';
import type { FaultProfileName, WorkloadOptions } from '../scenario/arbitraries.js';
import { judgeClaims, type ClaimOutcome } from '../check/guarantees.js';
import type { CheckerTable, CheckOptions, Violation } from '../check/types.js';
import { checkModelContract, contractMessage } from '../check/contract.js';

/** A run that could not be judged because the harness or the model failed. */
export interface HarnessFailure {
  /** 'contract': the model's events or reads disagree with its visible state (src/check/contract.ts). */
  kind: 'limit' | 'model-error' | 'determinism' | 'contract';
  message: string;
}

export interface Verdict {
  scenario: Scenario;
  /** The replay token: the scenario itself, encoded. */
  token: string;
  claims: GuaranteeClaim[];
  /** Violations of claimed guarantees (within their fault tolerance). */
  violations: Violation[];
  /**
   * One per claim, in claim order: judged or not, and why not (a fault
   * outside its tolerance, or evidence the run lacks). Empty when the run failed.
   */
  outcomes: ClaimOutcome[];
  /** Set when the run itself failed (limit hit, model threw, determinism guard). */
  failure?: HarnessFailure;
  run?: RunResult;
}

export interface JudgeOptions {
  /** Only these guarantee ids (default: every claim of the variant). */
  guarantees?: readonly string[];
  /** Extra claims to check on top of the model's own (e.g. a user's property). */
  extraClaims?: readonly GuaranteeClaim[];
  check?: CheckOptions;
  /**
   * Extra checkers a model family brings (CDC, migration, linearizability):
   * guarantee id → checker. They take precedence over the built-in registry.
   */
  checkers?: CheckerTable;
  /**
   * Record message sends and receipts in the history (default true). No checker
   * reads them (they are three in four entries), so a caller that keeps only the
   * findings turns them off; the findings are the same, the history is not.
   */
  traceMessages?: boolean;
}

/**
 * A model as the CLI, the property suite and the report take it: the model,
 * its named variants (configurations) and what the family brings.
 */
export interface ModelEntry {
  model: Model;
  /** Named configurations; `{}` means the model's defaults. */
  variants: Record<string, Record<string, unknown>>;
  checkers?: CheckerTable;
  /** Default fault profile and workload for generated scenarios. */
  profile?: FaultProfileName;
  workload?: WorkloadOptions;
  /** Guarantees that apply to this kind of model, for reports (default: all). */
  guarantees?: readonly string[];
}

/** Configure, build the topology and simulate. Throws what the simulator throws. */
export function runScenario<C>(model: Model<C>, scenario: Scenario, config = model.configure(scenario.config, scenario.bug), traceMessages?: boolean): SimRun {
  const sim = toSimConfig(scenario, model.nodes(config));
  if (traceMessages === false) sim.traceMessages = false;
  return simulate({ model, config, ...(scenario.bug !== undefined ? { bug: scenario.bug } : {}), sim });
}

/** The claims a scenario's variant makes, filtered to `guarantees` when given. */
export function claimsOf<C>(
  model: Model<C>,
  scenario: Scenario,
  opts: JudgeOptions = {},
  config = model.configure(scenario.config, scenario.bug),
): GuaranteeClaim[] {
  // An extra claim replaces the model's claim of the same guarantee: it is how a
  // test or `replay --guarantee` asks "does it hold here, whatever the faults?".
  const extra = opts.extraClaims ?? [];
  const own = model.claims(config, scenario.bug).filter((c) => !extra.some((x) => x.id === c.id));
  const claims = [...own, ...extra];
  return opts.guarantees ? claims.filter((c) => opts.guarantees!.includes(c.id)) : claims;
}

/** Run a scenario and check every claimed guarantee; harness failures become findings. */
export function judgeScenario<C>(model: Model<C>, scenario: Scenario, opts: JudgeOptions = {}): Verdict {
  // Configured once for the claims and the run (the claims are read before the run starts).
  const config = model.configure(scenario.config, scenario.bug);
  const claims = claimsOf(model, scenario, opts, config);
  let run: SimRun;
  try {
    run = runScenario(model, scenario, config, opts.traceMessages);
  } catch (err) {
    const failure = asHarnessFailure(err);
    if (!failure) throw err;
    return verdict(scenario, { claims, violations: [], outcomes: [], failure });
  }
  const { violations, outcomes } = judgeClaims(run.history, claims, opts.check, opts.checkers);
  // The model's word is checked in every run, whatever it claims.
  const breaches = checkModelContract(run.history, run.readMismatches);
  const failure: HarnessFailure | undefined = breaches.length > 0 ? { kind: 'contract', message: contractMessage(breaches) } : undefined;
  return verdict(scenario, { claims, violations, outcomes, run, ...(failure ? { failure } : {}) });
}

/**
 * A verdict whose token is encoded on first read (and kept): deflating the
 * scenario costs more than most checks, and only a failure is ever printed.
 */
function verdict(scenario: Scenario, rest: Omit<Verdict, 'scenario' | 'token'>): Verdict {
  let token: string | undefined;
  return {
    scenario,
    get token() {
      return (token ??= encodeToken(scenario));
    },
    ...rest,
  };
}

/** Check claims against a history; a claim outside its fault tolerance or lacking evidence is not judged. */
export function checkClaims(history: History, claims: readonly GuaranteeClaim[], opts: JudgeOptions = {}): Violation[] {
  return judgeClaims(history, claims, opts.check, opts.checkers).violations;
}

/** Errors that are findings about the model (not bugs in replicheck). */
export function asHarnessFailure(err: unknown): HarnessFailure | undefined {
  if (err instanceof SimLimitError) return { kind: 'limit', message: err.message };
  if (err instanceof ModelError) return { kind: 'model-error', message: err.message };
  if (err instanceof DeterminismError) return { kind: 'determinism', message: err.message };
  return undefined;
}

/** True when the verdict is a failure of the claimed guarantees or of the run. */
export function failed(v: Verdict): boolean {
  return v.failure !== undefined || v.violations.length > 0;
}
