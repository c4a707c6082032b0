import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { CallToolResultSchema, TaskStatusNotificationSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { startTestProduct, startedEagerly, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, getTaskResult, listTasks, type TestClient } from '../helpers/mcp-client';

/**
 * A `tools/call` without `task` is a plain call: it runs the tool's workflow and answers on the
 * request, but it is not a task. These tests run against a real Temporal server and the real HTTP
 * transport; the running limit is 1 so that a call counted as a task would block the next task.
 */
describe('plain tool calls (no task augmentation)', () => {
  let config: Config;
  let product: RunningProduct;

  beforeAll(async () => {
    config = testConfig({ TASK_MAX_RUNNING_PER_OWNER: '1' });
    product = await startTestProduct(config);
  });

  afterAll(async () => {
    await product?.close();
  });

  /** Workflow executions of this product's task queue running `long_running_operation`. */
  async function operationWorkflows(): Promise<WorkflowExecutionInfo[]> {
    const query = `TaskQueue = "${config.taskQueue}" AND McpTool = "long_running_operation"`;
    const found: WorkflowExecutionInfo[] = [];
    for await (const info of product.client.workflow.list({ query })) found.push(info);
    return found;
  }

  /** Polls visibility until a workflow not in `known` appears (a running one, unless `anyStatus`), and returns its id. */
  async function waitForNewWorkflow(
    known: Set<string>,
    { anyStatus = false, timeoutMs = 30_000 } = {},
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const fresh = (await operationWorkflows()).find(
        (info) => !known.has(info.workflowId) && (anyStatus || info.status.name === 'RUNNING'),
      );
      if (fresh) return fresh.workflowId;
      await sleep(100);
    }
    throw new Error(`No new ${anyStatus ? '' : 'running '}workflow appeared`);
  }

  /** Polls the workflow until it is closed, and returns its close status. */
  async function waitForClose(workflowId: string, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let status = '';
    while (Date.now() < deadline) {
      status = (await product.client.workflow.getHandle(workflowId).describe()).status.name;
      if (status !== 'RUNNING') return status;
      await sleep(100);
    }
    throw new Error(`Workflow ${workflowId} is still ${status}`);
  }

  async function knownWorkflowIds(): Promise<Set<string>> {
    return new Set((await operationWorkflows()).map((info) => info.workflowId));
  }

  async function withClient<T>(fn: (mcp: TestClient) => Promise<T>): Promise<T> {
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      return await fn(mcp);
    } finally {
      await mcp.close();
    }
  }

  it('runs the tool durably and answers on the request, without ever appearing in tasks/list', async () => {
    await withClient(async (mcp) => {
      const known = await knownWorkflowIds();
      let settled = false;
      const call = mcp.client
        .callTool({ name: 'long_running_operation', arguments: { duration: 2, steps: 2 } }, undefined, {
          timeout: 60_000,
        })
        .finally(() => (settled = true));
      const workflowId = await waitForNewWorkflow(known);
      expect(workflowId).toMatch(/^mcp-call\//);
      // While the call runs (visibility already shows its workflow), the owner has no task.
      while (!settled) {
        expect((await listTasks(mcp.client)).tasks).toEqual([]);
        await sleep(100);
      }
      expect((await call).content).toEqual([
        { type: 'text', text: 'Long running operation completed. Duration: 2 seconds, Steps: 2.' },
      ]);
      expect(await waitForClose(workflowId)).toBe('COMPLETED');
      expect((await listTasks(mcp.client)).tasks).toEqual([]);
    });
  });

  it('starts the call eagerly on the worker of its own process', async () => {
    await withClient(async (mcp) => {
      const known = await knownWorkflowIds();
      const result = await mcp.client.callTool({
        name: 'long_running_operation',
        arguments: { duration: 0, steps: 1 },
      });
      expect(result.isError).toBeFalsy();
      const workflowId = await waitForNewWorkflow(known, { anyStatus: true });
      expect(workflowId).toMatch(/^mcp-call\//);
      expect(await startedEagerly(product.client, workflowId)).toBe(true);
    });
  });

  it('does not count toward the running-task limit', async () => {
    await withClient(async (mcp) => {
      const known = await knownWorkflowIds();
      const abort = new AbortController();
      const call = mcp.client
        .request(
          { method: 'tools/call', params: { name: 'long_running_operation', arguments: { duration: 60, steps: 60 } } },
          CallToolResultSchema,
          { signal: abort.signal, timeout: 120_000 },
        )
        .catch(() => undefined);
      const callWorkflowId = await waitForNewWorkflow(known);
      // The limit is 1: a plain call counted as a running task would make this creation fail.
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
      expect(task.status).toBe('working');
      await getTaskResult(mcp.client, task.taskId);
      abort.abort();
      await call;
      expect(await waitForClose(callWorkflowId)).toBe('CANCELLED');
    });
  });

  it('sends notifications/tasks/status only for tasks, never for a plain call', async () => {
    await withClient(async (mcp) => {
      const statuses: { taskId: string; status: string }[] = [];
      mcp.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
        statuses.push({ taskId: notification.params.taskId, status: notification.params.status });
      });
      await mcp.client.callTool({ name: 'long_running_operation', arguments: { duration: 1, steps: 1 } });
      // A task created after the call: its own notification arrives after any the call could have caused.
      const task: Task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 1 });
      const deadline = Date.now() + 30_000;
      while (!statuses.some((s) => s.taskId === task.taskId && s.status === 'completed') && Date.now() < deadline) {
        await sleep(100);
      }
      expect(statuses).toEqual([{ taskId: task.taskId, status: 'completed' }]);
    });
  });

  it('cancels the workflow of a plain call when the client sends notifications/cancelled', async () => {
    await withClient(async (mcp) => {
      const known = await knownWorkflowIds();
      const abort = new AbortController();
      // The SDK client sends notifications/cancelled for the request when its signal aborts.
      const call = mcp.client
        .request(
          { method: 'tools/call', params: { name: 'long_running_operation', arguments: { duration: 60, steps: 60 } } },
          CallToolResultSchema,
          { signal: abort.signal, timeout: 120_000 },
        )
        .catch((err: unknown) => err);
      const workflowId = await waitForNewWorkflow(known);
      abort.abort('changed my mind');
      await call;
      expect(await waitForClose(workflowId)).toBe('CANCELLED');
    });
  });

  it('cancels the workflow of a plain call when the client drops the HTTP response', async () => {
    await withClient(async (mcp) => {
      const known = await knownWorkflowIds();
      const dropped = new AbortController();
      const response = fetch(product.mcpUrl!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': mcp.sessionId(),
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'raw-1',
          method: 'tools/call',
          params: { name: 'long_running_operation', arguments: { duration: 60, steps: 60 } },
        }),
        signal: dropped.signal,
      }).catch((err: unknown) => err);
      const workflowId = await waitForNewWorkflow(known);
      const logged: string[] = [];
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logged.push(String(chunk));
        return true;
      });
      try {
        // No notifications/cancelled: the client just goes away.
        dropped.abort();
        await response;
        expect(await waitForClose(workflowId)).toBe('CANCELLED');
      } finally {
        stderr.mockRestore();
      }
      // A client that leaves is not a fault of the server's.
      expect(logged.filter((line) => line.includes('internal-error'))).toEqual([]);
    });
  });
});
