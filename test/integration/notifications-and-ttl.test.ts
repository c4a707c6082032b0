import {
  CreateTaskResultSchema,
  ProgressNotificationSchema,
  TaskStatusNotificationSchema,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import { cleanupScheduleId } from '../../src/temporal/cleanup-schedule';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  errorCodeOf,
  getTask,
  getTaskResult,
  listTasks,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('progress and status notifications', () => {
  let product: RunningProduct;
  let mcp: TestClient;

  beforeAll(async () => {
    product = await startTestProduct(testConfig());
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  it('shows activity progress as statusMessage while the task runs', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 6, steps: 3 });
    const seen = await waitForTask(mcp.client, task.taskId, (t) => /^Step [12]\/3$/.test(t.statusMessage ?? ''));
    expect(seen.status).toBe('working');
    await getTaskResult(mcp.client, task.taskId);
  });

  it("§1.16 #44: sends notifications/progress for the progressToken of the creating request, for the task's whole life", async () => {
    const progress: { progress: number; total?: number; message?: string; _meta?: Record<string, unknown> }[] = [];
    mcp.client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
      if (notification.params.progressToken === 'tok-1') progress.push(notification.params);
    });
    const { task } = await mcp.client.request(
      {
        method: 'tools/call',
        params: {
          name: 'long_running_operation',
          arguments: { duration: 4, steps: 4 },
          task: {},
          _meta: { progressToken: 'tok-1' },
        },
      },
      CreateTaskResultSchema,
    );
    await getTaskResult(mcp.client, task.taskId);
    const deadline = Date.now() + 5000;
    while (!progress.some((p) => p.progress === 4) && Date.now() < deadline) await sleep(100);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ progress: 4, total: 4 });
    expect(progress.some((p) => /^Step [1-4]\/4$/.test(p.message ?? ''))).toBe(true);
    for (const p of progress)
      expect(p._meta).toEqual({ 'io.modelcontextprotocol/related-task': { taskId: task.taskId } });
  });

  it('§1.16 #33 #34: sends notifications/tasks/status with the full task when a task changes status, without related-task _meta', async () => {
    const statuses: (Task & { _meta?: unknown })[] = [];
    mcp.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
      statuses.push(notification.params);
    });
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 1 });
    await getTaskResult(mcp.client, task.taskId);
    const deadline = Date.now() + 5000;
    while (!statuses.some((s) => s.taskId === task.taskId) && Date.now() < deadline) await sleep(100);
    const mine = statuses.filter((s) => s.taskId === task.taskId);
    expect(mine.at(-1)).toMatchObject({
      taskId: task.taskId,
      status: 'completed',
      ttl: task.ttl,
      createdAt: task.createdAt,
    });
    expect(mine.at(-1)?._meta).toBeUndefined();
  });

  it('sends the status notification of a cancelled task with exactly what tasks/cancel answered, cancel time included', async () => {
    const statuses: Task[] = [];
    mcp.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
      statuses.push(notification.params);
    });
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 30 });
    // Let the task report progress first, so that its last recorded change is older than the cancel.
    await waitForTask(mcp.client, task.taskId, (t) => /^Step \d+\/30$/.test(t.statusMessage ?? ''));
    const cancelSentAt = Date.now();
    const answer = await cancelTask(mcp.client, task.taskId);
    expect(Date.parse(answer.lastUpdatedAt)).toBeGreaterThanOrEqual(cancelSentAt - 1);
    const deadline = Date.now() + 10_000;
    while (!statuses.some((s) => s.taskId === task.taskId) && Date.now() < deadline) await sleep(50);
    const mine = statuses.filter((s) => s.taskId === task.taskId);
    expect(mine).toEqual([{ ...answer }]);
  });

  it('reports progress to the progressToken of an optional tool called without a task, up to full progress', async () => {
    // A client of its own: another test replaced the shared client's progress handler.
    const fresh = await connectMcp(product.mcpUrl!);
    try {
      const progress: number[] = [];
      let last: { progress: number; total?: number } | undefined;
      const result = await fresh.client.callTool(
        { name: 'long_running_operation', arguments: { duration: 3, steps: 3 } },
        undefined,
        {
          onprogress: (p) => {
            progress.push(p.progress);
            last = p;
          },
          timeout: 60_000,
        },
      );
      expect(result.content).toEqual([
        { type: 'text', text: 'Long running operation completed. Duration: 3 seconds, Steps: 3.' },
      ]);
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
      // The progress bar ends full when the call answers, not one step short.
      expect(last).toMatchObject({ progress: 3, total: 3 });
    } finally {
      await fresh.close();
    }
  });
});

