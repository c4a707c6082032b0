import { request as httpRequest } from 'node:http';
import type { RunningProduct } from '../../src/app';
import { INITIALIZE_BODY, postMcp } from '../helpers/auth';
import { callToolAsTask, connectMcp, errorCodeOf, listTasks, type TestClient } from '../helpers/mcp-client';
import { startTestProduct, testConfig } from '../helpers/product';

const PING = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' });
const DISCOVER_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'server/discover',
  params: {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});

/** A raw HTTP request, for headers fetch() will not send as given (Host). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function pingStatus(url: string, sessionId: string): Promise<number> {
  const response = await postMcp(url, PING, { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });
  await response.body?.cancel();
  return response.status;
}

describe('the HTTP door', () => {
  let product: RunningProduct;
  let url: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    product = await startTestProduct(
      testConfig({ MCP_ALLOWED_ORIGINS: 'http://app.example.test', MCP_MAX_SESSIONS_PER_OWNER: '3' }),
      { worker: false },
    );
    url = product.mcpUrl!;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await product?.close();
  });

  it('refuses an Origin not in MCP_ALLOWED_ORIGINS with 403, and lets an allowed one or none through', async () => {
    const foreign = await postMcp(url, INITIALIZE_BODY, { origin: 'http://evil.example.test' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toMatch(/MCP_ALLOWED_ORIGINS/);
    for (const headers of [{ origin: 'http://app.example.test' }, {}] as Record<string, string>[]) {
      const response = await postMcp(url, INITIALIZE_BODY, headers);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
  });

  it('dns-rebinding-protection: lets through the Origin of this loopback server itself, and no other port or scheme', async () => {
    const port = new URL(url).port;
    // A stateless 2026-07-28 request: no session is opened, so the per-owner session cap is untouched.
    const discover = (origin: string): Promise<Response> =>
      postMcp(url, DISCOVER_BODY, { origin, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' });
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const response = await discover(origin);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    for (const origin of [`http://127.0.0.1:${Number(port) + 1}`, `https://127.0.0.1:${port}`]) {
      const response = await discover(origin);
      expect(response.status).toBe(403);
      await response.body?.cancel();
    }
  });

  it('refuses a Host this loopback server does not answer to with 403, and a malformed one with 400', async () => {
    const port = new URL(url).port;
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const rebound = await rawRequest(url, {
      headers: { ...headers, host: `evil.example.test:${port}` },
      body: INITIALIZE_BODY,
    });
    expect(rebound.status).toBe(403);
    const malformed = await rawRequest(url, { headers: { ...headers, host: 'a b:1' }, body: INITIALIZE_BODY });
    expect(malformed.status).toBe(400);
    const local = await rawRequest(url, { headers: { ...headers, host: `localhost:${port}` }, body: INITIALIZE_BODY });
    expect(local.status).toBe(200);
  });

  it('leaves no session behind for any refused request', async () => {
    const before = product.mcpSessionCount();
    const port = new URL(url).port;
    const refusals: [number, () => Promise<number>][] = [
      [403, async () => (await postMcp(url, INITIALIZE_BODY, { origin: 'null' })).status],
      [
        403,
        async () =>
          (
            await rawRequest(url, {
              headers: {
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
                host: `x:${port}`,
              },
              body: INITIALIZE_BODY,
            })
          ).status,
      ],
      [415, async () => (await postMcp(url, INITIALIZE_BODY, { 'content-type': 'text/plain' })).status],
      [406, async () => (await postMcp(url, INITIALIZE_BODY, { accept: 'application/json' })).status],
      [413, async () => (await postMcp(url, INITIALIZE_BODY.replace('"raw"', `"${'x'.repeat(1_100_000)}"`))).status],
      [400, async () => (await postMcp(url, '{"jsonrpc":')).status],
      [405, async () => (await fetch(url, { method: 'PUT', body: INITIALIZE_BODY })).status],
      [406, async () => (await fetch(url, { method: 'GET', headers: { accept: 'application/json' } })).status],
      [
        400,
        async () =>
          (await postMcp(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: [1] }))).status,
      ],
    ];
    for (const [expected, send] of refusals) expect(await send()).toBe(expected);
    expect(product.mcpSessionCount()).toBe(before);
  });

  it('answers an initialize with broken params -32602, naming the problem', async () => {
    const response = await postMcp(
      url,
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params: { protocolVersion: 5, capabilities: {} } }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      id: 7,
      error: { code: -32602, message: expect.stringMatching(/^Invalid initialize request: params\.protocolVersion: /) },
    });
  });

  it('refuses a new session past the per-client cap with 429, leaving the others open', async () => {
    // Earlier tests of this file opened sessions from this address; the cap counts them all.
    const before = product.mcpSessionCount();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await postMcp(url, INITIALIZE_BODY);
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 200).length).toBe(Math.max(0, 3 - before));
    expect(product.mcpSessionCount()).toBe(3);
  });
});

describe('session lifetime', () => {
  it('expires a session id after MCP_SESSION_MAX_AGE_SECONDS with 404', async () => {
    const product = await startTestProduct(testConfig({ MCP_SESSION_MAX_AGE_SECONDS: '2' }), { worker: false });
    const client = await connectMcp(product.mcpUrl!);
    try {
      expect(await pingStatus(product.mcpUrl!, client.sessionId())).toBe(200);
      const deadline = Date.now() + 10_000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = await pingStatus(product.mcpUrl!, client.sessionId());
      }
      expect(status).toBe(404);
      expect(product.mcpSessionCount()).toBe(0);
    } finally {
      await client.close().catch(() => undefined);
      await product.close();
    }
  });

  it('refuses an unsupported MCP-Protocol-Version with 400, also where the session must be resumed', async () => {
    const config = testConfig();
    const first = await startTestProduct(config, { worker: false });
    const second = await startTestProduct(testConfig({ DATA_DIR: config.dataDir, TASK_QUEUE: config.taskQueue }), {
      worker: false,
    });
    try {
      const client = await connectMcp(first.mcpUrl!);
      for (const target of [first, second]) {
        for (const method of ['POST', 'GET']) {
          const response = await fetch(target.mcpUrl!, {
            method,
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              'mcp-session-id': client.sessionId(),
              'mcp-protocol-version': '1999-01-01',
            },
            ...(method === 'POST' && { body: PING }),
          });
          expect(`${method} ${response.status} ${await response.text()}`).toMatch(
            new RegExp(`^${method} 400 .*unsupported .*1999-01-01`, 'i'),
          );
        }
      }
      // The session itself is unharmed, on both replicas.
      expect(await pingStatus(second.mcpUrl!, client.sessionId())).toBe(200);
      expect(await pingStatus(first.mcpUrl!, client.sessionId())).toBe(200);
      await client.close();
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('ends a session for good on DELETE: 404 afterwards on this replica, on another one, and after a restart', async () => {
    const config = testConfig();
    const shared = { DATA_DIR: config.dataDir, TASK_QUEUE: config.taskQueue };
    const first = await startTestProduct(config, { worker: false });
    let second = await startTestProduct(testConfig(shared), { worker: false });
    try {
      const ended = await connectMcp(first.mcpUrl!);
      const kept = await connectMcp(first.mcpUrl!);
      const endedId = ended.sessionId();
      expect(await pingStatus(second.mcpUrl!, endedId)).toBe(200);
      await ended.transport.terminateSession();
      expect(await pingStatus(first.mcpUrl!, endedId)).toBe(404);
      expect(await pingStatus(second.mcpUrl!, endedId)).toBe(404);
      await second.close();
      second = await startTestProduct(testConfig(shared), { worker: false });
      expect(await pingStatus(second.mcpUrl!, endedId)).toBe(404);
      expect(await pingStatus(second.mcpUrl!, kept.sessionId())).toBe(200);
      await kept.close();
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('limits across sessions', () => {
  it('counts task requests per client address across all its sessions (without authentication)', async () => {
    const product = await startTestProduct(testConfig({ TASK_REQUEST_RATE_PER_MINUTE: '3' }), { worker: false });
    const [a, b] = [await connectMcp(product.mcpUrl!), await connectMcp(product.mcpUrl!)];
    try {
      await listTasks(a.client);
      await listTasks(b.client);
      await listTasks(a.client);
      expect(await errorCodeOf(listTasks(b.client))).toBe(-32603);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await product.close();
    }
  });

  it('refuses a task past the running-task cap of all owners together', async () => {
    const product = await startTestProduct(testConfig({ TASK_MAX_RUNNING: '1' }));
    const [a, b] = [await connectMcp(product.mcpUrl!), await connectMcp(product.mcpUrl!)];
    try {
      await callToolAsTask(a.client, 'long_running_operation', { duration: 30, steps: 30 });
      const refusal = await callToolAsTask(b.client, 'long_running_operation', { duration: 0, steps: 1 }).then(
        () => undefined,
        (err: unknown) => err as { code: number; message: string },
      );
      expect(refusal?.code).toBe(-32603);
      expect(refusal?.message).toMatch(/limit is 1 for everyone together/);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await product.close();
    }
  });
});
