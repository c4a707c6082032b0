import { randomUUID } from 'node:crypto';
import type { RunningProduct } from '../../src/app';
import {
  INITIALIZE_BODY,
  makeKey,
  postMcp,
  signToken,
  writeJwksFile,
  type TestKey,
  type TokenOptions,
} from '../helpers/auth';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  getTask,
  getTaskResult,
  listTasks,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';
import { startTestProduct, testConfig } from '../helpers/product';

// Unique per run: a principal (iss + sub) owns its tasks across every test that uses it.
const ISSUER = `https://id.example.test/realms/team/${randomUUID()}`;
const SCOPE = 'mcp:tools';

describe('authentication with bearer tokens (JWKS file)', () => {
  let product: RunningProduct;
  let replica: RunningProduct;
  let rsa: TestKey;
  let ec: TestKey;
  let stranger: TestKey;
  let url: string;
  const clients: TestClient[] = [];

  const token = (overrides: Partial<TokenOptions> = {}, key: TestKey = rsa): Promise<string> =>
    signToken(key, { issuer: ISSUER, audience: url, subject: 'alice', scope: `openid ${SCOPE}`, ...overrides });
  const connectAs = async (subject: string, key: TestKey = rsa): Promise<TestClient> => {
    const client = await connectMcp(url, { token: await token({ subject }, key) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [rsa, ec, stranger] = await Promise.all([
      makeKey('rsa-1', 'RS256'),
      makeKey('ec-1', 'ES256'),
      makeKey('rsa-1', 'RS256'),
    ]);
    const probe = testConfig();
    const env = {
      DATA_DIR: probe.dataDir,
      TASK_QUEUE: probe.taskQueue,
      MCP_AUTH_ISSUER: ISSUER,
      MCP_AUTH_JWKS_FILE: writeJwksFile(probe.dataDir, [rsa, ec]),
      MCP_AUTH_REQUIRED_SCOPES: SCOPE,
    };
    product = await startTestProduct(testConfig(env));
    url = product.mcpUrl!;
    // A second MCP server on the same task queue, as behind a load balancer. Its own URL is another
    // audience, so it is told the first one's.
    replica = await startTestProduct(testConfig({ ...env, MCP_AUTH_AUDIENCE: url }), { worker: false });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await replica?.close();
    await product?.close();
  });

  it('refuses a request without a token with 401 and a pointer to the protected-resource metadata', async () => {
    const response = await postMcp(url, INITIALIZE_BODY);
    expect(response.status).toBe(401);
    const origin = new URL(url).origin;
    expect(response.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp", scope="${SCOPE}"`,
    );
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/Authorization: Bearer/);
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['a bad signature', () => token({}, stranger), /signature is invalid/],
    ['another issuer', () => token({ issuer: 'https://evil.example.test' }), /another issuer/],
    ['another audience', () => token({ audience: 'https://other.example.test/mcp' }), /another audience/],
    ['an expired token', () => token({ expiresIn: -120 }), /expired/],
    ['a token not valid yet', () => token({ notBefore: 300 }), /not valid yet/],
    ['a token without a subject', () => token({ subject: undefined }), /sub claim is missing/],
    ['an unknown key id', () => token({ kid: 'nobody' }), /No key of the issuer/],
    ['a token that is not a JWT', async () => 'not-a-jwt', /malformed/],
  ])('refuses %s with 401 invalid_token, opening no session', async (_label, makeToken, description) => {
    const sessionsBefore = product.mcpSessionCount();
    const response = await postMcp(url, INITIALIZE_BODY, { authorization: `Bearer ${await makeToken()}` });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toMatch(description);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(product.mcpSessionCount()).toBe(sessionsBefore);
  });

  it('accepts a token that expired within the clock skew (30 s)', async () => {
    const response = await postMcp(url, INITIALIZE_BODY, { authorization: `Bearer ${await token({ expiresIn: -5 })}` });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('refuses a valid token without the required scope with 403 insufficient_scope', async () => {
    const response = await postMcp(url, INITIALIZE_BODY, {
      authorization: `Bearer ${await token({ scope: 'openid' })}`,
    });
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain(`scope="${SCOPE}"`);
  });

  it('accepts scopes given as an scp array', async () => {
    const scp = await token({ scope: undefined, claims: { scp: ['openid', SCOPE] } });
    const response = await postMcp(url, INITIALIZE_BODY, { authorization: `Bearer ${scp}` });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('publishes the protected-resource metadata (RFC 9728) at the advertised URL and the plain well-known path', async () => {
    const challenge = (await postMcp(url, INITIALIZE_BODY)).headers.get('www-authenticate') ?? '';
    const advertised = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    const expected = {
      resource: url,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: [SCOPE],
    };
    for (const metadataUrl of [advertised, `${new URL(url).origin}/.well-known/oauth-protected-resource`]) {
      const response = await fetch(metadataUrl);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(expected);
    }
  });

  it('lets a principal reach its tasks from a new session, with a token of another key, and on another replica', async () => {
    const first = await connectAs('alice', rsa);
    const task = await callToolAsTask(first.client, 'long_running_operation', { duration: 0, steps: 1 });
    await first.close();

    const second = await connectAs('alice', ec);
    expect(second.sessionId()).not.toBe(first.sessionId());
    await waitForTask(second.client, task.taskId, (t) => t.status === 'completed');
    expect((await getTaskResult(second.client, task.taskId)).isError).toBeFalsy();
    expect((await listTasks(second.client)).tasks.map((t) => t.taskId)).toContain(task.taskId);

    const elsewhere = await connectMcp(replica.mcpUrl!, { token: await token({ subject: 'alice' }) });
    clients.push(elsewhere);
    expect((await getTask(elsewhere.client, task.taskId)).status).toBe('completed');
  });

  it('hides a principal’s tasks from another principal: get, result and cancel answer like an unknown id, list omits them', async () => {
    const alice = await connectAs('alice');
    const bob = await connectAs('bob');
    const task = await callToolAsTask(alice.client, 'long_running_operation', { duration: 30, steps: 30 });
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const errorOf = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
    for (const call of [getTask, (c: typeof bob.client, id: string) => getTaskResult(c, id, 10_000), cancelTask]) {
      const foreign = await errorOf(call(bob.client, task.taskId));
      const missing = await errorOf(call(bob.client, unknown));
      expect(foreign?.code).toBe(-32602);
      expect(foreign?.message.replace(task.taskId, 'ID')).toBe(missing?.message.replace(unknown, 'ID'));
    }
    expect((await listTasks(bob.client)).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
    expect((await getTask(alice.client, task.taskId)).status).toBe('working');
    await cancelTask(alice.client, task.taskId);
  });

  it("answers 404 to a session id presented with another principal's token, and 401 without a token", async () => {
    const alice = await connectAs('alice');
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' });
    const headers = { 'mcp-session-id': alice.sessionId(), 'mcp-protocol-version': '2025-11-25' };
    const asBob = await postMcp(url, ping, { ...headers, authorization: `Bearer ${await token({ subject: 'bob' })}` });
    expect(asBob.status).toBe(404);
    expect((await postMcp(url, ping, headers)).status).toBe(401);
    const asAlice = await postMcp(url, ping, {
      ...headers,
      authorization: `Bearer ${await token({ subject: 'alice' })}`,
    });
    expect(asAlice.status).toBe(200);
    await asAlice.body?.cancel();
  });
});

describe('serving without authentication', () => {
  it('refuses to listen beyond loopback, naming the settings that change it', async () => {
    await expect(startTestProduct(testConfig({ MCP_HOST: '0.0.0.0' }), { worker: false })).rejects.toThrow(
      /not a loopback address.*MCP_AUTH_ISSUER.*MCP_ALLOW_UNAUTHENTICATED=1/,
    );
  });

  it('listens beyond loopback with MCP_ALLOW_UNAUTHENTICATED=1 and warns at start', async () => {
    const product = await startTestProduct(testConfig({ MCP_HOST: '0.0.0.0', MCP_ALLOW_UNAUTHENTICATED: '1' }), {
      worker: false,
    });
    try {
      expect(product.warnings).toEqual([expect.stringMatching(/without authentication on 0\.0\.0\.0/)]);
    } finally {
      await product.close();
    }
  });

  it('answers no protected-resource metadata', async () => {
    const product = await startTestProduct(testConfig(), { worker: false });
    try {
      const response = await fetch(`${new URL(product.mcpUrl!).origin}/.well-known/oauth-protected-resource/mcp`);
      expect(response.status).toBe(404);
      await response.body?.cancel();
    } finally {
      await product.close();
    }
  });
});
