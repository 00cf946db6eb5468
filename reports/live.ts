/**
 * The live column: what `replicheck live pg --out DIR` measured on a real
 * PostgreSQL (DIR/live.json, schema 'replicheck-live/1'), read and set beside
 * the model's cells for the same WAL variant, with every disagreement between
 * model and server said in one sentence.
 *
 * Disagreement, per guarantee judged on both sides: the server broke it and
 * the model never did (a model stricter than the server, or a finding on the
 * server), or the model broke it and the server never did in its runs (the
 * model looser than the server, or too few live runs to reproduce it — the
 * counts say which is likelier). The model side is its cell under the live
 * runs' fault profile when the report ran that profile, else every profile.
 * The synchronous_commit table's cells carry their own verdict (`agree`).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CellDoc, LiveCellDoc, LiveDoc, ModelDoc } from './schema.js';

export const LIVE_SCHEMA = 'replicheck-live/1';

/** The live data as live.json holds it (only what the report reads), checked. */
export interface LiveInput {
  target: string;
  postgres: string;
  drawn: {
    variant: string;
    profile: string;
    runs: number;
    perMinute: number | null;
    column: Record<string, { claimed: boolean; judged: number; broke: number; example?: string; token?: string }>;
  } | null;
  syncTable: LiveDoc['syncTable'];
  replay: { runs: number; broke: Record<string, number> } | null;
}

export class LiveInputError extends Error {
  override name = 'LiveInputError';
}

