/**
 * The built-in models, by name, with their named variants and any checkers
 * their family brings. The CLI, the property suite and the report iterate this.
 */
import type { CheckOptions, History, Model, Violation } from '../src/index.js';

export interface BuiltinModel {
  model: Model;
  variants: Record<string, Record<string, unknown>>;
  checkers?: Readonly<Record<string, (h: History, o?: CheckOptions) => Violation[]>>;
}

export const BUILTIN_MODELS: Record<string, BuiltinModel> = {};
