/**
 * Determinism guard. While a run executes, the globals that would make a model
 * non-deterministic throw, naming the context method to use instead. The real
 * functions are captured at load time (as fast-check does with `safeDateNow`), so
 * the simulator itself never depends on them.
 */
import { DeterminismError } from './errors.js';

const g = globalThis as unknown as Record<string, unknown>;
const saved = {
  random: Math.random,
  dateNow: Date.now,
  setTimeout: g.setTimeout,
  setInterval: g.setInterval,
  setImmediate: g.setImmediate,
};

const forbidden: [target: Record<string, unknown>, key: string, instead: string][] = [
  [Math as unknown as Record<string, unknown>, 'random', 'ctx.random()'],
  [Date as unknown as Record<string, unknown>, 'now', 'ctx.now()'],
  [g, 'setTimeout', 'ctx.setTimer()'],
  [g, 'setInterval', 'ctx.setTimer() (re-arm it in onTimer)'],
  [g, 'setImmediate', 'ctx.setTimer(0, …)'],
];

let depth = 0;

/** Run `fn` with the guard installed; nested runs share one installation. */
export function guarded<T>(fn: () => T): T {
  if (depth++ === 0) install();
  try {
    return fn();
  } finally {
    if (--depth === 0) uninstall();
  }
}

function install(): void {
  for (const [target, key, instead] of forbidden) {
    const name = target === g ? key : `${target === (Math as unknown) ? 'Math' : 'Date'}.${key}`;
    target[key] = () => {
      throw new DeterminismError(
        `${name}() called during a simulated run: model code must be deterministic; use ${instead} instead`,
      );
    };
  }
}

function uninstall(): void {
  Math.random = saved.random;
  Date.now = saved.dateNow;
  g.setTimeout = saved.setTimeout;
  g.setInterval = saved.setInterval;
  g.setImmediate = saved.setImmediate;
}
