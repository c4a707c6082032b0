import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RunningProduct } from '../../src/app';
import type { AuditEvent } from '../../src/mcp/audit-log';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { TaskStatusSearchAttribute } from '../../workflows/definitions';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  connectMcpWithElicitation,
  getTask,
  getTaskResult,
  waitForTask,
  type ElicitationAnswerer,
  type TestClient,
} from '../helpers/mcp-client';

type Client = TestClient['client'];

async function record(client: Client, title: string, tags: string[]): Promise<number> {
  const result = await client.callTool({
    name: 'record_decision',
    arguments: { title, decision: `${title} decided`, tags },
  });
  return (result.structuredContent as { id: number }).id;
}

/** The statuses the task's workflow recorded, in order (each change upserts its status search attribute). */
async function recordedStatuses(product: RunningProduct, sessionId: string, taskId: string): Promise<string[]> {
  const handle = product.client.workflow.getHandle(workflowIdFor({ scope: `session:${sessionId}` }, taskId as TaskId));
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const payload =
      event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[
        TaskStatusSearchAttribute.name
      ];
    return payload ? [defaultPayloadConverter.fromPayload<string>(payload)] : [];
  });
}

/** Resolves when `condition` holds, polling; fails after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('The awaited condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function recentTitles(client: Client, tag?: string): Promise<string[]> {
  const result = await client.callTool({
    name: 'get_recent_decisions',
    arguments: { limit: 100, ...(tag && { tag }) },
  });
  return (result.structuredContent as { decisions: { title: string }[] }).decisions.map((d) => d.title).sort();
}

describe('input_required: purge_decisions asks for confirmation through elicitation', () => {
  let product: RunningProduct;
  const audit: AuditEvent[] = [];

  beforeAll(async () => {
    product = await startTestProduct(testConfig(), { auditSink: (event) => audit.push(event) });
  });

  afterAll(async () => {
    await product?.close();
  });

  /** A fresh tag per test keeps the tests independent in the shared memory. */
  let tagCounter = 0;
  const freshTag = (): string => `t${Date.now().toString(36)}${tagCounter++}`;

  it('§1.16 #29 #30 #32: asks with related-task _meta while input_required, returns to working once answered, then deletes exactly the records counted', async () => {
    const mcp = await connectMcpWithElicitation(
      product.mcpUrl!,
      () => ({ action: 'accept', content: { confirmed: true } }),
      { standaloneStream: false },
    );
    try {
      const tag = freshTag();
      for (const title of ['a', 'b', 'c']) await record(mcp.client, `${tag}-${title}`, [tag]);
      await record(mcp.client, `${tag}-keep`, ['keep']);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      const waiting = await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      expect(waiting.statusMessage).toBe('Confirm deletion of 3 records?');
      await record(mcp.client, `${tag}-added-later`, [tag]);

      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 3 });
      expect(mcp.questions).toHaveLength(1);
      expect(mcp.questions[0]).toMatchObject({
        message: 'Confirm deletion of 3 records?',
        requestedSchema: { type: 'object', properties: { confirmed: { type: 'boolean' } }, required: ['confirmed'] },
        _meta: { 'io.modelcontextprotocol/related-task': { taskId: task.taskId } },
      });
      expect(await recentTitles(mcp.client, tag)).toEqual([`${tag}-added-later`]);
      expect(await recentTitles(mcp.client, 'keep')).toContain(`${tag}-keep`);
      expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
      // The task left input_required for working when the answer arrived, before it completed.
      expect(await recordedStatuses(product, mcp.sessionId(), task.taskId)).toEqual(['input_required', 'working']);
    } finally {
      await mcp.close();
    }
  });

  it('waits in input_required without a worker slot or a running activity', async () => {
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-x`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const handle = product.client.workflow.getHandle(
        workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId),
      );
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.raw.pendingActivities ?? []).toEqual([]);
      await handle.cancel();
    } finally {
      await mcp.close();
    }
  });

  it('rejects an answer that breaks the schema and asks again; the task stays input_required meanwhile', async () => {
    let calls = 0;
    let statusDuringSecondQuestion: string | undefined;
    const answers: ElicitationAnswerer = () => {
      calls++;
      return calls === 1
        ? { action: 'accept', content: { confirmed: 'yes' } }
        : { action: 'accept', content: { confirmed: false } };
    };
    const mcp = await connectMcpWithElicitation(
      product.mcpUrl!,
      (request, context) => {
        if (calls === 1) void getTask(mcp.client, taskId).then((t) => (statusDuringSecondQuestion = t.status));
        return answers(request, context);
      },
      { standaloneStream: false },
    );
    const tag = freshTag();
    await record(mcp.client, `${tag}-x`, [tag]);
    const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
    const taskId = task.taskId;
    try {
      const result = await getTaskResult(mcp.client, taskId);
      expect(result.structuredContent).toEqual({ deleted: 0 });
      expect(mcp.questions).toHaveLength(2);
      expect(mcp.questions[1]!.message).toMatch(
        /^Invalid answer: confirmed must be true or false\. Confirm deletion of 1 record\?$/,
      );
      expect(statusDuringSecondQuestion).toBe('input_required');
      expect(await recentTitles(mcp.client, tag)).toEqual([`${tag}-x`]);
    } finally {
      await mcp.close();
    }
  });

  it.each([
    ['decline', { action: 'decline' as const }, 'Nothing deleted: the confirmation was declined.'],
    ['cancel', { action: 'cancel' as const }, 'Nothing deleted: the confirmation was cancelled.'],
    [
      'confirmed=false',
      { action: 'accept' as const, content: { confirmed: false } },
      'Nothing deleted: deletion was not confirmed.',
    ],
  ])('deletes nothing when the answer is %s', async (_label, answer, text) => {
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, () => answer, { standaloneStream: false });
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-1`, [tag]);
      await record(mcp.client, `${tag}-2`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 0 });
      expect(result.content[0]).toEqual({ type: 'text', text });
      expect(await recentTitles(mcp.client, tag)).toEqual([`${tag}-1`, `${tag}-2`]);
    } finally {
      await mcp.close();
    }
  });

  it('completes with deleted: 0 without asking when nothing matches', async () => {
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, () => ({
      action: 'accept',
      content: { confirmed: true },
    }));
    try {
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag: freshTag() });
      expect((await getTaskResult(mcp.client, task.taskId)).structuredContent).toEqual({ deleted: 0 });
      expect(mcp.questions).toEqual([]);
    } finally {
      await mcp.close();
    }
  });

  it('asks a client that only polls tasks/get on its standalone GET stream, and applies the answer', async () => {
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, () => ({
      action: 'accept',
      content: { confirmed: true },
    }));
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-1`, [tag]);
      await record(mcp.client, `${tag}-2`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      const done = await waitForTask(mcp.client, task.taskId, (t) => t.status === 'completed', 30_000);
      expect(done.status).toBe('completed');
      expect(mcp.questions).toEqual([
        expect.objectContaining({
          message: 'Confirm deletion of 2 records?',
          _meta: { 'io.modelcontextprotocol/related-task': { taskId: task.taskId } },
        }),
      ]);
      expect(await recentTitles(mcp.client, tag)).toEqual([]);
      expect((await getTaskResult(mcp.client, task.taskId)).structuredContent).toEqual({ deleted: 2 });
    } finally {
      await mcp.close();
    }
  });

  it('asks a client that calls tasks/result at once only on that stream, not also on its open GET stream', async () => {
    // The client thinks before it answers: long enough for the GET stream's poll (every 200 ms here) to
    // ask a second copy if it were going to; a second copy ends the wait at once.
    const thinkMs = 3_000;
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, async () => {
      const deadline = Date.now() + thinkMs;
      while (mcp.questions.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return { action: 'accept', content: { confirmed: true } };
    });
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-1`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 1 });
      expect(mcp.questions).toEqual([
        expect.objectContaining({
          message: 'Confirm deletion of 1 record?',
          _meta: { 'io.modelcontextprotocol/related-task': { taskId: task.taskId } },
        }),
      ]);
      expect(audit.filter((event) => event.taskId === task.taskId && event.event === 'task.input.rejected')).toEqual(
        [],
      );
    } finally {
      await mcp.close();
    }
  });

  it('applies the first answer when the question is asked on two streams; the second answer changes nothing', async () => {
    let releaseFirst: () => void = () => undefined;
    const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstWithdrawn = false;
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, async (_request, { signal, index }) => {
      if (index !== 1) return { action: 'accept', content: { confirmed: true } };
      // The GET stream's copy: answered late, with the opposite choice.
      signal.addEventListener('abort', () => (firstWithdrawn = true));
      await firstReleased;
      return { action: 'accept', content: { confirmed: false } };
    });
    try {
      // SDK 1.32 clients ignore notifications/cancelled for request id 0 (a falsy id): a first question,
      // answered at once, uses that id up, so that the client can see the GET copy withdrawn.
      const warmUp = freshTag();
      await record(mcp.client, `${warmUp}-1`, [warmUp]);
      const warmUpTask = await callToolAsTask(mcp.client, 'purge_decisions', { tag: warmUp });
      await waitForTask(mcp.client, warmUpTask.taskId, (t) => t.status === 'completed', 30_000);

      const tag = freshTag();
      await record(mcp.client, `${tag}-1`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await until(() => mcp.questions.length === 2);
      // The client now also calls tasks/result: the same question comes on that stream, and is answered.
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 1 });
      expect(mcp.questions).toHaveLength(3);
      releaseFirst();
      const rejected = (): AuditEvent | undefined =>
        audit.find((event) => event.taskId === task.taskId && event.event === 'task.input.rejected');
      // Either the server withdrew the GET stream's question, or it refused the late answer, saying why.
      await until(() => firstWithdrawn || rejected() !== undefined);
      if (rejected()) expect(rejected()?.reason).toContain('already answered');
      expect(audit.filter((event) => event.taskId === task.taskId && event.event === 'task.input')).toEqual([
        expect.objectContaining({ action: 'accept' }),
      ]);
      expect(await recentTitles(mcp.client, tag)).toEqual([]);
      expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
    } finally {
      releaseFirst();
      await mcp.close();
    }
  });

  it('answers tasks/result when the first of two answers closes the task and the second is cut off', async () => {
    // Both copies of the question (GET stream and tasks/result stream) are declined at once: the first
    // decline ends the workflow, which aborts the other answer's update; that must not fail the result.
    const mcp = await connectMcpWithElicitation(product.mcpUrl!, () => ({ action: 'decline' }));
    try {
      for (let round = 0; round < 5; round++) {
        const tag = freshTag();
        await record(mcp.client, `${tag}-1`, [tag]);
        const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
        await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required' || t.status === 'completed');
        const result = await getTaskResult(mcp.client, task.taskId);
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ deleted: 0 });
        expect(await recentTitles(mcp.client, tag)).toEqual([`${tag}-1`]);
      }
    } finally {
      await mcp.close();
    }
  });

  it('treats a client whose elicitation capability is URL-only as unable to answer the form', async () => {
    const mcp = await connectMcp(product.mcpUrl!, { capabilities: { elicitation: { url: {} } } });
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-x`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const error = await mcp.client
        .request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: 20_000 })
        .then(
          () => undefined,
          (err: unknown) => err as { code: number; message: string },
        );
      expect(error).toMatchObject({ code: -32600, message: expect.stringContaining('form elicitation') });
      expect((await getTask(mcp.client, task.taskId)).status).toBe('input_required');
      await cancelTask(mcp.client, task.taskId);
    } finally {
      await mcp.close();
    }
  });

  it('gives a client without the elicitation capability a clear error instead of a hang', async () => {
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const tag = freshTag();
      await record(mcp.client, `${tag}-x`, [tag]);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const error = await mcp.client
        .request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, { timeout: 20_000 })
        .then(
          () => undefined,
          (err: unknown) => err as { code: number; message: string },
        );
      expect(error?.code).toBe(-32600);
      expect(error?.message).toContain('elicitation capability');
      expect((await getTask(mcp.client, task.taskId)).status).toBe('input_required');
      expect(await recentTitles(mcp.client, tag)).toEqual([`${tag}-x`]);
    } finally {
      await mcp.close();
    }
  });
});

describe('input_required across a restart of the MCP server', () => {
  it('asks the pending question again after the restart, and the answer still reaches the workflow', async () => {
    const config = testConfig();
    const worker = await startTestProduct(config, { http: false });
    let http = await startTestProduct(config, { worker: false });
    try {
      const first = await connectMcpWithElicitation(
        http.mcpUrl!,
        () => ({ action: 'accept', content: { confirmed: true } }),
        { standaloneStream: false },
      );
      const sessionId = first.sessionId();
      await record(first.client, 'restart-1', ['restart']);
      const task = await callToolAsTask(first.client, 'purge_decisions', { tag: 'restart' });
      await waitForTask(first.client, task.taskId, (t) => t.status === 'input_required');
      await first.close();
      await http.close();

      http = await startTestProduct(config, { worker: false });
      const again = await connectMcpWithElicitation(
        http.mcpUrl!,
        () => ({ action: 'accept', content: { confirmed: true } }),
        { sessionId, standaloneStream: false },
      );
      const result = await getTaskResult(again.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 1 });
      expect(again.questions.map((q) => q.message)).toEqual(['Confirm deletion of 1 record?']);
      await again.close();
    } finally {
      await http.close();
      await worker.close();
    }
  });
});

describe('input_required with a slow human', () => {
  it('asks the question again on the same stream when the client does not answer in time, instead of failing', async () => {
    const product = await startTestProduct(testConfig({ ELICITATION_TIMEOUT_MS: '1500' }));
    // The human answers the first question only after the server gave up on it and asked again; that
    // late answer ("cancel") would make the task delete nothing if the server applied it.
    const mcp = await connectMcpWithElicitation(
      product.mcpUrl!,
      async (_request, { signal, index }) => {
        if (index > 0) return { action: 'accept', content: { confirmed: true } };
        await until(() => signal.aborted || mcp.questions.length > 1);
        return { action: 'cancel' };
      },
      { standaloneStream: false },
    );
    try {
      await record(mcp.client, 'slow-1', ['slow']);
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag: 'slow' });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 1 });
      expect(mcp.questions.map((question) => question.message)).toEqual([
        'Confirm deletion of 1 record?',
        'Confirm deletion of 1 record?',
      ]);
    } finally {
      await mcp.close();
      await product.close();
    }
  });
});
