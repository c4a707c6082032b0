import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { principalOwner } from './auth/principal';
import type { Config } from './config';
import { auditPrincipal, noAuditSink, stderrAuditSink, type AuditActor, type AuditSink } from './mcp/audit-log';
import { createMcpServer, type McpSessionOptions } from './mcp/create-mcp-server';
import { RateLimiter } from './mcp/rate-limiter';
import { TaskStatusRelay } from './mcp/task-status-relay';
import { createModernHandler } from './mcp2026/modern-server';
import { startHttpServer, type RunningHttpServer } from './mcp/http-server';
import { loadSessionSecret } from './session-secret';
import { TemporalTaskBackend } from './tasks/temporal-task-backend';
import type { TaskOwner } from './tasks/owner';
import { findTemporalCli } from './temporal/cli-path';
import {
  connectClient,
  connectWorker,
  eagerStarterOn,
  externalEndpoint,
  type TemporalEndpoint,
} from './temporal/connect';
import { ensureCleanupSchedule } from './temporal/cleanup-schedule';
import { createProductWorker } from './temporal/create-worker';
import { workflowCodeSource } from './temporal/workflow-bundle';
import { startDevServer, type RunningDevServer } from './temporal/dev-server';
import { TemporalSessionEndings } from './temporal/session-endings';
import { TOOL_CATALOG, resolveTimeLimits } from './tools/catalog';
import { closeMemoryStore, memoryStore, pruneAllExports, type ActivityObserver } from '../activities';
import { errorMessage } from '../common/error-message';
import { startHealthServer } from './ops/health-server';
import { createLogger, type Logger } from './ops/logger';
import { ProductMetrics } from './ops/metrics';
import { allOf, temporalReachable, workerPolling, type ReadinessCheck } from './ops/readiness';

/** How the server names itself on both wires. */
const SERVER_INFO = { name: 'durable-mcp-tasks', version: '0.1.0' };

/** Something started by {@link startProduct} that must be stopped, in reverse order. */
type Stopper = () => Promise<void>;

export interface ProductParts {
  /** Run a Temporal worker in this process. */
  worker: boolean;
  /** Serve MCP over Streamable HTTP. */
  http: boolean;
  /** Where the embedded dev server's output goes. @default 'ignore' */
  devServerOutput?: 'inherit' | 'ignore';
  /** Observer handed to the activities (tests record cancellations with it). */
  activityObserver?: ActivityObserver;
  /** Where audit events go; defaults to what `AUDIT_LOG` says. */
  auditSink?: AuditSink;
  /** Where messages for the operator go (e.g. an identity provider that cannot be reached). @default the logger, as warnings */
  log?: (message: string) => void;
  /** The process's logger. @default JSON lines on stderr at `LOG_LEVEL` */
  logger?: Logger;
}

export interface RunningProduct {
  temporal: TemporalEndpoint;
  temporalUiUrl?: string;
  mcpUrl?: string;
  /** What the operator should know about how the server is exposed; entry points print them at start. */
  warnings: string[];
  /** MCP sessions the HTTP server holds in memory now (0 without HTTP). */
  mcpSessionCount(): number;
  client: Client;
  /** Builds an MCP server for `owner`, e.g. for stdio. */
  createMcpServerFor(owner: TaskOwner, session?: McpSessionOptions): Server;
  /** The product's Prometheus metrics (what `/metrics` serves). */
  metrics: ProductMetrics;
  /** What `/readyz` answers: Temporal reachable, and the worker polling where this process runs one. */
  ready: ReadinessCheck;
  /** `http://host:port` of the operator's port (`HEALTH_PORT`), when served. */
  healthUrl?: string;
  /** Stops everything this call started, the embedded Temporal server last. */
  close(): Promise<void>;
}

/**
 * Starts the parts of the product that `parts` asks for: the embedded Temporal dev server when no
 * `TEMPORAL_ADDRESS` is configured, a worker, and the MCP HTTP server. On a failure part-way, what
 * was already started is stopped again.
 */
