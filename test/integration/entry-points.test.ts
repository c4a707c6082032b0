import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, getTask, getTaskResult, listTasks, waitForTask } from '../helpers/mcp-client';

const STDIO_ENTRY = path.resolve(__dirname, '../../dist/src/stdio.js');

async function connectStdio(env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [STDIO_ENTRY],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('entry points', () => {
  it('serves tasks over stdio, owned by the configured local scope across processes', async () => {
    const config = testConfig();
    const worker = await startTestProduct(config, { http: false });
    const env = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
      TASK_QUEUE: config.taskQueue,
      DATA_DIR: config.dataDir,
    };
    const first = await connectStdio({ ...env, MCP_STDIO_SCOPE: 'team-a' });
    try {
      expect(first.getServerCapabilities()?.tasks).toBeDefined();
      const task = await callToolAsTask(first, 'long_running_operation', { duration: 0, steps: 1 });
      const result = await getTaskResult(first, task.taskId);
      expect(result.content).toEqual([
        { type: 'text', text: 'Long running operation completed. Duration: 0 seconds, Steps: 1.' },
      ]);
      await first.close();

      const sameScope = await connectStdio({ ...env, MCP_STDIO_SCOPE: 'team-a' });
      const otherScope = await connectStdio({ ...env, MCP_STDIO_SCOPE: 'team-b' });
      try {
        expect((await getTask(sameScope, task.taskId)).status).toBe('completed');
        await expect(getTask(otherScope, task.taskId)).rejects.toMatchObject({ code: -32602 });
      } finally {
        await Promise.all([sameScope.close(), otherScope.close()]);
      }
    } finally {
      await worker.close();
    }
  }, 120_000);

  it('answers tasks/get and tasks/result of closed tasks with no worker running', async () => {
    const config = testConfig({ TOOL_TIME_LIMITS: 'long_running_operation=2' });
    const withWorker = await startTestProduct(config);
    let mcp = await connectMcp(withWorker.mcpUrl!);
    const done = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
    const doneResult = await getTaskResult(mcp.client, done.taskId);
    const timedOut = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 20, steps: 2 });
    await waitForTask(mcp.client, timedOut.taskId, (t) => t.status === 'failed', 30_000);
    const sessionId = mcp.sessionId();
    await mcp.close();
    await withWorker.close();

    const noWorker = await startTestProduct({ ...config, mcpPort: 0 }, { worker: false });
    try {
      mcp = await connectMcp(noWorker.mcpUrl!, { sessionId });
      expect((await getTask(mcp.client, done.taskId)).status).toBe('completed');
      expect(await getTaskResult(mcp.client, done.taskId)).toEqual(doneResult);
      const failed = await getTask(mcp.client, timedOut.taskId);
      expect(failed).toMatchObject({
        status: 'failed',
        statusMessage: 'The task timed out after 2 seconds (its time limit).',
      });
      expect((await listTasks(mcp.client)).tasks.map((t) => t.taskId)).toEqual(
        expect.arrayContaining([done.taskId, timedOut.taskId]),
      );
      await mcp.close();
    } finally {
      await noWorker.close();
    }
  }, 120_000);
});
