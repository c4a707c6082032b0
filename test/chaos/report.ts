import { COMPONENT_KINDS, type KillRecord } from './killer';
import { TASK_KINDS, type LoadState, type TaskKind } from './load';
import type { ChaosOptions } from './options';

/** What the direct read of the memory found (see `checkMemory`). */
export interface MemoryFinding {
  /** Decisions stored twice by imports. */
  importedTwice: number;
  /** Rows a purge reported beyond those its tag held. */
  deletedTwice: number;
  details: string[];
  /** The memory contradicts a completed task's result (rows missing or left behind). */
  contradictions: string[];
}

/**
 * Failure causes that chaos may legitimately produce, each with why. A failed task whose message
 * matches none of them is unexplained and fails the run.
 */
export const EXPLAINED_FAILURES: { kind: string; pattern: RegExp; why: string }[] = [
  {
    kind: 'activity retries exhausted',
    pattern: /maximum attempts|retry policy|attempts exhausted/i,
    why: 'the workers running its activity were killed more often than its retry policy allows',
  },
];

export interface FailureLine {
  kind: TaskKind;
  reason: string;
  count: number;
  /** Why chaos produces it, or undefined when unexplained. */
  why?: string;
}

export interface ChaosReport {
  options: ChaosOptions;
  startedAt: number;
  durationMs: number;
  created: Record<TaskKind, number>;
  totalCreated: number;
  completed: number;
  cancelled: number;
  failures: FailureLine[];
  lost: string[];
  wrongResults: string[];
  memory: MemoryFinding;
  crossOwner: LoadState['crossOwner'];
  notCreated: [string, number][];
  orphans: number;
  kills: KillRecord;
  retries: number;
  /** Why the run fails the bar; empty when it meets it. */
  verdict: string[];
}

export function buildReport(run: {
  options: ChaosOptions;
  startedAt: number;
  endedAt: number;
  state: LoadState;
  kills: KillRecord;
  orphans: number;
  memory: MemoryFinding;
}): ChaosReport {
  const { state } = run;
  const created = Object.fromEntries(TASK_KINDS.map((kind) => [kind, 0])) as Record<TaskKind, number>;
  for (const task of state.tasks) created[task.kind]++;
  const failures = new Map<string, FailureLine>();
  for (const task of state.tasks) {
    if (task.outcome !== 'failed') continue;
    const reason = task.reason ?? '(no status message)';
    const key = `${task.kind}\u0000${reason}`;
    const line = failures.get(key) ?? {
      kind: task.kind,
      reason,
      count: 0,
      why: EXPLAINED_FAILURES.find((cause) => cause.pattern.test(reason))?.why,
    };
    line.count++;
    failures.set(key, line);
  }
  const lost = state.tasks
    .filter((task) => task.outcome === 'lost' || task.outcome === undefined)
    .map((task) => `${task.kind} ${task.taskId} of ${task.owner.name}: ${task.reason ?? 'never followed to its end'}`);
  const wrongResults = state.tasks.flatMap((task) =>
    task.wrongResult ? [`${task.kind} ${task.taskId}: ${task.wrongResult}`] : [],
  );
  const totalKills = COMPONENT_KINDS.reduce((sum, kind) => sum + run.kills.kills[kind], 0);
  const report: ChaosReport = {
    options: run.options,
    startedAt: run.startedAt,
    durationMs: run.endedAt - run.startedAt,
    created,
    totalCreated: state.tasks.length,
    completed: state.tasks.filter((task) => task.outcome === 'completed').length,
    cancelled: state.tasks.filter((task) => task.outcome === 'cancelled').length,
    failures: [...failures.values()],
    lost,
    wrongResults,
    memory: run.memory,
    crossOwner: state.crossOwner,
    notCreated: [...state.notCreated.entries()],
    orphans: run.orphans,
    kills: run.kills,
    retries: state.owners.reduce((sum, owner) => sum + owner.retries, 0),
    verdict: [],
  };
  const verdict = report.verdict;
  if (lost.length > 0) verdict.push(`${lost.length} tasks lost`);
  if (run.memory.importedTwice + run.memory.deletedTwice > 0) verdict.push('duplicated side effects');
  if (state.crossOwner.leaked.length > 0) verdict.push(`${state.crossOwner.leaked.length} cross-owner reads answered`);
  const unexplained = report.failures.filter((line) => line.why === undefined).reduce((n, line) => n + line.count, 0);
  if (unexplained > 0) verdict.push(`${unexplained} failures unexplained`);
  if (report.cancelled > 0) verdict.push(`${report.cancelled} tasks cancelled that nobody cancelled`);
  if (wrongResults.length + run.memory.contradictions.length > 0)
    verdict.push('results contradicted by the memory or the input');
  if (run.kills.unplannedExits.length > 0)
    verdict.push(`components exited unkilled: ${run.kills.unplannedExits.join(', ')}`);
  if (state.tasks.length < run.options.tasks)
    verdict.push(`only ${state.tasks.length} of ${run.options.tasks} tasks created`);
  if (totalKills < run.options.kills) verdict.push(`only ${totalKills} of ${run.options.kills} kills delivered`);
  return report;
}

