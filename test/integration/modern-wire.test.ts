import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import { RawSession } from '../helpers/raw-http';
import { MODERN_VERSION, ModernClient, TASKS_EXTENSION, WITH_TASKS, ok } from '../helpers/modern-client';

/**
 * The 2026-07-28 base wire on `/mcp`, beside 2025-11-25. Titles start with the item numbers of the
 * checklist in the reference's §5 (`docs/spec-checklist-2026-07-28.md` maps them).
 */
describe('2026-07-28 base wire', () => {
  let product: RunningProduct;
  let client: ModernClient;

  beforeAll(async () => {
    product = await startTestProduct(testConfig());
    client = new ModernClient(product.mcpUrl!);
  });

  afterAll(async () => {
    await product?.close();
  });

  it('§5 #1 #9: server/discover lists the version, the extension (never capabilities.tasks), ttlMs and cacheScope', async () => {
    const answer = await client.request('server/discover');
    expect(answer.status).toBe(200);
    const result = ok(answer);
    expect(result).toMatchObject({
      resultType: 'complete',
      supportedVersions: [MODERN_VERSION],
      capabilities: { tools: {}, extensions: { [TASKS_EXTENSION]: {} } },
      cacheScope: 'public',
    });
    expect(Number.isInteger(result.ttlMs)).toBe(true);
    expect((result.capabilities as Record<string, unknown>).tasks).toBeUndefined();
  });

  it('§5 #2: a request without protocolVersion or clientCapabilities in _meta is -32602 with HTTP 400', async () => {
    const noCapabilities = await client.request(
      'tools/list',
      {},
      { meta: { 'io.modelcontextprotocol/protocolVersion': MODERN_VERSION } },
    );
    expect(noCapabilities.status).toBe(400);
    expect(noCapabilities.error?.code).toBe(-32602);
    expect(noCapabilities.error?.message).toContain('clientCapabilities');
    // The 2026-07-28 header alone claims the revision; the body must still name it.
    const noVersion = await client.request('tools/list', {}, { meta: {} });
    expect(noVersion.status).toBe(400);
    expect(noVersion.error?.code).toBe(-32602);
    expect(noVersion.error?.message).toContain('protocolVersion');
  });

  it('§5 #3 #10: the extension counts only on the request that declares it; an optional tool without it runs synchronously', async () => {
    const asTask = await client.call('long_running_operation', { duration: 2, steps: 1 });
    expect(asTask.resultType).toBe('task');
    const sync = await client.call('long_running_operation', { duration: 1, steps: 1 }, { capabilities: {} });
    expect(sync.resultType).toBe('complete');
    expect(JSON.stringify(sync.content)).toContain('Long running operation completed');
    await client.waitForTask(asTask.taskId as string, (task) => task.status === 'completed');
  });

  it('§5 #4 #8: every result carries resultType and serverInfo in _meta', async () => {
    for (const [method, params] of [
      ['server/discover', {}],
      ['tools/list', {}],
      ['tools/call', { name: 'describe_task_limits', arguments: {} }],
    ] as const) {
      const result = ok(await client.request(method, params));
      expect(result.resultType).toBe('complete');
      expect((result._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']).toMatchObject({
        name: 'durable-mcp-tasks',
      });
    }
  });

  it('§5 #5: a missing or mismatched MCP-Protocol-Version, Mcp-Method or Mcp-Name is -32020 with HTTP 400', async () => {
    const cases: Array<Record<string, string | undefined>> = [
      { 'mcp-method': undefined },
      { 'mcp-method': 'tasks/get' },
      { 'mcp-name': 'other_tool' },
      { 'mcp-name': undefined },
    ];
    for (const headers of cases) {
      const answer = await client.request('tools/call', { name: 'describe_task_limits', arguments: {} }, { headers });
      expect(answer.status).toBe(400);
      expect(answer.error?.code).toBe(-32020);
    }
    const wrongVersion = await client.request('tools/list', {}, { headers: { 'mcp-protocol-version': '2025-11-25' } });
    expect(wrongVersion.error?.code).toBe(-32020);
  });

  it('§5 #5: Mcp-Name may be sent base64-encoded', async () => {
    const encoded = `=?base64?${Buffer.from('describe_task_limits').toString('base64')}?=`;
    const answer = await client.request(
      'tools/call',
      { name: 'describe_task_limits', arguments: {} },
      { headers: { 'mcp-name': encoded } },
    );
    expect(answer.result?.resultType).toBe('complete');
  });

  it('§5 #6: an unsupported version is -32022 with the supported ones; an unknown method is -32601 with HTTP 404', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2099-01-01',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const unsupported = await client.request(
      'tools/list',
      {},
      { meta, headers: { 'mcp-protocol-version': '2099-01-01' } },
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.error).toMatchObject({
      code: -32022,
      data: { supported: [MODERN_VERSION], requested: '2099-01-01' },
    });
    const unknown = await client.request('resources/list');
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe(-32601);
  });

  it('§5 #5 #6 (server-stateless header-mismatch-400): a version header that contradicts _meta is -32020, even when _meta names an unknown version', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': 'v999.0.0',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const contradicted = await client.request('server/discover', {}, { meta });
    expect(contradicted.status).toBe(400);
    expect(contradicted.error?.code).toBe(-32020);
    // Header and body agreeing on that version: the version itself is refused.
    const agreed = await client.request(
      'server/discover',
      {},
      { meta, headers: { 'mcp-protocol-version': 'v999.0.0' } },
    );
    expect(agreed.error).toMatchObject({ code: -32022, data: { requested: 'v999.0.0' } });
  });

  it('§5 #9 #38: a 2025-11-25 initialize still gets capabilities.tasks and no extension, and its session works as before', async () => {
    const raw = new RawSession(product.mcpUrl!);
    const response = await raw.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'legacy', version: '1' },
    });
    const text = await response.text();
    expect(text).toContain('"tasks"');
    expect(text).not.toContain(TASKS_EXTENSION);
    raw.sessionId = response.headers.get('mcp-session-id') ?? '';
    expect(raw.sessionId).not.toBe('');
  });

  it('§5 #11: a task-only tool without the extension is -32021 with requiredCapabilities and HTTP 400', async () => {
    const answer = await client.request(
      'tools/call',
      { name: 'analyze_dataset', arguments: { source: 'x.csv' } },
      { capabilities: {} },
    );
    expect(answer.status).toBe(400);
    expect(answer.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    });
  });

  it('§5 #12: params.task of 2025-11-25 is ignored: a synchronous tool answers synchronously', async () => {
    const answer = await client.request('tools/call', {
      name: 'get_recent_decisions',
      arguments: { limit: 1 },
      task: { ttl: 60_000, pollInterval: 1000 },
    });
    expect(answer.result?.resultType).toBe('complete');
    expect(answer.result?.content).toBeDefined();
  });

  it('§5 #16: an optional tool whose call is quick answers synchronously even with the extension', async () => {
    const result = await client.call('long_running_operation', { duration: 0, steps: 1 });
    expect(result.resultType).toBe('complete');
  });

  it('§5 #33: tasks/result and tasks/list are -32601 with HTTP 404, before any header check', async () => {
    for (const method of ['tasks/result', 'tasks/list']) {
      const answer = await client.request(method, { taskId: 'abc' }, { headers: { 'mcp-name': undefined } });
      expect(answer.status).toBe(404);
      expect(answer.error?.code).toBe(-32601);
    }
  });

  it('§5 #39: the 2026-07-28 path ignores Mcp-Session-Id, even an unknown one', async () => {
    const answer = await client.request('tools/list', {}, { headers: { 'mcp-session-id': 'no-such-session' } });
    expect(answer.status).toBe(200);
    expect(answer.result?.tools).toBeDefined();
  });

  it('tools-call-with-progress: a synchronous call with a progressToken answers on an SSE stream of its own: increasing progress, then the response; without one, or refused before it starts, plain JSON', async () => {
    const post = (params: Record<string, unknown>, capabilities: object = {}): Promise<Response> =>
      fetch(product.mcpUrl!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': MODERN_VERSION,
          'mcp-method': 'tools/call',
          'mcp-name': params.name as string,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: {
            ...params,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
              'io.modelcontextprotocol/clientCapabilities': capabilities,
              progressToken: 'p-1',
            },
          },
        }),
      });
    const streamed = await post({ name: 'long_running_operation', arguments: { duration: 3, steps: 3 } });
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    const messages = (await streamed.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map(
        (line) =>
          JSON.parse(line.slice('data: '.length)) as { method?: string; id?: number; params: { progress: number } },
      );
    const progress = messages.slice(0, -1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const notification of progress) {
      expect(notification).toMatchObject({ method: 'notifications/progress', params: { progressToken: 'p-1' } });
    }
    const values = progress.map((notification) => notification.params.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(messages.at(-1)).toMatchObject({ id: 7, result: { resultType: 'complete' } });

    const refused = await post({ name: 'analyze_dataset', arguments: { source: 'x.csv' } });
    expect(refused.headers.get('content-type')).toContain('application/json');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32021);
  });

  it('lists tools with caching hints and without the 2025-11-25 execution.taskSupport field', async () => {
    const result = ok(await client.request('tools/list'));
    expect(result).toMatchObject({ resultType: 'complete', cacheScope: 'public' });
    expect(Number.isInteger(result.ttlMs)).toBe(true);
    const tools = result.tools as Array<Record<string, unknown>>;
    expect(tools.map((tool) => tool.name)).toContain('purge_decisions');
    for (const tool of tools) expect(tool.execution).toBeUndefined();
  });

  it('answers a notification with 202 and nothing else', async () => {
    const response = await fetch(product.mcpUrl!, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN_VERSION,
        'mcp-method': 'notifications/cancelled',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: {
          requestId: 1,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
            'io.modelcontextprotocol/clientCapabilities': WITH_TASKS,
          },
        },
      }),
    });
    expect(response.status).toBe(202);
  });
});
