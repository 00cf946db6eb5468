/**
 * PostgreSQL's synchronous_commit table on a real server, next to the
 * model's: the same two schedules, played on the simulator and on
 * PostgreSQL, at three commit levels.
 *
 * - Failover after kill -9: acknowledged writes on the primary, its WAL
 *   stream to the standby clogged from 600 ms, the primary killed at 1 s,
 *   the standby promoted. Async (local) acknowledges writes the standby never
 *   received, so they are lost; on and remote_apply acknowledge only what the
 *   standby has, so nothing acknowledged is lost (the write in flight ends `info`).
 * - Read-your-writes on a standby: a session writes on the primary and reads
 *   on the standby, whose replay lags its flush (recovery_min_apply_delay on
 *   the server, slow replay in the model). `on` acknowledges at the standby's
 *   flush, before replay: the read misses the session's write. remote_apply
 *   acknowledges after replay: the read sees it.
 * - In-doubt commit: the standby's stream clogged, a COMMIT waiting on it is
 *   cancelled (pg_cancel_backend) after 400 ms. PostgreSQL answers COMMIT with
 *   a WARNING ("committed locally, may not be replicated"): the row is then
 *   visible on the primary, a read there sees it, and kill -9 of the primary
 *   with failover loses it. Judged by lossless-failover (a value read from a
 *   primary survives failover), from reads alone. A model without the cancel
 *   knob judges the same schedule without the cancel: the cell says so, and a
 *   disagreement is flagged like any other.
 */
import type { GuaranteeClaim } from '../sim/types.js';
import type { Scenario } from '../scenario/types.js';
import type { TimedRequest } from '../sim/types.js';
import { judgeScenario } from '../verdict/judge.js';
import { BUILTIN_MODELS } from '../../models/index.js';
import { modelConfig, modelIgnores, reproduce, type Reproduction } from './judge.js';
import type { LiveRunOptions } from './run.js';

export const SYNC_LEVELS = [
  { name: 'async', config: { synchronousCommit: 'local', synchronousStandbyNames: '' } },
  { name: 'on', config: { synchronousCommit: 'on', synchronousStandbyNames: 'FIRST 1 (*)' } },
  { name: 'remote_apply', config: { synchronousCommit: 'remote_apply', synchronousStandbyNames: 'FIRST 1 (*)' } },
] as const;

export type SyncLevel = (typeof SYNC_LEVELS)[number]['name'];

export interface SyncCase {
  id: 'failover-loss' | 'standby-ryw' | 'in-doubt-commit';
  title: string;
  guarantee: string;
  scenario(level: SyncLevel): Scenario;
  /** The model's configuration for the same case (its own knobs for what the server sets differently). */
  modelTweak: Record<string, unknown>;
  /** Live-only knobs the tweak stands for (not said to be missing from the model). */
  tweakStandsFor?: readonly string[];
}

const NET = { defaultLink: { latency: { kind: 'constant' as const, ms: 0.2 }, lossRate: 0, dupRate: 0 } };

function levelConfig(level: SyncLevel): Record<string, unknown> {
  return { ...SYNC_LEVELS.find((l) => l.name === level)!.config };
}

const w = (atMs: number, k: string, v: string): TimedRequest => ({ atMs, req: { txn: [{ f: 'w', k, v }], end: 'commit' } });
const r = (atMs: number, k: string): TimedRequest => ({ atMs, req: { txn: [{ f: 'r', k }], end: 'commit' } });

