import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { formatHostileRunReport, runHostileClient } from '../fuzz/hostile-client';
import { callToolAsTask, cancelTask, connectMcp, getTask, listTasks, type TestClient } from '../helpers/mcp-client';
import { startTestProduct, testConfig } from '../helpers/product';

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
