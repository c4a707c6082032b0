import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { TaskLimits } from '../config';
import type { ToolCallResult } from '../../common/task-types';
import { scopeKey, type TaskOwner } from '../tasks/owner';
import { checkToolCallSize } from '../tasks/request-limits';
import type { TaskBackend } from '../tasks/task-backend';
import { describeTool, type ToolDefinition } from '../tools/tool-definition';
import { auditEngineRefusal, noAuditSink, type AuditActor, type AuditFn, type AuditSink } from './audit-log';
import { ProtocolError, invalidParams, toProtocolError } from './protocol-errors';
import type { RateLimiter } from './rate-limiter';
import { TaskNotifier, progressNotificationParams } from './task-notifier';
import { canAnswerForms, type QuestionOutcome } from './task-questions';
import { awaitTaskResult } from './task-result-stream';
import { TaskStatusRelay } from './task-status-relay';
import { idempotencyKeyOf } from '../tasks/idempotency';
import { toWireTask } from './wire-task';
import type { Logger } from '../ops/logger';
import type { ProductMetrics } from '../ops/metrics';
import { observeRequest, recordTaskCreation } from './request-observer';

type RequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** One MCP request being handled: its audit events carry the request's correlation id. */
interface RequestScope {
  audit: AuditFn;
}

export interface McpServerOptions {
  backend: TaskBackend;
  tools: readonly ToolDefinition[];
  /** The owner of every task this server instance (one per session) creates or reads. */
  owner: TaskOwner;
  limits: TaskLimits;
  /** Time limit in seconds of each workflow tool, by name. */
  timeLimitsSeconds: Record<string, number>;
  serverInfo?: { name: string; version: string };
  /** How this server relates to its session. */
  session?: McpSessionOptions;
  /** Receives an event per task operation and refusal. @default noAuditSink */
  audit?: AuditSink;
  /** Who acts through this server, as audit events name it. */
  actor?: AuditActor;
  /** Shared by every session of the process; keyed by {@link limitKey}. Unlimited when absent. */
  rateLimits?: { create: RateLimiter; request: RateLimiter };
  /** Whose budget this server's requests spend (e.g. a client address). @default the owner's scope key */
  limitKey?: string;
  /**
   * Shared by the server instances of one process, so that a `tasks/cancel` answered by one of them
   * reaches the instance that sends the session's notifications. @default a relay of this instance only
   */
  statusRelay?: TaskStatusRelay;
  /** Counts requests, tasks, questions and notifications; nothing is counted when absent. */
  metrics?: ProductMetrics;
  /** Receives a line per handled request (info for tool calls and errors, debug for the rest). */
  logger?: Logger;
}

/** How an MCP server instance relates to its session. */
export interface McpSessionOptions {
  /**
   * The server continues an existing session (a resumed HTTP session, or stdio): it starts watching
   * the owner's running tasks for notifications right away.
   */
  resumed?: boolean;
  /** The client declared form elicitation in an `initialize` this server did not see (resumed sessions). */
  clientCanElicit?: boolean;
  /** Whether this instance sends task notifications (one instance per session does). @default true */
  notifications?: boolean;
  /**
   * Whether the session's standalone GET stream is open right now. When given, the questions of
   * `input_required` tasks are also sent there (for clients that only poll `tasks/get`), but only
   * while it is open: a request sent without one is lost.
   */
  standaloneStreamOpen?: () => boolean;
  /**
   * Resolves once the session is known not to have been ended; rejects when it was. A tool call waits
   * for it before it starts anything (alongside the engine's own checks). @default always open
   */
  sessionOpen?: () => Promise<void>;
}

