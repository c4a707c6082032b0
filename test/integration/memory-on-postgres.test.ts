import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, getTaskResult, type TestClient } from '../helpers/mcp-client';

/**
 * The product with `DATABASE_URL`: two products (each an MCP server and a worker) on one task queue
 * and one PostgreSQL memory, as two hosts would run them. What one records, the other reads; nothing
 * goes to a SQLite file; exports are still files.
 */
describe('the project memory on PostgreSQL (DATABASE_URL)', () => {
  const schema = `memory_product_${process.pid}`;
  const base = process.env.TEST_DATABASE_URL!;
  const databaseUrl = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  let admin: PgClient;
  let configs: Config[] = [];
  let products: RunningProduct[] = [];
  let clients: TestClient[] = [];

  beforeAll(async () => {
    admin = new PgClient({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const first = testConfig({ DATABASE_URL: databaseUrl });
    const second = testConfig({ DATABASE_URL: databaseUrl, TASK_QUEUE: first.taskQueue });
    configs = [first, second];
    products = [await startTestProduct(first), await startTestProduct(second)];
    clients = await Promise.all(products.map((product) => connectMcp(product.mcpUrl!)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    for (const product of products) await product.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('stores what one replica records where the other replica reads it, and no SQLite file is written', async () => {
    const [a, b] = clients as [TestClient, TestClient];
    const recorded = (
      await a.client.callTool({
        name: 'record_decision',
        arguments: { title: 'Share the memory', decision: 'Workers use PostgreSQL', tags: ['Infra'] },
      })
    ).structuredContent as { id: number };
    const { rows } = await admin.query<{ id: number; tenant: string; title: string }>(
      `SELECT CAST(id AS INTEGER) AS id, tenant, title FROM ${schema}.decisions`,
    );
    expect(rows).toEqual([{ id: recorded.id, tenant: 'local', title: 'Share the memory' }]);

    const read = (await b.client.callTool({ name: 'get_recent_decisions', arguments: { tag: 'infra' } }))
      .structuredContent as { decisions: { id: number; title: string }[] };
    expect(read.decisions).toEqual([expect.objectContaining({ id: recorded.id, title: 'Share the memory' })]);
    for (const config of configs) expect(existsSync(path.join(config.dataDir, 'memory.db'))).toBe(false);
  });

  it('imports through one replica and exports, as a file, through the other', async () => {
    const [a, b] = clients as [TestClient, TestClient];
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: i, title: `t${i}`, decision: `d${i}` }));
    // Either worker may run the import: each reads its own DATA_DIR/datasets.
    for (const config of configs)
      writeFileSync(path.join(config.dataDir, 'datasets', 'history.jsonl'), lines.join('\n'));
    const imported = await callToolAsTask(a.client, 'import_decisions', { source: 'history.jsonl' });
    expect((await getTaskResult(a.client, imported.taskId)).structuredContent).toMatchObject({ imported: 30 });

    const exported = await callToolAsTask(b.client, 'export_memory', { format: 'jsonl' });
    const result = (await getTaskResult(b.client, exported.taskId)).structuredContent as {
      path: string;
      count: number;
    };
    expect(result.count).toBe(31);
    // The worker that ran the export wrote the file under its own DATA_DIR.
    const files = configs
      .map((config) => path.join(config.dataDir, 'exports', result.path))
      .filter((file) => existsSync(file));
    expect(files).toHaveLength(1);
    expect(readFileSync(files[0]!, 'utf8').trim().split('\n')).toHaveLength(31);
  });

  it('refuses to start a worker whose DATABASE_URL the server rejects, saying why without the password', async () => {
    const wrong = base.replace(/:[0-9a-f]{48}@/, ':not-the-password@');
    expect(wrong).not.toBe(base);
    const err = await startTestProduct(testConfig({ DATABASE_URL: wrong })).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(err?.message).toMatch(
      /^The project memory's database \(DATABASE_URL\) cannot be used: password authentication failed for user "postgres"/,
    );
    expect(err?.message).not.toContain('not-the-password');
  });
});
