import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import type { RunningProduct } from '../../src/app';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { callToolAsTask, connectMcp, waitForTask, type TestClient } from '../helpers/mcp-client';
import { freePort } from '../helpers/ports';
import { spawnEntryPoint, type ProductProcess } from '../helpers/processes';
import { makeDataDir, startTestProduct, testConfig } from '../helpers/product';

/** The deadline the product is given here. */
const SHUTDOWN_TIMEOUT_MS = 3000;

describe('shutdown', () => {
  let temporal: RunningDevServer | undefined;
  let entryPoint: ProductProcess | undefined;
  let front: RunningProduct | undefined;
  let mcp: TestClient | undefined;

  afterEach(async () => {
    await mcp?.close().catch(() => undefined);
    await front?.close();
    await entryPoint?.kill('SIGKILL');
    await temporal?.stop();
  });

  it.each(['worker', 'main'] as const)(
    '`%s` exits within SHUTDOWN_TIMEOUT_MS of SIGTERM, mid-task, when the Temporal server is already gone',
    async (entry) => {
      temporal = await startDevServer({
        cliPath: findTemporalCli(),
        dbFile: path.join(mkdtempSync(path.join(makeDataDir(), 'temporal-')), 'temporal.db'),
        grpcPort: await freePort(),
        namespace: 'default',
      });
      const config = testConfig({ TEMPORAL_ADDRESS: temporal.address });
      entryPoint = spawnEntryPoint(entry, {
        TEMPORAL_ADDRESS: temporal.address,
        TASK_QUEUE: config.taskQueue,
        DATA_DIR: makeDataDir(),
        MCP_PORT: '0',
        MCP_SESSION_SECRET: 'test-secret-0123456789abcdef',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        // The shutdown line is an info event.
        LOG_LEVEL: 'INFO',
      });
      await entryPoint.ready;

      // A task the entry point's worker is running when the server goes away.
      front = await startTestProduct(config, { worker: false });
      mcp = await connectMcp(front.mcpUrl!);
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 60, steps: 60 });
      await waitForTask(mcp.client, task.taskId, (t) => t.statusMessage !== undefined);
      await mcp.close();
      await front.close();
      front = undefined;

      temporal.process.kill('SIGKILL');
      await temporal.stop();
      const signalledAt = Date.now();
      entryPoint.child.kill('SIGTERM');
      await entryPoint.exited;
      const tookMs = Date.now() - signalledAt;

      // The deadline is the product's; the margin is for a loaded machine to run the exit.
      expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5_000);
      expect(entryPoint.output()).toContain('SIGTERM: shutting down');
    },
    120_000,
  );
});
