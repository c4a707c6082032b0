import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import { scopeKey } from '../../src/tasks/owner';
import { ModernClient, WITH_TASKS, isTerminal, ok } from '../helpers/modern-client';
import { callToolAsTask, connectMcp } from '../helpers/mcp-client';

/**
 * The Tasks extension on the 2026-07-28 wire, over the same engine and workflows as 2025-11-25.
 * Titles start with the item numbers of the reference's §5 checklist.
 */
describe('2026-07-28 Tasks extension', () => {
  let product: RunningProduct;
  let client: ModernClient;

  beforeAll(async () => {
    product = await startTestProduct(testConfig());
    client = new ModernClient(product.mcpUrl!);
  });

  afterAll(async () => {
    await product?.close();
  });

  /** A request that may be asked questions: `elicitation: {}` declares form mode. */
  const WITH_FORMS = { ...WITH_TASKS, elicitation: {} };

  let tagCounter = 0;
  const freshTag = (): string => `m${Date.now().toString(36)}${tagCounter++}`;

  /** A purge task waiting on its confirmation, with the key of its question. */
  const waitingPurge = async (): Promise<{ taskId: string; key: string; task: Record<string, unknown> }> => {
    const tag = freshTag();
    for (const title of ['a', 'b']) {
      await client.call('record_decision', { title: `${tag}-${title}`, decision: 'd', tags: [tag] });
    }
    const created = await client.call('purge_decisions', { tag }, { capabilities: WITH_FORMS });
    const taskId = created.taskId as string;
    const task = await client.waitForTask(taskId, (t) => t.status === 'input_required');
    const key = Object.keys(task.inputRequests as object)[0]!;
    return { taskId, key, task };
  };

  it('§5 #13 #17 #18 #19: tools/call answers a flat CreateTaskResult with ttlMs and pollIntervalMs', async () => {
    const created = await client.call('long_running_operation', { duration: 1, steps: 1 });
    expect(Object.keys(created).sort()).toEqual(
      ['_meta', 'createdAt', 'lastUpdatedAt', 'pollIntervalMs', 'resultType', 'status', 'taskId', 'ttlMs'].sort(),
    );
    expect(created).toMatchObject({ resultType: 'task', status: 'working' });
    expect(created.taskId).toMatch(/^[0-9a-f]{32}$/);
    expect(Number.isInteger(created.ttlMs) && (created.ttlMs as number) > 0).toBe(true);
    expect(Number.isInteger(created.pollIntervalMs) && (created.pollIntervalMs as number) > 0).toBe(true);
    for (const field of ['createdAt', 'lastUpdatedAt']) {
      expect(new Date(created[field] as string).toISOString()).toBe(created[field]);
    }
    await client.waitForTask(created.taskId as string, isTerminal);
  });

  it('§5 #14 #23 #25: tasks/get right after creation works, and a completed task inlines its result without related-task _meta', async () => {
    const created = await client.call('long_running_operation', { duration: 1, steps: 1 });
    const first = await client.getTask(created.taskId as string);
    expect(first).toMatchObject({ resultType: 'complete', taskId: created.taskId });
    const done = await client.waitForTask(created.taskId as string, isTerminal);
    expect(done.status).toBe('completed');
    const result = done.result as Record<string, unknown>;
    expect(JSON.stringify(result.content)).toContain('Long running operation completed');
    expect(result.resultType).toBe('complete');
    expect(result._meta).toBeUndefined();
    expect(done.requestState).toBeUndefined();
    expect(done.error).toBeUndefined();
  });

  it('§5 #20: a tool that reports an error (isError) ends completed, not failed', async () => {
    const created = await client.call('analyze_dataset', { source: 'missing/nothing-here.csv' });
    const done = await client.waitForTask(created.taskId as string, isTerminal);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ isError: true });
    expect(JSON.stringify(done.result)).toContain('file not found: missing/nothing-here.csv');
  });

  it('§5 #23 #30: an input_required task lists its question as a form elicitation under a stable key', async () => {
    const { taskId, key, task } = await waitingPurge();
    expect(task.inputRequests).toEqual({
      [key]: {
        method: 'elicitation/create',
        params: {
          mode: 'form',
          message: 'Confirm deletion of 2 records?',
          requestedSchema: { type: 'object', properties: { confirmed: { type: 'boolean' } }, required: ['confirmed'] },
        },
      },
    });
    // The key reappears on each poll until answered.
    expect(Object.keys((await client.getTask(taskId)).inputRequests as object)).toEqual([key]);
    ok(await client.request('tasks/cancel', { taskId }));
  });

  it('§5 #28 #29: tasks/update answers the question with an empty ack; the task resumes and completes', async () => {
    const { taskId, key } = await waitingPurge();
    const ack = ok(
      await client.request('tasks/update', {
        taskId,
        inputResponses: { [key]: { action: 'accept', content: { confirmed: true } } },
      }),
    );
    expect(Object.keys(ack).sort()).toEqual(['_meta', 'resultType']);
    expect(ack.resultType).toBe('complete');
    // Read-your-writes: the answered key is gone at once.
    expect((await client.getTask(taskId)).inputRequests).toBeUndefined();
    const done = await client.waitForTask(taskId, isTerminal);
    expect(done).toMatchObject({ status: 'completed', result: { structuredContent: { deleted: 2 } } });
  });

  it('§5 #29: answers to keys that are not outstanding are ignored and acknowledged', async () => {
    const { taskId, key } = await waitingPurge();
    const ack = await client.request('tasks/update', { taskId, inputResponses: { 'unknown-key': { ignored: true } } });
    expect(ack.result?.resultType).toBe('complete');
    const still = await client.getTask(taskId);
    expect(still.status).toBe('input_required');
    expect(Object.keys(still.inputRequests as object)).toEqual([key]);
    ok(await client.request('tasks/cancel', { taskId }));
  });

  it('an answer that breaks the question schema is refused with the reason, and the question stays outstanding', async () => {
    const { taskId, key } = await waitingPurge();
    const refused = await client.request('tasks/update', {
      taskId,
      inputResponses: { [key]: { action: 'accept', content: { confirmed: 'yes' } } },
    });
    expect(refused.error?.code).toBe(-32602);
    expect(refused.error?.message).toContain('confirmed must be true or false');
    const still = await client.getTask(taskId);
    expect(still.status).toBe('input_required');
    expect(Object.keys(still.inputRequests as object)).toEqual([key]);
    ok(await client.request('tasks/update', { taskId, inputResponses: { [key]: { action: 'decline' } } }));
    const done = await client.waitForTask(taskId, isTerminal);
    expect(done).toMatchObject({ status: 'completed', result: { structuredContent: { deleted: 0 } } });
  });

  it('§5 #28 #31: tasks/cancel acknowledges and really stops the work; cancelling an ended task acknowledges and changes nothing', async () => {
    const created = await client.call('long_running_operation', { duration: 60, steps: 60 });
    const taskId = created.taskId as string;
    const ack = ok(await client.request('tasks/cancel', { taskId }));
    expect(Object.keys(ack).sort()).toEqual(['_meta', 'resultType']);
    const cancelled = await client.waitForTask(taskId, isTerminal);
    expect(cancelled.status).toBe('cancelled');
    const description = await product.client.workflow
      .getHandle(`mcp-task/${scopeKey({ scope: 'local:local' })}/${taskId}`)
      .describe();
    expect(['CANCELLED', 'RUNNING']).toContain(description.status.name);
    await waitUntil(
      async () =>
        (await product.client.workflow.getHandle(description.workflowId).describe()).status.name === 'CANCELLED',
    );

    const again = ok(await client.request('tasks/cancel', { taskId }));
    expect(again.resultType).toBe('complete');
    expect((await client.getTask(taskId)).status).toBe('cancelled');
  });

  it('§5 #24 #36: an unknown id, or a task of another owner, is -32602 on get, update and cancel', async () => {
    const legacy = await connectMcp(product.mcpUrl!);
    try {
      const foreign = await callToolAsTask(legacy.client, 'long_running_operation', { duration: 1, steps: 1 });
      for (const taskId of ['0123456789abcdef0123456789abcdef', 'not-an-id', foreign.taskId]) {
        for (const [method, params] of [
          ['tasks/get', { taskId }],
          ['tasks/update', { taskId, inputResponses: {} }],
          ['tasks/cancel', { taskId }],
        ] as const) {
          const answer = await client.request(method, params);
          expect(answer.error?.code).toBe(-32602);
        }
      }
    } finally {
      await legacy.close();
    }
  });

  it('§5 #26: tasks/get, tasks/update and tasks/cancel without the extension are -32021', async () => {
    const created = await client.call('long_running_operation', { duration: 1, steps: 1 });
    const taskId = created.taskId as string;
    for (const [method, params] of [
      ['tasks/get', { taskId }],
      ['tasks/update', { taskId, inputResponses: {} }],
      ['tasks/cancel', { taskId }],
    ] as const) {
      const answer = await client.request(method, params, { capabilities: {} });
      expect(answer.status).toBe(400);
      expect(answer.error?.code).toBe(-32021);
    }
    await client.waitForTask(taskId, isTerminal);
  });

  it('§5 #30: a tool that asks during its task is refused to a request without form elicitation (-32021), before any task starts', async () => {
    const tag = freshTag();
    await client.call('record_decision', { title: `${tag}-kept`, decision: 'd', tags: [tag] });
    for (const capabilities of [WITH_TASKS, { ...WITH_TASKS, elicitation: { url: {} } }]) {
      const refused = await client.request(
        'tools/call',
        { name: 'purge_decisions', arguments: { tag } },
        { capabilities },
      );
      expect(refused.status).toBe(400);
      expect(refused.error?.code).toBe(-32021);
      expect(refused.error?.data).toEqual({ requiredCapabilities: { elicitation: { form: {} } } });
      expect(refused.error?.message).toContain('purge_decisions');
    }
    // The refused calls deleted nothing: a call that can be asked finds the record still there.
    const created = await client.call('purge_decisions', { tag }, { capabilities: WITH_FORMS });
    const waiting = await client.waitForTask(created.taskId as string, (t) => t.status === 'input_required');
    expect(waiting.statusMessage).toBe('Confirm deletion of 1 record?');
    ok(await client.request('tasks/cancel', { taskId: created.taskId }));
  });

  it('§5 #27: Mcp-Name other than the taskId is -32020', async () => {
    const created = await client.call('long_running_operation', { duration: 1, steps: 1 });
    const taskId = created.taskId as string;
    const answer = await client.request(
      'tasks/get',
      { taskId },
      { headers: { 'mcp-name': 'ffffffffffffffffffffffffffffffff' } },
    );
    expect(answer.status).toBe(400);
    expect(answer.error?.code).toBe(-32020);
    await client.waitForTask(taskId, isTerminal);
  });
});

describe('2026-07-28 Tasks extension: a task that ends without a tool result', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startTestProduct(testConfig({ TOOL_TIME_LIMITS: 'long_running_operation=2' }));
  });

  afterAll(async () => {
    await product?.close();
  });

  it('§5 #20 #21: ends failed with a JSON-RPC error and a statusMessage, and no result', async () => {
    const client = new ModernClient(product.mcpUrl!);
    const created = await client.call('long_running_operation', { duration: 30, steps: 30 });
    const done = await client.waitForTask(created.taskId as string, isTerminal);
    expect(done.status).toBe('failed');
    expect(done.statusMessage).toContain('timed out after 2 seconds');
    expect(done.error).toEqual({ code: -32603, message: done.statusMessage });
    expect(done.result).toBeUndefined();
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
