/**
 * The failure a person reads: model and variant, the broken guarantee, the
 * violation sentence, the minimal scenario, a space-time timeline of the minimal
 * run, and one copy-pasteable replay command.
 */
import { formatScenario, plural, scenarioSize } from '../scenario/compact.js';
import { textTimeline } from '../history/timeline.js';
import type { Verdict } from './judge.js';

export interface ExplainOptions {
  /** How to name the target: "wal (sync-on)", "./my-model.ts". */
  label?: string;
  /** Command prefix for the replay line. Default `npx replicheck`. */
  command?: string;
  /** Rows of timeline at most. Default 60. */
  timelineRows?: number;
}

/** The copy-pasteable replay command for a token, optionally judging one more guarantee. */
export function replayCommand(token: string, opts: { guarantee?: string; command?: string } = {}): string {
  const extra = opts.guarantee ? ` --guarantee ${opts.guarantee}` : '';
  return `${opts.command ?? 'npx replicheck'} replay ${token}${extra}`;
}

/** Multi-line explanation of a failed verdict (or a one-liner for a pass). */
export function explainVerdict(v: Verdict, opts: ExplainOptions = {}): string {
  const s = v.scenario;
  const label = opts.label ?? `${s.model}${s.bug ? ` with bug ${s.bug}` : ''}`;
  if (!v.failure && v.violations.length === 0) return `${label}: every claimed guarantee held`;
  const size = scenarioSize(s);
  const lines: string[] = [];
  if (v.failure) {
    lines.push(`✗ ${label}: the run failed (${v.failure.kind})`, `  ${v.failure.message}`);
    for (const also of v.violations.slice(0, 3)) lines.push(`  also '${also.guarantee}' broke: ${also.sentence}`);
  } else {
    const first = v.violations[0]!;
    const more = v.violations.length > 1 ? ` (+${v.violations.length - 1} more violation${v.violations.length > 2 ? 's' : ''})` : '';
    lines.push(`✗ ${label}: guarantee '${first.guarantee}' broke${more}`, `  ${first.sentence}`);
    for (const extra of v.violations.slice(1, 4)) lines.push(`  also '${extra.guarantee}': ${extra.sentence}`);
  }
  lines.push('', `minimal scenario (${plural(size.ops, 'client op')}, ${plural(size.faults, 'fault')}, seed ${s.seed}):`);
  lines.push(indent(formatScenario(s)));
  if (v.run) {
    lines.push('', 'timeline of the minimal run (true time, one lane per node):');
    lines.push(indent(textTimeline(v.run.history, { maxRows: opts.timelineRows ?? 60 })));
  }
  lines.push('', 'replay exactly:', `  ${replayCommand(v.token, opts.command ? { command: opts.command } : {})}`);
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}
