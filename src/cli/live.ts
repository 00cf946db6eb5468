/**
 * `replicheck live pg`: the same scenarios, checkers and explanations against
 * a real PostgreSQL primary and standbys started in a temporary directory.
 *
 *   replicheck live pg                       the synchronous_commit table, model beside server
 *   replicheck live pg --runs 20 --variant async --profile crashes
 *                                            also 20 scenarios drawn by the arbitraries, judged by the variant's claims
 *   replicheck live pg --replay TOKEN --times 5
 *                                            play a schedule again 5 times: how often does it break?
 *   replicheck live pg --replay TOKEN --shrink
 *                                            also shrink it: each candidate played up to --tries times,
 *                                            kept when it breaks once; at most --shrink-runs plays
 *
 * A drawn scenario that breaks a claim is shrunk by default (fast-check's own
 * shrinker on the same arbitrary; --shrink-runs 0 turns it off).
 *
 * Exit codes: 0 nothing broke that the variant claims and model and server
 * agree on every table cell; 1 a claimed guarantee broke on the server, or a
 * table cell where model and server disagree (a model bug or a finding);
 * 2 bad input, PostgreSQL or the `pg` driver missing, or a harness error.
 */
import type { Command } from 'commander';
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_MODELS } from '../../models/index.js';
import { scenariosFor } from '../../properties/harness.js';
import { GUARANTEE_FAMILIES } from '../check/guarantees.js';
import { decodeToken, formatSchedule, scenarioSize } from '../scenario/compact.js';
import { FAULT_PROFILE_NAMES, type FaultProfileName } from '../scenario/arbitraries.js';
import { parseScenario } from '../scenario/validate.js';
import type { Scenario } from '../scenario/types.js';
import { intOption, MAX_SEED, OptionError, println } from './options.js';

interface LiveCliOptions {
  runs?: string;
  times?: string;
  variant?: string;
  profile?: string;
  seed?: string;
  replay?: string;
  guarantee?: string;
  table?: boolean;
  shrink?: boolean;
  shrinkRuns?: string;
  tries?: string;
  longFork?: string;
  forkRow?: string;
  out?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Variants PostgreSQL itself can run: streaming physical WAL, 1–3 standbys. */
const PG_VARIANTS = ['async', 'async-off', 'async-no-failover', 'sync-remote-write', 'sync-on', 'sync-remote-apply', 'quorum-any-1'];

export function registerLive(program: Command): void {
  program
    .command('live')
    .description('run the scenarios and checkers against a real PostgreSQL primary and standbys (temporary cluster on 127.0.0.1)')
    .argument('<target>', "the system to start: 'pg' (PostgreSQL from the installed server binaries)")
    .option('--runs <n>', 'also play N scenarios drawn by the arbitraries for --variant and --profile (default 0)')
    .option('--variant <name>', `the WAL variant whose configuration and claims the drawn scenarios use: ${PG_VARIANTS.join(', ')} (default async)`)
    .option('--profile <p>', `fault profile of drawn scenarios: ${FAULT_PROFILE_NAMES.join(', ')} (default crashes)`)
    .option('--seed <n>', 'seed of the drawn scenarios (default 1)')
    .option('--times <n>', 'plays of each synchronous_commit table cell, or of --replay (default 1, replay 5)')
    .option('--replay <token>', 'play this scenario (a token printed by run or live) --times times and count how often it breaks')
    .option('--guarantee <ids>', 'also judge these guarantees (comma-separated), claimed or not, whatever the faults')
    .option('--shrink', 'with --replay: shrink the schedule when it breaks (drawn scenarios shrink by default)')
    .option('--shrink-runs <n>', 'most live plays spent shrinking one finding (default 24; 0: no shrinking)')
    .option('--long-fork <seconds>', 'also probe for long fork (primary and standby reads seeing two writes in opposite orders) this many seconds at each of on and local (default 0: off)')
    .option('--fork-row <seconds>', "seconds of the synchronous_commit table's long-fork row probe at each level (default 3; 0: no long-fork row)")
    .option('--tries <n>', 'plays per shrink candidate, kept when it breaks at least once; also the plays that say how often the minimal one reproduces (default 3)')
    .option('--no-table', 'skip the synchronous_commit table')
    .option('--out <dir>', "write live.json and live.md (the report's live column and the table) to this directory")
    .option('--verbose', 'print cluster steps (initdb, promote, pg_rewind) on stderr')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      '\nNeeds the PostgreSQL server binaries (Debian: apt-get install postgresql; or REPLICHECK_PG_BIN) and the\n' +
        "optional package 'pg'. Run as root, the servers run as the user 'postgres' (or REPLICHECK_PG_USER).\n" +
        'Exit codes: 0 nothing claimed broke and model and server agree; 1 a claimed guarantee broke on the server\n' +
        'or a table cell disagrees with the model; 2 bad input, PostgreSQL missing or a harness error.',
    )
    .action(async (target: string, opts: LiveCliOptions) => {
      process.exitCode = await liveCommand(target, opts);
    });
}

