import { mkdirSync, readFileSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { tenantExportFolder } from '../../activities/memory';
import type { RunningProduct } from '../../src/app';
import { startHttpServer, type RunningHttpServer } from '../../src/mcp/http-server';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  connectMcp,
  connectMcpWithElicitation,
  errorCodeOf,
  getTask,
  getTaskResult,
  type ReceivedQuestion,
  type TestClient,
} from '../helpers/mcp-client';

type Client = TestClient['client'];

/**
 * Two owners in different tenants, end to end: MCP over HTTP, the task engine, Temporal, the worker's
 * activities and the memory database. The tenant is set on the task owner the way authentication sets
 * it (the HTTP server here gives each new session the tenant named before it connects).
 */
describe('project memory tenants, end to end', () => {
  let product: RunningProduct;
  let tenantDoor: RunningHttpServer;
  let dataDir: string;
  let oldExport: string;
  const sessionTenants = new Map<string, string>();
  let nextTenant = '';
  let alice: TestClient & { questions: ReceivedQuestion[] };
  let bob: TestClient;
  let carol: TestClient;
  let local: TestClient;

  /** Connects a session whose owner belongs to `tenant`. */
  const connectAs = async (tenant: string): Promise<TestClient> => {
    nextTenant = tenant;
    return connectMcp(tenantDoor.url);
  };

  beforeAll(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    // An export older than the retention, from before this worker started.
    oldExport = path.join(dataDir, 'exports', tenantExportFolder('acme'), 'old.jsonl');
    mkdirSync(path.dirname(oldExport), { recursive: true });
    writeFileSync(oldExport, '{}\n');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    utimesSync(oldExport, eightDaysAgo, eightDaysAgo);

    product = await startTestProduct(config);
    tenantDoor = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      sessionSecret: 'tenant-test-secret-0123456789abcdef',
      sessionIdleMs: 60_000,
      maxSessions: 100,
      createSessionServer: (sessionId, { role, resumed, standaloneStreamOpen }) => {
        if (!sessionTenants.has(sessionId)) sessionTenants.set(sessionId, nextTenant);
        return product.createMcpServerFor(
          { scope: `session:${sessionId}`, tenant: sessionTenants.get(sessionId) },
          {
            resumed: resumed !== undefined,
            clientCanElicit: resumed?.elicitation,
            notifications: role === 'stream',
            standaloneStreamOpen,
          },
        );
      },
    });
    nextTenant = 'acme';
    alice = await connectMcpWithElicitation(tenantDoor.url, () => ({ action: 'accept', content: { confirmed: true } }));
    bob = await connectAs('globex');
    carol = await connectAs('acme');
    // The product's own door: no authentication, so the local tenant.
    local = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    for (const client of [alice, bob, carol, local]) await client?.close();
    await tenantDoor?.close();
    await product?.close();
  });

  const record = async (client: Client, title: string, tags: string[]) =>
    (
      (await client.callTool({ name: 'record_decision', arguments: { title, decision: `${title}.`, tags } }))
        .structuredContent as { id: number }
    ).id;

  const titles = async (client: Client, tag?: string) =>
    (
      (await client.callTool({ name: 'get_recent_decisions', arguments: { limit: 100, ...(tag && { tag }) } }))
        .structuredContent as { decisions: { title: string }[] }
    ).decisions
      .map((d) => d.title)
      .sort();

  const runTask = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await getTaskResult(client, (await callToolAsTask(client, name, args)).taskId)).structuredContent as Record<
      string,
      unknown
    >;

  it('deleted the exports older than the retention when the worker started', () => {
    expect(existsSync(oldExport)).toBe(false);
  });

  it('gives each tenant its own decisions, shared by the owners of one tenant', async () => {
    await record(alice.client, 'Acme uses Postgres', ['shared', 'db']);
    await record(carol.client, 'Acme uses Kafka', ['shared']);
    await record(bob.client, 'Globex uses MySQL', ['shared', 'db']);
    await record(local.client, 'Local note', ['shared']);

    expect(await titles(alice.client)).toEqual(['Acme uses Kafka', 'Acme uses Postgres']);
    expect(await titles(carol.client, 'shared')).toEqual(['Acme uses Kafka', 'Acme uses Postgres']);
    expect(await titles(bob.client, 'db')).toEqual(['Globex uses MySQL']);
    expect(await titles(local.client)).toEqual(['Local note']);
  });

  it('analyses and exports only the caller’s tenant, in its own export folder', async () => {
    expect((await runTask(bob.client, 'analyze_decision_patterns', {})).total).toBe(1);
    expect((await runTask(alice.client, 'analyze_decision_patterns', {})).total).toBe(2);

    const exported = (await runTask(alice.client, 'export_memory', { format: 'csv' })) as {
      path: string;
      count: number;
    };
    expect(exported.count).toBe(2);
    expect(path.dirname(exported.path)).toBe(tenantExportFolder('acme'));
    const text = readFileSync(path.join(dataDir, 'exports', exported.path), 'utf8');
    expect(text).toContain('Acme uses Postgres');
    expect(text).not.toContain('Globex');
    expect(text).not.toContain('Local note');
  });

  it('keeps tasks per owner even within one tenant', async () => {
    const task = await callToolAsTask(alice.client, 'export_memory', { format: 'json' });
    expect(await errorCodeOf(getTask(carol.client, task.taskId))).toBe(-32602);
    expect(await errorCodeOf(getTask(bob.client, task.taskId))).toBe(-32602);
    await getTaskResult(alice.client, task.taskId);
  });

  it('imports one file into two tenants as separate decisions', async () => {
    const lines = ['i1', 'i2', 'i3'].map((id) =>
      JSON.stringify({ id, title: `Imported ${id}`, decision: 'From a file' }),
    );
    writeFileSync(path.join(dataDir, 'datasets', 'shared.jsonl'), `${lines.join('\n')}\n`);
    expect(await runTask(alice.client, 'import_decisions', { source: 'shared.jsonl' })).toMatchObject({ imported: 3 });
    expect(await runTask(bob.client, 'import_decisions', { source: 'shared.jsonl' })).toMatchObject({ imported: 3 });
    expect(await runTask(carol.client, 'import_decisions', { source: 'shared.jsonl' })).toMatchObject({
      imported: 0,
      unchanged: 3,
    });
    expect((await titles(bob.client)).filter((t) => t.startsWith('Imported'))).toHaveLength(3);
    expect(await titles(local.client)).toEqual(['Local note']);
  });

  it('purges only the caller’s tenant', async () => {
    const purged = await runTask(alice.client, 'purge_decisions', { tag: 'shared' });
    expect(purged).toEqual({ deleted: 2 });
    expect(alice.questions.map((q) => q.message)).toEqual(['Confirm deletion of 2 records?']);
    expect((await titles(alice.client)).filter((t) => t.startsWith('Acme'))).toEqual([]);
    expect(await titles(bob.client, 'shared')).toEqual(['Globex uses MySQL']);
    expect(await titles(local.client, 'shared')).toEqual(['Local note']);
  });
});
