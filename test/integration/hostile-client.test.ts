import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { formatHostileRunReport, runHostileClient } from '../fuzz/hostile-client';
import { callToolAsTask, cancelTask, connectMcp, getTask, listTasks, type TestClient } from '../helpers/mcp-client';
import { startTestProduct, testConfig } from '../helpers/product';
import { makeKey, signToken, authTestConfig } from '../helpers/auth';

/**
 * A hostile client against a real server: thousands of malformed, oversized, mis-typed, out-of-order
 * and cross-owner requests (`FUZZ_REQUESTS`, 600 in `npm test`, 10,000 in `npm run fuzz`; `FUZZ_SEED`
 * repeats a run). Afterwards the server still serves, and the victim's tasks and decisions are as
 * they were.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

describe('a hostile client', () => {
  let config: Config;
  let product: RunningProduct;
  let victim: TestClient;
  const victimTaskIds: string[] = [];

  /** Every decision, as stored: the attacker must change none. */
  function storedDecisions(): unknown[] {
    const db = new Database(path.join(config.dataDir, 'memory.db'), { readonly: true });
    try {
      return db.prepare('SELECT * FROM decisions ORDER BY id').all();
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    config = testConfig();
    product = await startTestProduct(config);
    victim = await connectMcp(product.mcpUrl!);
    for (let i = 0; i < 3; i++) {
      const task = await callToolAsTask(victim.client, 'long_running_operation', { duration: 900, steps: 900 });
      victimTaskIds.push(task.taskId);
    }
    for (const title of ['Use Postgres', 'Keep SQLite for local use']) {
      await victim.client.callTool({ name: 'record_decision', arguments: { title, decision: title, tags: ['db'] } });
    }
  });

  afterAll(async () => {
    for (const taskId of victimTaskIds) await cancelTask(victim.client, taskId).catch(() => undefined);
    await victim?.close();
    await product?.close();
  });

  // A few milliseconds a request on a loaded machine, plus the set-up.
  const timeoutMs = 120_000 + REQUESTS * 50;
  it(
    `answers ${REQUESTS} hostile requests with errors only, and reaches nothing of another owner`,
    async () => {
      const decisionsBefore = storedDecisions();
      expect(decisionsBefore).toHaveLength(2);

      const report = await runHostileClient(product.mcpUrl!, { victimTaskIds }, { requests: REQUESTS, seed: SEED });
      console.log(formatHostileRunReport(report));
      expect(report.requests).toBe(REQUESTS);

      // The server still serves, and the victim's tasks and decisions are untouched.
      expect((await fetch(new URL('/healthz', product.mcpUrl))).status).toBe(200);
      const listed = (await listTasks(victim.client)).tasks.map((task) => task.taskId);
      expect(listed.sort()).toEqual([...victimTaskIds].sort());
      for (const taskId of victimTaskIds) expect((await getTask(victim.client, taskId)).status).toBe('working');
      expect(storedDecisions()).toEqual(decisionsBefore);
    },
    timeoutMs,
  );
});

describe('a hostile principal', () => {
  // Unique per run: a principal (iss + sub) owns its tasks across every test that uses it.
  const ISSUER = `https://id.example.test/${randomUUID()}`;
  let config: Config;
  let product: RunningProduct;
  let victim: TestClient;
  let attackerToken: string;
  let forgedToken: string;
  const victimTaskIds: string[] = [];
  const victimDecisions = (): Promise<unknown> =>
    victim.client
      .callTool({ name: 'get_recent_decisions', arguments: { limit: 100 } })
      .then((r) => r.structuredContent);

  beforeAll(async () => {
    const [key, untrusted] = await Promise.all([makeKey('k1', 'ES256'), makeKey('k1', 'ES256')]);
    config = authTestConfig(ISSUER, [key]);
    product = await startTestProduct(config);
    const url = product.mcpUrl!;
    victim = await connectMcp(url, {
      token: await signToken(key, { issuer: ISSUER, audience: url, subject: 'alice' }),
    });
    attackerToken = await signToken(key, { issuer: ISSUER, audience: url, subject: 'mallory' });
    forgedToken = await signToken(untrusted, { issuer: ISSUER, audience: url, subject: 'alice' });
    for (let i = 0; i < 2; i++) {
      const task = await callToolAsTask(victim.client, 'long_running_operation', { duration: 900, steps: 900 });
      victimTaskIds.push(task.taskId);
    }
    await victim.client.callTool({ name: 'record_decision', arguments: { title: 'Alice only', decision: 'Private.' } });
  });

  afterAll(async () => {
    for (const taskId of victimTaskIds) await cancelTask(victim.client, taskId).catch(() => undefined);
    await victim?.close();
    await product?.close();
  });

  const requests = Math.max(100, Math.round(REQUESTS / 2));
  it(
    `answers ${requests} requests of another principal with errors only, reaching nothing of the victim`,
    async () => {
      const decisionsBefore = await victimDecisions();
      const report = await runHostileClient(
        product.mcpUrl!,
        { victimTaskIds },
        { requests, seed: SEED, tokens: { own: attackerToken, forged: forgedToken } },
      );
      console.log(formatHostileRunReport(report));
      expect(report.byStatus['401']).toBeGreaterThan(0);
      const listed = (await listTasks(victim.client)).tasks.map((task) => task.taskId);
      expect(listed.sort()).toEqual([...victimTaskIds].sort());
      for (const taskId of victimTaskIds) expect((await getTask(victim.client, taskId)).status).toBe('working');
      expect(await victimDecisions()).toEqual(decisionsBefore);
    },
    120_000 + REQUESTS * 50,
  );
});