const err = (line: string) => process.stderr.write(`${line}\n`);

export async function liveCommand(target: string, opts: LiveCliOptions): Promise<number> {
  if (target !== 'pg') throw new OptionError(`live: unknown target '${target}' (known: pg)`);
  const runs = intOption(opts.runs, '--runs', 0, 100_000) ?? 0;
  const seed = intOption(opts.seed, '--seed', 0, MAX_SEED) ?? 1;
  const variant = opts.variant ?? 'async';
  if (!PG_VARIANTS.includes(variant)) throw new OptionError(`--variant must be one of ${PG_VARIANTS.join(', ')}, got '${variant}'`);
  const profile = (opts.profile ?? 'crashes') as FaultProfileName;
  if (!FAULT_PROFILE_NAMES.includes(profile)) throw new OptionError(`--profile must be one of ${FAULT_PROFILE_NAMES.join(', ')}, got '${opts.profile}'`);
  const replay = opts.replay !== undefined ? parseScenario(decodeToken(opts.replay)) : undefined;
  const times = intOption(opts.times, '--times', 1, 1000) ?? (replay ? 5 : 1);
  const log = opts.verbose ? (l: string) => err(`  ${l}`) : undefined;
  const extra = (opts.guarantee ?? '').split(',').map((g) => g.trim()).filter(Boolean);
  for (const g of extra) if (!(GUARANTEE_FAMILIES.replication as readonly string[]).includes(g)) throw new OptionError(`--guarantee: unknown replication guarantee '${g}'`);
  const extraClaims = extra.map((id) => ({ id }));
  const shrinkRuns = intOption(opts.shrinkRuns, '--shrink-runs', 0, 10_000) ?? 24;
  const tries = intOption(opts.tries, '--tries', 1, 100) ?? 3;
  const longForkS = intOption(opts.longFork, '--long-fork', 0, 3600) ?? 0;
  const forkRowS = intOption(opts.forkRow, '--fork-row', 0, 3600) ?? 3;

  // Loaded here: a missing server or driver is a clear exit 2 before anything starts.
  const { pgEnv, loadPg } = await import('../live/env.js');
  const env = pgEnv();
  loadPg();
  const { describeConfig, explainLive, reproduce, checkLive, livePlays } = await import('../live/judge.js');
  const { syncTable, syncTableMarkdown, longForkRow, longForkJson, SYNC_CASES, SYNC_LEVELS } = await import('../live/sync-table.js');
  const { shrinkDrawn, shrinkScenario } = await import('../live/shrink.js');
  const { findFaketime } = await import('../live/env.js');
  type Verdict = Awaited<ReturnType<typeof checkLive>>;
  const play = async (s: Scenario) => {
    const v = await checkLive(s, { ...(log ? { log } : {}), extraClaims });
    return { broke: [...new Set(v.violations.map((x) => x.guarantee))], verdict: v };
  };
  const findings: Finding[] = [];
  /** Shrink progress on stderr, the minimal schedule on stdout, its JSON for live.json. */
  const shrinkReport = (r: Awaited<ReturnType<typeof shrinkScenario<Verdict>>>): ShrinkJson => {
    const size = scenarioSize(r.scenario);
    const out: ShrinkJson = {
      token: r.token, ops: size.ops, faults: size.faults, schedule: formatSchedule(r.scenario),
      plays: r.plays, candidates: r.candidates, kept: r.kept, budgetSpent: r.budgetSpent, reproduced: r.reproduced,
    };
    if (!opts.json) {
      println(`\nshrunk (${r.guarantee}): ${size.ops} op(s), ${size.faults} fault(s) after ${r.candidates} candidate(s), ${r.plays} live play(s)${r.budgetSpent ? ' (budget spent: smaller may exist)' : ''}`);
      println(out.schedule.map((l) => `  ${l}`).join('\n'));
      println(`reproduces in ${r.reproduced.broke} of ${r.reproduced.runs} fresh play(s)`);
      println(`  replay: npx replicheck live pg --replay ${r.token} --guarantee ${r.guarantee} --times 5`);
    }
    return out;
  };
  const onCandidate = (c: { kept: boolean; plays: number; spent: number; scenario: Scenario }) => {
    if (opts.json) return;
    const size = scenarioSize(c.scenario);
    err(`  shrink: ${size.ops} op(s), ${size.faults} fault(s): ${c.kept ? `kept (broke on play ${c.plays})` : `held ${c.plays} time(s)`} [${c.spent}/${shrinkRuns}]`);
  };
  if (!opts.json) err(`replicheck live pg: ${env.version} from ${env.bin}${env.uid !== undefined ? `, servers run as ${env.user}` : ''}`);
  const started = Date.now();
  const out: Record<string, unknown> = { target: 'pg', postgres: env.version };
  let code = 0;
  // Wall time of long-fork probes (the table's row and --long-fork): not scenario plays.
  let probeMs = 0;

  if (replay) {
    if (!opts.json) err(`playing the scenario ${times} time(s) (${describeConfig(replay.config)})`);
    const r = await reproduce(replay, times, { ...(log ? { log } : {}), extraClaims, onRun: (i, v) => !opts.json && err(`  run ${i + 1}: ${v.violations.length === 0 ? 'held' : [...new Set(v.violations.map((x) => x.guarantee))].join(', ')} (${(v.run.ms / 1000).toFixed(1)} s)`) });
    const rep: Record<string, unknown> = { runs: r.runs, broke: r.broke, rate: rates(r.broke, r.runs), notJudged: r.notJudged, ms: r.ms };
    out['replay'] = rep;
    if (r.example && !opts.json) println(explainLive(r.example, times, extra));
    if (!opts.json) println(reproductionLines(r.broke, r.runs).join('\n') || `nothing broke in ${r.runs} run(s)`);
    for (const [g, n] of Object.entries(r.broke)) findings.push({ source: 'replay', guarantee: g, token: opts.replay!, reproduced: { broke: n, runs: r.runs } });
    if (Object.keys(r.broke).length > 0) code = 1;
    const first = r.example?.violations[0]?.guarantee;
    if (opts.shrink && first && shrinkRuns > 0) {
      if (!opts.json) err(`shrinking (${first}): each candidate played up to ${tries} time(s), at most ${shrinkRuns} plays`);
      const sr = await shrinkScenario(replay, play, { guarantee: first, tries, budget: shrinkRuns, original: r.example!, onCandidate });
      const shrunk = shrinkReport(sr);
      rep['shrunk'] = shrunk;
      findings.push({ source: 'replay-shrunk', guarantee: first, token: sr.token, reproduced: sr.reproduced });
    } else if (opts.shrink && !opts.json) {
      err(first ? 'shrinking off (--shrink-runs 0)' : 'nothing broke: nothing to shrink');
    }
  }

  if (opts.table !== false && !replay) {
    if (!opts.json) err(`synchronous_commit table: ${SYNC_CASES.length} cases × ${SYNC_LEVELS.length} levels, ${times} play(s) per cell, each on a fresh cluster`);
    const cells = await syncTable(times, {
      ...(log ? { log } : {}),
      onCell: (c) => !opts.json && err(`  ${c.case} ${c.level}: model ${c.model}, PostgreSQL ${c.liveVerdict} (${c.live.broke[c.guarantee] ?? 0}/${c.live.runs})`),
    });
    out['syncTable'] = cells.map((c) => ({
      case: c.case, level: c.level, guarantee: c.guarantee, model: c.model, live: c.liveVerdict,
      broke: c.live.broke[c.guarantee] ?? 0, runs: c.live.runs, agree: !c.disagree, token: c.token || null,
      ...(c.live.example ? { sentence: c.live.example.violations[0]?.sentence } : {}),
      rate: (c.live.broke[c.guarantee] ?? 0) / c.live.runs, inDoubt: c.inDoubt, modelIgnores: c.modelIgnores,
      ...(c.modelSentence ? { modelSentence: c.modelSentence } : {}),
    }));
    for (const c of cells) {
      const n = c.live.broke[c.guarantee] ?? 0;
      if (n > 0) findings.push({ source: 'syncTable', case: c.case, level: c.level, guarantee: c.guarantee, token: c.token, reproduced: { broke: n, runs: c.live.runs } });
    }
    // The long-fork row: the probe for a few seconds per level beside the model's answer.
    if (!opts.json && forkRowS > 0) err(`long-fork row: ${SYNC_LEVELS.length} levels, ${forkRowS} s of the probe each, on a fresh cluster`);
    const rowStart = Date.now();
    const forkCells = forkRowS === 0 ? [] : await longForkRow(forkRowS * 1000, {
      ...(log ? { log } : {}),
      onCell: (c) => !opts.json && err(`  long-fork ${c.level}: model ${c.modelPossible ? 'possible' : 'impossible'}, PostgreSQL ${c.liveSeen ? 'seen' : 'not seen'} (${c.live.forks} fork(s), ${c.live.reads.primary + c.live.reads.standby} reads)`),
    });
    probeMs += Date.now() - rowStart;
    (out['syncTable'] as unknown[]).push(...forkCells.map(longForkJson));
    for (const c of forkCells) if (c.liveSeen) findings.push({ source: 'syncTable', case: 'long-fork', level: c.level, guarantee: 'no-long-fork', token: '', reproduced: { broke: 1, runs: 1 } });
    const md = syncTableMarkdown(cells, forkCells);
    out['syncTableMarkdown'] = md;
    if (!opts.json) {
      println('\nsynchronous_commit on the model and on PostgreSQL:\n');
      println(md);
      for (const c of cells) {
        if (c.live.example) {
          println(`\n${c.level} / ${c.guarantee}: ${c.live.example.violations[0]!.sentence}`);
          println(`  replay: npx replicheck live pg --replay ${c.token} --guarantee ${c.guarantee} --times 5`);
        }
      }
      const disagree = cells.filter((c) => c.disagree).length + forkCells.filter((c) => c.disagree).length;
      println(disagree === 0 ? '\nmodel and server agree on every cell' : `\nmodel and server disagree on ${disagree} cell(s): a model bug or a finding`);
    }
    if (cells.some((c) => c.disagree) || forkCells.some((c) => c.disagree)) code = 1;
  }

  if (runs > 0) {
    const entry = BUILTIN_MODELS['wal']!;
    const config = { ...entry.variants[variant]! };
    const arb = scenariosFor(entry.model, { modelRef: 'wal', config, variant, profile, workload: { opsMax: 12, sessionsMax: 3, keys: 3 } });
    // Scenario i is fast-check's run at path i of the seed: the shrinker finds it there again.
    const drawn: Scenario[] = fc.sample(arb, { seed, numRuns: runs });
    if (!opts.json) err(`${runs} drawn scenario(s): variant ${variant} (${describeConfig(config)}), profile ${profile}, seed ${seed}`);
    const column = new Map<string, { judged: number; broke: number; example?: string; token?: string }>();
    const claimed = new Set<string>();
    const found: { guarantee: string; sentence: string; token: string; run: number; reproduced?: { broke: number; runs: number }; shrunk?: ShrinkJson }[] = [];
    const t0 = Date.now();
    const lagMax: number[] = [];
    for (let i = 0; i < drawn.length; i++) {
      const v = await checkLive(drawn[i]!, { ...(log ? { log } : {}), extraClaims });
      lagMax.push(v.run.lag.reduce((m, l) => Math.max(m, l.replay), 0));
      for (const c of v.claims) claimed.add(c.id);
      for (const m of v.measured) {
        const cell = column.get(m.id) ?? { judged: 0, broke: 0 };
        if (m.judged) cell.judged++;
        if (m.violations > 0) {
          cell.broke++;
          if (!cell.example) Object.assign(cell, { example: m.example, token: v.token });
        }
        column.set(m.id, cell);
      }
      if (!opts.json) err(`  scenario ${i + 1}/${runs}: ${v.violations.length === 0 ? 'claims held' : `broke ${[...new Set(v.violations.map((x) => x.guarantee))].join(', ')}`} (${(v.run.ms / 1000).toFixed(1)} s)`);
      if (v.violations.length > 0) {
        const g = v.violations[0]!.guarantee;
        const f: (typeof found)[number] = { guarantee: g, sentence: v.violations[0]!.sentence, token: v.token, run: i };
        found.push(f);
        if (!opts.json) println(explainLive(v, 5, extra));
        if (shrinkRuns > 0) {
          if (!opts.json) err(`shrinking scenario ${i + 1} (${g}) with fast-check's shrinker: each candidate played up to ${tries} time(s), at most ${shrinkRuns} plays`);
          const sr = await shrinkDrawn(arb, { seed, path: i }, play, { guarantee: g, tries, budget: shrinkRuns, original: v, onCandidate });
          f.shrunk = shrinkReport(sr);
          f.reproduced = sr.reproduced;
          findings.push({ source: 'drawn', guarantee: g, token: sr.token, reproduced: sr.reproduced });
        } else {
          findings.push({ source: 'drawn', guarantee: g, token: v.token, reproduced: { broke: 1, runs: 1 } });
        }
      }
    }
    const minutes = (Date.now() - t0) / 60_000;
    // Drawn scenarios judged per minute of wall time, shrinking included.
    const perMinute = Math.round((runs / minutes) * 10) / 10;
    out['drawn'] = {
      variant, profile, seed, runs, perMinute, found,
      // Largest replay lag (bytes of WAL behind, pg_stat_replication) sampled in each run.
      replayLagMaxBytes: lagMax,
      column: Object.fromEntries(GUARANTEE_FAMILIES.replication.map((id) => [id, { claimed: claimed.has(id), ...(column.get(id) ?? { judged: 0, broke: 0 }) }])),
    };
    if (!opts.json) {
      println(`\n${runs} scenario(s) on PostgreSQL, ${perMinute} per minute (shrinking included); claimed guarantees broken in ${found.length}`);
      println(liveColumnMarkdown(out['drawn'] as DrawnColumn));
    }
    if (found.length > 0) code = 1;
  }

  if (longForkS > 0) {
    const probeStart = Date.now();
    const { probeLongFork } = await import('../live/long-fork.js');
    const probes = [];
    for (const level of ['on', 'local']) {
      if (!opts.json) err(`long-fork probe: synchronous_commit=${level}, ${longForkS} s of 4 writers and 2 readers each on the primary and the standby`);
      const r = await probeLongFork({ ms: longForkS * 1000, synchronousCommit: level, ...(log ? { log } : {}) });
      probes.push(r);
      if (!opts.json) {
        println(`\nlong fork, synchronous_commit=${level}: ${r.forks} incomparable read pair(s) among ${r.distinct} distinct reads (${r.reads.primary} on the primary, ${r.reads.standby} on the standby, ${r.writes} writes in ${longForkS} s)`);
        if (r.example) println(`  ${r.example.sentence}`);
      }
      if (r.forks > 0) findings.push({ source: 'long-fork', level, guarantee: 'long-fork', token: '', reproduced: { broke: r.forks > 0 ? 1 : 0, runs: 1 } });
    }
    out['longFork'] = probes;
    probeMs += Date.now() - probeStart;
  }

  out['ms'] = Date.now() - started;
  // Every live play of this command (table cells, drawn, replays, shrink candidates) per minute of wall time (the long-fork probes' time left out).
  const playMinutes = (Date.now() - started - probeMs) / 60_000;
  out['plays'] = livePlays.count;
  out['scenariosPerMinute'] = livePlays.count === 0 ? 0 : Math.round((livePlays.count / playMinutes) * 10) / 10;
  out['findings'] = findings;
  const lib = findFaketime();
  // Whether a scenario's clock skew can be played here (each run's notes say what it applied).
  out['clockSkew'] = lib ? { libfaketime: lib, available: true } : { libfaketime: null, available: false, reason: 'libfaketime not installed: clock skew left out' };
  out['notes'] = [...livePlays.notes].sort();
  if (!opts.json) {
    println(`\n${livePlays.count} live scenario play(s) in ${playMinutes.toFixed(1)} min: ${String(out['scenariosPerMinute'])} per minute`);
    for (const f of findings) println(`  ${f.guarantee} (${f.source}${f.case ? ` ${f.case}/${f.level}` : f.level ? ` ${f.level}` : ''}): reproduced in ${f.reproduced.broke} of ${f.reproduced.runs} play(s)`);
    println(lib ? `clock skew: played per server through libfaketime (${lib})` : 'clock skew: left out (libfaketime not installed)');
    for (const n of out['notes'] as string[]) if (/skipped|not played|not applied|left out/.test(n)) println(`not played: ${n}`);
  }
  if (opts.out) writeOut(opts.out, out);
  if (opts.json) println(JSON.stringify(out));
  return code;
}