export const SYNC_CASES: readonly SyncCase[] = [
  {
    id: 'failover-loss',
    title: 'acknowledged writes survive kill -9 of the primary and failover',
    guarantee: 'durability',
    modelTweak: {},
    scenario: (level) => ({
      model: 'wal',
      config: { ...levelConfig(level), nodes: 2, failover: 'auto' },
      seed: 1,
      sessions: [
        {
          id: 's1',
          policy: 'primary',
          ops: Array.from({ length: 24 }, (_, i) => w(i * 50, `k${(i % 2) + 1}`, `s1-${i + 1}`)),
        },
      ],
      faults: [
        { kind: 'clog', atMs: 600, from: 'n1', to: 'n2', extraMs: 3000, durationMs: 4000 },
        { kind: 'crash', atMs: 1000, node: 'n1', mode: 'process' },
      ],
      network: NET,
    }),
  },
  {
    id: 'standby-ryw',
    title: 'a session reads its own write on a standby',
    guarantee: 'read-your-writes',
    modelTweak: { replayMsPerRecord: 100 },
    tweakStandsFor: ['applyDelayMs'],
    scenario: (level) => ({
      model: 'wal',
      config: { ...levelConfig(level), nodes: 2, failover: 'none', applyDelayMs: 300 },
      seed: 1,
      sessions: [
        {
          id: 's1',
          policy: 'any-standby',
          ops: [w(0, 'k1', 's1-1'), r(1, 'k1'), w(100, 'k1', 's1-2'), r(101, 'k1'), w(200, 'k1', 's1-3'), r(201, 'k1')],
        },
      ],
      faults: [],
      network: NET,
    }),
  },
  {
    id: 'in-doubt-commit',
    title: 'a commit whose synchronous wait was cancelled, read on the primary, survives failover',
    guarantee: 'lossless-failover',
    // The server's cancel (pg_cancel_backend at 400 ms) is the model's statement_timeout.
    modelTweak: { statementTimeoutMs: 400 },
    tweakStandsFor: ['commitCancelMs'],
    scenario: (level) => ({
      model: 'wal',
      config: { ...levelConfig(level), nodes: 2, failover: 'auto', commitCancelMs: 400 },
      seed: 1,
      sessions: [{ id: 's1', policy: 'primary', ops: [w(0, 'k1', 's1-1'), w(400, 'k1', 's1-2'), r(1000, 'k1')] }],
      faults: [
        { kind: 'clog', atMs: 200, from: 'n1', to: 'n2', extraMs: 5000, durationMs: 6000 },
        { kind: 'crash', atMs: 1400, node: 'n1', mode: 'process' },
      ],
      network: NET,
    }),
  },
];

export type CellVerdict = 'held' | 'broke' | 'not judged';

export interface SyncCell {
  case: SyncCase['id'];
  level: SyncLevel;
  guarantee: string;
  model: CellVerdict;
  /** The model's sentence when it broke. */
  modelSentence?: string;
  /** Live-only knobs of the case the model does not read (it judged the schedule without them). */
  modelIgnores: string[];
  /** Commits whose synchronous wait the server cancelled, over all plays. */
  inDoubt: number;
  live: Reproduction;
  liveVerdict: CellVerdict;
  token: string;
  /** Model and server disagree: a model bug or a finding. */
  disagree: boolean;
}

/** The claim checked in every cell: the guarantee, whatever the level claims and whatever the faults. */
function claimOf(c: SyncCase): GuaranteeClaim[] {
  return [{ id: c.guarantee }];
}

export function modelCell(c: SyncCase, level: SyncLevel): { verdict: CellVerdict; sentence?: string } {
  const entry = BUILTIN_MODELS['wal']!;
  const s = c.scenario(level);
  const scenario: Scenario = { ...s, config: { ...modelConfig(s.config), ...c.modelTweak } };
  const v = judgeScenario(entry.model, scenario, { guarantees: [c.guarantee], extraClaims: claimOf(c) });
  const o = v.outcomes.find((x) => x.id === c.guarantee);
  if (v.violations.length > 0) return { verdict: 'broke', sentence: v.violations[0]!.sentence };
  return { verdict: o?.notJudged ? 'not judged' : 'held' };
}

