import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Client,
  WorkflowExecutionInfo,
  WorkflowHandleWithFirstExecutionRunId,
  WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { isErrorLike } from '../../common/error-message';
import { MIN_RESULT_RETENTION_MS, isExpired } from '../../common/task-expiry';
import type { TaskLimits } from '../config';
import type { InputResponse } from '../../common/elicitation';
import {
  CLIENT_FACING_FAILURE_TYPES,
  LOCAL_TENANT,
  isTerminalStatus,
  type ProgressDetails,
  type ToolCallResult,
  type ToolWorkflowInput,
} from '../../common/task-types';
import {
  ExpiresAtSearchAttribute,
  ScopeSearchAttribute,
  RECORDS_STATE_MEMO_KEY,
  TASK_STATE_MEMO_KEY,
  TaskStatusSearchAttribute,
  ToolSearchAttribute,
  provideInputUpdate,
} from '../../workflows/definitions';
import {
  InputRejectedError,
  InvalidCursorError,
  InvalidTaskRequestError,
  TaskAlreadyTerminalError,
  TaskLimitError,
  TaskNotCancellableError,
  TaskNotFoundError,
  TaskNotTerminalError,
} from './errors';
import { ClosedTaskCache } from './closed-task-cache';
import { ListedStarts } from './listed-starts';
import { RunningTaskView } from './running-task-view';
import { callDigest, keyedTaskId } from './idempotency';
import { decodeCursor, encodeCursor } from './list-cursor';
import { ProgressTracker } from './progress-tracker';
import { checkAnswerSize } from './request-limits';
import { callWorkflowIdFor, isTaskId, newTaskId, scopeKey, workflowIdFor, type TaskId, type TaskOwner } from './owner';
import type {
  CallSpec,
  CreatedTask,
  ListTasksPage,
  RunCallOptions,
  TaskBackend,
  TaskOutcome,
  TaskSpec,
  TaskView,
  TaskWithOutcome,
} from './task-backend';
import {
  CANCELLED_MESSAGE,
  TaskReader,
  isNotFound,
  type LoadedTask,
  type StartedTask,
  type TaskMemo,
} from './task-reader';
import { explainWorkflowFailure } from './workflow-failures';

export interface TemporalTaskBackendOptions {
  client: Client;
  taskQueue: string;
  limits: TaskLimits;
  /** How long a `tasks/get` waits for a worker to answer the state query before falling back. @default 3000 */
  queryTimeoutMs?: number;
  /**
   * The secret task ids of keyed calls are derived from (`keyedTaskId`): the server secret, which every
   * replica shares. Without it, a call with an idempotency key is refused.
   */
  idempotencySecret?: string;
  /**
   * A client on the connection of a worker this process runs, polling `taskQueue` in the same
   * namespace. Tasks and calls are then started through it with eager start: that worker runs their
   * first workflow task straight from the start's answer, instead of after the server has dispatched
   * it through matching (`docs/performance.md`: a few milliseconds, and less work for the server).
   * Where it has no free slot, or the server does not start eagerly, the start is an ordinary one.
   */
  eagerStarter?: Client;
}

/**
 * Longest a cancel waits for its request to reach the history: a workflow task in flight holds it
 * back until it ends, or until its 10 s timeout when its worker died.
 */
const CANCEL_SETTLE_TIMEOUT_MS = 15_000;
const CANCEL_SETTLE_POLL_MS = 50;

/** How old the count of every owner's running tasks may be when a new task is checked against it. */
const ALL_RUNNING_COUNT_MAX_AGE_MS = 1000;
/** How long one owner's running count stands in for a fresh one, while the owner is far from its limit. */
const OWNER_RUNNING_COUNT_MAX_AGE_MS = 5000;
/** Below this share of the per-owner limit, a count up to a second old (plus this process's starts) is enough. */
const OWNER_RUNNING_COUNT_SLACK = 0.5;
/** Owners whose last count a process keeps; past it, the oldest is forgotten (and counted afresh). */
const OWNER_RUNNING_COUNTS_KEPT = 10_000;

/** Tasks started by one process that it keeps the start facts of until it sees them close; past it, the oldest go. */
const STARTED_TASKS_KEPT = 10_000;

/** gRPC status INVALID_ARGUMENT. */
const GRPC_INVALID_ARGUMENT = 3;