/** One finding and how often it reproduced (live.json `findings`). */
interface Finding {
  source: 'syncTable' | 'drawn' | 'replay' | 'replay-shrunk' | 'long-fork';
  guarantee: string;
  token: string;
  reproduced: { broke: number; runs: number };
  case?: string;
  level?: string;
}

/** A shrunk finding (live.json). */
interface ShrinkJson {
  token: string;
  ops: number;
  faults: number;
  schedule: string[];
  plays: number;
  candidates: number;
  kept: number;
  budgetSpent: boolean;
  reproduced: { broke: number; runs: number };
}

function rates(broke: Record<string, number>, runs: number): Record<string, number> {
  return Object.fromEntries(Object.entries(broke).map(([g, n]) => [g, n / runs]));
}

interface DrawnColumn {
  variant: string;
  profile: string;
  runs: number;
  column: Record<string, { claimed: boolean; judged: number; broke: number; example?: string; token?: string }>;
}

function reproductionLines(broke: Record<string, number>, runs: number): string[] {
  return Object.entries(broke).map(([g, n]) => `${g} broke in ${n} of ${runs} run(s) (${Math.round((100 * n) / runs)}%)`);
}

/** The report's live column: per guarantee, how often it broke on the server. */
export function liveColumnMarkdown(d: DrawnColumn): string {
  const lines = [`| guarantee | claimed by ${d.variant} | live: broke / judged (${d.runs} runs, ${d.profile}) |`, '|---|---|---|'];
  for (const [id, c] of Object.entries(d.column)) {
    lines.push(`| ${id} | ${c.claimed ? 'yes' : 'no'} | ${c.judged === 0 ? 'not judged' : `${c.broke} / ${c.judged}`} |`);
  }
  return lines.join('\n');
}

