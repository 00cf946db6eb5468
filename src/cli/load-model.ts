/**
 * Finding a model by reference: a built-in name ("wal", "cdc", …) or the path of a
 * user's module (`./my-model.ts`) that exports a Model as `default` or `model`, and
 * optionally `variants` (name → configuration) and `checkers` (guarantee id → checker).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelEntry } from '../verdict/judge.js';
import type { Model } from '../sim/types.js';
import { BUILTIN_MODELS } from '../../models/index.js';


export interface LoadedModel extends ModelEntry {
  /** What a replay token stores to find the model again. */
  ref: string;
}

/** A user error: unknown model, bad module. The CLI prints it and exits 2. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

export function isPathRef(ref: string): boolean {
  return ref.startsWith('.') || ref.startsWith('/') || /\.(ts|js|mts|mjs)$/.test(ref);
}

export async function loadModel(ref: string): Promise<LoadedModel> {
  if (!isPathRef(ref)) {
    const entry = BUILTIN_MODELS[ref];
    if (!entry) {
      throw new ModelLoadError(
        `unknown model '${ref}'; built-in models: ${Object.keys(BUILTIN_MODELS).join(', ')} (or give a path like ./my-model.ts)`,
      );
    }
    return { ref, ...entry };
  }
  const path = isAbsolute(ref) ? ref : resolve(process.cwd(), ref);
  if (!existsSync(path)) throw new ModelLoadError(`model module not found: ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (err) {
    throw new ModelLoadError(`could not load model module ${ref}: ${(err as Error).message}`);
  }
  const model = (mod.default ?? mod.model) as unknown;
  assertModelShape(model, ref);
  const variants = (mod.variants as Record<string, Record<string, unknown>> | undefined) ?? { default: {} };
  const checkers = mod.checkers as ModelEntry['checkers'];
  return { ref, model, variants, ...(checkers ? { checkers } : {}) };
}

/**
 * Import a user's module. The compiled CLI runs on plain Node, which cannot
 * load TypeScript: for a .ts module it registers tsx's loader first (only
 * then, so start-up stays cheap).
 */
let tsLoader: Promise<unknown> | undefined;
async function importModule(path: string): Promise<Record<string, unknown>> {
  if (/\.[cm]?tsx?$/.test(path) && !path.endsWith('.d.ts')) {
    tsLoader ??= import('tsx/esm/api').then(({ register }) => register());
    await tsLoader;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

function assertModelShape(m: unknown, ref: string): asserts m is Model {
  const need = ['configure', 'nodes', 'program', 'route', 'claims'] as const;
  if (typeof m !== 'object' || m === null) {
    throw new ModelLoadError(`${ref} must export a Model as 'default' or 'model' (got ${m === null ? 'null' : typeof m})`);
  }
  const o = m as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') throw new ModelLoadError(`${ref}: the model needs a non-empty 'name'`);
  for (const k of need) {
    if (typeof o[k] !== 'function') throw new ModelLoadError(`${ref}: model '${o.name}' needs a function '${k}'`);
  }
  if (!Array.isArray(o.bugs) || !Array.isArray(o.knobs)) {
    throw new ModelLoadError(`${ref}: model '${o.name}' needs 'knobs' and 'bugs' arrays (may be empty)`);
  }
}

/** Resolve `--variant`/`--config` into the configurations to run. */
export function selectVariants(
  entry: LoadedModel,
  variant: string | undefined,
  configJson: string | undefined,
): { name: string; config: Record<string, unknown> }[] {
  if (configJson !== undefined) {
    let config: unknown;
    try {
      config = JSON.parse(configJson);
    } catch {
      throw new ModelLoadError(`--config must be a JSON object, got ${configJson}`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new ModelLoadError(`--config must be a JSON object, got ${configJson}`);
    }
    if (variant === undefined) return [{ name: 'custom', config: config as Record<string, unknown> }];
    // --variant V --config J: V's configuration with J's knobs over it, labelled as such.
    const [base] = selectVariants(entry, variant, undefined);
    return [{ name: `${variant}+config`, config: { ...base!.config, ...(config as Record<string, unknown>) } }];
  }
  if (variant !== undefined) {
    const config = entry.variants[variant];
    if (!config) {
      throw new ModelLoadError(`model '${entry.ref}' has no variant '${variant}'; variants: ${Object.keys(entry.variants).join(', ')}`);
    }
    return [{ name: variant, config }];
  }
  return Object.entries(entry.variants).map(([name, config]) => ({ name, config }));
}
