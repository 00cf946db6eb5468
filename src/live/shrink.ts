/**
 * Shrinking a failing live scenario. A real run is not deterministic, so a
 * candidate is played up to `tries` times and kept when the same guarantee
 * broke at least once; every play counts against `budget` (live runs are
 * seconds each), and past the budget every candidate counts as passing, so
 * the shrinker stops where it is — as the model's shrinkBudget does.
 *
 * Two sources of candidates:
 * - a scenario the arbitraries drew (seed + path): fast-check's own shrinker
 *   on the same arbitrary, through an async property, exactly as
 *   properties/harness.ts shrinks a model's failure;
 * - any other scenario (a replay token, a table cell): a greedy structural
 *   shrinker that drops the clock skew, one fault, one session, half of a
 *   session's ops or one op at a time (times are left as they are: on a real
 *   server, when a fault lands relative to the ops is most of the schedule).
 *
 * The minimal scenario is then played `tries` more times to say how often it
 * reproduces.
 */
import fc from 'fast-check';
import type { Scenario } from '../scenario/types.js';
import { encodeToken } from '../scenario/compact.js';

/** One live play judged: the guarantees that broke (and whatever the caller keeps). */
export interface Played<V> {
  broke: readonly string[];
  verdict: V;
}

export type PlayFn<V> = (s: Scenario) => Promise<Played<V>>;

export interface LiveShrinkOptions<V> {
  /** The guarantee the original broke; a candidate must break this one. */
  guarantee: string;
  /** Plays per candidate (stops at the first break). Default 3. */
  tries?: number;
  /** Most live plays spent on candidates. Default 24. */
  budget?: number;
  /** Plays of the minimal scenario to say how often it reproduces (outside the budget). Default `tries`. */
  confirm?: number;
  onCandidate?: (c: { scenario: Scenario; kept: boolean; plays: number; spent: number }) => void;
  /** A verdict of the original scenario breaking, used when nothing smaller is kept. */
  original?: V;
}

export interface LiveShrink<V> {
  scenario: Scenario;
  token: string;
  guarantee: string;
  /** Candidates tried and kept. */
  candidates: number;
  kept: number;
  /** Live plays spent on candidates (≤ budget). */
  plays: number;
  budgetSpent: boolean;
  /** How often the minimal scenario broke the guarantee in `confirm` fresh plays. */
  reproduced: { broke: number; runs: number };
  /** A verdict of the minimal scenario breaking (from shrinking or confirming). */
  example?: V;
}

class Budget<V> {
  plays = 0;
  candidates = 0;
  kept = 0;
  last: { scenario: Scenario; verdict: V } | undefined;
  constructor(private readonly play: PlayFn<V>, private readonly o: LiveShrinkOptions<V>) {}

  get spent(): boolean {
    return this.plays >= (this.o.budget ?? 24);
  }

  /** Play a candidate up to `tries` times; true when it broke the guarantee (kept). */
  async fails(s: Scenario): Promise<boolean> {
    if (this.spent) return false;
    this.candidates++;
    const tries = this.o.tries ?? 3;
    let n = 0;
    for (; n < tries && !this.spent; ) {
      n++;
      this.plays++;
      const p = await this.play(s);
      if (p.broke.includes(this.o.guarantee)) {
        this.kept++;
        this.last = { scenario: s, verdict: p.verdict };
        this.o.onCandidate?.({ scenario: s, kept: true, plays: n, spent: this.plays });
        return true;
      }
    }
    this.o.onCandidate?.({ scenario: s, kept: false, plays: n, spent: this.plays });
    return false;
  }

  async finish(original: Scenario): Promise<LiveShrink<V>> {
    const scenario = this.last?.scenario ?? original;
    let example = this.last?.verdict ?? this.o.original;
    const confirm = this.o.confirm ?? this.o.tries ?? 3;
    let broke = 0;
    for (let i = 0; i < confirm; i++) {
      const p = await this.play(scenario);
      if (p.broke.includes(this.o.guarantee)) {
        broke++;
        example ??= p.verdict;
      }
    }
    return {
      scenario, token: encodeToken(scenario), guarantee: this.o.guarantee,
      candidates: this.candidates, kept: this.kept, plays: this.plays, budgetSpent: this.spent,
      reproduced: { broke, runs: confirm }, ...(example !== undefined ? { example } : {}),
    };
  }
}

/**
 * Shrink the scenario fast-check draws from `arb` at (seed, path) — the one a
 * live run found failing — with fast-check's shrinker. The drawn scenario
 * itself is not played again (it is known to fail).
 */
export async function shrinkDrawn<V>(
  arb: fc.Arbitrary<Scenario>,
  at: { seed: number; path: number },
  play: PlayFn<V>,
  opts: LiveShrinkOptions<V>,
): Promise<LiveShrink<V>> {
  const b = new Budget(play, opts);
  const [drawn] = fc.sample(arb, { seed: at.seed, path: String(at.path), numRuns: 1 });
  const first = encodeToken(drawn!);
  const prop = fc.asyncProperty(arb, async (s) => {
    if (encodeToken(s) === first) throw new Error('drawn scenario fails');
    if (await b.fails(s)) throw new Error('candidate fails');
  });
  await fc.check(prop, { seed: at.seed, path: String(at.path), numRuns: 1, endOnFailure: false });
  return b.finish(drawn!);
}

/** Shrink any scenario with the structural shrinker (greedy, first kept candidate wins, repeat). */
export async function shrinkScenario<V>(scenario: Scenario, play: PlayFn<V>, opts: LiveShrinkOptions<V>): Promise<LiveShrink<V>> {
  const b = new Budget(play, opts);
  let cur = scenario;
  for (let progress = true; progress && !b.spent; ) {
    progress = false;
    for (const c of candidates(cur)) {
      if (b.spent) break;
      if (await b.fails(c)) {
        cur = c;
        progress = true;
        break;
      }
    }
  }
  return b.finish(scenario);
}

/** Smaller scenarios than `s`, most removed first: skew, faults, sessions, halves of sessions, single ops. */
export function candidates(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  const ops = s.sessions.reduce((n, x) => n + x.ops.length, 0);
  if (s.clocks && Object.keys(s.clocks).length > 0) {
    const { clocks: _, ...rest } = s;
    out.push(rest);
  }
  s.faults.forEach((_, i) => out.push({ ...s, faults: s.faults.filter((__, j) => j !== i) }));
  if (s.sessions.length > 1) s.sessions.forEach((_, i) => out.push({ ...s, sessions: s.sessions.filter((__, j) => j !== i) }));
  // Halves first (a long schedule loses half its ops in one step), then single ops, the latest first.
  s.sessions.forEach((sess, i) => {
    const n = sess.ops.length;
    if (n >= 4) {
      out.push(withOps(s, i, sess.ops.slice(0, Math.ceil(n / 2))));
      out.push(withOps(s, i, sess.ops.filter((_, j) => j % 2 === 0)));
    }
  });
  s.sessions.forEach((sess, i) => {
    for (let j = sess.ops.length - 1; j >= 0; j--) {
      if (ops <= 1) break;
      out.push(withOps(s, i, sess.ops.filter((_, k) => k !== j)));
    }
  });
  return out.filter((c) => c.sessions.every((x) => x.ops.length > 0) || c.sessions.length === 0);
}

function withOps(s: Scenario, i: number, ops: Scenario['sessions'][number]['ops']): Scenario {
  return { ...s, sessions: s.sessions.map((x, j) => (j === i ? { ...x, ops } : x)) };
}