/** Read live.json (a file, or a directory holding one). Throws LiveInputError with the reason. */
export function readLive(path: string): { input: LiveInput; source: string } {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'live.json');
  } catch {
    throw new LiveInputError(`--live: ${path} does not exist (write one with: replicheck live pg --out DIR)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LiveInputError(`--live: cannot read ${file}: ${(err as Error).message}`);
  }
  return { input: parseLive(raw, file), source: file };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Check the parts of a live.json the report uses; anything else in it is ignored. */
export function parseLive(raw: unknown, where = 'live.json'): LiveInput {
  const bad = (what: string): never => {
    throw new LiveInputError(`${where}: ${what}`);
  };
  if (!isObj(raw)) return bad('not a JSON object');
  if (raw['schema'] !== LIVE_SCHEMA) bad(`schema must be '${LIVE_SCHEMA}', got ${JSON.stringify(raw['schema'])}`);
  const str = (v: unknown, what: string): string => (typeof v === 'string' ? v : bad(`${what} must be a string`));
  const count = (v: unknown, what: string): number => (isCount(v) ? v : bad(`${what} must be a count (integer ≥ 0)`));
  let drawn: LiveInput['drawn'] = null;
  if (raw['drawn'] !== undefined) {
    const d = isObj(raw['drawn']) ? raw['drawn'] : bad('drawn must be an object');
    const col = isObj(d['column']) ? d['column'] : bad('drawn.column must be an object');
    const column: NonNullable<LiveInput['drawn']>['column'] = {};
    for (const [g, c] of Object.entries(col)) {
      if (!isObj(c)) bad(`drawn.column.${g} must be an object`);
      const cell = c as Record<string, unknown>;
      if (cell['judged'] !== undefined && cell['broke'] !== undefined && count(cell['broke'], `drawn.column.${g}.broke`) > count(cell['judged'], `drawn.column.${g}.judged`)) {
        bad(`drawn.column.${g}: broke exceeds judged`);
      }
      column[g] = {
        claimed: cell['claimed'] === true,
        judged: count(cell['judged'], `drawn.column.${g}.judged`),
        broke: count(cell['broke'], `drawn.column.${g}.broke`),
        ...(typeof cell['example'] === 'string' ? { example: cell['example'] } : {}),
        ...(typeof cell['token'] === 'string' ? { token: cell['token'] } : {}),
      };
    }
    drawn = {
      variant: str(d['variant'], 'drawn.variant'),
      profile: str(d['profile'], 'drawn.profile'),
      runs: count(d['runs'], 'drawn.runs'),
      perMinute: typeof d['perMinute'] === 'number' && Number.isFinite(d['perMinute']) ? d['perMinute'] : null,
      column,
    };
  }
  const syncTable: LiveDoc['syncTable'] = [];
  if (raw['syncTable'] !== undefined) {
    if (!Array.isArray(raw['syncTable'])) bad('syncTable must be an array');
    (raw['syncTable'] as unknown[]).forEach((r, i) => {
      if (!isObj(r)) bad(`syncTable[${i}] must be an object`);
      const row = r as Record<string, unknown>;
      syncTable.push({
        case: str(row['case'], `syncTable[${i}].case`),
        level: str(row['level'], `syncTable[${i}].level`),
        guarantee: str(row['guarantee'], `syncTable[${i}].guarantee`),
        model: str(row['model'], `syncTable[${i}].model`),
        live: str(row['live'], `syncTable[${i}].live`),
        broke: count(row['broke'], `syncTable[${i}].broke`),
        runs: count(row['runs'], `syncTable[${i}].runs`),
        agree: typeof row['agree'] === 'boolean' ? row['agree'] : bad(`syncTable[${i}].agree must be true or false`),
        token: typeof row['token'] === 'string' && row['token'] !== '' ? row['token'] : null,
        sentence: typeof row['sentence'] === 'string' ? row['sentence'] : null,
      });
    });
  }
  let replay: LiveInput['replay'] = null;
  if (raw['replay'] !== undefined) {
    const r = isObj(raw['replay']) ? raw['replay'] : bad('replay must be an object');
    const broke = isObj(r['broke']) ? r['broke'] : bad('replay.broke must be an object');
    replay = { runs: count(r['runs'], 'replay.runs'), broke: Object.fromEntries(Object.entries(broke).map(([g, n]) => [g, count(n, `replay.broke.${g}`)])) };
  }
  return { target: str(raw['target'], 'target'), postgres: str(raw['postgres'], 'postgres'), drawn, syncTable, replay };
}

/** The model family the live target stands for. */
const LIVE_MODEL: Record<string, string> = { pg: 'wal' };

/** The report's live section: the live column beside the model's cells, and every disagreement. */
export function liveDoc(input: LiveInput, source: string, models: readonly ModelDoc[]): LiveDoc {
  const modelName = LIVE_MODEL[input.target] ?? input.target;
  const m = models.find((x) => x.name === modelName);
  const disagreements: LiveDoc['disagreements'] = [];
  let column: LiveDoc['column'] = null;
  if (input.drawn) {
    const d = input.drawn;
    const v = m?.variants.find((x) => x.name === d.variant);
    const cells: LiveCellDoc[] = Object.entries(d.column).map(([g, c]) => {
      const mc = v?.cells.find((x) => x.guarantee === g);
      const model = mc ? modelSide(mc, d.profile) : null;
      const agree = model && model.runs > 0 && c.judged > 0 ? (model.broken > 0) === (c.broke > 0) : null;
      if (agree === false && model) {
        const where = `${modelName}/${d.variant}${model.profile === 'all' ? '' : ` under ${model.profile}`}`;
        const sentence = c.broke > 0
          ? `${g}: PostgreSQL broke it in ${c.broke} of ${c.judged} runs; the model (${where}) never did in ${model.runs}${c.example ? ` — ${c.example}` : ''}`
          : `${g}: the model (${where}) broke it in ${model.broken} of ${model.runs} runs; PostgreSQL never did in ${c.judged}`;
        disagreements.push({ where: 'matrix', guarantee: g, sentence, token: c.token ?? null });
      }
      return { guarantee: g, claimed: c.claimed, judged: c.judged, broke: c.broke, example: c.example ?? null, token: c.token ?? null, model, agree };
    });
    column = { model: modelName, variant: d.variant, profile: d.profile, runs: d.runs, perMinute: d.perMinute, cells };
  }
  for (const r of input.syncTable) {
    if (r.agree) continue;
    disagreements.push({
      where: 'synchronous-commit',
      guarantee: r.guarantee,
      sentence: `synchronous_commit = ${r.level}, ${r.case}: the model ${r.model}, PostgreSQL ${r.live} (${r.broke} of ${r.runs} runs broke)${r.sentence ? ` — ${r.sentence}` : ''}`,
      token: r.token,
    });
  }
  const replay = input.replay
    ? { runs: input.replay.runs, broke: Object.entries(input.replay.broke).map(([guarantee, runs]) => ({ guarantee, runs })) }
    : null;
  return { source, target: input.target, postgres: input.postgres, column, syncTable: input.syncTable, replay, disagreements };
}

/** The model's cell for comparison: its counts under `profile` when it ran there, else over every profile. */
function modelSide(c: CellDoc, profile: string): NonNullable<LiveCellDoc['model']> {
  const p = c.byProfile.find((x) => x.profile === profile);
  if (p && p.runs > 0) return { status: c.status, runs: p.runs, broken: p.broken, profile };
  return { status: c.status, runs: c.runs + c.outsideRuns, broken: c.broken + c.outsideBroken, profile: 'all' };
}

/** A live cell as the matrix shows it: runs broken / judged, or "—" when the server judged nothing. */
export function liveCellText(c: LiveCellDoc): string {
  return c.judged === 0 ? '—' : `${c.broke}/${c.judged}`;
}
