import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { clusterComponents, MEMORY_DATABASE, missingComponents, postgresDataDir } from '../../src/cluster/cluster';
import { isLive, runningPid, waitForExit } from '../../src/cluster/detached';
import { startPostgres } from '../../src/cluster/postgres';
import { loadClusterSettings } from '../../src/cluster/settings';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  connectMcpWithElicitation,
  getTask,
  getTaskResult,
  listTasks,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';
import { runClusterScript } from './cluster-process';

/**
 * The production topology on this machine (`npm run cluster:up`): a Temporal server on PostgreSQL, two
 * MCP replicas and two workers as separate processes. Replica A and replica B share nothing but the
 * session secret, Temporal and the memory's database.
 */
const [urlA, urlB] = (process.env.CLUSTER_MCP_URLS ?? '').split(',') as [string, string];
const settings = loadClusterSettings(process.env);
const components = clusterComponents(settings);

type Client = TestClient['client'];

async function record(client: Client, title: string, tags: string[]): Promise<void> {
  const result = await client.callTool({
    name: 'record_decision',
    arguments: { title, decision: `${title} decided`, tags },
  });
  expect(result.isError).toBeFalsy();
}

/** Lists the session's tasks through `client` until `taskId` appears (visibility is eventually consistent). */
async function waitUntilListed(client: Client, taskId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listTasks(client, cursor);
      ids.push(...page.tasks.map((task) => task.taskId));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    if (ids.includes(taskId)) return;
    if (Date.now() > deadline)
      throw new Error(`Task ${taskId} was not listed within ${timeoutMs} ms; listed: ${ids.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function recentTitles(client: Client, tag: string): Promise<string[]> {
  const result = await client.callTool({ name: 'get_recent_decisions', arguments: { limit: 100, tag } });
  return (result.structuredContent as { decisions: { title: string }[] }).decisions.map((d) => d.title).sort();
}

let tagCounter = 0;
const freshTag = (): string => `cluster${Date.now().toString(36)}${tagCounter++}`;

describe('the cluster: two MCP replicas and two workers on a Temporal server on PostgreSQL', () => {
  it('serves a session opened on replica A on replica B, under the same session id', async () => {
    const a = await connectMcp(urlA);
    const b = await connectMcp(urlB, { sessionId: a.sessionId() });
    try {
      expect(a.sessionId()).not.toBe('');
      expect(b.sessionId()).toBe(a.sessionId());
      const task = await callToolAsTask(a.client, 'long_running_operation', { duration: 0, steps: 1 });
      expect(await getTaskResult(b.client, task.taskId)).toMatchObject({
        content: [{ type: 'text', text: 'Long running operation completed. Duration: 0 seconds, Steps: 1.' }],
      });
      // Another session, on either replica, does not see it.
      const stranger = await connectMcp(urlB);
      await expect(getTask(stranger.client, task.taskId)).rejects.toThrow();
      await stranger.close();
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('reads, lists and answers through replica B a purge created through replica A', async () => {
    const a = await connectMcpWithElicitation(urlA, () => ({ action: 'decline' }), { standaloneStream: false });
    const b = await connectMcpWithElicitation(urlB, () => ({ action: 'accept', content: { confirmed: true } }), {
      sessionId: a.sessionId(),
      standaloneStream: false,
    });
    try {
      const tag = freshTag();
      for (const title of ['x', 'y', 'z']) await record(a.client, `${tag}-${title}`, [tag]);
      const task = await callToolAsTask(a.client, 'purge_decisions', { tag });

      const waiting = await waitForTask(b.client, task.taskId, (t) => t.status === 'input_required');
      expect(waiting.statusMessage).toBe('Confirm deletion of 3 records?');
      await waitUntilListed(b.client, task.taskId);
      const result = await getTaskResult(b.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 3 });
      // The question reached the client on B's result stream only, and A reads the outcome.
      expect(b.questions).toHaveLength(1);
      expect(a.questions).toHaveLength(0);
      expect((await getTask(a.client, task.taskId)).status).toBe('completed');
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('cancels through replica B a task created through replica A', async () => {
    const a = await connectMcp(urlA);
    const b = await connectMcp(urlB, { sessionId: a.sessionId() });
    try {
      const task = await callToolAsTask(a.client, 'long_running_operation', { duration: 120, steps: 120 });
      await waitForTask(b.client, task.taskId, (t) => /^Step [1-9]\d*\/120$/.test(t.statusMessage ?? ''));
      const cancelled = await cancelTask(b.client, task.taskId);
      expect(cancelled.status).toBe('cancelled');
      expect((await waitForTask(a.client, task.taskId, (t) => t.status !== 'working')).status).toBe('cancelled');
      await waitUntilListed(a.client, task.taskId);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('completes a task whose workers were all killed with SIGKILL mid-task, once cluster:up restarts them', async () => {
    const a = await connectMcp(urlA);
    const b = await connectMcp(urlB, { sessionId: a.sessionId() });
    const connection = await Connection.connect({ address: process.env.CLUSTER_TEMPORAL_ADDRESS });
    try {
      const task = await callToolAsTask(a.client, 'long_running_operation', { duration: 8, steps: 8 });
      await waitForTask(b.client, task.taskId, (t) => /^Step [1-9]\/8$/.test(t.statusMessage ?? ''));

      const pids = components.workers.map((worker) => runningPid(worker));
      expect(pids.every((pid) => pid !== undefined)).toBe(true);
      for (const pid of pids) process.kill(pid!, 'SIGKILL');
      for (const [i, pid] of pids.entries()) {
        expect(await waitForExit(pid!, components.workers[i]!.marker, 10_000)).toBe(true);
      }

      const up = await runClusterScript('up');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/^Ready: /m);
      expect(up.stderr).toContain('Started worker-1, worker-2');
      for (const worker of components.workers) expect(isLive(runningPid(worker)!, worker.marker)).toBe(true);

      const result = await getTaskResult(a.client, task.taskId, 180_000);
      expect(result).toMatchObject({
        content: [{ type: 'text', text: 'Long running operation completed. Duration: 8 seconds, Steps: 8.' }],
      });
      // The activity really was cut off: a second attempt finished it.
      const client = new TemporalClient({ connection, namespace: settings.namespace });
      const history = await client.workflow
        .getHandle(workflowIdFor({ scope: `session:${a.sessionId()}` }, task.taskId as TaskId))
        .fetchHistory();
      const attempts = (history.events ?? []).flatMap((event) =>
        event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt ?? 1] : [],
      );
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    } finally {
      await connection.close();
      await b.close();
      await a.close();
    }
  });

  it('says so and exits 0 when asked to start a cluster that runs', async () => {
    const up = await runClusterScript('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toBe(`Already running: mcp=${urlA},${urlB} temporal=${process.env.CLUSTER_TEMPORAL_ADDRESS}\n`);
  });

  it('refuses to start a second cluster on the ports of the first, naming the setting that moves it', async () => {
    const otherDataDir = mkdtempSync(path.join(tmpdir(), 'cluster-other-'));
    try {
      const up = await runClusterScript('up', { env: { DATA_DIR: otherDataDir } });
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(
        `Port ${settings.postgresPort} on 127.0.0.1 (PostgreSQL) is already in use: stop what listens there, or set CLUSTER_POSTGRES_PORT`,
      );
      expect(up.stdout).toBe('');
    } finally {
      rmSync(otherDataDir, { recursive: true, force: true });
    }
  });

  it('keeps tasks, sessions and the memory across cluster:down and cluster:up', async () => {
    const a = await connectMcp(urlA);
    const sessionId = a.sessionId();
    const tag = freshTag();
    await record(a.client, `${tag}-kept`, [tag]);
    const task = await callToolAsTask(a.client, 'long_running_operation', { duration: 0, steps: 1 });
    const before = await getTaskResult(a.client, task.taskId);
    await a.close();

    const down = await runClusterScript('down');
    expect(down.code).toBe(0);
    expect(missingComponents(settings).sort()).toEqual(
      ['mcp-a', 'mcp-b', 'postgres', 'temporal', 'worker-1', 'worker-2'].sort(),
    );
    const up = await runClusterScript('up');
    expect(up.code).toBe(0);
    expect(up.stdout).toBe(`Ready: mcp=${urlA},${urlB} temporal=${process.env.CLUSTER_TEMPORAL_ADDRESS}\n`);
    expect(missingComponents(settings)).toEqual([]);

    const b = await connectMcp(urlB, { sessionId });
    try {
      expect((await getTask(b.client, task.taskId)).status).toBe('completed');
      expect(await getTaskResult(b.client, task.taskId)).toEqual(before);
      expect(await recentTitles(b.client, tag)).toEqual([`${tag}-kept`]);
    } finally {
      await b.close();
    }
    // The workers keep the memory in the cluster's PostgreSQL (DATABASE_URL), not in a file of their own.
    const postgres = await startPostgres({
      dataDir: postgresDataDir(settings),
      port: settings.postgresPort,
    });
    const memory = new PgClient({ connectionString: postgres.urlFor(MEMORY_DATABASE) });
    await memory.connect();
    try {
      const rows = await memory.query('SELECT title FROM decisions WHERE title = $1', [`${tag}-kept`]);
      expect(rows.rowCount).toBe(1);
    } finally {
      await memory.end();
    }
  });
});
