import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, cancelTask, connectMcp, listTasks, type TestClient } from '../helpers/mcp-client';

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
    // Visibility lags creation: wait until it holds every task, then page through once.
    const deadline = Date.now() + 60_000;
    const query = `TaskQueue = "${taskQueue}"`;
    while ((await product.client.workflow.count(query)).count < TASKS && Date.now() < deadline) await sleep(200);
    const { ids, pages } = await allPages();
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(TASKS / PAGE_SIZE));
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual(expected);
  });

  it('§1.16 #37: lists a task as soon as tools/call has answered with it', async () => {
    // A client that creates a task and lists at once must find it: what tasks/get shows, tasks/list shows.
    const missing: string[] = [];
    for (let round = 0; round < 15; round++) {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 1 });
      const page = await listTasks(mcp.client);
      if (!page.tasks.some((listed) => listed.taskId === task.taskId)) missing.push(task.taskId);
      await cancelTask(mcp.client, task.taskId);
    }
    expect(missing).toEqual([]);
  });
});
