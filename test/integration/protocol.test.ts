import { randomUUID } from 'node:crypto';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  GetTaskPayloadResultSchema,
  GetTaskResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import type { AuditEvent } from '../../src/mcp/audit-log';
import { scopeKey } from '../../src/tasks/owner';
import { makeKey, signToken, authTestConfig } from '../helpers/auth';
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

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('MCP tasks protocol over Streamable HTTP', () => {
  let product: RunningProduct;
  let mcp: TestClient;
  const observer = new RecordingObserver();
  const audit: AuditEvent[] = [];

  beforeAll(async () => {
    product = await startTestProduct(testConfig(), {
      activityObserver: observer,
      auditSink: (event) => audit.push(event),
    });
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  /** The task as `tasks/list` shows it; visibility lags creation by a moment, so poll until it appears. */
  const waitForListed = async (taskId: string) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      let cursor: string | undefined;
      do {
        const page = await listTasks(mcp.client, cursor);
        const found = page.tasks.find((t) => t.taskId === taskId);
        if (found) return found;
        cursor = page.nextCursor;
      } while (cursor);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`Task ${taskId} never appeared in tasks/list`);
  };

  it('§1.16 #1: declares the tasks capability for list, cancel and tools/call', () => {
    expect(mcp.client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
  });

  it('§1.16 #4: lists every tool with a description, an input schema and execution.taskSupport', async () => {
    const { tools } = await mcp.client.listTools();
    // Workflow tools in the order of their modules' file names, then the server's own.
    expect(tools.map((tool) => tool.name)).toEqual([
      'analyze_dataset',
      'long_running_operation',
      'record_decision',
      'get_recent_decisions',
      'import_decisions',
      'analyze_decision_patterns',
      'export_memory',
      'purge_decisions',
      'describe_task_limits',
    ]);
    for (const tool of tools) {
      expect(tool.description).toEqual(expect.any(String));
      expect(tool.inputSchema.type).toBe('object');
      expect(['forbidden', 'optional', 'required']).toContain(tool.execution?.taskSupport);
    }
    expect(tools.find((tool) => tool.name === 'analyze_dataset')?.execution?.taskSupport).toBe('required');
    expect(tools.find((tool) => tool.name === 'long_running_operation')?.execution?.taskSupport).toBe('optional');
    expect(tools.find((tool) => tool.name === 'record_decision')?.execution?.taskSupport).toBe('forbidden');
    expect(tools.find((tool) => tool.name === 'purge_decisions')?.execution?.taskSupport).toBe('required');
  });

  it('§1.16 #8 #9 #10 #11 #13: answers a task-augmented tools/call at once with a working task and its fields', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 5, steps: 5 }, { ttl: 60_000 });
    expect(task.taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(task.status).toBe('working');
    expect(task.createdAt).toMatch(ISO_8601);
    expect(task.lastUpdatedAt).toMatch(ISO_8601);
    expect(task.ttl).toBe(60_000);
    expect(task.pollInterval).toBeGreaterThan(0);
  });

  it('§1.16 #12: applies the default TTL when none is asked, clamps a larger one to the maximum, and reports it in tasks/get', async () => {
    const byDefault = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
    expect(byDefault.ttl).toBe(3_600_000);
    const clamped = await callToolAsTask(
      mcp.client,
      'long_running_operation',
      { duration: 0, steps: 1 },
      { ttl: 10 ** 12 },
    );
    expect(clamped.ttl).toBe(86_400_000);
    expect((await getTask(mcp.client, clamped.taskId)).ttl).toBe(86_400_000);
  });

  it.each([
    ['a negative ttl', -5],
    ['a non-numeric ttl', 'soon'],
  ])('rejects %s with -32602', async (_label, ttl) => {
    const code = await errorCodeOf(
      mcp.client.request(
        { method: 'tools/call', params: { name: 'long_running_operation', arguments: {}, task: { ttl } as never } },
        CreateTaskResultSchema,
      ),
    );
    expect(code).toBe(-32602);
  });

  it('§1.16 #22 #23 #25: blocks tasks/result until the task completes, then returns the tool result with related-task _meta', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 2, steps: 2 });
    expect((await getTask(mcp.client, task.taskId)).status).toBe('working');
    const sentAt = Date.now();
    const result = await getTaskResult(mcp.client, task.taskId);
    expect(result.content).toEqual([
      { type: 'text', text: 'Long running operation completed. Duration: 2 seconds, Steps: 2.' },
    ]);
    expect(result.isError).toBeFalsy();
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    const done = await getTask(mcp.client, task.taskId);
    expect(done.status).toBe('completed');
    // The task became terminal only after tasks/result was sent: the request waited for it.
    expect(Date.parse(done.lastUpdatedAt)).toBeGreaterThan(sentAt);
  });

  it('§1.16 #7: runs an optional tool without a task and answers on the same request, with the result a task gives', async () => {
    const result = await mcp.client.callTool({ name: 'long_running_operation', arguments: { duration: 1, steps: 1 } });
    expect(result.content).toEqual([
      { type: 'text', text: 'Long running operation completed. Duration: 1 seconds, Steps: 1.' },
    ]);
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 1 });
    expect((await getTaskResult(mcp.client, task.taskId)).content).toEqual(result.content);
  });

  it('§1.16 #6: answers -32601 for a required tool called without a task', async () => {
    const code = await errorCodeOf(
      mcp.client.request(
        { method: 'tools/call', params: { name: 'analyze_dataset', arguments: { source: 'x.csv' } } },
        CallToolResultSchema,
      ),
    );
    expect(code).toBe(-32601);
  });

  it('§1.16 #5: answers -32601 for a forbidden tool called with a task, and does not run it', async () => {
    const title = `forbidden-as-task-${Date.now()}`;
    const tag = `t${Date.now().toString(36)}`;
    const recorded = async (): Promise<string[]> => {
      const recent = await mcp.client.callTool({ name: 'get_recent_decisions', arguments: { limit: 100, tag } });
      return (recent.structuredContent as { decisions: { title: string }[] }).decisions.map((d) => d.title);
    };
    const code = await errorCodeOf(
      callToolAsTask(mcp.client, 'record_decision', { title, decision: 'must not be stored', tags: [tag] }),
    );
    expect(code).toBe(-32601);
    // The same call without a task does record: the check below would see a recorded decision.
    await mcp.client.callTool({
      name: 'record_decision',
      arguments: { title: `${title}-plain`, decision: 'stored', tags: [tag] },
    });
    expect(await recorded()).toEqual([`${title}-plain`]);
  });

  it('rejects invalid tool arguments with -32602 naming the field', async () => {
    const err = await mcp.client
      .request(
        { method: 'tools/call', params: { name: 'long_running_operation', arguments: { duration: 'long' }, task: {} } },
        CreateTaskResultSchema,
      )
      .then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
    expect(err?.code).toBe(-32602);
    expect(err?.message).toContain('duration');
  });

  it.each([
    ['tasks/get', (id: string) => getTask(mcp.client, id)],
    ['tasks/result', (id: string) => getTaskResult(mcp.client, id)],
    ['tasks/cancel', (id: string) => cancelTask(mcp.client, id)],
  ])('§1.16 #17 #26 #41: answers %s for an unknown task id with -32602', async (_method, call) => {
    expect(await errorCodeOf(call('0123456789abcdef0123456789abcdef'))).toBe(-32602);
    expect(await errorCodeOf(call('not-a-task-id'))).toBe(-32602);
  });

  it('§1.16 #16 #28 #40: cancels a running task: the answer says cancelled, the activity stops through its heartbeat, it stays cancelled', async () => {
    const durationSeconds = 6;
    const task = await callToolAsTask(mcp.client, 'long_running_operation', {
      duration: durationSeconds,
      steps: durationSeconds,
    });
    // The activity is running (it reported a step) when the cancel arrives.
    await waitForTask(mcp.client, task.taskId, (t) => /^Step [1-3]\/6$/.test(t.statusMessage ?? ''));
    const cancelled = await cancelTask(mcp.client, task.taskId);
    expect(cancelled.status).toBe('cancelled');
    expect((await getTask(mcp.client, task.taskId)).status).toBe('cancelled');
    const deadline = Date.now() + 15_000;
    while (!observer.cancellations.some((c) => c.workflowId.endsWith(task.taskId)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(observer.cancellations.find((c) => c.workflowId.endsWith(task.taskId))?.activityType).toBe('runTimedSteps');
    const handle = product.client.workflow.getHandle(
      observer.cancellations.find((c) => c.workflowId.endsWith(task.taskId))!.workflowId,
    );
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // Past the moment the work would have finished, get and list still say cancelled.
    const wouldHaveFinishedAt = Date.parse(task.createdAt) + durationSeconds * 1000 + 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, wouldHaveFinishedAt - Date.now())));
    expect((await getTask(mcp.client, task.taskId)).status).toBe('cancelled');
    const listed = await waitForListed(task.taskId);
    expect(listed.status).toBe('cancelled');
    const result = await getTaskResult(mcp.client, task.taskId);
    expect(result.isError).toBe(true);
    expect(await errorCodeOf(cancelTask(mcp.client, task.taskId))).toBe(-32602);
    // §1.16 #43: creation, cancellation and retrieval are audit-logged with the owner's scope key.
    const scope = scopeKey({ scope: `session:${mcp.sessionId()}` });
    const lifecycle = new Set(['task.created', 'task.cancelled', 'task.result']);
    const events = audit.filter((event) => event.taskId === task.taskId && lifecycle.has(event.event));
    expect(events.map((event) => [event.event, event.scope])).toEqual([
      ['task.created', scope],
      ['task.cancelled', scope],
      ['task.result', scope],
    ]);
  });

  it('§1.16 #15 #39: rejects cancelling a completed task with -32602, and the task stays completed', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
    await getTaskResult(mcp.client, task.taskId);
    expect(await errorCodeOf(cancelTask(mcp.client, task.taskId))).toBe(-32602);
    expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
  });

  it('§1.16 #18 #21: ignores related-task _meta on tasks/get, tasks/result and tasks/cancel, and puts none in tasks/get', async () => {
    const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
    const meta = { 'io.modelcontextprotocol/related-task': { taskId: 'ffffffffffffffffffffffffffffffff' } };
    const got = await mcp.client.request(
      { method: 'tasks/get', params: { taskId: task.taskId, _meta: meta } },
      GetTaskResultSchema,
      {
        timeout: 10_000,
      },
    );
    expect(got.taskId).toBe(task.taskId);
    expect(got._meta?.['io.modelcontextprotocol/related-task']).toBeUndefined();
    const result = await mcp.client.request(
      { method: 'tasks/result', params: { taskId: task.taskId, _meta: meta } },
      GetTaskPayloadResultSchema,
      { timeout: 10_000 },
    );
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    const running = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 30 });
    const cancelled = await mcp.client.request(
      { method: 'tasks/cancel', params: { taskId: running.taskId, _meta: meta } },
      CancelTaskResultSchema,
      { timeout: 10_000 },
    );
    expect(cancelled).toMatchObject({ taskId: running.taskId, status: 'cancelled' });
  });
});