/** The report as the table `npm run chaos` prints (Markdown, so that it pastes into docs/reliability.md). */
export function formatReport(report: ChaosReport): string {
  const kills = report.kills.kills;
  const totalKills = COMPONENT_KINDS.reduce((sum, kind) => sum + kills[kind], 0);
  const failed = report.failures.reduce((sum, line) => sum + line.count, 0);
  const median = (values: number[]): string => {
    if (values.length === 0) return '-';
    const sorted = [...values].sort((a, b) => a - b);
    return `${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s`;
  };
  const rows: [string, string][] = [
    [
      'tasks created',
      `${report.totalCreated} (${TASK_KINDS.map((kind) => `${kind} ${report.created[kind]}`).join(', ')})`,
    ],
    ['completed', String(report.completed)],
    ['failed', String(failed)],
    ['cancelled', String(report.cancelled)],
    ['lost', String(report.lost.length)],
    ['wrong results', String(report.wrongResults.length + report.memory.contradictions.length)],
    ['decisions imported twice', String(report.memory.importedTwice)],
    ['rows deleted twice', String(report.memory.deletedTwice)],
    [
      'cross-owner reads answered',
      `${report.crossOwner.leaked.length} of ${report.crossOwner.attempts} (${report.crossOwner.refused} refused, ${report.crossOwner.unanswered} unanswered)`,
    ],
    ['calls that created no task', String(report.notCreated.reduce((sum, [, count]) => sum + count, 0))],
    ['orphan tasks (created by a call whose answer was lost)', String(report.orphans)],
    ['kills', `${totalKills} (${COMPONENT_KINDS.map((kind) => `${kind} ${kills[kind]}`).join(', ')})`],
    ['median restart', COMPONENT_KINDS.map((kind) => `${kind} ${median(report.kills.restartMs[kind])}`).join(', ')],
    ['components that exited unkilled', String(report.kills.unplannedExits.length)],
    ['requests sent again after an outage', String(report.retries)],
    ['duration', `${(report.durationMs / 1000).toFixed(0)} s`],
  ];
  const lines = [
    `Chaos run: seed ${report.options.seed}, ${report.options.owners} owners, ${report.options.concurrency} jobs at once, ` +
      `${new Date(report.startedAt).toISOString()}`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
  ];
  if (report.failures.length > 0) {
    lines.push('', '| failed tool | reason | count | explained by |', '| --- | --- | --- | --- |');
    for (const line of report.failures)
      lines.push(
        `| ${line.kind} | ${line.reason.replace(/\|/g, '/')} | ${line.count} | ${line.why ?? 'UNEXPLAINED'} |`,
      );
  }
  const details: [string, string[]][] = [
    ['Lost', report.lost],
    ['Wrong results', [...report.wrongResults, ...report.memory.contradictions]],
    ['Duplicated side effects', report.memory.details],
    ['Cross-owner reads answered', report.crossOwner.leaked],
    ['Calls that created no task', report.notCreated.map(([reason, count]) => `${count} × ${reason}`)],
    ['Components that exited unkilled', report.kills.unplannedExits],
  ];
  for (const [title, items] of details) {
    if (items.length === 0) continue;
    lines.push('', `${title}:`, ...items.slice(0, 20).map((item) => `- ${item}`));
    if (items.length > 20) lines.push(`- … and ${items.length - 20} more`);
  }
  lines.push(
    '',
    report.verdict.length === 0
      ? 'Verdict: PASS (0 lost, 0 duplicated, 0 cross-owner, every failure explained)'
      : `Verdict: FAIL (${report.verdict.join('; ')})`,
  );
  return lines.join('\n');
}