/** Every cell: the model once (deterministic), the server `times` times. */
export async function syncTable(
  times: number,
  opts: LiveRunOptions & { onCell?: (cell: SyncCell) => void; cases?: readonly SyncCase['id'][]; levels?: readonly SyncLevel[] } = {},
): Promise<SyncCell[]> {
  const cells: SyncCell[] = [];
  for (const c of SYNC_CASES) {
    if (opts.cases && !opts.cases.includes(c.id)) continue;
    for (const { name: level } of SYNC_LEVELS) {
      if (opts.levels && !opts.levels.includes(level)) continue;
      const model = modelCell(c, level);
      const scenario = c.scenario(level);
      let inDoubt = 0;
      const live = await reproduce(scenario, times, {
        ...opts, guarantees: [c.guarantee], extraClaims: claimOf(c),
        onRun: (_, v) => (inDoubt += v.run.inDoubt),
      });
      const broke = live.broke[c.guarantee] ?? 0;
      const unjudged = live.notJudged[c.guarantee] ?? 0;
      const liveVerdict: CellVerdict = broke > 0 ? 'broke' : unjudged === live.runs ? 'not judged' : 'held';
      const cell: SyncCell = {
        case: c.id, level, guarantee: c.guarantee, model: model.verdict, ...(model.sentence ? { modelSentence: model.sentence } : {}),
        modelIgnores: modelIgnores(scenario.config).filter((k) => !(c.tweakStandsFor ?? []).includes(k)), inDoubt, live, liveVerdict, token: live.example?.token ?? '', disagree: model.verdict !== liveVerdict,
      };
      cells.push(cell);
      opts.onCell?.(cell);
    }
  }
  return cells;
}

/** The table as Markdown: one row per case and level, model beside server. */
export function syncTableMarkdown(cells: readonly SyncCell[], longFork: readonly LongForkCell[] = []): string {
  const lines = [
    '| case | synchronous_commit | guarantee | model | PostgreSQL (runs broken / runs) | agree |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of cells) {
    const title = SYNC_CASES.find((x) => x.id === c.case)!.title;
    const broke = c.live.broke[c.guarantee] ?? 0;
    const ign = c.modelIgnores.length > 0 ? ` (without ${c.modelIgnores.join(', ')}: the model has no such knob)` : '';
    const doubt = c.inDoubt > 0 ? `, ${c.inDoubt} COMMIT(s) answered in doubt` : '';
    lines.push(`| ${title} | ${c.level} | ${c.guarantee} | ${c.model}${ign} | ${c.liveVerdict} (${broke}/${c.live.runs}${doubt}) | ${c.disagree ? '**no**' : 'yes'} |`);
  }
  lines.push(...longForkMarkdownRows(longFork));
  for (const c of longFork) if (c.sentence) lines.push('', `long fork, ${c.level}: ${c.sentence}`);
  return lines.join('\n');
}

/**
 * The long-fork row: per level, the long-fork probe (src/live/long-fork.ts)
 * for a few seconds on that level's cluster, beside the model's answer at the
 * same level — whether the WAL model claims no-long-fork there, and whether a
 * model run of a dense workload (two writers on their own keys, two readers of
 * both keys on the primary and two on a standby) reaches a long fork, judged
 * by no-long-fork with the claim forced. The model says a long fork is possible
 * where it does not claim no-long-fork; the server says so where the probe saw
 * one. A probe that saw none in N reads is weaker than "impossible": the row
 * says so when it disagrees.
 */
export interface LongForkProbeResult {
  forks: number;
  distinct: number;
  writes: number;
  reads: { primary: number; standby: number };
  ms: number;
  example?: { sentence: string };
}

export interface LongForkModelSide {
  /** The model claims no-long-fork at this level's configuration. */
  claims: boolean;
  /** Model runs of the dense workload (seeds 1..runs). */
  runs: number;
  /** Runs that showed a long fork (no-long-fork judged with the claim forced). */
  runsWithFork: number;
  /** Long forks over all runs. */
  forks: number;
  sentence?: string;
}

export interface LongForkCell {
  level: SyncLevel;
  model: LongForkModelSide;
  live: LongForkProbeResult;
  /** The model: a long fork is possible here (it does not claim no-long-fork). */
  modelPossible: boolean;
  /** The server: the probe saw at least one long fork. */
  liveSeen: boolean;
  disagree: boolean;
  /** Why they disagree, or why the model contradicts itself (claims it, yet its run shows one). */
  sentence?: string;
}

/** The model's configuration of the long-fork row at `level`: no failover (a failover discards a branch; the probe has none). */
export function longForkModelConfig(level: SyncLevel): Record<string, unknown> {
  return { ...levelConfig(level), nodes: 2, failover: 'none' };
}

/**
 * The dense model workload, the probe's in miniature: four writers, each
 * committing its own key back to back (so commits pile up behind the standby's
 * flush, are woken together and leave the ProcArray in any order); readers
 * read every key in one transaction, on the primary and on a standby. A
 * session waits for each answer (a round trip is 0.4 ms), so the readers are
 * many sessions, staggered: together they read each node every 25 µs.
 */