/** `temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT`. */
const CLOSE_EVENT_FILTER = 2;

/**
 * The task engine on Temporal: one workflow execution per task, id `mcp-task/<scope>/<taskId>`, and
 * one per plain call, id `mcp-call/<scope>/<id>`. Every read goes through the {@link TaskReader}: the
 * workflow records its state in its memo, so no worker is needed to read a task. What this process
 * keeps in memory (closed tasks, and running tasks `tasks/get` may answer while exact) is only ever
 * what a read of Temporal would answer.
 */
export class TemporalTaskBackend implements TaskBackend {
  private readonly client: Client;
  private readonly eagerStarter: Client | undefined;
  private readonly taskQueue: string;
  private readonly limits: TaskLimits;
  private readonly reader: TaskReader;
  private readonly lifetime = new AbortController();
  /** The last count of every owner's running tasks, and the tasks this process started since. */
  private allRunning: RunningCount | undefined;
  /** Each owner's last running count, by scope key, oldest first. */
  private readonly ownerRunning = new Map<string, RunningCount>();
  private readonly idempotencySecret: string | undefined;
  /** Tasks this process started and has not seen close, oldest first: what a completed one reads as. */
  private readonly startedHere = new Map<string, StartedTask>();
  private readonly listedStarts: ListedStarts;
  /** Running tasks `tasks/get` may answer from memory while Temporal could answer nothing else. */
  private readonly runningTasks: RunningTaskView<LoadedTask>;

