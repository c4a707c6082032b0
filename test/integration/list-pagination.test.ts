import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  getTaskResult,
  listTasks,
  type TestClient,
} from '../helpers/mcp-client';

const TASKS = 40;
const PAGE_SIZE = 3;

describe('tasks/list pagination', () => {
  let product: RunningProduct;
  let mcp: TestClient;
  let taskQueue: string;

  beforeAll(async () => {
    const config = testConfig({ TASK_LIST_PAGE_SIZE: String(PAGE_SIZE) });
    taskQueue = config.taskQueue;
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  /** Waits until visibility counts `expected` executions for `query`. */
  async function visibilityCount(query: string, expected: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await product.client.workflow.count(query)).count < expected) {
      if (Date.now() > deadline) throw new Error(`Visibility never counted ${expected} for ${query}`);
      await sleep(200);
    }
  }

  /** Every page, following the cursors; the ids in the order they were listed. */
  async function allPages(): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await listTasks(mcp.client, cursor);
      expect(page.tasks.length).toBeLessThanOrEqual(PAGE_SIZE);
      ids.push(...page.tasks.map((task) => task.taskId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('pages many tasks created at the same moment with no gap and no duplicate', async () => {
    const created = await Promise.all(
      Array.from({ length: TASKS }, () =>
        callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 }),
      ),
    );
    const expected = created.map((task) => task.taskId).sort();
    // Visibility lags: wait until it holds every task as finished (a task that finishes while a client
    // pages moves to the finished part of the order and may be listed twice), then page through once.
    await visibilityCount(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Completed"`, TASKS);
    const { ids, pages } = await allPages();
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(TASKS / PAGE_SIZE));
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual(expected);
  });

  it('lists running tasks first, most recently started first, then finished ones, most recently finished first', async () => {
    const fresh = await connectMcp(product.mcpUrl!);
    try {
      const finished: string[] = [];
      for (let i = 0; i < 2; i++) {
        const task = await callToolAsTask(fresh.client, 'long_running_operation', { duration: 0, steps: 1 });
        await getTaskResult(fresh.client, task.taskId);
        finished.push(task.taskId);
      }
      const running: string[] = [];
      for (let i = 0; i < 2; i++) {
        running.push((await callToolAsTask(fresh.client, 'long_running_operation', { duration: 60, steps: 1 })).taskId);
      }
      const listed: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTasks(fresh.client, cursor);
        listed.push(...page.tasks.map((task) => task.taskId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(listed).toEqual([running[1], running[0], finished[1], finished[0]]);
      for (const taskId of running) await cancelTask(fresh.client, taskId);
    } finally {
      await fresh.close();
    }
  });

  it('keeps the pages after a cursor stable while tasks are created: no gap, no duplicate, nothing new', async () => {
    const fresh = await connectMcp(product.mcpUrl!);
    try {
      const before: string[] = [];
      for (let i = 0; i < 3 * PAGE_SIZE; i++) {
        before.push((await callToolAsTask(fresh.client, 'long_running_operation', { duration: 60, steps: 1 })).taskId);
      }
      const listed: string[] = [];
      const createdMeanwhile: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listTasks(fresh.client, cursor);
        listed.push(...page.tasks.map((task) => task.taskId));
        cursor = page.nextCursor;
        // A task created between two pages: it sorts before the first page, so no later page holds it.
        createdMeanwhile.push(
          (await callToolAsTask(fresh.client, 'long_running_operation', { duration: 60, steps: 1 })).taskId,
        );
      } while (cursor);
      expect(listed).toEqual([...before].reverse());
      expect((await listTasks(fresh.client)).tasks[0]?.taskId).toBe(createdMeanwhile.at(-1));
      for (const taskId of [...before, ...createdMeanwhile]) await cancelTask(fresh.client, taskId);
    } finally {
      await fresh.close();
    }
  });

  it('§1.16 #37: lists a task as soon as tools/call has answered with it', async () => {
    // A client that creates a task and lists at once must find it: what tasks/get shows, tasks/list shows.
    // tools/call itself makes no visibility lookup: the listing that follows waits for visibility.
    const lookups = jest.spyOn(product.client.workflowService, 'listWorkflowExecutions');
    const missing: string[] = [];
    let lookupsByCreates = 0;
    try {
      for (let round = 0; round < 15; round++) {
        const before = lookups.mock.calls.length;
        const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 1 });
        lookupsByCreates += lookups.mock.calls.length - before;
        const page = await listTasks(mcp.client);
        if (!page.tasks.some((listed) => listed.taskId === task.taskId)) missing.push(task.taskId);
        await cancelTask(mcp.client, task.taskId);
      }
    } finally {
      lookups.mockRestore();
    }
    expect(missing).toEqual([]);
    expect(lookupsByCreates).toBe(0);
  });
});
