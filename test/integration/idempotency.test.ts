import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import { IDEMPOTENCY_KEY_META } from '../../src/tasks/idempotency';
import { startTestProduct, testConfig } from '../helpers/product';
import { connectMcp, getTaskResult, listTasks, type TestClient } from '../helpers/mcp-client';
import { ModernClient, isTerminal } from '../helpers/modern-client';

/** `tools/call` as a task, naming the call with an idempotency key. */
async function keyedCall(client: Client, key: unknown, args: Record<string, unknown>) {
  const result = await client.request(
    {
      method: 'tools/call',
      params: { name: 'long_running_operation', arguments: args, task: {}, _meta: { [IDEMPOTENCY_KEY_META]: key } },
    },
    CreateTaskResultSchema,
  );
  return result.task;
}

describe('idempotency keys: a tools/call sent again finds the task of its first attempt', () => {
  let product: RunningProduct;
  let key = 0;
  const freshKey = (): string => `job-${Date.now().toString(36)}-${key++}`;

  beforeAll(async () => {
    product = await startTestProduct(testConfig());
  });

  afterAll(async () => {
    await product?.close();
  });

  /** A fresh session (a fresh owner), closed after `body`. */
  async function withSession(body: (mcp: TestClient) => Promise<void>): Promise<void> {
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      await body(mcp);
    } finally {
      await mcp.close();
    }
  }

  it('answers the same task to the same key, while it runs and after it ended, and starts one task only', async () => {
    await withSession(async ({ client }) => {
      const k = freshKey();
      const args = { duration: 1, steps: 1 };
      const first = await keyedCall(client, k, args);
      const again = await keyedCall(client, k, args);
      expect(again.taskId).toBe(first.taskId);
      expect(again.createdAt).toBe(first.createdAt);
      await getTaskResult(client, first.taskId);
      const afterEnd = await keyedCall(client, k, args);
      expect(afterEnd).toMatchObject({ taskId: first.taskId, status: 'completed' });
      // The session's only task: no call above started a second one.
      expect((await listTasks(client)).tasks.map((task) => task.taskId)).toEqual([first.taskId]);
    });
  });

  it('answers one task to calls with the same key sent at the same moment', async () => {
    await withSession(async ({ client }) => {
      const k = freshKey();
      const tasks = await Promise.all([1, 2, 3, 4].map(() => keyedCall(client, k, { duration: 1, steps: 1 })));
      expect(new Set(tasks.map((task) => task.taskId)).size).toBe(1);
      expect((await listTasks(client)).tasks).toHaveLength(1);
      await getTaskResult(client, tasks[0]!.taskId);
    });
  });

  it('refuses a key sent again with other arguments (-32602), and the first task runs on', async () => {
    await withSession(async ({ client }) => {
      const k = freshKey();
      const first = await keyedCall(client, k, { duration: 1, steps: 1 });
      await expect(keyedCall(client, k, { duration: 2, steps: 1 })).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining(`Idempotency key "${k}" already named another call`),
      });
      const result = await getTaskResult(client, first.taskId);
      expect(result.isError).toBeFalsy();
    });
  });

  it('keeps keys per owner: another session with the same key gets a task of its own', async () => {
    const k = freshKey();
    const ids: string[] = [];
    for (let session = 0; session < 2; session++) {
      await withSession(async ({ client }) => {
        const task = await keyedCall(client, k, { duration: 0, steps: 1 });
        ids.push(task.taskId);
        await getTaskResult(client, task.taskId);
      });
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it.each([
    ['an empty key', ''],
    ['a key with a space', 'two words'],
    ['a key of 129 characters', 'k'.repeat(129)],
    ['a number', 42],
  ])('refuses %s (-32602) and starts nothing', async (_what, bad) => {
    await withSession(async ({ client }) => {
      await expect(keyedCall(client, bad, { duration: 0, steps: 1 })).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining(IDEMPOTENCY_KEY_META),
      });
      expect((await listTasks(client)).tasks).toHaveLength(0);
    });
  });

  it('works the same on the 2026-07-28 wire', async () => {
    const client = new ModernClient(product.mcpUrl!);
    const k = freshKey();
    const call = () =>
      client.request(
        'tools/call',
        { name: 'long_running_operation', arguments: { duration: 1, steps: 1 } },
        { extraMeta: { [IDEMPOTENCY_KEY_META]: k } },
      );
    const first = await call();
    const again = await call();
    expect(first.result?.resultType).toBe('task');
    expect(again.result?.taskId).toBe(first.result?.taskId);
    await client.waitForTask(first.result?.taskId as string, isTerminal);
  });
});