function writeOut(dir: string, out: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'live.json'), `${JSON.stringify({ schema: 'replicheck-live/1', ...out }, null, 2)}\n`);
  const parts = ['# replicheck live: PostgreSQL', '', `Server: ${String(out['postgres'])}`, ''];
  if (typeof out['syncTableMarkdown'] === 'string') parts.push('## synchronous_commit: model beside server', '', out['syncTableMarkdown'], '');
  if (out['drawn']) parts.push('## Live column', '', liveColumnMarkdown(out['drawn'] as DrawnColumn), '');
  const findings = out['findings'] as Finding[];
  parts.push('## How often each finding reproduces', '', `${String(out['plays'])} live plays, ${String(out['scenariosPerMinute'])} per minute.`, '');
  if (findings.length === 0) parts.push('Nothing broke.', '');
  else {
    parts.push('| finding | guarantee | reproduced | replay token |', '|---|---|---|---|');
    for (const f of findings) parts.push(`| ${f.source}${f.case ? ` ${f.case}/${f.level}` : f.level ? ` ${f.level}` : ''} | ${f.guarantee} | ${f.reproduced.broke} / ${f.reproduced.runs} | ${f.token ? `\`${f.token}\`` : '(a probe, no schedule)'} |`);
    parts.push('');
  }
  const notes = out['notes'] as string[];
  if (notes.length > 0) parts.push('## What the live runs did not play as the scenario says', '', ...notes.map((n) => `- ${n}`), '');
  writeFileSync(join(dir, 'live.md'), parts.join('\n'));
}
