import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { validateElicitationContent, type InputAnswer, type Question } from '../../common/elicitation';
import type { ProgressDetails } from '../../common/task-types';
import type { Principal } from '../auth/principal';
import { principalOwner } from '../auth/principal';
import { auditEngineRefusal, auditPrincipal, noAuditSink, type AuditFn, type AuditSink } from '../mcp/audit-log';
import type { TaskLimits } from '../config';
import { toProtocolError } from '../mcp/protocol-errors';
import { progressNotificationParams } from '../mcp/task-notifier';
import type { RateLimiter } from '../mcp/rate-limiter';
import { observeRequest, recordTaskCreation, type RequestObserver } from '../mcp/request-observer';
import { InputRejectedError, TaskAlreadyTerminalError, TaskNotCancellableError } from '../tasks/errors';
import { idempotencyKeyOf } from '../tasks/idempotency';
import { scopeKey, type TaskOwner } from '../tasks/owner';
import { checkAnswerSize, checkToolCallSize } from '../tasks/request-limits';
import type { TaskBackend } from '../tasks/task-backend';
import { describeTool, type ToolDefinition } from '../tools/tool-definition';
import { answerWithProgress, type WireAnswer } from './progress-stream';
import { RequestStateError, RequestStateSealer, type RequestStateBinding } from './request-state';
import { createTaskResult, detailedTask, elicitationRequest, toInputResponse } from './task-shapes';
import {
  CLIENT_CAPABILITIES_META,
  MODERN_PROTOCOL_VERSION,
  ModernErrorCode,
  ModernWireError,
  PROTOCOL_VERSION_META,
  SERVER_INFO_META,
  TASKS_EXTENSION,
  checkRoutingHeaders,
  missingFormElicitation,
  missingTasksExtension,
} from './wire';

export interface ModernServerOptions extends RequestObserver {
  backend: TaskBackend;
  tools: readonly ToolDefinition[];
  limits: TaskLimits;
  /** Time limit in seconds of each workflow tool, by name. */
  timeLimitsSeconds: Record<string, number>;
  serverInfo: { name: string; version: string };
  /**
   * Owner of every task when the request carries no authenticated principal: this revision has no
   * sessions, so without authentication there is one owner, and a task id is a bearer secret.
   */
  localOwner: TaskOwner;
  /** Shared with the 2025-11-25 wire, so that a client's budget is one whatever it speaks. */
  rateLimits?: { create: RateLimiter; request: RateLimiter };
  /**
   * The server's secret (replicas share it), from which the key that seals `requestState` is derived:
   * a call answered `input_required` before its task exists may come back on any replica.
   */
  serverSecret: string;
  /**
   * Receives an event per task operation and refusal, naming the principal and client address as the
   * 2025-11-25 wire does. @default noAuditSink
   */
  audit?: AuditSink;
}

/** What the HTTP layer knows of a request besides its body. */
export interface ModernRequestContext {
  headers: Headers;
  principal?: Principal;
  clientAddress?: string;
  /** Aborted when the client goes away: a synchronous call's workflow is then cancelled. */
  signal: AbortSignal;
}

/** Serves one 2026-07-28 POST body, already parsed, and answers it as HTTP. */
export type ModernHandler = (body: unknown, context: ModernRequestContext) => Promise<Response>;

/** Methods this revision removed, or that this server does not serve; −32601 before any header check. */
const SERVED_METHODS = new Set([
  'server/discover',
  'tools/list',
  'tools/call',
  'tasks/get',
  'tasks/update',
  'tasks/cancel',
]);

/** How long a client may cache `server/discover` and `tools/list`: both change only with a new release. */
const DISCOVER_TTL_MS = 3_600_000;

const TaskIdParamsSchema = z.looseObject({ taskId: z.string().max(200) });
const UpdateParamsSchema = z.looseObject({
  taskId: z.string().max(200),
  inputResponses: z.record(z.string(), z.unknown()),
});
const CallParamsSchema = z.looseObject({
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
  requestState: z.string().optional(),
});
type CallParams = z.output<typeof CallParamsSchema>;

