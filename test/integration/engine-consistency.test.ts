import { setTimeout as sleep } from 'node:timers/promises';
import { TaskStatusNotificationSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { TemporalTaskBackend } from '../../src/tasks/temporal-task-backend';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import type { TaskSpec } from '../../src/tasks/task-backend';
import { recordDescribes } from '../helpers/describe-spy';
import { startTestProduct, startedEagerly, testConfig } from '../helpers/product';
import { longRunningOperationWorkflow } from '../../workflows/tools/long-running-operation';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  connectMcpWithElicitation,
  getTask,
  listTasks,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';

type Client = TestClient['client'];

/** The fields every view of a task must agree on. */
function facts(
  task: Task | undefined,
): Pick<Task, 'taskId' | 'status' | 'statusMessage' | 'lastUpdatedAt'> | undefined {
  return (
    task && {
      taskId: task.taskId,
      status: task.status,
      statusMessage: task.statusMessage,
      lastUpdatedAt: task.lastUpdatedAt,
    }
  );
}

/** The task as every page of `tasks/list` shows it (undefined while visibility has not caught up). */
async function listed(client: Client, taskId: string): Promise<Task | undefined> {
  let cursor: string | undefined;
  do {
    const page = await listTasks(client, cursor);
    const found = page.tasks.find((task) => task.taskId === taskId);
    if (found) return found;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}

/** Polls `tasks/list` until the task is listed, and returns the entry. */
async function waitUntilListed(client: Client, taskId: string, timeoutMs = 30_000): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = await listed(client, taskId);
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`Task ${taskId} never appeared in tasks/list`);
}

/** A `long_running_operation` task of `duration` seconds in `steps` steps. */
function operationSpec(duration: number, steps: number, progressToken?: string): TaskSpec {
  return {
    tool: 'long_running_operation',
    workflow: longRunningOperationWorkflow,
    arguments: { duration, steps },
    timeLimitSeconds: 300,
    ...(progressToken !== undefined && { progressToken }),
  };
}