/** The server's task capability: tasks/list, tasks/cancel, and task-augmented tools/call. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

const TaskIdParamsSchema = z.object({ taskId: z.string().max(200) });
const ListParamsSchema = z.object({ cursor: z.string().max(2000).optional() }).optional();

/**
 * Builds the MCP server of one session on the SDK's low-level `Server`. Every task method is handled
 * here, over the {@link TaskBackend}, instead of by the SDK's built-in task handlers: those keep
 * request correlation in memory, run forbidden tools, answer required tools without a task with a
 * tool result, and hang on related-task `_meta`. No task state is held in this object.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const { backend, owner, tools } = options;
  const server = new Server(options.serverInfo ?? { name: 'durable-mcp-tasks', version: '0.1.0' }, {
    capabilities: { tools: {}, tasks: TASKS_CAPABILITY },
  });
  const session = options.session ?? {};
  const scope = scopeKey(owner);
  const audit: AuditFn = (event) =>
    (options.audit ?? noAuditSink)({ time: new Date().toISOString(), scope, ...options.actor, ...event });
  const metrics = options.metrics;
  const canElicit = (): boolean => canAnswerForms(server.getClientCapabilities()) || session.clientCanElicit === true;
  const auditQuestion = (taskId: string, outcome: QuestionOutcome, auditEvent: AuditFn = audit): void => {
    if (outcome.kind === 'accepted') auditEvent({ event: 'task.input', taskId, action: outcome.action });
    if (outcome.kind === 'rejected') auditEvent({ event: 'task.input.rejected', taskId, reason: outcome.reason });
  };
  const statusRelay = options.statusRelay ?? new TaskStatusRelay();
  // Tasks whose `tasks/result` this instance is serving (how many requests each): their questions are
  // asked on those streams only, so that a client that calls `tasks/result` is not asked twice.
  const resultStreams = new Map<string, number>();
  const standaloneStreamOpen = session.standaloneStreamOpen;
  const notifier = new TaskNotifier({
    server,
    backend,
    owner,
    intervalMs: options.limits.pollIntervalMs,
    maxWatched: options.limits.maxWatchedTasks,
    maxIntervalMs: options.limits.maxNotifyIntervalMs,
    statusRelay,
    metrics,
    // Cancellations are audited where they are asked for; completion and failure where they are seen.
    onTerminal: (task) => {
      metrics?.taskEnded(task);
      if (task.status === 'completed' || task.status === 'failed') {
        audit({ event: `task.${task.status}`, taskId: task.taskId, status: task.status });
      }
    },
    ...(standaloneStreamOpen && {
      questions: {
        isStreamOpen: standaloneStreamOpen,
        canAnswerForms: canElicit,
        isServedByResultStream: (taskId: string) => (resultStreams.get(taskId) ?? 0) > 0,
        timeoutMs: options.limits.elicitationTimeoutMs,
        onOutcome: auditQuestion,
      },
    }),
  });
  if (session.notifications === false) notifier.close();
  server.onclose = () => notifier.close();
  if (session.resumed) void notifier.resume().catch(() => undefined);
  const awaitResult = async (taskId: string, extra: RequestExtra, request: RequestScope): Promise<ToolCallResult> => {
    resultStreams.set(taskId, (resultStreams.get(taskId) ?? 0) + 1);
    notifier.handOverQuestion(taskId);
    notifier.hold(taskId);
    const start = backend.knownStart?.(owner, taskId);
    const tool = start && tools.find((candidate) => candidate.name === start.tool);
    const mayAsk =
      tool?.kind === 'workflow' && (tool.asksDuringTask === true || tool.questionsBeforeStart !== undefined);
    try {
      return await awaitTaskResult({
        quiet: tool !== undefined && !mayAsk && start?.progressToken === undefined,
        backend,
        owner,
        taskId,
        pollIntervalMs: options.limits.pollIntervalMs,
        canElicit: canElicit(),
        extra,
        elicitationTimeoutMs: options.limits.elicitationTimeoutMs,
        onQuestionOutcome: (outcome) => auditQuestion(taskId, outcome, request.audit),
        onRead: (task) => void notifier.observe(task),
        pendingQuestions: metrics?.questionsPending,
      });
    } finally {
      notifier.release(taskId);
      const left = (resultStreams.get(taskId) ?? 1) - 1;
      if (left > 0) resultStreams.set(taskId, left);
      else resultStreams.delete(taskId);
    }
  };

  const limit = (kind: 'create' | 'request', request: RequestScope): void => {
    if (options.rateLimits && !options.rateLimits[kind].take(options.limitKey ?? scope)) {
      const perMinute = kind === 'create' ? options.limits.createRatePerMinute : options.limits.requestRatePerMinute;
      request.audit({ event: 'request.refused', reason: `rate limit: ${kind}` });
      throw new ProtocolError(
        ErrorCode.InternalError,
        `Rate limit exceeded: at most ${perMinute} ${kind === 'create' ? 'tool calls' : 'task requests'} per minute per client; retry later`,
      );
    }
  };

  const onRequest = <P>(
    method: string,
    paramsSchema: z.ZodType<P>,
    handler: (params: P, extra: RequestExtra, request: RequestScope) => Promise<object>,
  ) => {
    const looseRequest = z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
    const handle = async (
      message: { params?: unknown },
      extra: RequestExtra,
      request: RequestScope,
    ): Promise<object> => {
      const parsed = paramsSchema.safeParse(message.params);
      if (!parsed.success) throw invalidParams(`${method} params`, parsed.error);
      if (method.startsWith('tasks/')) limit('request', request);
      try {
        return await handler(parsed.data, extra, request);
      } catch (err) {
        // Cancelled by the client, or by its leaving: nobody is told (the SDK sends no answer to a
        // cancelled request), and it is not a fault of the server's to log as one.
        if (extra.signal.aborted)
          throw new ProtocolError(ErrorCode.RequestTimeout, `${method} was cancelled by the client`);
        auditEngineRefusal(request.audit, method, err, parsed.data);
        throw toProtocolError(err);
      }
    };
    server.setRequestHandler(looseRequest, async (message, extra) => {
      // The correlation id ties the request's log line to the audit events it caused. It is passed
      // along rather than kept in an AsyncLocalStorage, whose hooks would tax every promise of the
      // process (the worker's and the Temporal client's too) by a few percent of its CPU.
      const correlationId = randomUUID();
      const request: RequestScope = { audit: (event) => audit({ ...event, correlationId }) };
      const started = performance.now();
      try {
        const answer = await handle(message, extra, request);
        observeRequest(options, { method, scope, correlationId, started });
        return answer;
      } catch (err) {
        observeRequest(options, { method, scope, correlationId, started }, err);
        throw err;
      }
    });
  };

  onRequest('tools/list', z.unknown(), async () => ({
    tools: tools.map((tool) => ({ ...describeTool(tool), execution: { taskSupport: tool.taskSupport } })),
  }));

  const CallParamsSchema = z.object({
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    task: z.object({ ttl: z.number().optional() }).optional(),
  });
  onRequest('tools/call', CallParamsSchema, async (params, extra, request) => {
    limit('create', request);
    const tool = tools.find((candidate) => candidate.name === params.name);
    if (!tool) throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    const wantsTask = params.task !== undefined;
    if (wantsTask && tool.taskSupport === 'forbidden') {
      throw new ProtocolError(ErrorCode.MethodNotFound, `Tool ${tool.name} does not support task augmentation`);
    }
    if (!wantsTask && tool.taskSupport === 'required') {
      throw new ProtocolError(ErrorCode.MethodNotFound, `Tool ${tool.name} requires task augmentation (params.task)`);
    }
    const args = tool.inputSchema.safeParse(params.arguments ?? {});
    if (!args.success) throw invalidParams(`arguments for ${tool.name}`, args.error);
    const sessionOpen = session.sessionOpen ?? (() => Promise.resolve());
    if (tool.kind === 'local') {
      await sessionOpen();
      return tool.execute(args.data, { limits: options.limits, timeLimitsSeconds: options.timeLimitsSeconds });
    }
    const timeLimitSeconds = options.timeLimitsSeconds[tool.name] ?? tool.defaultTimeLimitSeconds;
    const progressToken = extra._meta?.progressToken;
    checkToolCallSize({ arguments: args.data, progressToken }, options.limits);
    if (!wantsTask) {
      // A plain call is not a task: no task id, no listing, no status notifications. It answers on this
      // request, reports progress to the request's progressToken, and stops when the request is
      // cancelled or its stream is dropped.
      const call = { tool: tool.name, workflow: tool.workflow, arguments: args.data, timeLimitSeconds };
      await sessionOpen();
      return backend.runCall(owner, call, {
        signal: extra.signal,
        ...(progressToken !== undefined && {
          onProgress: (progress) =>
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: progressNotificationParams(progressToken, progress),
              })
              .catch(() => undefined),
        }),
      });
    }
    const idempotencyKey = idempotencyKeyOf(extra._meta);
    const spec = {
      tool: tool.name,
      workflow: tool.workflow,
      arguments: args.data,
      timeLimitSeconds,
      requestedTtlMs: params.task?.ttl,
      progressToken,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    };
    const task = await backend.createTask(owner, spec, { beforeStart: sessionOpen });
    recordTaskCreation(options, request.audit, task, tool.name);
    notifier.watch(task);
    return { task: toWireTask(task) };
  });

  onRequest('tasks/get', TaskIdParamsSchema, async ({ taskId }, _extra, request) => {
    // The client's poll: a running task may come from this replica's exact view (no Temporal call).
    const task = await backend.getTask(owner, taskId, { fromView: true });
    request.audit({ event: 'task.read', taskId, status: task.status });
    return toWireTask(task);
  });

  onRequest('tasks/result', TaskIdParamsSchema, async ({ taskId }, extra, request) => {
    const result: ToolCallResult = await awaitResult(taskId, extra, request);
    request.audit({ event: 'task.result', taskId, status: result.isError ? 'error' : 'ok' });
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  });

  onRequest('tasks/list', ListParamsSchema, async (params, _extra, request) => {
    const page = await backend.listTasks(owner, { cursor: params?.cursor });
    request.audit({ event: 'task.listed', count: page.tasks.length });
    return { tasks: page.tasks.map(toWireTask), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
  });

  onRequest('tasks/cancel', TaskIdParamsSchema, async ({ taskId }, _extra, request) => {
    const task = await backend.cancelTask(owner, taskId);
    request.audit({ event: 'task.cancelled', taskId });
    // The status notification then carries exactly this answer (cancel time included).
    statusRelay.publish(scope, task);
    return toWireTask(task);
  });

  return server;
}
