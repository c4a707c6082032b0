import { Worker } from '@temporalio/worker';
import { createRunTimedSteps } from '../../activities/tools/long-running-operation';
import { loggingObserver } from '../../activities/observer';
import { startProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { createMcpServer } from '../../src/mcp/create-mcp-server';
import { startHttpServer } from '../../src/mcp/http-server';
import { createModernHandler } from '../../src/mcp2026/modern-server';
import { loadSessionSecret } from '../../src/session-secret';
import { TemporalTaskBackend } from '../../src/tasks/temporal-task-backend';
import { connectWorker } from '../../src/temporal/connect';
import { resolveTimeLimits } from '../../src/tools/catalog';
import { FIXTURE_TOOLS } from './fixture-tools';

export interface RunningConformanceServer {
  /** The MCP endpoint. */
  url: string;
  close(): Promise<void>;
}

/**
 * The product's engine, HTTP door and both wire adapters, serving the conformance suite's fixture
 * tools as real workflows on Temporal (the embedded dev server, or `TEMPORAL_ADDRESS`), with a worker
 * of its own for them on `config.taskQueue`. Used by `server.ts` (what the suite runs against) and by
 * the integration tests of the fixtures.
 */
export async function startConformanceServer(config: Config): Promise<RunningConformanceServer> {
  // The product's Temporal (embedded or external) and client; its own worker and HTTP server are not started.
  const product = await startProduct(config, { worker: false, http: false });
  const connection = await connectWorker(product.temporal);
  const worker = await Worker.create({
    connection,
    namespace: product.temporal.namespace,
    taskQueue: config.taskQueue,
    workflowsPath: require.resolve('./fixture-workflows'),
    // The product's heartbeating activity, for the fixture that reports progress; and its worker's
    // heartbeat throttle, so that progress reaches the server within a second.
    activities: { runTimedSteps: createRunTimedSteps(loggingObserver) },
    maxHeartbeatThrottleInterval: '1 second',
  });
  const running = worker.run();
  const serverSecret = loadSessionSecret(config.sessionSecret, config.dataDir);
  // As the product's engine: idempotency keys are taken, under the server's secret.
  const backend = new TemporalTaskBackend({
    client: product.client,
    taskQueue: config.taskQueue,
    limits: config.limits,
    idempotencySecret: serverSecret,
  });
  const timeLimitsSeconds = resolveTimeLimits(FIXTURE_TOOLS, {});
  const serverInfo = { name: 'durable-mcp-tasks-conformance', version: '0.1.0' };
  const http = await startHttpServer({
    host: config.mcpHost,
    port: config.mcpPort,
    sessionSecret: serverSecret,
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
      serverSecret,
    }),
  });
  return {
    url: http.url,
    close: async () => {
      await http.close();
      backend.close();
      worker.shutdown();
      await running;
      await connection.close();
      await product.close();
    },
  };
}
