/** Parsing of numeric CLI options with errors that name the option. */
export function intOption(raw: string | undefined, name: string, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new OptionError(`${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

export class OptionError extends Error {
  override name = 'OptionError';
}

/** Print a line on stdout (not console.log, which test runners intercept). */
export function println(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
