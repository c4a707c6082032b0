import { startConformanceServer, type RunningConformanceServer } from '../conformance/conformance-server';
import { testConfig } from '../helpers/product';
import { ModernClient, WITH_TASKS, isTerminal, ok } from '../helpers/modern-client';
import { callToolAsTask, connectMcpWithElicitation, getTaskResult } from '../helpers/mcp-client';

/**
 * Questions on the 2026-07-28 wire: several outstanding at once inside a task (§5 #29), and questions
 * asked before the task exists (MRTR, §5 #15, #37), on the conformance fixtures run as real workflows.
 * The same fixtures over 2025-11-25 ask the same questions one at a time through `tasks/result`.
 */
describe('2026-07-28 questions: several at once, and before the task', () => {
  let server: RunningConformanceServer;
  let client: ModernClient;
  const WITH_FORMS = { ...WITH_TASKS, elicitation: {} };

  beforeAll(async () => {
    server = await startConformanceServer(testConfig());
    client = new ModernClient(server.url, WITH_FORMS);
  });

  afterAll(async () => {
    await server?.close();
  });

  /** A `multi_input` task with both its questions outstanding: their keys, name question first. */
  const waitingMultiInput = async (): Promise<{ taskId: string; nameKey: string; confirmKey: string }> => {
    const created = await client.call('multi_input');
    const taskId = created.taskId as string;
    const task = await client.waitForTask(taskId, (t) => t.status === 'input_required');
    const requests = task.inputRequests as Record<string, { params: { message: string } }>;
    const keyOf = (message: string): string =>
      Object.keys(requests).find((key) => requests[key]!.params.message === message)!;
    return { taskId, nameKey: keyOf('Your name?'), confirmKey: keyOf('Confirm?') };
  };

  it('§5 #29 #23: a task asking two questions lists both at once; answering one leaves exactly the other on the next tasks/get, answering it completes', async () => {
    const { taskId, nameKey, confirmKey } = await waitingMultiInput();
    expect(nameKey).toBeDefined();
    expect(confirmKey).toBeDefined();
    expect(nameKey).not.toBe(confirmKey);

    const ack = ok(
      await client.request('tasks/update', {
        taskId,
        inputResponses: { [nameKey]: { action: 'accept', content: { name: 'Ada' } } },
      }),
    );
    expect(ack.resultType).toBe('complete');
    // Read-your-writes: the very next read shows only the question still open.
    const partial = await client.getTask(taskId);
    expect(partial.status).toBe('input_required');
    expect(Object.keys(partial.inputRequests as object)).toEqual([confirmKey]);

    // An answer to the key already answered is not outstanding any more: ignored, acknowledged.
    ok(
      await client.request('tasks/update', {
        taskId,
        inputResponses: { [nameKey]: { action: 'accept', content: { name: 'Eve' } } },
      }),
    );
    ok(
      await client.request('tasks/update', {
        taskId,
        inputResponses: { [confirmKey]: { action: 'accept', content: { confirm: true } } },
      }),
    );
    const done = await client.waitForTask(taskId, isTerminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Ada confirmed.' }] } });
  });

  it('§5 #29: both answers in one tasks/update complete the task', async () => {
    const { taskId, nameKey, confirmKey } = await waitingMultiInput();
    ok(
      await client.request('tasks/update', {
        taskId,
        inputResponses: {
          [nameKey]: { action: 'accept', content: { name: 'Grace' } },
          [confirmKey]: { action: 'decline' },
        },
      }),
    );
    expect((await client.getTask(taskId)).inputRequests).toBeUndefined();
    const done = await client.waitForTask(taskId, isTerminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Grace did not confirm.' }] } });
  });

  it('§5 #29: an invalid answer to one question is refused with its reason while the valid one beside it counts', async () => {
    const { taskId, nameKey, confirmKey } = await waitingMultiInput();
    const refused = await client.request('tasks/update', {
      taskId,
      inputResponses: {
        [nameKey]: { action: 'accept', content: { name: 'Lin' } },
        [confirmKey]: { action: 'accept', content: { confirm: 'yes' } },
      },
    });
    expect(refused.error?.code).toBe(-32602);
    expect(refused.error?.message).toContain('confirm must be true or false');
    const still = await client.getTask(taskId);
    expect(still.status).toBe('input_required');
    expect(Object.keys(still.inputRequests as object)).toEqual([confirmKey]);
    ok(await client.request('tasks/cancel', { taskId }));
  });

  it('§5 #15: a tool that asks before it starts answers input_required with requestState and no task; the next round creates the task, whose result has the answer', async () => {
    const first = ok(await client.request('tools/call', { name: 'test_tool_with_task', arguments: {} }));
    expect(first.resultType).toBe('input_required');
    expect(first.taskId).toBeUndefined();
    expect(typeof first.requestState).toBe('string');
    expect(first.inputRequests).toEqual({
      user_name: {
        method: 'elicitation/create',
        params: { mode: 'form', message: 'What is your name?', requestedSchema: expect.any(Object) },
      },
    });

    const created = ok(
      await client.request('tools/call', {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } },
        requestState: first.requestState,
      }),
    );
    expect(created.resultType).toBe('task');
    expect(created.requestState).toBeUndefined();
    expect(created.inputRequests).toBeUndefined();
    const done = await client.waitForTask(created.taskId as string, isTerminal);
    // The task never asked: the answer came before it existed.
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ text: 'Hello from a task, Alice.' }] } });
  });

  it('§5 #15: a missing or invalid answer is asked again with the reason, under a new requestState', async () => {
    const first = ok(await client.request('tools/call', { name: 'test_tool_with_task', arguments: {} }));
    const again = ok(
      await client.request('tools/call', {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: { user_name: { action: 'accept', content: { name: '' } } },
        requestState: first.requestState,
      }),
    );
    expect(again.resultType).toBe('input_required');
    expect(again.taskId).toBeUndefined();
    const question = (again.inputRequests as Record<string, { params: { message: string } }>).user_name!;
    expect(question.params.message).toContain('name must be at least 1 characters');
    const declined = ok(
      await client.request('tools/call', {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: { user_name: { action: 'decline' } },
        requestState: again.requestState,
      }),
    );
    expect(declined.resultType).toBe('task');
    const done = await client.waitForTask(declined.taskId as string, isTerminal);
    expect(done).toMatchObject({
      status: 'completed',
      result: { content: [{ text: 'Hello from a task, stranger.' }] },
    });
  });

  it('§5 #15 (input-required-result-multi-round): a question that depends on an answer is asked in the next round, under a new requestState; the last round runs the call', async () => {
    const call = (extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
      client
        .request('tools/call', { name: 'test_input_required_result_multi_round', arguments: {}, ...extra })
        .then(ok);
    const first = await call();
    expect(first.resultType).toBe('input_required');
    expect(Object.keys(first.inputRequests as object)).toEqual(['step1']);
    const second = await call({
      inputResponses: { step1: { action: 'accept', content: { name: 'Alice' } } },
      requestState: first.requestState,
    });
    expect(second.resultType).toBe('input_required');
    expect(Object.keys(second.inputRequests as object)).toEqual(['step2']);
    expect(second.requestState).not.toBe(first.requestState);
    const done = await call({
      inputResponses: { step2: { action: 'accept', content: { color: 'blue' } } },
      requestState: second.requestState,
    });
    // The first answer rode along in the sealed state.
    expect(done).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Alice likes blue.' }] });
  });

  it('§5 #15 (input-required-result-ignore-extra-params): answers sent with the first call count without a requestState, and keys of no question are ignored', async () => {
    const done = ok(
      await client.request('tools/call', {
        name: 'test_input_required_result_elicitation',
        arguments: {},
        inputResponses: {
          user_name: { action: 'accept', content: { name: 'Alice' } },
          unknown_extra_key: { action: 'accept', content: { foo: 'bar' } },
        },
      }),
    );
    expect(done).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Hello, Alice!' }] });
  });

  it('§5 #37: a tampered or forged requestState is refused with -32602 (its binding to owner, tool and arguments: request-state.test.ts); a tool that asks nothing ignores the MRTR fields', async () => {
    const first = ok(await client.request('tools/call', { name: 'test_tool_with_task', arguments: {} }));
    const state = first.requestState as string;
    const [version, payload, mac] = state.split('.') as [string, string, string];
    const tampered = `${version}.${payload}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const answers = { user_name: { action: 'accept', content: { name: 'Mallory' } } };
    for (const requestState of [tampered, 'v1.e30.AAAA', 'not-a-state']) {
      const refused = await client.request('tools/call', {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: answers,
        requestState,
      });
      expect(refused.error).toMatchObject({ code: -32602, message: expect.stringContaining('requestState') });
    }
    const otherCall = await client.request('tools/call', {
      name: 'slow_compute',
      arguments: { seconds: 0 },
      inputResponses: answers,
      requestState: state,
    });
    // slow_compute asks nothing before it starts: its call ignores MRTR fields and runs.
    expect(otherCall.result?.resultType).toBe('complete');
  });

  it('§5 #30: a request that did not declare form elicitation is not asked: -32021 naming the capability', async () => {
    const answer = await client.request(
      'tools/call',
      { name: 'test_tool_with_task', arguments: {} },
      { capabilities: WITH_TASKS },
    );
    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: { form: {} } } },
    });
  });

  it('§5 #38: over 2025-11-25 the same tools ask inside the task, one question at a time through tasks/result', async () => {
    const mcp = await connectMcpWithElicitation(
      server.url,
      (question) =>
        question.message === 'Your name?'
          ? { action: 'accept', content: { name: 'Bo' } }
          : question.message === 'Confirm?'
            ? { action: 'accept', content: { confirm: true } }
            : { action: 'accept', content: { name: 'Cy' } },
      { standaloneStream: false },
    );
    try {
      const multi = await callToolAsTask(mcp.client, 'multi_input', {});
      expect((await getTaskResult(mcp.client, multi.taskId)).content).toEqual([
        { type: 'text', text: 'Bo confirmed.' },
      ]);
      const named = await callToolAsTask(mcp.client, 'test_tool_with_task', {});
      expect((await getTaskResult(mcp.client, named.taskId)).content).toEqual([
        { type: 'text', text: 'Hello from a task, Cy.' },
      ]);
      expect(mcp.questions.map((question) => question.message)).toEqual([
        'Your name?',
        'Confirm?',
        'What is your name?',
      ]);
    } finally {
      await mcp.close();
    }
  });
});
