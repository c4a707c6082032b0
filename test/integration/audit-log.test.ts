import { randomUUID } from 'node:crypto';
import type { RunningProduct } from '../../src/app';
import type { AuditEvent } from '../../src/mcp/audit-log';
import { INITIALIZE_BODY, makeKey, postMcp, signToken, authTestConfig, type TestKey } from '../helpers/auth';
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
import { startTestProduct } from '../helpers/product';
import { scopeKey } from '../../src/tasks/owner';
import { principalOwner } from '../../src/auth/principal';

// Unique per run: a principal (iss + sub) owns its tasks across every test that uses it.
const ISSUER = `https://id.example.test/${randomUUID()}`;

/**
 * The audit log names who did what (principal and client address) for every task operation and every
 * refused request, and never carries a token or a session id.
 */
describe('the audit log', () => {
  let product: RunningProduct;
  let key: TestKey;
  let url: string;
  const events: (AuditEvent & { time: string })[] = [];
  const tokens: string[] = [];
  const clients: TestClient[] = [];

  const connectAs = async (subject: string): Promise<TestClient> => {
    const token = await signToken(key, { issuer: ISSUER, audience: url, subject });
    tokens.push(token);
    const client = await connectMcp(url, { token });
    clients.push(client);
    return client;
  };
  const eventsOf = (name: AuditEvent['event']) => events.filter((event) => event.event === name);

  beforeAll(async () => {
    key = await makeKey('k1', 'RS256');
    product = await startTestProduct(authTestConfig(ISSUER, [key]), { auditSink: (event) => events.push(event) });
    url = product.mcpUrl!;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await product?.close();
  });

  it('records task operations and refusals with principal and address, never a token or a session id', async () => {
    const alice = await connectAs('alice');
    const bob = await connectAs('bob');
    const quick = await callToolAsTask(alice.client, 'long_running_operation', { duration: 0, steps: 1 });
    const slow = await callToolAsTask(alice.client, 'long_running_operation', { duration: 600, steps: 600 });
    await getTask(alice.client, slow.taskId);
    await listTasks(alice.client);
    await waitForTask(alice.client, quick.taskId, (task) => task.status === 'completed');
    await getTaskResult(alice.client, quick.taskId);
    await cancelTask(alice.client, slow.taskId);
    expect(await errorCodeOf(getTask(bob.client, slow.taskId))).toBe(-32602);
    expect((await postMcp(url, INITIALIZE_BODY)).status).toBe(401);
    const unknownSession = await postMcp(url, INITIALIZE_BODY, {
      authorization: `Bearer ${tokens[0]}`,
      'mcp-session-id': 'not-a-session',
    });
    expect(unknownSession.status).toBe(404);
    // Completion is recorded when the watching server sees it.
    const deadline = Date.now() + 30_000;
    while (eventsOf('task.completed').length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    const aliceActor = { principal: `alice at ${ISSUER}`, clientAddress: expect.stringMatching(/127\.0\.0\.1|::1/) };
    expect(eventsOf('task.created')).toEqual([
      expect.objectContaining({ taskId: quick.taskId, tool: 'long_running_operation', ...aliceActor }),
      expect.objectContaining({ taskId: slow.taskId, ...aliceActor }),
    ]);
    expect(eventsOf('task.read')).toContainEqual(expect.objectContaining({ taskId: slow.taskId, ...aliceActor }));
    expect(eventsOf('task.listed')).toContainEqual(expect.objectContaining({ count: 2, ...aliceActor }));
    expect(eventsOf('task.completed')).toEqual([expect.objectContaining({ taskId: quick.taskId, ...aliceActor })]);
    expect(eventsOf('task.result')).toContainEqual(expect.objectContaining({ taskId: quick.taskId, status: 'ok' }));
    expect(eventsOf('task.cancelled')).toEqual([expect.objectContaining({ taskId: slow.taskId, ...aliceActor })]);
    expect(eventsOf('request.refused')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ taskId: slow.taskId, reason: 'tasks/get: not-found', principal: `bob at ${ISSUER}` }),
        expect.objectContaining({
          status: 401,
          reason: 'auth: missing_token',
          clientAddress: aliceActor.clientAddress,
        }),
        expect.objectContaining({ status: 404, reason: 'session not found', principal: `alice at ${ISSUER}` }),
      ]),
    );
    const logged = JSON.stringify(events);
    for (const secret of [...tokens, alice.sessionId(), bob.sessionId()]) expect(logged).not.toContain(secret);
  });

  it('records a task the clean-up schedule deleted when its TTL ran out', async () => {
    const expired: { workflowId: string; scope: string | undefined }[] = [];
    const cleaning = await startTestProduct(authTestConfig(ISSUER, [key], { TASK_CLEANUP_INTERVAL_SECONDS: '1' }), {
      activityObserver: { onCancelled: () => undefined, onTaskExpired: (report) => expired.push(report) },
    });
    try {
      const token = await signToken(key, { issuer: ISSUER, audience: cleaning.mcpUrl!, subject: 'carol' });
      const carol = await connectMcp(cleaning.mcpUrl!, { token });
      clients.push(carol);
      const task = await callToolAsTask(
        carol.client,
        'long_running_operation',
        { duration: 0, steps: 1 },
        { ttl: 1000 },
      );
      const deadline = Date.now() + 90_000;
      while (!expired.some((report) => report.workflowId.endsWith(task.taskId)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const owner = principalOwner({ issuer: ISSUER, subject: 'carol', scopes: [], tenant: 'carol' });
      expect(expired).toContainEqual({ workflowId: expect.stringContaining(task.taskId), scope: scopeKey(owner) });
    } finally {
      await cleaning.close();
    }
  }, 150_000);
});