  constructor(options: TemporalTaskBackendOptions) {
    // Every call in flight listens on the lifetime signal until it ends; many at once is normal, not a leak.
    setMaxListeners(0, this.lifetime.signal);
    this.client = options.client;
    this.eagerStarter = options.eagerStarter;
    this.taskQueue = options.taskQueue;
    this.limits = options.limits;
    this.idempotencySecret = options.idempotencySecret;
    this.runningTasks = new RunningTaskView<LoadedTask>({ client: options.client });
    this.reader = new TaskReader({
      client: options.client,
      pollIntervalMs: options.limits.pollIntervalMs,
      queryTimeoutMs: options.queryTimeoutMs ?? 3000,
      closedTasks: new ClosedTaskCache<LoadedTask>(),
      runningTasks: this.runningTasks,
    });
    this.listedStarts = new ListedStarts({
      signal: this.lifetime.signal,
      listed: async (workflowIds) => {
        const { client } = this;
        const response = await client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query: `WorkflowId IN (${workflowIds.map((workflowId) => `"${workflowId}"`).join(', ')})`,
          pageSize: workflowIds.length,
        });
        return new Set(response.executions.map((info) => info.execution?.workflowId ?? ''));
      },
    });
  }

  async createTask(
    owner: TaskOwner,
    spec: TaskSpec,
    options: { beforeStart?: () => Promise<void> } = {},
  ): Promise<CreatedTask> {
    return this.guard(async () => {
      const ttlMs = this.applyTtl(spec.requestedTtlMs);
      const key = spec.idempotencyKey;
      let taskId = newTaskId();
      if (key !== undefined) {
        if (this.idempotencySecret === undefined) {
          throw new InvalidTaskRequestError('This server takes no idempotency keys (it was started without a secret)');
        }
        taskId = keyedTaskId(this.idempotencySecret, owner, key);
        const earlier = await this.keyedTask(owner, taskId, spec, options.beforeStart);
        if (earlier) return earlier;
      }
      await Promise.all([this.enforceRunningLimit(owner), options.beforeStart?.()]);
      const createdAt = new Date();
      const start: TaskStart = { owner, spec, taskId, createdAt, ttlMs, taskQueue: this.taskQueue };
      const memo = taskMemo(start);
      try {
        const handle = await this.startWorkflow(spec.workflow, taskStartOptions(start, memo));
        this.rememberStart({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, memo });
      } catch (err) {
        // Two calls with one key at the same moment: the other one started it first.
        if (key !== undefined && isErrorLike(err) && err.name === 'WorkflowExecutionAlreadyStartedError') {
          const earlier = await this.keyedTask(owner, taskId, spec);
          if (earlier) return earlier;
          // Its workflow id is taken, yet no task reads there: the key's task has expired, and its
          // workflow stays until the clean-up deletes it.
          throw new InvalidTaskRequestError(`The task of idempotency key "${key}" has expired; use a new key`);
        }
        throw err;
      }
      this.listedStarts.started(scopeKey(owner), workflowIdFor(owner, taskId));
      return {
        taskId,
        status: 'working',
        createdAt: createdAt.toISOString(),
        lastUpdatedAt: createdAt.toISOString(),
        ttl: ttlMs,
        pollInterval: this.limits.pollIntervalMs,
        progressToken: spec.progressToken,
      };
    });
  }

  async runCall(owner: TaskOwner, spec: CallSpec, options: RunCallOptions = {}): Promise<ToolCallResult> {
    const createdAt = new Date();
    const ttlMs = this.limits.defaultTtlMs;
    // Not under `mcp-task/` and without `McpScope`: no task read, list or limit ever sees a call. The
    // expiry facts let the clean-up schedule delete it like a task.
    const handle = await this.guard(() =>
      this.startWorkflow(spec.workflow, {
        workflowId: callWorkflowIdFor(owner, newTaskId()),
        taskQueue: this.taskQueue,
        args: [workflowInput(owner, spec)],
        workflowExecutionTimeout: `${spec.timeLimitSeconds} seconds`,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: {
          tool: spec.tool,
          createdAt: createdAt.toISOString(),
          ttlMs,
          timeLimitSeconds: spec.timeLimitSeconds,
          [RECORDS_STATE_MEMO_KEY]: true,
        },
        typedSearchAttributes: [
          { key: ToolSearchAttribute, value: spec.tool },
          { key: ExpiresAtSearchAttribute, value: new Date(createdAt.getTime() + ttlMs) },
        ],
        staticSummary: `MCP call (no task): ${spec.tool}`,
        staticDetails: argumentsDetails(spec.arguments),
      }),
    );
    const finished = new AbortController();
    const onProgress = options.onProgress;
    const progress = new ProgressTracker();
    const watching = onProgress && this.watchProgress(handle.workflowId, progress, onProgress, finished.signal);
    try {
      const result = (await this.guard(() => handle.result(), { signal: options.signal })) as ToolCallResult;
      finished.abort();
      await watching;
      const full = result.isError ? undefined : progress.complete();
      if (onProgress && full) onProgress(full);
      return result;
    } catch (err) {
      if (options.signal?.aborted) {
        // The caller is gone: nobody will read the result, so the work stops.
        await this.guard(() => handle.cancel()).catch(() => undefined);
        throw options.signal.reason ?? err;
      }
      if ((err as Error).name !== 'WorkflowFailedError') throw err;
      const failure = explainWorkflowFailure(err, spec);
      return failure.toolResult ?? errorResult(failure.message);
    } finally {
      finished.abort();
      await watching;
    }
  }

  knownStart(owner: TaskOwner, taskId: string): { tool: string; progressToken?: string | number } | undefined {
    if (!isTaskId(taskId)) return undefined;
    const memo = this.startedHere.get(workflowIdFor(owner, taskId))?.memo;
    return memo && { tool: memo.tool, ...(memo.progressToken !== undefined && { progressToken: memo.progressToken }) };
  }

  async getTask(owner: TaskOwner, taskId: string, options: { fromView?: boolean } = {}): Promise<TaskView> {
    return this.guard(async () => (await this.reader.read(owner, taskId, options)).view);
  }

  async getTaskResult(
    owner: TaskOwner,
    taskId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ToolCallResult> {
    const { task, outcome } = await this.getTaskWithOutcome(owner, taskId, options);
    switch (outcome?.kind) {
      case 'result':
        return outcome.result;
      case 'failure':
        return errorResult(outcome.message);
      case 'cancelled':
        return errorResult(CANCELLED_MESSAGE);
      default:
        throw new TaskNotTerminalError(taskId, task.status);
    }
  }

  async getTaskWithOutcome(
    owner: TaskOwner,
    taskId: string,
    options: { signal?: AbortSignal; fromView?: boolean } = {},
  ): Promise<TaskWithOutcome> {
    return this.guard(async () => {
      const loaded = await this.reader.read(owner, taskId, { fromView: options.fromView });
      const task = loaded.view;
      switch (task.status) {
        case 'completed': {
          const result = (await this.client.workflow
            .getHandle(loaded.workflowId, loaded.runId)
            .result()) as ToolCallResult;
          return { task, outcome: { kind: 'result', result, isToolError: result.isError === true } };
        }
        case 'failed': {
          // As a plain call reports it: a failure the tool reported for the client is its error result.
          const failure = loaded.failure;
          const message = task.statusMessage ?? 'The task failed.';
          const reportedByTool =
            failure?.toolResult !== undefined || CLIENT_FACING_FAILURE_TYPES.has(failure?.type ?? '');
          const outcome: TaskOutcome = reportedByTool
            ? { kind: 'result', result: failure?.toolResult ?? errorResult(message), isToolError: true }
            : { kind: 'failure', message };
          return { task, outcome };
        }
        case 'cancelled':
          return { task, outcome: { kind: 'cancelled' } };
        default:
          return { task };
      }
    }, options);
  }

  async waitForTaskEnd(
    owner: TaskOwner,
    taskId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ToolCallResult | undefined> {
    if (!isTaskId(taskId)) return undefined;
    const { client } = this;
    const waitStartedAt = Date.now();
    const workflowId = workflowIdFor(owner, taskId);
    const started = this.startedHere.get(workflowId);
    const execution = { workflowId, ...(started && { runId: started.runId }) };
    return this.guard(async () => {
      // Temporal's long poll on the close event: the server answers as soon as the execution closes,
      // or with an empty page when its poll times out (then asked again).
      let nextPageToken: Uint8Array | undefined;
      for (;;) {
        let page: Awaited<ReturnType<Client['workflowService']['getWorkflowExecutionHistory']>>;
        try {
          page = await client.workflowService.getWorkflowExecutionHistory({
            namespace: client.options.namespace,
            execution,
            waitNewEvent: true,
            skipArchival: true,
            historyEventFilterType: CLOSE_EVENT_FILTER,
            nextPageToken,
          });
        } catch (err) {
          // Deleted or never there: nothing left to wait for (reading the task says which).
          if (isNotFound(err)) return undefined;
          throw err;
        }
        const close = page.history?.events?.[0];
        if (close) {
          // A task that completed has its result in the close event: no read needed (completion wins
          // over a cancel request). One that closed before the wait may have expired since: unless
          // this process started it (and knows its expiry), the caller reads it.
          const closeTime = optionalTsToDate(close.eventTime);
          // Seen closed here: no tasks/get of this replica may answer it running any more.
          this.reader.forgetRunning(workflowId);
          const payload = close.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
          if (started) this.startedHere.delete(workflowId);
          if (!payload || !closeTime) return undefined;
          const closedAt = closeTime.getTime();
          if (closedAt < waitStartedAt && !(started && !isExpired(started.memo, closedAt))) return undefined;
          // A task started here is then known completed without a read (the final status notification's).
          if (started) await this.reader.keepCompleted(started, closeTime);
          return defaultPayloadConverter.fromPayload<ToolCallResult>(payload);
        }
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      }
    }, options);
  }

  async listTasks(owner: TaskOwner, options: { cursor?: string } = {}): Promise<ListTasksPage> {
    const scope = scopeKey(owner);
    const nextPageToken = options.cursor === undefined ? undefined : decodeCursor(scope, options.cursor);
    return this.guard(async () => {
      const { client } = this;
      // A first page shows the tasks this process just started, even before visibility caught up.
      if (nextPageToken === undefined) await this.listedStarts.settle(scope);
      const now = Date.now();
      // Closed tasks past any possible expiry are left out by the query (the clean-up schedule deletes
      // them later); the exact expiry of the rest is checked on each entry.
      const query =
        `${ScopeSearchAttribute.name} = "${scope}" AND (ExecutionStatus = "Running"` +
        ` OR ${ExpiresAtSearchAttribute.name} > "${new Date(now).toISOString()}"` +
        ` OR CloseTime > "${new Date(now - MIN_RESULT_RETENTION_MS).toISOString()}")`;
      let response: Awaited<ReturnType<Client['workflowService']['listWorkflowExecutions']>>;
      try {
        response = await client.workflowService.listWorkflowExecutions({
          namespace: client.options.namespace,
          query,
          pageSize: this.limits.listPageSize,
          nextPageToken,
        });
      } catch (err) {
        // Visibility could not read the token: it is not one it issued.
        if (nextPageToken && (err as { code?: number }).code === GRPC_INVALID_ARGUMENT) {
          throw new InvalidCursorError(options.cursor!);
        }
        throw err;
      }
      const listed = await Promise.all(
        response.executions.map((raw) =>
          executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace),
        ),
      );
      const views = await Promise.all(
        listed.filter((info) => !TaskReader.isExpiredListing(info)).map((info) => this.reader.readListed(info)),
      );
      const token = response.nextPageToken;
      return {
        tasks: views.filter((view): view is TaskView => view !== undefined),
        ...(token?.length && { nextCursor: encodeCursor(scope, token) }),
      };
    });
  }

  async cancelTask(owner: TaskOwner, taskId: string): Promise<TaskView> {
    return this.guard(async () => {
      const loaded = await this.reader.read(owner, taskId);
      if (isTerminalStatus(loaded.view.status)) throw new TaskAlreadyTerminalError(taskId, loaded.view.status);
      if (loaded.view.committed) throw new TaskNotCancellableError(taskId, loaded.view.statusMessage);
      try {
        await this.client.workflow.getHandle(loaded.workflowId, loaded.runId).cancel();
      } catch (err) {
        this.reader.forgetRunning(loaded.workflowId);
        // The workflow closed between the read and the cancel: report its real terminal status.
        const now = await this.reader.read(owner, taskId);
        if (isTerminalStatus(now.view.status)) throw new TaskAlreadyTerminalError(taskId, now.view.status);
        throw err;
      }
      // Answer once every read says `cancelled`: the request reaches the history as soon as the
      // workflow task in flight (if any) ends, and the answer then carries that event's time.
      // Read-your-writes on this replica: its viewed reads must not wait for the watch to wake up.
      this.reader.forgetRunning(loaded.workflowId);
      const deadline = Date.now() + CANCEL_SETTLE_TIMEOUT_MS;
      for (;;) {
        const now = (await this.reader.read(owner, taskId)).view;
        if (now.status === 'cancelled') return now;
        if (isTerminalStatus(now.status)) throw new TaskAlreadyTerminalError(taskId, now.status);
        // The request lost the race with the task's point of no return: the work finishes.
        if (now.committed) throw new TaskNotCancellableError(taskId, now.statusMessage);
        if (Date.now() > deadline) {
          return {
            ...now,
            status: 'cancelled',
            statusMessage: CANCELLED_MESSAGE,
            lastUpdatedAt: new Date().toISOString(),
          };
        }
        await sleep(CANCEL_SETTLE_POLL_MS);
      }
    });
  }

  async provideInput(
    owner: TaskOwner,
    taskId: string,
    response: InputResponse,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.guard(async () => {
      const loaded = await this.reader.read(owner, taskId);
      checkAnswerSize(response.content, this.limits);
      if (loaded.view.status !== 'input_required') {
        throw new InputRejectedError(`Task ${taskId} is not waiting for input (it is ${loaded.view.status})`);
      }
      const handle = this.client.workflow.getHandle(loaded.workflowId, loaded.runId);
      const send = () => handle.executeUpdate(provideInputUpdate, { args: [response] });
      try {
        await (options.signal ? this.client.withAbortSignal(options.signal, send) : send());
      } catch (err) {
        this.reader.forgetRunning(loaded.workflowId);
        if ((err as Error).name === 'WorkflowUpdateFailedError') {
          const cause = (err as { cause?: { message?: string } }).cause;
          throw new InputRejectedError(cause?.message ?? (err as Error).message);
        }
        if (options.signal?.aborted) throw err;
        // Another answer to the same question won and the task moved on (it may even have closed,
        // which aborts this update): this answer changed nothing, and says so.
        const now = (await this.reader.read(owner, taskId)).view;
        if (!now.pendingInputs?.some((question) => question.requestId === response.requestId)) {
          throw new InputRejectedError(
            `This question was already answered; the task is ${now.status} and this answer changed nothing`,
          );
        }
        throw err;
      }
      this.reader.forgetRunning(loaded.workflowId);
    });
  }

  async listRunningTasks(owner: TaskOwner): Promise<TaskView[]> {
    return this.guard(async () => {
      const listed: WorkflowExecutionInfo[] = [];
      const query = `${ScopeSearchAttribute.name} = "${scopeKey(owner)}" AND ExecutionStatus = "Running"`;
      for await (const info of this.client.workflow.list({ query, pageSize: 1000 })) listed.push(info);
      const views = await Promise.all(listed.map((info) => this.reader.readListed(info)));
      return views.filter((view): view is TaskView => view !== undefined && !isTerminalStatus(view.status));
    });
  }

  /**
   * Stops every call in flight (a poll, a query waiting on a worker) and refuses new ones. Call it
   * before closing the Temporal client, so that no retry fires on a closed connection.
   */
  close(): void {
    this.lifetime.abort(new Error('The task engine is shutting down'));
    void this.runningTasks.close();
  }

  /**
   * Stops every history watch of the running-task view and waits until their long polls have ended.
   * `close()` starts the same; await this where nothing may be left running afterwards.
   */
  async closeView(): Promise<void> {
    await this.runningTasks.close();
  }

  /** How many running tasks the view watches now (for tests and metrics). */
  get watchedTaskCount(): number {
    return this.runningTasks.watchedCount;
  }

  /**
   * Runs `fn` with every Temporal call in it bound to the engine's lifetime and to the caller's
   * `signal`. The client adds an abort listener per call and never removes it, so each operation gets
   * a short-lived signal of its own, linked to the others only while it runs.
   */
  /**
   * The task an earlier call with the same idempotency key created, as it is now, with one read (none
   * for a finished task the cache holds); undefined when no task reads there, i.e. the key is unused
   * or its task has expired. Refuses a key whose task ran another call.
   */
  private async keyedTask(
    owner: TaskOwner,
    taskId: TaskId,
    spec: TaskSpec,
    beforeAnswer?: () => Promise<void>,
  ): Promise<CreatedTask | undefined> {
    let earlier: LoadedTask;
    try {
      earlier = await this.reader.read(owner, taskId);
    } catch (err) {
      if (err instanceof TaskNotFoundError) return undefined;
      throw err;
    }
    if (earlier.callDigest !== callDigest(spec.tool, spec.arguments)) {
      throw new InvalidTaskRequestError(
        `Idempotency key "${spec.idempotencyKey}" already named another call (another tool or other arguments); use a new key`,
      );
    }
    await beforeAnswer?.();
    return { ...earlier.view, existing: true };
  }

  /**
   * Starts a task's or call's workflow, eagerly where this process runs a worker for it. The handle
   * it returns is the abortable client's: only the start itself goes through the worker's connection,
   * which cannot abort a call, so on shutdown the start is no longer waited for (its retries end on
   * their own, within the connection's retry limit).
   */
  private async startWorkflow(
    workflow: Workflow,
    options: WorkflowStartOptions,
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    if (!this.eagerStarter) return this.client.workflow.start(workflow, options);
    const starting = this.eagerStarter.workflow.start(workflow, { ...options, requestEagerStart: true });
    const lifetime = this.lifetime.signal;
    const { workflowId, firstExecutionRunId } = await new Promise<WorkflowHandleWithFirstExecutionRunId>(
      (resolve, reject) => {
        const stop = (): void => reject(new Error('The task engine is shut down'));
        if (lifetime.aborted) return stop();
        lifetime.addEventListener('abort', stop, { once: true });
        starting.then(resolve, reject).finally(() => lifetime.removeEventListener('abort', stop));
      },
    );
    const handle = this.client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
    return Object.assign(handle, { firstExecutionRunId });
  }

  private async guard<T>(fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const lifetime = this.lifetime.signal;
    if (lifetime.aborted) throw new Error('The task engine is shut down');
    const caller = options.signal;
    if (caller?.aborted) throw caller.reason ?? new Error('The operation was aborted');
    const operation = new AbortController();
    // The client adds a listener per RPC and never removes it: an operation of many RPCs (a list
    // page read in parallel, a cancel waiting to settle) passes ten; they go with the signal.
    setMaxListeners(0, operation.signal);
    const stopForLifetime = (): void => operation.abort(lifetime.reason);
    const stopForCaller = (): void => operation.abort(caller?.reason);
    lifetime.addEventListener('abort', stopForLifetime, { once: true });
    caller?.addEventListener('abort', stopForCaller, { once: true });
    try {
      return await this.client.withAbortSignal(operation.signal, fn);
    } finally {
      lifetime.removeEventListener('abort', stopForLifetime);
      caller?.removeEventListener('abort', stopForCaller);
    }
  }

  /** Reports each new progress of a plain call's running activity until `stop` aborts. */
  private async watchProgress(
    workflowId: string,
    tracker: ProgressTracker,
    onProgress: (progress: ProgressDetails) => void,
    stop: AbortSignal,
  ): Promise<void> {
    while (!stop.aborted) {
      await sleep(this.limits.pollIntervalMs, undefined, { signal: stop }).catch(() => undefined);
      if (stop.aborted) return;
      try {
        const report = tracker.advance(await this.guard(() => this.reader.progress(workflowId), { signal: stop }));
        if (report) onProgress(report);
      } catch {
        // Progress is best effort; the call's result still arrives.
      }
    }
  }

  private applyTtl(requested: number | undefined): number {
    if (requested === undefined) return this.limits.defaultTtlMs;
    if (!Number.isFinite(requested) || requested < 0) {
      throw new InvalidTaskRequestError(`task.ttl must be a non-negative number of milliseconds, got ${requested}`);
    }
    return Math.min(Math.floor(requested), this.limits.maxTtlMs);
  }

  private rememberStart(started: StartedTask): void {
    this.startedHere.set(started.workflowId, started);
    for (const oldest of this.startedHere.keys()) {
      if (this.startedHere.size <= STARTED_TASKS_KEPT) break;
      this.startedHere.delete(oldest);
    }
  }

  /**
   * Refuses a new task past the owner's running-task limit or the limit of all owners together, so
   * that one owner cannot take every worker slot. Both are counted in visibility, so they hold across
   * every MCP server replica (a burst faster than visibility's lag can pass them by a few tasks).
   * The owner's count is exact from half its limit up (once visibility lists the tasks this process
   * started); below that, a count up to a second old, raised by the tasks this process started since,
   * is enough (one visibility call fewer per task). The count of all owners, a scan of every running
   * task, is read at most once a second per process and raised the same way.
   */
  private async enforceRunningLimit(owner: TaskOwner): Promise<void> {
    const all = await this.countAllRunning();
    // No owner runs more than everyone together: far below the owner's limit, that count is enough.
    const mine =
      all < this.limits.maxRunningTasksPerOwner * OWNER_RUNNING_COUNT_SLACK ? all : await this.countOwnerRunning(owner);
    if (mine >= this.limits.maxRunningTasksPerOwner) {
      throw new TaskLimitError(
        `Too many running tasks: the limit is ${this.limits.maxRunningTasksPerOwner} per owner; wait for some to finish or cancel them`,
      );
    }
    if (all >= this.limits.maxRunningTasks) {
      throw new TaskLimitError(
        `Too many running tasks on this server: the limit is ${this.limits.maxRunningTasks} for everyone together; retry later`,
      );
    }
    // Counted as started from here, so that tasks admitted at the same moment see each other; one
    // whose start then fails is over-counted until the next count, which errs on the safe side.
    if (this.allRunning) this.allRunning.startedSince++;
    const ownerCount = this.ownerRunning.get(scopeKey(owner));
    if (ownerCount) ownerCount.startedSince++;
  }

  private async countOwnerRunning(owner: TaskOwner): Promise<number> {
    const key = scopeKey(owner);
    const known = this.ownerRunning.get(key);
    if (known && Date.now() - known.countedAt <= OWNER_RUNNING_COUNT_MAX_AGE_MS) {
      const estimate = await known.count.then(
        (count) => count + known.startedSince,
        () => undefined,
      );
      if (estimate !== undefined && estimate < this.limits.maxRunningTasksPerOwner * OWNER_RUNNING_COUNT_SLACK) {
        return estimate;
      }
    }
    // Visibility lags a start by a moment: near the limit, the owner's tasks this process started must
    // be counted too, so the count waits until visibility lists them (milliseconds, at most 5 s).
    await this.listedStarts.settle(key);
    const query = `${ScopeSearchAttribute.name} = "${key}" AND TaskQueue = "${this.taskQueue}" AND ExecutionStatus = "Running"`;
    const entry = this.keepCount(this.client.workflow.count(query), (kept) => {
      if (this.ownerRunning.get(key) === kept) this.ownerRunning.delete(key);
    });
    this.ownerRunning.delete(key);
    this.ownerRunning.set(key, entry);
    if (this.ownerRunning.size > OWNER_RUNNING_COUNTS_KEPT) {
      const oldest = this.ownerRunning.keys().next().value;
      if (oldest !== undefined) this.ownerRunning.delete(oldest);
    }
    return await entry.count;
  }

  private async countAllRunning(): Promise<number> {
    const now = Date.now();
    if (!this.allRunning || now - this.allRunning.countedAt > ALL_RUNNING_COUNT_MAX_AGE_MS) {
      const query = `${ScopeSearchAttribute.name} IS NOT NULL AND TaskQueue = "${this.taskQueue}" AND ExecutionStatus = "Running"`;
      this.allRunning = this.keepCount(this.client.workflow.count(query), (kept) => {
        if (this.allRunning === kept) this.allRunning = undefined;
      });
    }
    const entry = this.allRunning;
    return (await entry.count) + entry.startedSince;
  }

  /** A count about to be kept; a failed one is dropped with `forget`, so the next task asks again. */
  private keepCount(counting: Promise<{ count: number }>, forget: (entry: RunningCount) => void): RunningCount {
    const entry: RunningCount = { count: counting.then(({ count }) => count), countedAt: Date.now(), startedSince: 0 };
    entry.count.catch(() => forget(entry));
    return entry;
  }
}

