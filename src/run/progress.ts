/**
 * One progress line on a terminal's stderr while runs are judged: runs done of the
 * total, rate, elapsed time and ETA, redrawn at most four times a second and
 * erased at the end. Nothing at all when stderr is not a terminal (CI logs, pipes,
 * tests) or when the caller prints JSON.
 */

export interface ProgressLine {
  update(done: number, failing: number): void;
  stop(): void;
}

/** Least time between two redraws: at most ~4 a second. */
export const PROGRESS_INTERVAL_MS = 250;

const NONE: ProgressLine = { update() {}, stop() {} };

export function progressLine(opts: {
  label: string;
  total: number;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}): ProgressLine {
  const stream = opts.stream ?? process.stderr;
  if (opts.quiet || !stream.isTTY) return NONE;
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  let last = -Infinity;
  let drawn = false;
  return {
    update(done, failing) {
      const t = now();
      if (t - last < PROGRESS_INTERVAL_MS && done < opts.total) return;
      last = t;
      drawn = true;
      stream.write(`\r\x1b[K${progressText(opts.label, done, opts.total, failing, t - t0)}`);
    },
    stop() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

/** "run 120/1600 runs | 38.2 runs/s | 3 s | ETA 39 s" (and the failing count when some failed). */
export function progressText(label: string, done: number, total: number, failing: number, elapsedMs: number): string {
  const s = elapsedMs / 1000;
  const rate = s > 0 ? done / s : 0;
  const eta = rate > 0 ? (total - done) / rate : NaN;
  const fail = failing > 0 ? ` | ${failing} failing` : '';
  return `${label} ${done}/${total} runs | ${rate.toFixed(1)} runs/s | ${duration(s)} | ETA ${Number.isNaN(eta) ? '?' : duration(eta)}${fail}`;
}

function duration(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
