import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunningProduct } from '../../src/app';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { RecordingObserver, startTestProduct, testConfig } from '../helpers/product';
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

describe('failed tasks, owners and listing', () => {
  let product: RunningProduct;
  let alice: TestClient;
  let bob: TestClient;
  let dataDir: string;
  const observer = new RecordingObserver();

  beforeAll(async () => {
    const config = testConfig({ TOOL_TIME_LIMITS: 'long_running_operation=3', TASK_LIST_PAGE_SIZE: '3' });
    dataDir = config.dataDir;
    product = await startTestProduct(config, { activityObserver: observer });
    alice = await connectMcp(product.mcpUrl!);
    bob = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await product?.close();
  });

  it("§1.16 #19 #27: fails a task whose file is missing, naming the path as given (not the server's) in statusMessage and in an isError result", async () => {
    const task = await callToolAsTask(alice.client, 'analyze_dataset', { source: 'missing/nothing-here.csv' });
    const failed = await waitForTask(alice.client, task.taskId, (t) => t.status === 'failed');
    expect(failed.statusMessage).toBe('file not found: missing/nothing-here.csv');
    const result = await getTaskResult(alice.client, task.taskId);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('file not found: missing/nothing-here.csv');
    expect(JSON.stringify(result)).not.toContain(dataDir);
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
  });

  it.each([['../outside.csv'], ['/etc/passwd.csv']])('fails with "access denied" for %s', async (source) => {
    const task = await callToolAsTask(alice.client, 'analyze_dataset', { source, format: 'csv' });
    const failed = await waitForTask(alice.client, task.taskId, (t) => t.status === 'failed');
    expect(failed.statusMessage).toMatch(/access denied/i);
  });

  it('completes analyze_dataset on a small file with the declared structuredContent', async () => {
    writeFileSync(path.join(dataDir, 'datasets', 'small.csv'), 'name,age\nann,30\nbob,\ncid,50\nbroken\n');
    const task = await callToolAsTask(alice.client, 'analyze_dataset', { source: 'small.csv' });
    const result = await getTaskResult(alice.client, task.taskId);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      rows: 3,
      invalidRows: 1,
      columns: { age: { count: 2, nulls: 1, min: 30, max: 50, mean: 40 }, name: { count: 3, distinct: 3 } },
    });
    expect((result.content[0] as { text: string }).text).toContain('3 rows');
  });

  it('fails a task that exceeds its time limit with a message saying so', async () => {
    const task = await callToolAsTask(alice.client, 'long_running_operation', { duration: 30, steps: 30 });
    const failed = await waitForTask(alice.client, task.taskId, (t) => t.status === 'failed', 30_000);
    expect(failed.statusMessage).toBe('The task timed out after 3 seconds (its time limit).');
    expect((await getTaskResult(alice.client, task.taskId)).isError).toBe(true);
    // The running activity learns through its heartbeat that the workflow is gone, and stops.
    const deadline = Date.now() + 15_000;
    while (!observer.cancellations.some((c) => c.workflowId.endsWith(task.taskId)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(observer.cancellations.find((c) => c.workflowId.endsWith(task.taskId))?.activityType).toBe('runTimedSteps');
  });

  it('reports a task terminated by an operator as failed, with the reason', async () => {
    const task = await callToolAsTask(alice.client, 'long_running_operation', { duration: 2, steps: 2 });
    const workflowId = workflowIdFor({ scope: `session:${alice.sessionId()}` }, task.taskId as TaskId);
    await product.client.workflow.getHandle(workflowId).terminate('stuck on a bad input');
    const failed = await waitForTask(alice.client, task.taskId, (t) => t.status === 'failed');
    expect(failed.statusMessage).toBe('The task was terminated by an operator: stuck on a bad input');
  });

  it("§1.16 #42: hides one session's tasks from another: get, result and cancel answer exactly like an unknown id", async () => {
    const task = await callToolAsTask(alice.client, 'long_running_operation', { duration: 1, steps: 1 });
    for (const call of [getTask, (c: typeof bob.client, id: string) => getTaskResult(c, id, 10_000), cancelTask]) {
      const err = await call(bob.client, task.taskId).then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
      const unknown = await call(bob.client, 'ffffffffffffffffffffffffffffffff').then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
      expect(err?.code).toBe(-32602);
      expect(err?.message.replace(task.taskId, 'ID')).toBe(
        unknown?.message.replace('ffffffffffffffffffffffffffffffff', 'ID'),
      );
    }
    expect((await listTasks(bob.client)).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
    expect((await getTask(alice.client, task.taskId)).taskId).toBe(task.taskId);
  });

  it("§1.16 #3 #35 #37 #38: lists only the caller's tasks in visibility's order (finished ones most recently finished first), across pages with an opaque cursor", async () => {
    const owner = await connectMcp(product.mcpUrl!);
    try {
      const created: string[] = [];
      for (let i = 0; i < 7; i++) {
        created.push((await callToolAsTask(owner.client, 'long_running_operation', { duration: 0, steps: 1 })).taskId);
      }
      // Under load the tasks finish in any order, so the list is compared once all have finished.
      const deadline = Date.now() + 20_000;
      let seen: { taskId: string; status: string; lastUpdatedAt: string }[] = [];
      while (Date.now() < deadline) {
        seen = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await listTasks(owner.client, cursor);
          expect(page.tasks.length).toBeLessThanOrEqual(3);
          seen.push(...page.tasks);
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        if (seen.length === 7 && seen.every((t) => t.status === 'completed')) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(seen.map((t) => t.taskId).sort()).toEqual([...created].sort());
      expect(seen.every((t) => t.status === 'completed')).toBe(true);
      const finishedAt = seen.map((t) => Date.parse(t.lastUpdatedAt));
      expect(finishedAt).toEqual([...finishedAt].sort((a, b) => b - a));
    } finally {
      await owner.close();
    }
  });

  it('§1.16 #36: rejects an invalid tasks/list cursor with -32602', async () => {
    expect(await errorCodeOf(listTasks(alice.client, 'not-a-cursor'))).toBe(-32602);
    expect(await errorCodeOf(listTasks(alice.client, Buffer.from('[1,"x"]').toString('base64url')))).toBe(-32602);
  });
});