const WRITERS = 16;
export function longForkScenario(level: SyncLevel): Scenario {
  const keys = Array.from({ length: WRITERS }, (_, i) => `k${i + 1}`);
  const rr = (atMs: number): TimedRequest => ({ atMs, req: { txn: keys.map((k) => ({ f: 'r' as const, k })), end: 'commit' } });
  const writes = 40;
  const end = 20;
  const readEveryMs = 0.5;
  const stagger = 0.025;
  const readers = Math.round(readEveryMs / stagger);
  const reads = (offset: number) =>
    Array.from({ length: Math.floor(end / readEveryMs) }, (_, i) => rr(Math.round((1 + i * readEveryMs + offset) * 1000) / 1000));
  const readerSessions = (node: 'p' | 'q') =>
    Array.from({ length: readers }, (_, i) => ({ id: `${node}${i + 1}`, policy: node === 'p' ? ('primary' as const) : ('sticky-standby' as const), ops: reads(i * stagger) }));
  return {
    model: 'wal',
    config: longForkModelConfig(level),
    seed: 1,
    sessions: [
      // Back to back: each write is sent when the writer's previous one is answered.
      ...keys.map((k, wi) => ({ id: `w${wi + 1}`, policy: 'primary' as const, ops: Array.from({ length: writes }, (_, i) => w(1 + i * 0.01, k, `w${wi + 1}-${i + 1}`)) })),
      ...readerSessions('p'),
      ...readerSessions('q'),
    ],
    faults: [],
    network: NET,
  };
}

/** Seeds of the model's dense runs: the ProcArray order is drawn per run, so one seed may miss what the next shows. */
export const LONG_FORK_MODEL_RUNS = 4;

export function longForkModel(level: SyncLevel, runs = LONG_FORK_MODEL_RUNS): LongForkModelSide {
  const entry = BUILTIN_MODELS['wal']!;
  const base = longForkScenario(level);
  const claims = entry.model.claims(entry.model.configure(base.config)).some((c) => c.id === 'no-long-fork');
  let runsWithFork = 0;
  let forks = 0;
  let sentence: string | undefined;
  for (let seed = 1; seed <= runs; seed++) {
    const v = judgeScenario(entry.model, { ...base, seed }, { guarantees: ['no-long-fork'], extraClaims: [{ id: 'no-long-fork' }], traceMessages: false });
    if (v.failure) throw new Error(`long-fork model run (seed ${seed}) failed: ${v.failure.message}`);
    const found = v.violations.filter((x) => x.guarantee === 'no-long-fork');
    if (found.length > 0) runsWithFork++;
    forks += found.length;
    sentence ??= found[0]?.sentence;
  }
  return { claims, runs, runsWithFork, forks, ...(sentence ? { sentence } : {}) };
}

/** Model beside probe: agree when both say a long fork is possible, or both not. */
export function longForkVerdict(level: SyncLevel, model: LongForkModelSide, live: LongForkProbeResult): LongForkCell {
  const modelPossible = !model.claims;
  const liveSeen = live.forks > 0;
  const reads = live.reads.primary + live.reads.standby;
  const secs = `${(live.ms / 1000).toFixed(live.ms % 1000 === 0 ? 0 : 1)} s`;
  let sentence: string | undefined;
  if (modelPossible && !liveSeen) {
    sentence =
      `the model does not claim no-long-fork at synchronous_commit=${level}` +
      (model.forks > 0 ? ` and ${model.runsWithFork} of its ${model.runs} dense runs showed a long fork` : ` (none of its ${model.runs} dense runs showed one)`) +
      `; PostgreSQL showed none in ${reads} reads (${live.reads.primary} primary, ${live.reads.standby} standby, ${live.distinct} distinct) over ${secs}` +
      ' — not seen is weaker than impossible: a longer probe may see it, or the model allows more than the server does';
  } else if (!modelPossible && liveSeen) {
    sentence =
      `the model claims no-long-fork at synchronous_commit=${level}, yet PostgreSQL showed ${live.forks} long fork(s) in ${reads} reads over ${secs}` +
      `${live.example ? `: ${live.example.sentence}` : ''} — a model bug or a finding`;
  } else if (model.claims && model.forks > 0) {
    sentence = `the model claims no-long-fork at synchronous_commit=${level}, yet ${model.runsWithFork} of its own ${model.runs} dense runs showed one: ${model.sentence ?? ''}`;
  }
  return { level, model, live, modelPossible, liveSeen, disagree: modelPossible !== liveSeen || (model.claims && model.forks > 0), ...(sentence ? { sentence } : {}) };
}

