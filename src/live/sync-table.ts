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
export function syncTableMarkdown(cells: readonly SyncCell[]): string {
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
  return lines.join('\n');
}
