/**
 * Optional dependencies, loaded when first used: the report's charts need
 * @napi-rs/canvas and chart.js, the CDC model's SQLite sink needs
 * better-sqlite3. A user who only runs properties installs none of them; one
 * who needs them gets a message saying which package and why, not a stack
 * trace from the module loader.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export class MissingDependencyError extends Error {
  constructor(readonly pkg: string, purpose: string) {
    super(`${purpose} needs the optional package '${pkg}', which is not installed; run: npm install ${pkg}`);
    this.name = 'MissingDependencyError';
  }
}

/** require() an optional package; a clear MissingDependencyError when it is not installed. */
export function requireOptional<T>(pkg: string, purpose: string): T {
  try {
    return load(pkg) as T;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only the package itself missing; a broken install of it is another error.
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${pkg}'`)) throw new MissingDependencyError(pkg, purpose);
    throw err;
  }
}
