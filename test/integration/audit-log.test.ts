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
import { ModernClient, WITH_TASKS, isTerminal, ok } from '../helpers/modern-client';
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

  it("records the 2026-07-28 wire's task operations and refusals the same way, each with its request's correlation id", async () => {
    const modernAs = async (subject: string): Promise<ModernClient> => {
      const token = await signToken(key, { issuer: ISSUER, audience: url, subject });
      tokens.push(token);
      return new ModernClient(url, { ...WITH_TASKS, elicitation: {} }, token);
    };
    const dave = await modernAs('dave');
    const erin = await modernAs('erin');
    const daveActor = { principal: `dave at ${ISSUER}`, clientAddress: expect.stringMatching(/127\.0\.0\.1|::1/) };
    const since = events.length;
    const newEvents = (name: AuditEvent['event']) => events.slice(since).filter((event) => event.event === name);

    const slow = (await dave.call('long_running_operation', { duration: 600, steps: 600 })).taskId as string;
    await dave.getTask(slow);
    expect((await erin.request('tasks/get', { taskId: slow })).error?.code).toBe(-32602);
    ok(await dave.request('tasks/cancel', { taskId: slow }));
    // A question answered wrongly, then declined: one refusal and one answer.
    const tag = `audit${Date.now().toString(36)}`;
    await dave.call('record_decision', { title: `${tag}-a`, decision: 'd', tags: [tag] });
    const purge = (await dave.call('purge_decisions', { tag })).taskId as string;
    const waiting = await dave.waitForTask(purge, (task) => task.status === 'input_required');
    const question = Object.keys(waiting.inputRequests as object)[0]!;
    const wrong = { [question]: { action: 'accept', content: { confirmed: 'yes' } } };
    expect((await dave.request('tasks/update', { taskId: purge, inputResponses: wrong })).error?.code).toBe(-32602);
    ok(await dave.request('tasks/update', { taskId: purge, inputResponses: { [question]: { action: 'decline' } } }));
    await dave.waitForTask(purge, isTerminal);

    expect(newEvents('task.created')).toEqual([
      expect.objectContaining({
        taskId: slow,
        tool: 'long_running_operation',
        scope: expect.any(String),
        ...daveActor,
      }),
      expect.objectContaining({ taskId: purge, tool: 'purge_decisions', ...daveActor }),
    ]);
    expect(newEvents('task.read')).toContainEqual(
      expect.objectContaining({ taskId: slow, status: 'working', ...daveActor }),
    );
    expect(newEvents('request.refused')).toEqual([
      expect.objectContaining({ taskId: slow, reason: 'tasks/get: not-found', principal: `erin at ${ISSUER}` }),
    ]);
    expect(newEvents('task.cancelled')).toEqual([expect.objectContaining({ taskId: slow, ...daveActor })]);
    expect(newEvents('task.input.rejected')).toEqual([
      expect.objectContaining({ taskId: purge, reason: expect.stringContaining('confirmed'), ...daveActor }),
    ]);
    expect(newEvents('task.input')).toEqual([expect.objectContaining({ taskId: purge, action: 'decline' })]);
    // Every event names the request that caused it; no two requests share an id.
    const mine = events.slice(since).filter((event) => event.event !== 'task.completed');
    expect(mine.every((event) => typeof event.correlationId === 'string')).toBe(true);
    const created = newEvents('task.created').map((event) => event.correlationId);
    expect(new Set(created).size).toBe(2);
    const logged = JSON.stringify(events.slice(since));
    for (const secret of tokens) expect(logged).not.toContain(secret);
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