describe('the engine reports one truth per task in every view', () => {
  let config: Config;
  let product: RunningProduct;
  let mcp: TestClient;

  /** A second engine on the product's Temporal client, with no worker connection (starts are ordinary). */
  function engineWithoutWorker(): TemporalTaskBackend {
    return new TemporalTaskBackend({ client: product.client, taskQueue: config.taskQueue, limits: config.limits });
  }

  beforeAll(async () => {
    config = testConfig({ TASK_POLL_INTERVAL_MS: '100' });
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  it('keeps a cancelled task cancelled in tasks/get and tasks/list, even when its work ends as the cancel arrives', async () => {
    // The operation lasts 1 s; the cancels land from just before to just after its end, where the
    // activity's completion and the cancel request reach the workflow together.
    const delaysMs = [700, 800, 900, 950, 1000, 1050, 1100, 1150, 1200, 1300];
    let answeredCancelled = 0;
    for (let round = 0; round < 20; round++) {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 1 });
      await waitUntilListed(mcp.client, task.taskId);
      await sleep(delaysMs[round % delaysMs.length]);
      let cancelled: Task;
      try {
        cancelled = await cancelTask(mcp.client, task.taskId);
      } catch (err) {
        // The task completed before the cancel: then it must say so everywhere.
        expect((err as { code?: number }).code).toBe(-32602);
        expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
        continue;
      }
      answeredCancelled++;
      expect(cancelled.status).toBe('cancelled');
      // At once: no window in which either view still says working or completed.
      expect(facts(await getTask(mcp.client, task.taskId))).toEqual(facts(cancelled));
      expect(facts(await listed(mcp.client, task.taskId))).toEqual(facts(cancelled));
      // And once the workflow has closed, after the work would have finished.
      const handle = product.client.workflow.getHandle(
        workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId),
      );
      await handle.result().catch(() => undefined);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect(facts(await getTask(mcp.client, task.taskId))).toEqual(facts(cancelled));
      expect(facts(await listed(mcp.client, task.taskId))).toEqual(facts(cancelled));
    }
    expect(answeredCancelled).toBeGreaterThan(0);
  });

  it('gives a cancelled task the cancel time in the cancel answer, tasks/get, tasks/list and its status notification', async () => {
    const statuses: Task[] = [];
    const watcher = await connectMcp(product.mcpUrl!);
    try {
      watcher.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
        statuses.push(notification.params);
      });
      const task = await callToolAsTask(watcher.client, 'long_running_operation', { duration: 30, steps: 30 });
      await waitForTask(watcher.client, task.taskId, (t) => /^Step [1-9]/.test(t.statusMessage ?? ''));
      const before = Date.now();
      const cancelled = await cancelTask(watcher.client, task.taskId);
      expect(Date.parse(cancelled.lastUpdatedAt)).toBeGreaterThanOrEqual(before - 1000);
      const deadline = Date.now() + 30_000;
      while (!statuses.some((s) => s.taskId === task.taskId && s.status === 'cancelled') && Date.now() < deadline) {
        await sleep(100);
      }
      const notified = statuses.find((s) => s.taskId === task.taskId && s.status === 'cancelled');
      expect(facts(notified)).toEqual(facts(cancelled));
      expect(facts(await getTask(watcher.client, task.taskId))).toEqual(facts(cancelled));
      expect(facts(await listed(watcher.client, task.taskId))).toEqual(facts(cancelled));
    } finally {
      await watcher.close();
    }
  });

  it('lists an input_required task with the statusMessage and lastUpdatedAt tasks/get reports', async () => {
    // This client opens no GET stream and never calls tasks/result, so the question stays pending.
    const asker = await connectMcpWithElicitation(product.mcpUrl!, () => ({ action: 'cancel' }), {
      standaloneStream: false,
    });
    try {
      const tag = `consistency${Date.now().toString(36)}`;
      await asker.client.callTool({
        name: 'record_decision',
        arguments: { title: `${tag}-a`, decision: 'x', tags: [tag] },
      });
      const task = await callToolAsTask(asker.client, 'purge_decisions', { tag });
      const waiting = await waitForTask(asker.client, task.taskId, (t) => t.status === 'input_required');
      expect(waiting.statusMessage).toBe('Confirm deletion of 1 record?');
      expect(waiting.lastUpdatedAt).not.toBe(waiting.createdAt);
      expect(facts(await waitUntilListed(asker.client, task.taskId))).toEqual(facts(waiting));
      expect(facts(await getTask(asker.client, task.taskId))).toEqual(facts(waiting));
      await cancelTask(asker.client, task.taskId);
    } finally {
      await asker.close();
    }
  });

  it('starts a task eagerly on the worker of its own process, and plainly from a backend with no worker', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
    const eagerId = workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId);
    await product.client.workflow.getHandle(eagerId).result();
    expect(await startedEagerly(product.client, eagerId)).toBe(true);

    // The same engine without a worker's connection, as an MCP server that runs no worker is.
    const backend = engineWithoutWorker();
    const owner = { scope: 'engine-consistency-plain-start' };
    try {
      const plain = await backend.createTask(owner, operationSpec(0, 1));
      const plainId = workflowIdFor(owner, plain.taskId as TaskId);
      await product.client.workflow.getHandle(plainId).result();
      expect(await startedEagerly(product.client, plainId)).toBe(false);
    } finally {
      backend.close();
    }
  });

  it('answers the result of a task only once it is terminal, without waiting inside the engine', async () => {
    const backend = engineWithoutWorker();
    const owner = { scope: 'engine-consistency-owner' };
    try {
      const task = await backend.createTask(owner, operationSpec(60, 60));
      // A backend that waited here would not settle for a minute; the race makes that a failure.
      const outcome = await Promise.race([
        backend.getTaskResult(owner, task.taskId).then(
          () => 'resolved',
          (err: Error) => err.name,
        ),
        sleep(10_000).then(() => 'still waiting'),
      ]);
      expect(outcome).toBe('TaskNotTerminalError');
      await backend.cancelTask(owner, task.taskId);
      expect(await backend.getTaskResult(owner, task.taskId)).toEqual({
        content: [{ type: 'text', text: 'The task was cancelled.' }],
        isError: true,
      });
    } finally {
      backend.close();
    }
  });

  it('knows a task it started and saw complete without a describe(), exactly as a fresh read reports it', async () => {
    const backend = engineWithoutWorker();
    const elsewhere = engineWithoutWorker();
    const owner = { scope: 'engine-consistency-close-owner' };
    const { described, restore: restoreDescribes } = recordDescribes(product.client);
    try {
      const done = await backend.createTask(owner, operationSpec(0, 1, 'close-progress'));
      const workflowId = workflowIdFor(owner, done.taskId as TaskId);
      expect((await backend.waitForTaskEnd(owner, done.taskId))?.isError).toBeFalsy();
      const known = await backend.getTask(owner, done.taskId);
      expect(described.filter((id) => id === workflowId)).toHaveLength(0);
      // Another replica reads it from Temporal and reports the same task, field for field.
      const read = await elsewhere.getTask(owner, done.taskId);
      expect(described.filter((id) => id === workflowId)).toHaveLength(1);
      expect(known).toEqual(read);
      expect(known).toMatchObject({ status: 'completed', progressToken: 'close-progress' });
      expect((await backend.getTaskResult(owner, done.taskId)).isError).toBeFalsy();

      // Completed before the wait began: the close event still answers, as this process knows its expiry.
      const early = await backend.createTask(owner, operationSpec(0, 1));
      const earlyId = workflowIdFor(owner, early.taskId as TaskId);
      while ((await elsewhere.getTask(owner, early.taskId)).status !== 'completed') {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const readsBefore = described.filter((id) => id === earlyId).length;
      expect((await backend.waitForTaskEnd(owner, early.taskId))?.content).toEqual(
        (await elsewhere.getTaskResult(owner, early.taskId)).content,
      );
      expect((await backend.getTask(owner, early.taskId)).status).toBe('completed');
      expect(described.filter((id) => id === earlyId)).toHaveLength(readsBefore);
      // Another process, which did not start it, leaves such a task to a read.
      expect(await elsewhere.waitForTaskEnd(owner, early.taskId)).toBeUndefined();
    } finally {
      restoreDescribes();
      backend.close();
      elsewhere.close();
    }
  });

  it('reads a finished task from Temporal once: later tasks/get and tasks/result of it need no describe()', async () => {
    const backend = engineWithoutWorker();
    const owner = { scope: 'engine-consistency-cache-owner' };
    const { described, restore: restoreDescribes } = recordDescribes(product.client);
    try {
      const start = (duration: number) => backend.createTask(owner, operationSpec(duration, Math.max(duration, 1)));
      const running = await start(60);
      const workflowId = workflowIdFor(owner, running.taskId as TaskId);
      // A running task is read afresh every time.
      await backend.getTask(owner, running.taskId);
      await backend.getTask(owner, running.taskId);
      expect(described.filter((id) => id === workflowId)).toHaveLength(2);

      const done = await start(0);
      const doneId = workflowIdFor(owner, done.taskId as TaskId);
      await backend.waitForTaskEnd(owner, done.taskId);
      const first = await backend.getTask(owner, done.taskId);
      expect(first.status).toBe('completed');
      const readsAfterEnd = described.filter((id) => id === doneId).length;
      expect(await backend.getTask(owner, done.taskId)).toEqual(first);
      expect((await backend.getTaskResult(owner, done.taskId)).isError).toBeFalsy();
      expect(described.filter((id) => id === doneId)).toHaveLength(readsAfterEnd);
      // Another owner still finds nothing under the same task id.
      await expect(backend.getTask({ scope: 'someone-else' }, done.taskId)).rejects.toThrow(/not found/i);
      await backend.cancelTask(owner, running.taskId);
    } finally {
      restoreDescribes();
      backend.close();
    }
  });
});
