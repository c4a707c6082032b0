import { rmSync } from 'node:fs';
import path from 'node:path';
import { CancelTaskResultSchema, ListTasksResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as PgClient } from 'pg';
import { clusterEndpoints, MEMORY_DATABASE, postgresDataDir, upCluster } from '../../src/cluster/cluster';
import { startPostgres } from '../../src/cluster/postgres';
import type { ClusterSettings } from '../../src/cluster/settings';
import { killAndRestart, type KillRecord } from './killer';
import { runJob, type LoadState, type TrackedTask } from './load';
import { SeededRandom, type ChaosOptions } from './options';
import { ChaosOwner } from './owner';
import { buildReport, type ChaosReport, type MemoryFinding } from './report';

/** At most this long (or a third of the time limit) is kept at the end for tasks to settle. */
const MAX_SETTLE_MS = 300_000;

/**
 * One chaos run against a running cluster: a mixed load through both MCP replicas by several owners,
 * while components are killed with SIGKILL and restarted; then every task is awaited and the memory
 * checked. Leaves the cluster running with every component up.
 */
export async function runChaos(
  options: ChaosOptions,
  settings: ClusterSettings,
  say: (line: string) => void,
): Promise<ChaosReport> {
  const startedAt = Date.now();
  const settleUntil = startedAt + options.timeLimitMs;
  const createUntil = settleUntil - Math.min(MAX_SETTLE_MS, options.timeLimitMs / 3);
  const urls = clusterEndpoints(settings).mcpUrls;
  const runId = `chaos${startedAt.toString(36)}`;
  const owners = await Promise.all(
    Array.from({ length: options.owners }, (_, i) => ChaosOwner.open(`owner-${i + 1}`, urls, createUntil)),
  );
  const state: LoadState = {
    owners,
    datasetsDir: path.join(settings.dataDir, 'datasets'),
    runId,
    createUntil,
    settleUntil,
    tasks: [],
    crossOwner: { attempts: 0, refused: 0, leaked: [], unanswered: 0 },
    notCreated: new Map(),
  };
  try {
    let killing = true;
    const killer = killAndRestart({
      settings,
      kills: options.kills,
      intervalMs: options.killIntervalMs,
      random: new SeededRandom(options.seed),
      until: createUntil,
      say,
    }).finally(() => (killing = false));
    // Jobs keep coming until both the task count and the kills are done, so that every kill meets load.
    let nextJob = 0;
    const jobLoop = async (): Promise<void> => {
      while (Date.now() < createUntil && (state.tasks.length < options.tasks || killing)) {
        const index = nextJob++;
        await runJob(state, index, new SeededRandom(options.seed * 7919 + index + 1));
      }
    };
    const progress = setInterval(() => say(progressLine(state)), 10_000);
    let kills: KillRecord;
    try {
      [kills] = await Promise.all([killer, ...Array.from({ length: options.concurrency }, jobLoop)]);
    } finally {
      clearInterval(progress);
    }
    say(progressLine(state));
    // A restart cut short by the time bound would leave a component down: bring the cluster back whole.
    await upCluster(settings, say);
    const orphans = await countOrphans(state);
    const memory = await checkMemory(settings, state);
    return buildReport({ options, startedAt, endedAt: Date.now(), state, kills, orphans, memory });
  } finally {
    await Promise.all(owners.map((owner) => owner.close()));
    rmSync(path.join(state.datasetsDir, runId), { recursive: true, force: true });
  }
}

function progressLine(state: LoadState): string {
  const settled = state.tasks.filter((task) => task.outcome !== undefined).length;
  return `chaos: ${state.tasks.length} tasks created, ${settled} settled`;
}

/**
 * Tasks the owners' lists hold that the load never learned of: a `tools/call` whose answer was lost
 * with its replica created one, and the retry created another. Counted, not failures: the client never
 * had their ids. Those still waiting for a confirmation are cancelled, so that they end.
 */