export async function startProduct(config: Config, parts: ProductParts): Promise<RunningProduct> {
  const stoppers: Stopper[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    let endpoint: TemporalEndpoint;
    let devServer: RunningDevServer | undefined;
    if (config.temporal.kind === 'embedded') {
      devServer = await startDevServer({
        cliPath: findTemporalCli(),
        dbFile: config.temporal.dbFile,
        grpcPort: config.temporal.grpcPort,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        output: parts.devServerOutput,
      });
      stoppers.push(() => devServer!.stop());
      endpoint = { address: devServer.address, namespace: config.temporal.namespace };
    } else {
      endpoint = externalEndpoint(config.temporal.address, config.temporal.namespace);
    }

    const client = await connectClient(endpoint);
    stoppers.push(() => client.connection.close());
    const logger = parts.logger ?? createLogger();
    const metrics = new ProductMetrics();
    const readinessChecks = [temporalReachable(client)];
    let eagerStarter: Client | undefined;

    if (parts.worker) {
      const memoryDbFile = path.join(config.dataDir, 'memory.db');
      const memoryDatabaseUrl = config.databaseUrl;
      const exportsDir = path.join(config.dataDir, 'exports');
      const exportRetentionMs = config.exportRetentionDays * 86_400_000;
      // Exports of tenants that never export again would otherwise stay forever.
      await pruneAllExports(exportsDir, exportRetentionMs);
      if (memoryDatabaseUrl !== undefined) {
        stoppers.push(() => closeMemoryStore({ dbFile: memoryDbFile, databaseUrl: memoryDatabaseUrl }));
        // A wrong URL or password is reported at start, not by every memory task failing later.
        await memoryStore({ dbFile: memoryDbFile, databaseUrl: memoryDatabaseUrl })
          .maxId()
          .catch((err: unknown) => {
            throw new Error(`The project memory's database (DATABASE_URL) cannot be used: ${errorMessage(err)}`);
          });
      }
      const connection: NativeConnection = await connectWorker(endpoint);
      stoppers.push(() => connection.close());
      const workflowCode = workflowCodeSource();
      logger.info(
        {
          event: 'worker.workflow_code',
          source: workflowCode.kind,
          ...('reason' in workflowCode && { reason: workflowCode.reason }),
        },
        workflowCode.kind === 'prebuilt'
          ? `Loading the prebuilt workflow bundle ${workflowCode.codePath}`
          : `Bundling the workflow code at start (${workflowCode.reason})`,
      );
      const worker: Worker = await createProductWorker({
        connection,
        workflowCode,
        namespace: endpoint.namespace,
        taskQueue: config.taskQueue,
        activities: {
          datasetRoots: config.datasetRoots,
          urlSources: config.urlSources,
          dataLimits: config.dataLimits,
          sourceStallTimeoutMs: config.sourceStallTimeoutSeconds * 1000,
          memoryDbFile,
          memoryDatabaseUrl,
          exportsDir,
          exportRetentionMs,
          observer: parts.activityObserver,
        },
      });
      // Run (and register the stop of) the worker at once: a worker that was created but never run
      // holds its connection open, and the connection may only close once the worker has stopped.
      const running = worker.run();
      readinessChecks.push(workerPolling(worker));
      eagerStarter = eagerStarterOn(connection, endpoint.namespace);
      stoppers.push(async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await closeMemoryStore({ dbFile: memoryDbFile, databaseUrl: memoryDatabaseUrl });
      });
      await ensureCleanupSchedule(client, {
        taskQueue: config.taskQueue,
        intervalSeconds: config.cleanupIntervalSeconds,
      });
    }

    // Replicas share it (MCP_SESSION_SECRET): sessions, request states and keyed task ids all derive from it.
    const serverSecret = loadSessionSecret(config.sessionSecret, config.dataDir);
    const backend = new TemporalTaskBackend({
      client,
      eagerStarter,
      taskQueue: config.taskQueue,
      limits: config.limits,
      idempotencySecret: serverSecret,
    });
    stoppers.push(async () => backend.close());
    const timeLimitsSeconds = resolveTimeLimits(TOOL_CATALOG, config.toolTimeLimitsSeconds);
    const audit = parts.auditSink ?? (config.auditLog === 'stderr' ? stderrAuditSink : noAuditSink);
    const rateLimits = {
      create: new RateLimiter(config.limits.createRatePerMinute),
      request: new RateLimiter(config.limits.requestRatePerMinute),
    };
    const statusRelay = new TaskStatusRelay();
    const createMcpServerFor = (
      owner: TaskOwner,
      session?: McpSessionOptions,
      limitKey?: string,
      actor?: AuditActor,
    ): Server =>
      createMcpServer({
        backend,
        tools: TOOL_CATALOG,
        owner,
        limitKey,
        limits: config.limits,
        timeLimitsSeconds,
        session,
        audit,
        actor,
        rateLimits,
        statusRelay,
        metrics,
        logger,
      });
    const ready = allOf(readinessChecks);

    let http: RunningHttpServer | undefined;
    if (parts.http) {
      http = await startHttpServer({
        host: config.mcpHost,
        port: config.mcpPort,
        sessionSecret: serverSecret,
        sessionIdleMs: config.sessionIdleMs,
        maxSessions: config.maxSessions,
        publicUrl: config.publicUrl,
        auth: config.auth,
        allowUnauthenticated: config.allowUnauthenticated,
        log: parts.log ?? ((message) => logger.warn({ event: 'http.problem' }, message)),
        ready,
        metrics,
        allowedOrigins: config.allowedOrigins,
        sessionMaxAgeSeconds: config.sessionMaxAgeSeconds,
        maxSessionsPerOwner: config.maxSessionsPerOwner,
        sessionEndings: new TemporalSessionEndings({ client, taskQueue: config.taskQueue }),
        // Without authentication, 2026-07-28 requests share stdio's local owner: the server is a local tool.
        modern: createModernHandler({
          backend,
          tools: TOOL_CATALOG,
          limits: config.limits,
          timeLimitsSeconds,
          serverInfo: SERVER_INFO,
          localOwner: { scope: `local:${config.stdioScope}` },
          rateLimits,
          serverSecret,
          audit,
          metrics,
          logger,
        }),
        // With authentication the principal owns its tasks across sessions, replicas and restarts, and
        // its requests count together; without, each session owns its tasks and a client address's
        // sessions share their rate limits.
        createSessionServer: (
          sessionId,
          { role, resumed, standaloneStreamOpen, sessionOpen, principal, clientAddress },
        ) =>
          createMcpServerFor(
            principal ? principalOwner(principal) : { scope: `session:${sessionId}` },
            {
              resumed: resumed !== undefined,
              clientCanElicit: resumed?.elicitation,
              notifications: role === 'stream',
              standaloneStreamOpen,
              sessionOpen,
            },
            principal ? undefined : `address:${clientAddress ?? 'unknown'}`,
            { principal: auditPrincipal(principal), clientAddress },
          ),
        audit,
      });
      stoppers.push(() => http!.close());
    }

    const health =
      config.healthPort === undefined
        ? undefined
        : await startHealthServer({ host: config.healthHost, port: config.healthPort, ready, metrics });
    if (health) stoppers.push(() => health.close());

    return {
      temporal: endpoint,
      temporalUiUrl: devServer?.uiUrl,
      mcpUrl: http?.url,
      warnings: http?.warnings ?? [],
      mcpSessionCount: () => http?.sessionCount() ?? 0,
      client,
      createMcpServerFor,
      metrics,
      ready,
      healthUrl: health?.url,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