describe('TTL', () => {
  let product: RunningProduct;
  let mcp: TestClient;
  let taskQueue: string;

  beforeAll(async () => {
    const config = testConfig();
    taskQueue = config.taskQueue;
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  it('answers "not found" on every operation once a finished task\'s TTL has run out', async () => {
    // Long enough for the task to finish within its TTL on a loaded machine (else its result is kept 60 s more).
    const ttl = 10_000;
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 }, { ttl });
    await getTaskResult(mcp.client, task.taskId);
    expect((await getTask(mcp.client, task.taskId)).ttl).toBe(ttl);
    await untilTtlPassed(task.createdAt, ttl);
    expect(await errorCodeOf(getTask(mcp.client, task.taskId))).toBe(-32602);
    expect(await errorCodeOf(getTaskResult(mcp.client, task.taskId))).toBe(-32602);
    expect(await errorCodeOf(cancelTask(mcp.client, task.taskId))).toBe(-32602);
    expect((await listTasks(mcp.client)).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
  });

  it('never expires a running task, and keeps the result of a task that outlived its TTL for a while', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 3, steps: 3 }, { ttl: 500 });
    await untilTtlPassed(task.createdAt, 500);
    expect((await getTask(mcp.client, task.taskId)).status).toBe('working');
    const result = await getTaskResult(mcp.client, task.taskId);
    expect(result.isError).toBeFalsy();
    const closed = await getTask(mcp.client, task.taskId);
    expect(closed.status).toBe('completed');
    expect(closed.ttl).toBeGreaterThanOrEqual(Date.parse(closed.lastUpdatedAt) - Date.parse(closed.createdAt) + 60_000);
  });

  it('deletes expired executions from Temporal through the clean-up Schedule, and leaves the others', async () => {
    const expiring = await callToolAsTask(
      mcp.client,
      'long_running_operation',
      { duration: 0, steps: 1 },
      { ttl: 10_000 },
    );
    const kept = await callToolAsTask(
      mcp.client,
      'long_running_operation',
      { duration: 0, steps: 1 },
      { ttl: 600_000 },
    );
    await getTaskResult(mcp.client, expiring.taskId);
    await getTaskResult(mcp.client, kept.taskId);
    await untilTtlPassed(expiring.createdAt, 10_000);
    const owner = { scope: `session:${mcp.sessionId()}` };
    const expiringHandle = product.client.workflow.getHandle(workflowIdFor(owner, expiring.taskId as TaskId));
    const keptHandle = product.client.workflow.getHandle(workflowIdFor(owner, kept.taskId as TaskId));
    expect((await expiringHandle.describe()).status.name).toBe('COMPLETED');

    const schedule = product.client.schedule.getHandle(cleanupScheduleId(taskQueue));
    const before = (await schedule.describe()).info.recentActions.length;
    await schedule.trigger();
    let cleanupWorkflowId: string | undefined;
    for (let i = 0; i < 100 && !cleanupWorkflowId; i++) {
      const actions = (await schedule.describe()).info.recentActions;
      if (actions.length > before) cleanupWorkflowId = actions.at(-1)!.action.workflow.workflowId;
      else await sleep(200);
    }
    expect(cleanupWorkflowId).toBeDefined();
    const cleanup = (await product.client.workflow.getHandle(cleanupWorkflowId!).result()) as { deleted: number };
    expect(cleanup.deleted).toBeGreaterThanOrEqual(1);
    // Temporal deletes asynchronously: the execution disappears shortly after the request.
    let gone = false;
    for (let i = 0; i < 120 && !gone; i++) {
      gone = await expiringHandle.describe().then(
        () => false,
        (err: Error) => err.name === 'WorkflowNotFoundError',
      );
      if (!gone) await sleep(500);
    }
    expect(gone).toBe(true);
    expect((await keptHandle.describe()).status.name).toBe('COMPLETED');
    expect((await getTask(mcp.client, kept.taskId)).status).toBe('completed');
  });
});

/** Waits until a task's TTL, counted from its creation, has run out by the local clock. */
async function untilTtlPassed(createdAt: string, ttlMs: number): Promise<void> {
  const expiresAt = Date.parse(createdAt) + ttlMs;
  while (Date.now() <= expiresAt) await sleep(Math.min(500, expiresAt - Date.now() + 1));
}