async function countOrphans(state: LoadState): Promise<number> {
  const known = new Set(state.tasks.map((task) => task.taskId));
  let orphans = 0;
  for (const owner of state.owners) {
    let cursor: string | undefined;
    do {
      const page = await owner.request(Date.now() + 60_000, (client) =>
        client.request(
          { method: 'tasks/list', params: cursor === undefined ? {} : { cursor } },
          ListTasksResultSchema,
          { timeout: 15_000 },
        ),
      );
      for (const task of page.tasks) {
        if (known.has(task.taskId)) continue;
        orphans++;
        if (task.status !== 'input_required' && task.status !== 'working') continue;
        await owner
          .request(Date.now() + 30_000, (client) =>
            client.request({ method: 'tasks/cancel', params: { taskId: task.taskId } }, CancelTaskResultSchema, {
              timeout: 15_000,
            }),
          )
          .catch(() => undefined);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  return orphans;
}

/**
 * Reads the memory's PostgreSQL directly: per tag of this run, the rows and distinct titles. Each file
 * of an import has distinct titles, so a title stored twice is a decision imported twice; a purge
 * that reports more than its tag held deleted rows twice; and rows left behind a completed purge, or
 * missing after a completed import, contradict what the task reported.
 */
async function checkMemory(settings: ClusterSettings, state: LoadState): Promise<MemoryFinding> {
  const postgres = await startPostgres({ dataDir: postgresDataDir(settings), port: settings.postgresPort });
  const memory = new PgClient({ connectionString: postgres.urlFor(MEMORY_DATABASE) });
  await memory.connect();
  const stored = new Map<string, { rows: number; titles: number }>();
  try {
    const result = await memory.query<{ tag: string; rows: number; titles: number }>(
      `SELECT t.tag, count(*)::int AS rows, count(DISTINCT d.title)::int AS titles
         FROM decision_tags t JOIN decisions d ON d.id = t.decision_id
        WHERE t.tag LIKE $1 GROUP BY t.tag`,
      [`${state.runId}-%`],
    );
    for (const row of result.rows) stored.set(row.tag, { rows: row.rows, titles: row.titles });
  } finally {
    await memory.end();
  }
  const finding: MemoryFinding = { importedTwice: 0, deletedTwice: 0, details: [], contradictions: [] };
  const purges = new Map<string, TrackedTask>();
  for (const task of state.tasks) if (task.kind === 'purge_decisions' && task.tag) purges.set(task.tag, task);
  for (const task of state.tasks) {
    if (task.kind !== 'import_decisions' || task.tag === undefined) continue;
    const { rows, titles } = stored.get(task.tag) ?? { rows: 0, titles: 0 };
    if (rows > titles) {
      finding.importedTwice += rows - titles;
      finding.details.push(`${task.tag}: ${rows - titles} decisions stored twice (task ${task.taskId})`);
    }
    const purge = purges.get(task.tag);
    if (purge?.outcome === 'completed') {
      const deleted = purge.deleted ?? 0;
      if (deleted > (purge.expectedRows ?? 0)) {
        finding.deletedTwice += deleted - (purge.expectedRows ?? 0);
        finding.details.push(
          `${task.tag}: purge reported ${deleted} deleted of ${purge.expectedRows} (task ${purge.taskId})`,
        );
      } else if (deleted < (purge.expectedRows ?? 0)) {
        finding.contradictions.push(`${task.tag}: purge deleted ${deleted} of the ${purge.expectedRows} it was given`);
      }
      if (rows > 0) finding.contradictions.push(`${task.tag}: ${rows} decisions left after a completed purge`);
    } else if (purge === undefined && task.outcome === 'completed' && titles < (task.expectedRows ?? 0)) {
      finding.contradictions.push(
        `${task.tag}: ${titles} of ${task.expectedRows} decisions stored after a completed import`,
      );
    }
  }
  return finding;
}