/** A visibility count of running tasks, when it was taken, and how many this process started since. */
interface RunningCount {
  count: Promise<number>;
  countedAt: number;
  startedSince: number;
}

/** One task about to start. */
export interface TaskStart {
  owner: TaskOwner;
  spec: TaskSpec;
  taskId: TaskId;
  createdAt: Date;
  ttlMs: number;
  taskQueue: string;
}

/** The memo a task starts with: everything a read needs that the workflow cannot report once closed. */
export function taskMemo({ spec, taskId, createdAt, ttlMs }: TaskStart): TaskMemo {
  return {
    taskId,
    tool: spec.tool,
    createdAt: createdAt.toISOString(),
    ttlMs,
    timeLimitSeconds: spec.timeLimitSeconds,
    ...(spec.progressToken !== undefined && { progressToken: spec.progressToken }),
    ...(spec.idempotencyKey !== undefined && { callDigest: callDigest(spec.tool, spec.arguments) }),
    // The workflow replaces this on each status change; readers never need to ask it.
    [TASK_STATE_MEMO_KEY]: { status: 'working', lastUpdatedAt: createdAt.toISOString() },
    [RECORDS_STATE_MEMO_KEY]: true,
  };
}

/** What one task's start writes: its id, memo, search attributes and the Temporal UI's summary. */
export function taskStartOptions(task: TaskStart, memo: TaskMemo = taskMemo(task)): WorkflowStartOptions {
  const { owner, spec, taskId, createdAt, ttlMs } = task;
  return {
    workflowId: workflowIdFor(owner, taskId),
    taskQueue: task.taskQueue,
    args: [workflowInput(owner, spec)],
    workflowExecutionTimeout: `${spec.timeLimitSeconds} seconds`,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    memo: { ...memo },
    typedSearchAttributes: [
      { key: ScopeSearchAttribute, value: scopeKey(owner) },
      { key: ToolSearchAttribute, value: spec.tool },
      { key: TaskStatusSearchAttribute, value: 'working' },
      { key: ExpiresAtSearchAttribute, value: new Date(createdAt.getTime() + ttlMs) },
    ],
    // One line in the Temporal UI's list: what runs, for whom (the owner's scope hash), and as which task.
    staticSummary: `${spec.tool} · owner ${scopeKey(owner)} · MCP task ${taskId}`,
    staticDetails: argumentsDetails(spec.arguments),
  };
}

/**
 * What a tool workflow receives: the validated arguments, the tenant whose data it may touch, and the
 * answers the client gave before it started.
 */
function workflowInput(owner: TaskOwner, spec: CallSpec): ToolWorkflowInput<unknown> {
  return {
    arguments: spec.arguments,
    tenant: owner.tenant ?? LOCAL_TENANT,
    ...(spec.answersBeforeStart && { answersBeforeStart: spec.answersBeforeStart }),
  };
}

function errorResult(message: string): ToolCallResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

function argumentsDetails(args: unknown): string {
  return `Arguments:\n\`\`\`json\n${truncate(JSON.stringify(args, null, 2), 4000)}\n\`\`\``;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (truncated)`;
}
