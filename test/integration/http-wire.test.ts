import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import { RawSession, sseMessages } from '../helpers/raw-http';

describe('Streamable HTTP wire behaviour', () => {
  let product: RunningProduct;

  beforeAll(async () => {
    product = await startTestProduct(testConfig());
  });

  afterAll(async () => {
    await product?.close();
  });

  it('answers /healthz without revealing anything about other clients', async () => {
    await new RawSession(product.mcpUrl!).initialize();
    const response = await fetch(new URL('/healthz', product.mcpUrl));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('§1.16 #20: answers tasks/get, tasks/list and tasks/cancel with plain JSON, not an SSE stream', async () => {
    const raw = new RawSession(product.mcpUrl!);
    await raw.initialize();
    const created = await raw.request('tools/call', {
      name: 'long_running_operation',
      arguments: { duration: 20, steps: 20 },
      task: {},
    });
    expect(created.headers.get('content-type')).toContain('text/event-stream');
    const [message] = await (async () => {
      const all = [];
      for await (const m of sseMessages(created)) all.push(m);
      return all;
    })();
    const taskId = (message!.result as { task: { taskId: string } }).task.taskId;
    for (const [method, params] of [
      ['tasks/get', { taskId }],
      ['tasks/list', {}],
      ['tasks/cancel', { taskId }],
    ] as const) {
      const response = await raw.request(method, params);
      expect(response.headers.get('content-type')).toContain('application/json');
      const body = (await response.json()) as { result?: Record<string, unknown> };
      expect(body.result).toBeDefined();
    }
  });

  it('§1.16 #31: sends the pending question as elicitation/create on the tasks/result response stream', async () => {
    const raw = new RawSession(product.mcpUrl!);
    await raw.initialize({ elicitation: {} });
    const tag = `wire${Date.now()}`;
    await (
      await raw.request('tools/call', {
        name: 'record_decision',
        arguments: { title: 'x', decision: 'y', tags: [tag] },
      })
    ).text();
    const created = await raw.request('tools/call', { name: 'purge_decisions', arguments: { tag }, task: {} });
    let taskId = '';
    for await (const m of sseMessages(created)) taskId = (m.result as { task: { taskId: string } }).task.taskId;

    const resultStream = sseMessages(await raw.request('tasks/result', { taskId }));
    const question = (await resultStream.next()).value as {
      id: number;
      method: string;
      params: Record<string, unknown>;
    };
    expect(question.method).toBe('elicitation/create');
    expect(question.params).toMatchObject({
      message: 'Confirm deletion of 1 record?',
      _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
    });
    const answer = await raw.post({
      jsonrpc: '2.0',
      id: question.id,
      result: { action: 'accept', content: { confirmed: true } },
    });
    expect(answer.status).toBe(202);
    const final = (await resultStream.next()).value as { result: Record<string, unknown> };
    expect(final.result).toMatchObject({
      structuredContent: { deleted: 1 },
      _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
    });
  });

  it('refuses a session id it did not issue with 404, and a body over the limit with 413', async () => {
    const made = await fetch(product.mcpUrl!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'made-up',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(made.status).toBe(404);
    const raw = new RawSession(product.mcpUrl!);
    await raw.initialize();
    const big = await raw.request('tools/call', {
      name: 'record_decision',
      arguments: { title: 'x'.repeat(2_000_000), decision: 'y' },
    });
    expect(big.status).toBe(413);
    const stillServing = await raw.request('tasks/list', {});
    expect(stillServing.status).toBe(200);
  });
});