interface ParsedRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown>;
  capabilities: { extensions?: Record<string, unknown> };
  owner: TaskOwner;
  limitKey: string;
  signal: AbortSignal;
  /** Set when the request carries a `progressToken` and accepts a stream: a synchronous call reports to it. */
  onProgress?: (progress: ProgressDetails) => void;
  /** Records an audit event of this request (with its correlation id). */
  audit: AuditFn;
  /** `scopeKey(owner)`, as the request's log line and audit events name the owner. */
  scope: string;
  /** The id of the request's log line and audit events. */
  correlationId: string;
  /** `performance.now()` when the request was taken. */
  started: number;
}

/** A request as its body and headers make it, before it is given its audit and correlation id. */
type ClassifiedRequest = Omit<ParsedRequest, 'audit' | 'scope' | 'correlationId' | 'started'>;

/**
 * The 2026-07-28 wire adapter over the task engine: stateless, so every request names its version,
 * its capabilities and (through its token) its owner. Version-specific shapes live here and in
 * `task-shapes.ts`; the engine is the same one the 2025-11-25 wire uses.
 */
export function createModernHandler(options: ModernServerOptions): ModernHandler {
  const { backend, tools, limits } = options;
  const requestStates = new RequestStateSealer(options.serverSecret);
  const withServerInfo = (result: Record<string, unknown>): Record<string, unknown> => ({
    ...result,
    _meta: { ...(result._meta as Record<string, unknown> | undefined), [SERVER_INFO_META]: options.serverInfo },
  });
  const limit = (kind: 'create' | 'request', request: ParsedRequest): void => {
    if (options.rateLimits && !options.rateLimits[kind].take(request.limitKey)) {
      request.audit({ event: 'request.refused', reason: `rate limit: ${kind}` });
      const perMinute = kind === 'create' ? limits.createRatePerMinute : limits.requestRatePerMinute;
      throw new ModernWireError(
        ModernErrorCode.InternalError,
        `Rate limit exceeded: at most ${perMinute} ${kind === 'create' ? 'tool calls' : 'task requests'} per minute per client; retry later`,
      );
    }
  };
  const declaresTasks = (request: ParsedRequest): boolean =>
    request.capabilities.extensions?.[TASKS_EXTENSION] !== undefined;
  const parse = <T>(schema: z.ZodType<T>, request: ParsedRequest): T => {
    const parsed = schema.safeParse(request.params);
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ModernWireError(
      ModernErrorCode.InvalidParams,
      `Invalid ${request.method} params: ${problems.join('; ')}`,
    );
  };
  const requireTasks = (request: ParsedRequest): void => {
    if (!declaresTasks(request)) throw missingTasksExtension(request.method);
    limit('request', request);
  };

  const discover = (): Record<string, unknown> => ({
    resultType: 'complete',
    supportedVersions: [MODERN_PROTOCOL_VERSION],
    capabilities: { tools: {}, extensions: { [TASKS_EXTENSION]: {} } },
    serverInfo: options.serverInfo,
    // The same for every caller: the tools and the extension do not depend on who asks.
    cacheScope: 'public',
    ttlMs: DISCOVER_TTL_MS,
  });

  const listTools = (): Record<string, unknown> => ({
    resultType: 'complete',
    tools: tools.map(describeTool),
    // The catalog is fixed for the life of the process and the same for every caller.
    cacheScope: 'public',
    ttlMs: DISCOVER_TTL_MS,
  });

  /**
   * The answers a call needs before its work starts (MRTR, before any task exists). Each round asks
   * every question still open in an `input_required` result with a sealed `requestState`; the next
   * brings `inputResponses` with that state echoed. An answer may bring up a further question, asked
   * in the round after. Answers of earlier rounds are taken only from a state this server issued for
   * this owner, tool and arguments; a missing or invalid answer is asked again (under the same key,
   * with the reason), and the answers already given ride along in the new state.
   */
  const gatherAnswersBeforeStart = (
    request: ParsedRequest,
    params: CallParams,
    binding: RequestStateBinding,
    questionsFor: (answers: Readonly<Record<string, InputAnswer>>) => Record<string, Question>,
  ): { answers: Record<string, InputAnswer> } | { inputRequired: Record<string, unknown> } => {
    if (Object.keys(questionsFor({})).length === 0) return { answers: {} };
    if (!declaresFormElicitation(request)) {
      throw missingFormElicitation(`Tool ${binding.tool} asks questions before it starts`);
    }
    let answers: Record<string, InputAnswer> = {};
    const problems: Record<string, string> = {};
    if (params.requestState !== undefined) {
      try {
        answers = requestStates.open(params.requestState, binding);
      } catch (err) {
        if (err instanceof RequestStateError) throw new ModernWireError(ModernErrorCode.InvalidParams, err.message);
        throw err;
      }
    }
    // This round's responses answer the questions open after the carried answers; keys of no such
    // question are ignored. A first call may bring answers without any state: they are the client's
    // word either way, and the seal protects only answers carried from earlier rounds.
    const responses = params.inputResponses ?? {};
    for (const [key, question] of Object.entries(questionsFor(answers))) {
      if (answers[key] !== undefined || !Object.hasOwn(responses, key)) continue;
      const answer = toAnswer(key, question, responses[key]);
      if (typeof answer === 'string') problems[key] = answer;
      else answers = { ...answers, [key]: answer };
    }
    const questions = questionsFor(answers);
    const missing = Object.keys(questions).filter((key) => answers[key] === undefined);
    if (missing.length === 0) return { answers };
    const inputRequests = Object.fromEntries(
      missing.map((key) => {
        const question = questions[key]!;
        const message = problems[key] ? `${question.message} (${problems[key]})` : question.message;
        return [key, elicitationRequest({ ...question, message })];
      }),
    );
    return {
      inputRequired: {
        resultType: 'input_required',
        inputRequests,
        requestState: requestStates.seal(binding, answers),
      },
    };
  };
  const declaresFormElicitation = (request: ParsedRequest): boolean => {
    const elicitation = (request.capabilities as { elicitation?: unknown }).elicitation;
    if (typeof elicitation !== 'object' || elicitation === null) return false;
    // `elicitation: {}` declares form mode alone.
    return Object.keys(elicitation).length === 0 || 'form' in elicitation;
  };
  /** An answer to a question asked before start, or a sentence saying why it is not a valid one. */
  const toAnswer = (key: string, question: Question, value: unknown): InputAnswer | string => {
    const response = toInputResponse(key, value);
    if (typeof response === 'string') return response;
    if (response.action !== 'accept') return { action: response.action };
    checkAnswerSize(response.content, limits);
    const content = response.content ?? {};
    const problems = validateElicitationContent(question.requestedSchema, content);
    return problems.length > 0 ? `invalid answer: ${problems.join('; ')}` : { action: 'accept', content };
  };

  /**
   * The server decides whether a call becomes a task: a tool that must run as a task becomes one (and
   * needs the extension), an optional one becomes one when this request declared the extension and
   * the tool does not say the call is quick, and any other runs synchronously. `params.task` of
   * 2025-11-25 is ignored.
   */
  const callTool = async (request: ParsedRequest): Promise<Record<string, unknown>> => {
    limit('create', request);
    const params = parse(CallParamsSchema, request);
    const tool = tools.find((candidate) => candidate.name === params.name);
    if (!tool) throw new ModernWireError(ModernErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    if (tool.taskSupport === 'required' && !declaresTasks(request)) {
      throw missingTasksExtension(`Tool ${tool.name}, which runs only as a task,`);
    }
    const args = tool.inputSchema.safeParse(params.arguments ?? {});
    if (!args.success) {
      const problems = args.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new ModernWireError(
        ModernErrorCode.InvalidParams,
        `Invalid arguments for ${tool.name}: ${problems.join('; ')}`,
      );
    }
    if (tool.kind === 'local') {
      const result = await tool.execute(args.data, { limits, timeLimitsSeconds: options.timeLimitsSeconds });
      return { ...result, resultType: 'complete' };
    }
    // Refused before any task exists (checklist #30): its questions could reach no one.
    if (tool.asksDuringTask && !declaresFormElicitation(request)) {
      throw missingFormElicitation(`Tool ${tool.name} asks questions while its task runs`);
    }
    const timeLimitSeconds = options.timeLimitsSeconds[tool.name] ?? tool.defaultTimeLimitSeconds;
    const { progressToken } = params._meta as { progressToken?: unknown };
    checkToolCallSize({ arguments: args.data, ...(isProgressToken(progressToken) && { progressToken }) }, limits);
    const asTask =
      tool.taskSupport === 'required' ||
      (tool.taskSupport === 'optional' && declaresTasks(request) && !tool.isQuickCall?.(args.data));
    const { questionsBeforeStart } = tool;
    let answersBeforeStart: Record<string, InputAnswer> | undefined;
    if (questionsBeforeStart !== undefined) {
      const binding = { owner: request.scope, tool: tool.name, arguments: args.data };
      const questionsFor = (answers: Readonly<Record<string, InputAnswer>>): Record<string, Question> =>
        questionsBeforeStart(args.data, answers);
      const gathered = gatherAnswersBeforeStart(request, params, binding, questionsFor);
      if ('inputRequired' in gathered) return gathered.inputRequired;
      if (Object.keys(gathered.answers).length > 0) answersBeforeStart = gathered.answers;
    }
    const idempotencyKey = idempotencyKeyOf(request.params._meta as Record<string, unknown> | undefined);
    const call = {
      tool: tool.name,
      workflow: tool.workflow,
      arguments: args.data,
      timeLimitSeconds,
      ...(answersBeforeStart && { answersBeforeStart }),
    };
    if (!asTask) {
      const result = await backend.runCall(request.owner, call, {
        signal: request.signal,
        ...(request.onProgress && { onProgress: request.onProgress }),
      });
      return { ...result, resultType: 'complete' };
    }
    // Answered only once the task is started and readable by every replica (the engine waits for it).
    const task = await backend.createTask(request.owner, {
      ...call,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    recordTaskCreation(options, request.audit, task, tool.name);
    return createTaskResult(task);
  };

  const getTask = async (request: ParsedRequest): Promise<Record<string, unknown>> => {
    requireTasks(request);
    const { taskId } = parse(TaskIdParamsSchema, request);
    // The client's poll: a running task may come from this replica's exact view (no Temporal call).
    const read = await backend.getTaskWithOutcome(request.owner, taskId, { fromView: true });
    request.audit({ event: 'task.read', taskId, status: read.task.status });
    return { resultType: 'complete', ...detailedTask(read) };
  };

  /**
   * Answers the task's outstanding questions, each on its own: any subset may come now and the rest
   * later. Keys that are not outstanding are ignored (answered before, never asked, or of a task that
   * already ended). An answer that breaks its question's schema is refused with the reason and its
   * question stays outstanding; the valid answers of the same request still count. The ack comes
   * only once every answer is recorded, so the next `tasks/get` shows only what is still open.
   */
  const updateTask = async (request: ParsedRequest): Promise<Record<string, unknown>> => {
    requireTasks(request);
    const { taskId, inputResponses } = parse(UpdateParamsSchema, request);
    const task = await backend.getTask(request.owner, taskId);
    const questions = task.status === 'input_required' ? (task.pendingInputs ?? []) : [];
    const problems: string[] = [];
    for (const question of questions) {
      if (!Object.hasOwn(inputResponses, question.requestId)) continue;
      const response = toInputResponse(question.requestId, inputResponses[question.requestId]);
      if (typeof response === 'string') {
        request.audit({ event: 'task.input.rejected', taskId, reason: response });
        problems.push(`Invalid answer to ${question.requestId}: ${response}`);
        continue;
      }
      try {
        await backend.provideInput(request.owner, taskId, response, { signal: request.signal });
        request.audit({ event: 'task.input', taskId, action: response.action });
      } catch (err) {
        if (!(err instanceof InputRejectedError)) throw err;
        request.audit({ event: 'task.input.rejected', taskId, reason: err.message });
        problems.push(`Answer to ${question.requestId} refused: ${err.message}`);
      }
    }
    if (problems.length > 0) throw new ModernWireError(ModernErrorCode.InvalidParams, problems.join('; '));
    return { resultType: 'complete' };
  };

  /** An acknowledgement: the work stops; a task that already ended, or cannot stop any more, stays as it is. */
  const cancelTask = async (request: ParsedRequest): Promise<Record<string, unknown>> => {
    requireTasks(request);
    const { taskId } = parse(TaskIdParamsSchema, request);
    try {
      await backend.cancelTask(request.owner, taskId);
      request.audit({ event: 'task.cancelled', taskId });
    } catch (err) {
      if (!(err instanceof TaskAlreadyTerminalError) && !(err instanceof TaskNotCancellableError)) throw err;
    }
    return { resultType: 'complete' };
  };

  const dispatch = (request: ParsedRequest): Promise<Record<string, unknown>> | Record<string, unknown> => {
    switch (request.method) {
      case 'server/discover':
        return discover();
      case 'tools/list':
        return listTools();
      case 'tools/call':
        return callTool(request);
      case 'tasks/get':
        return getTask(request);
      case 'tasks/update':
        return updateTask(request);
      default:
        return cancelTask(request);
    }
  };

  const answer = async (request: ParsedRequest): Promise<WireAnswer> => {
    try {
      const result = await dispatch(request);
      observeRequest(options, request);
      return { message: { jsonrpc: '2.0', id: request.id, result: withServerInfo(result) }, status: 200 };
    } catch (err) {
      auditEngineRefusal(request.audit, request.method, err, request.params);
      const wire = toWireError(err);
      observeRequest(options, request, wire);
      return errorAnswer(request.id, wire);
    }
  };

  const sink = options.audit ?? noAuditSink;

  return async (body, context) => {
    let classified: ClassifiedRequest | undefined;
    const started = performance.now();
    try {
      classified = classify(body, context, options.localOwner);
    } catch (err) {
      const refused = errorAnswer(requestIdOf(body), err);
      return Response.json(refused.message, { status: refused.status });
    }
    if (classified === undefined) return new Response(null, { status: 202 });
    // As the 2025-11-25 wire names them: the owner's scope, the principal and the client's address.
    const correlationId = randomUUID();
    const scope = scopeKey(classified.owner);
    const actor = { principal: auditPrincipal(context.principal), clientAddress: context.clientAddress };
    const request: ParsedRequest = {
      ...classified,
      scope,
      correlationId,
      started,
      audit: (event) => sink({ time: new Date().toISOString(), scope, ...actor, ...event, correlationId }),
    };
    const progressToken = (request.params._meta as Record<string, unknown>).progressToken;
    const acceptsStream = context.headers.get('accept')?.includes('text/event-stream') ?? false;
    if (request.method !== 'tools/call' || !isProgressToken(progressToken) || !acceptsStream) {
      const plain = await answer(request);
      return Response.json(plain.message, { status: plain.status });
    }
    const parsed = request;
    // Progress goes only on this request's own stream, and ends with it.
    return answerWithProgress((send) =>
      answer({ ...parsed, onProgress: (progress) => send(progressNotificationParams(progressToken, progress)) }),
    );
  };
}

function toWireError(err: unknown): ModernWireError {
  return err instanceof ModernWireError ? err : fromEngineError(err);
}

function errorAnswer(id: string | number | undefined, err: unknown): WireAnswer {
  const wire = toWireError(err);
  return {
    message: {
      jsonrpc: '2.0',
      id: id ?? null,
      error: { code: wire.code, message: wire.message, ...(wire.data !== undefined && { data: wire.data }) },
    },
    status: wire.httpStatus,
  };
}

function isProgressToken(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/**
 * Checks what every request of this revision must carry, in the order that tells the client the most:
 * the version it claims (once the version header agrees with it), the method (a removed or unknown one
 * is −32601 whatever its headers), its capabilities, then the routing headers. Undefined for a
 * notification, which has nothing to answer.
 */
function classify(body: unknown, context: ModernRequestContext, localOwner: TaskOwner): ClassifiedRequest | undefined {
  const message = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') {
    throw new ModernWireError(ModernErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request', 400);
  }
  const params =
    typeof message.params === 'object' && message.params !== null && !Array.isArray(message.params)
      ? (message.params as Record<string, unknown>)
      : {};
  const meta = (params._meta ?? {}) as Record<string, unknown>;
  const version = meta[PROTOCOL_VERSION_META];
  if (typeof version !== 'string') {
    throw new ModernWireError(
      ModernErrorCode.InvalidParams,
      `Invalid params: _meta["${PROTOCOL_VERSION_META}"] is required on every request of ${MODERN_PROTOCOL_VERSION}`,
      400,
    );
  }
  // A header that contradicts the body is the client's inconsistency, whatever version either names:
  // reported as such (−32020) before the claimed version is judged, so −32022 means "this version".
  const headerVersion = context.headers.get('mcp-protocol-version');
  if (headerVersion !== null && headerVersion.trim() !== version) {
    throw new ModernWireError(
      ModernErrorCode.HeaderMismatch,
      `Header mismatch: MCP-Protocol-Version ${headerVersion} but _meta names ${version}`,
      400,
    );
  }
  if (version !== MODERN_PROTOCOL_VERSION) {
    throw new ModernWireError(
      ModernErrorCode.UnsupportedVersion,
      `Unsupported protocol version ${version}; this endpoint speaks ${MODERN_PROTOCOL_VERSION} (and 2025-11-25 after initialize)`,
      400,
      { supported: [MODERN_PROTOCOL_VERSION], requested: version },
    );
  }
  const id = requestIdOf(body);
  if (id === undefined) return undefined;
  if (!SERVED_METHODS.has(message.method)) {
    throw new ModernWireError(ModernErrorCode.MethodNotFound, `Method not found: ${message.method}`, 404);
  }
  const capabilities = meta[CLIENT_CAPABILITIES_META];
  if (typeof capabilities !== 'object' || capabilities === null || Array.isArray(capabilities)) {
    throw new ModernWireError(
      ModernErrorCode.InvalidParams,
      `Invalid params: _meta["${CLIENT_CAPABILITIES_META}"] is required on every request (use {} for none)`,
      400,
    );
  }
  checkRoutingHeaders(context.headers, { method: message.method, params, version });
  const owner = context.principal ? principalOwner(context.principal) : localOwner;
  return {
    id,
    method: message.method,
    params,
    capabilities: capabilities,
    owner,
    limitKey: context.principal ? scopeKey(owner) : `address:${context.clientAddress ?? 'unknown'}`,
    signal: context.signal,
  };
}

function requestIdOf(body: unknown): string | number | undefined {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** An engine error as the 2025-11-25 wire names it: the codes of both revisions agree here. */
function fromEngineError(err: unknown): ModernWireError {
  const mapped = toProtocolError(err) as Error & { code?: number; data?: unknown };
  return new ModernWireError(mapped.code ?? ModernErrorCode.InternalError, mapped.message, 200, mapped.data);
}