/** The probe as the row takes it (injectable: the unit test plays no server). */
export type LongForkProbe = (opts: { ms: number; synchronousCommit: string; synchronousStandbyNames: string; log?: (l: string) => void }) => Promise<LongForkProbeResult>;

/** The long-fork row: every level, the model once (deterministic), the probe once for `ms`. */
export async function longForkRow(
  ms: number,
  opts: { levels?: readonly SyncLevel[]; probe?: LongForkProbe; log?: (l: string) => void; onCell?: (cell: LongForkCell) => void } = {},
): Promise<LongForkCell[]> {
  const probe: LongForkProbe = opts.probe ?? (async (o) => (await import('./long-fork.js')).probeLongFork(o));
  const cells: LongForkCell[] = [];
  for (const { name: level, config } of SYNC_LEVELS) {
    if (opts.levels && !opts.levels.includes(level)) continue;
    const model = longForkModel(level);
    const live = await probe({ ms, ...config, ...(opts.log ? { log: opts.log } : {}) });
    const cell = longForkVerdict(level, model, live);
    cells.push(cell);
    opts.onCell?.(cell);
  }
  return cells;
}

export const LONG_FORK_TITLE = 'readers on the primary and a standby never see two writes in opposite orders (long fork)';

/** The long-fork row's cells in the synchronous_commit table's columns. */
export function longForkMarkdownRows(cells: readonly LongForkCell[]): string[] {
  return cells.map((c) => `| ${LONG_FORK_TITLE} | ${c.level} | no-long-fork | ${longForkModelText(c)} | ${longForkLiveText(c)} | ${c.disagree ? '**no**' : 'yes'} |`);
}

/** The model's side of a long-fork cell in one phrase (live.json `model`, the report's model column). */
export function longForkModelText(c: LongForkCell): string {
  const runs = `a long fork in ${c.model.runsWithFork} of ${c.model.runs} dense model runs`;
  return `${c.modelPossible ? 'possible' : 'impossible'}: no-long-fork ${c.model.claims ? 'claimed' : 'not claimed'}; ${runs}`;
}

/** The server's side in one phrase: "not seen" says in how many reads, never "impossible". */
export function longForkLiveText(c: LongForkCell): string {
  const reads = c.live.reads.primary + c.live.reads.standby;
  const secs = (c.live.ms / 1000).toFixed(1);
  return c.liveSeen
    ? `seen: ${c.live.forks} incomparable read pair(s) among ${c.live.distinct} distinct of ${reads} reads in ${secs} s`
    : `not seen in ${reads} reads (${c.live.distinct} distinct) in ${secs} s`;
}

/** A long-fork cell as a live.json `syncTable` row: the common fields, then its own (only added). */
export function longForkJson(c: LongForkCell): Record<string, unknown> {
  return {
    case: 'long-fork', level: c.level, guarantee: 'no-long-fork', model: longForkModelText(c), live: longForkLiveText(c),
    broke: c.liveSeen ? 1 : 0, runs: 1, agree: !c.disagree, token: null,
    ...(c.sentence ?? c.live.example?.sentence ? { sentence: c.sentence ?? c.live.example?.sentence } : {}),
    rate: c.liveSeen ? 1 : 0,
    longFork: {
      modelPossible: c.modelPossible, modelClaims: c.model.claims, modelRuns: c.model.runs, modelRunsWithFork: c.model.runsWithFork, modelForks: c.model.forks,
      ...(c.model.sentence ? { modelSentence: c.model.sentence } : {}),
      liveSeen: c.liveSeen, forks: c.live.forks, distinct: c.live.distinct, reads: c.live.reads, writes: c.live.writes, ms: c.live.ms,
    },
  };
}