describe('limits', () => {
  it('§1.16 #43: rate-limits tool calls and task requests per principal across its sessions with -32603, other principals unaffected', async () => {
    const key = await makeKey('k1', 'ES256');
    // Its own issuer: a principal owns its tasks across every test that uses it.
    const issuer = `https://id.example.test/${randomUUID()}`;
    const product = await startTestProduct(
      // One of each a minute: a token comes back only after 60 s, far longer than these few calls take
      // even on a loaded machine, so what is refused below does not depend on timing.
      authTestConfig(issuer, [key], { TASK_CREATE_RATE_PER_MINUTE: '1', TASK_REQUEST_RATE_PER_MINUTE: '1' }),
    );
    const tokenOf = (subject: string) => signToken(key, { issuer, audience: product.mcpUrl!, subject });
    const mcp = await connectMcp(product.mcpUrl!, { token: await tokenOf('alice') });
    const sameOwner = await connectMcp(product.mcpUrl!, { token: await tokenOf('alice') });
    const other = await connectMcp(product.mcpUrl!, { token: await tokenOf('bob') });
    try {
      // The principal's budget is shared by its sessions: spent in one, it is gone in the other.
      const task = await callToolAsTask(sameOwner.client, 'long_running_operation', { duration: 0, steps: 1 });
      const refused = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 }).then(
        () => undefined,
        (err: { code: number; message: string }) => err,
      );
      expect(refused).toMatchObject({ code: -32603, message: expect.stringContaining('Rate limit exceeded') });
      expect((await getTask(sameOwner.client, task.taskId)).taskId).toBe(task.taskId);
      expect(await errorCodeOf(getTask(mcp.client, task.taskId))).toBe(-32603);
      expect(await errorCodeOf(getTask(sameOwner.client, task.taskId))).toBe(-32603);
      expect((await callToolAsTask(other.client, 'long_running_operation', { duration: 0, steps: 1 })).status).toBe(
        'working',
      );
    } finally {
      await Promise.all([mcp.close(), sameOwner.close(), other.close()]);
      await product.close();
    }
  });

  it('§1.16 #43: refuses a task beyond the running-task limit per owner with -32603, and the TTL maximum is enforced', async () => {
    const product = await startTestProduct(
      testConfig({ TASK_MAX_RUNNING_PER_OWNER: '2', TASK_MAX_TTL_MS: '120000', TASK_DEFAULT_TTL_MS: '60000' }),
    );
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const a = await callToolAsTask(
        mcp.client,
        'long_running_operation',
        { duration: 30, steps: 30 },
        { ttl: 10 ** 9 },
      );
      expect(a.ttl).toBe(120_000);
      const b = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 30 });
      // Visibility is eventually consistent: wait until both running tasks are counted.
      let code: number | undefined;
      for (let i = 0; i < 50 && code === undefined; i++) {
        code = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 30 }).then(
          async (extra) => {
            await cancelTask(mcp.client, extra.taskId);
            await new Promise((resolve) => setTimeout(resolve, 200));
            return undefined;
          },
          (err: { code: number; message: string }) => {
            expect(err.message).toContain('limit is 2 per owner');
            return err.code;
          },
        );
      }
      expect(code).toBe(-32603);
      const other = await connectMcp(product.mcpUrl!);
      expect((await callToolAsTask(other.client, 'long_running_operation', { duration: 0, steps: 1 })).status).toBe(
        'working',
      );
      await other.close();
      await Promise.all([cancelTask(mcp.client, a.taskId), cancelTask(mcp.client, b.taskId)]);
    } finally {
      await mcp.close();
      await product.close();
    }
  });

  it('keeps the running-task limit per owner exact near it, for tasks created in a burst through two replicas', async () => {
    // Far below the limit a replica may count an owner's tasks once a second; from half the limit up,
    // every new task counts afresh, so what the other replica started is seen.
    const limit = { TASK_MAX_RUNNING_PER_OWNER: '6' };
    const config = testConfig(limit);
    const first = await startTestProduct(config);
    const shared = { ...limit, DATA_DIR: config.dataDir, TASK_QUEUE: config.taskQueue };
    const second = await startTestProduct(testConfig(shared), { worker: false });
    const onFirst = await connectMcp(first.mcpUrl!);
    const onSecond = await connectMcp(second.mcpUrl!, { sessionId: onFirst.sessionId() });
    const created: string[] = [];
    try {
      const long = { duration: 60, steps: 60 };
      created.push((await callToolAsTask(onFirst.client, 'long_running_operation', long)).taskId);
      for (let i = 0; i < 3; i++) {
        created.push((await callToolAsTask(onSecond.client, 'long_running_operation', long)).taskId);
      }
      // The first replica counted 1 a moment ago; the owner now runs 4.
      for (let i = 0; i < 2; i++) {
        created.push((await callToolAsTask(onFirst.client, 'long_running_operation', long)).taskId);
      }
      for (const client of [onFirst.client, onSecond.client]) {
        const refused = callToolAsTask(client, 'long_running_operation', long);
        await expect(refused).rejects.toMatchObject({
          code: -32603,
          message: expect.stringContaining('limit is 6 per owner'),
        });
      }
      const listed = (await listTasks(onFirst.client)).tasks.filter((task) => task.status === 'working');
      expect(listed).toHaveLength(6);
    } finally {
      await Promise.all(created.map((taskId) => cancelTask(onFirst.client, taskId).catch(() => undefined)));
      await Promise.all([onFirst.close(), onSecond.close()]);
      await second.close();
      await first.close();
    }
  });
});
