import type { RunningProduct } from '../../src/app';
import { recordDescribes } from '../helpers/describe-spy';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  connectMcpWithElicitation,
  getTask,
  getTaskResult,
  type TestClient,
} from '../helpers/mcp-client';

/** Far longer than any step of these tests: a `tasks/result` that slept a poll interval would show it. */
const POLL_INTERVAL_MS = 60_000;

describe('tasks/result hears of the end from Temporal, not from a poll interval', () => {
  let product: RunningProduct;
  /** When each question reached the client, and since when its task had been waiting for it. */
  let mcp: TestClient & { asked: { askedAt: number; waitingSince: string }[] };

  beforeAll(async () => {
    product = await startTestProduct(testConfig({ TASK_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS) }));
    const asked: { askedAt: number; waitingSince: string }[] = [];
    const client = await connectMcpWithElicitation(
      product.mcpUrl!,
      async (request) => {
        const askedAt = Date.now();
        const taskId = (request._meta?.['io.modelcontextprotocol/related-task'] as { taskId: string }).taskId;
        const task = await getTask(client.client, taskId);
        expect(task.status).toBe('input_required');
        asked.push({ askedAt, waitingSince: task.lastUpdatedAt });
        return { action: 'accept', content: { confirmed: true } };
      },
      { standaloneStream: false },
    );
    mcp = Object.assign(client, { asked });
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  it('answers a waiting tasks/result as soon as the task completes, well before a poll interval has passed', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 1 });
    // Asked while the task still runs: the answer can only come from the wait, not from a first read.
    expect((await getTask(mcp.client, task.taskId)).status).toBe('working');
    const result = await getTaskResult(mcp.client, task.taskId);
    const answeredAt = Date.now();
    expect(result.isError).toBeFalsy();
    const done = await getTask(mcp.client, task.taskId);
    expect(done.status).toBe('completed');
    expect(answeredAt - Date.parse(done.lastUpdatedAt)).toBeLessThan(POLL_INTERVAL_MS / 2);
  });

  it('waits for a task that cannot ask and reports no progress without reading it', async () => {
    const { described, restore: restoreDescribes } = recordDescribes(product.client);
    try {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 3, steps: 1 });
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.isError).toBeFalsy();
      // A question check every second would have read it twice or three times during the wait.
      expect(described.filter((workflowId) => workflowId.endsWith(task.taskId))).toEqual([]);
      expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
    } finally {
      restoreDescribes();
    }
  });

  it('notices a question on a waiting tasks/result within about a second, however long the poll interval', async () => {
    const tag = `wait${Date.now().toString(36)}`;
    await mcp.client.callTool({
      name: 'record_decision',
      arguments: { title: `${tag}-a`, decision: 'd', tags: [tag] },
    });
    const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
    // Waiting from creation on: the question comes up while this request waits.
    const result = await getTaskResult(mcp.client, task.taskId);
    expect(result.structuredContent).toEqual({ deleted: 1 });
    expect(mcp.asked).toHaveLength(1);
    const { askedAt, waitingSince } = mcp.asked[0]!;
    expect(askedAt - Date.parse(waitingSince)).toBeLessThan(POLL_INTERVAL_MS / 2);
  });
});
