/**
 * Shared by the live PostgreSQL tests: whether to skip them. They skip, with
 * the reason printed, when the server binaries or the `pg` driver are missing
 * — unless REPLICHECK_REQUIRE_PG=1 (CI), where they run and fail loudly.
 */
import { pgUnavailableReason } from '../src/live/env.js';

export function liveSkip(): boolean {
  const why = pgUnavailableReason();
  if (why === undefined) return false;
  if (process.env.REPLICHECK_REQUIRE_PG === '1') return false;
  console.log(`live PostgreSQL tests skipped: ${why}`);
  return true;
}
