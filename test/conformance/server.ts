import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { startProduct } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createMcpServer } from '../../src/mcp/create-mcp-server';
import { startHttpServer } from '../../src/mcp/http-server';
import { createModernHandler } from '../../src/mcp2026/modern-server';
import { TemporalTaskBackend } from '../../src/tasks/temporal-task-backend';
import { connectWorker } from '../../src/temporal/connect';
import { resolveTimeLimits } from '../../src/tools/catalog';
import { FIXTURE_TOOLS } from './fixture-tools';

/**
 * The server the official conformance suite runs against: the product's engine, HTTP door and both
 * wire adapters, serving the suite's fixture tools as real workflows on Temporal (the embedded dev
 * server, or TEMPORAL_ADDRESS). Listens on 127.0.0.1:$MCP_PORT and prints its URL when ready.
 */
async function main(): Promise<void> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mcp-conformance-')),
    MCP_SESSION_SECRET: 'conformance-secret-0123456789abcdef',
    AUDIT_LOG: 'off',
    TASK_POLL_INTERVAL_MS: '500',
    // The suite polls every 100-200 ms; a poll is never refused.
    TASK_CREATE_RATE_PER_MINUTE: '100000',
    TASK_REQUEST_RATE_PER_MINUTE: '100000',
    ...process.env,
    MCP_HOST: '127.0.0.1',
  });
  // The product's Temporal (embedded or external) and client; its own worker and HTTP server are not started.
  const product = await startProduct(config, { worker: false, http: false });
  const connection = await connectWorker(product.temporal);
  const worker = await Worker.create({
    connection,
    namespace: product.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('./fixture-workflows'),
  });
  const running = worker.run();
  const backend = new TemporalTaskBackend({
    client: product.client,
    taskQueue: config.taskQueue,
    limits: config.limits,
  });
  const timeLimitsSeconds = resolveTimeLimits(FIXTURE_TOOLS, {});
  const serverInfo = { name: 'durable-mcp-tasks-conformance', version: '0.1.0' };
  const http = await startHttpServer({
    host: config.mcpHost,
    port: config.mcpPort,
    sessionSecret: config.sessionSecret ?? 'conformance-secret-0123456789abcdef',
    sessionIdleMs: config.sessionIdleMs,
    maxSessions: config.maxSessions,
    createSessionServer: (sessionId) =>
      createMcpServer({
        backend,
        tools: FIXTURE_TOOLS,
        owner: { scope: `session:${sessionId}` },
        limits: config.limits,
        timeLimitsSeconds,
        serverInfo,
      }),
    modern: createModernHandler({
      backend,
      tools: FIXTURE_TOOLS,
      limits: config.limits,
      timeLimitsSeconds,
      serverInfo,
      localOwner: { scope: 'local:conformance' },
    }),
  });
  process.stdout.write(`${http.url}\n`);
  const stop = async (): Promise<void> => {
    await http.close();
    backend.close();
    worker.shutdown();
    await running;
    await connection.close();
    await product.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
