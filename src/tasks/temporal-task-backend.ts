import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import type { TaskLimits } from '../config';
import { defaultPayloadConverter } from '@temporalio/common';
import type { InputResponse } from '../../common/elicitation';
import { appliedTtl, isExpired } from '../../common/task-expiry';
import type {
  HeartbeatDetails,
  LiveTaskState,
  ProgressDetails,
  TaskStatus,
  ToolCallResult,
} from '../../common/task-types';
import { isTerminalStatus } from '../../common/task-types';
import {
  ExpiresAtSearchAttribute,
  ScopeSearchAttribute,
  TaskStatusSearchAttribute,
  ToolSearchAttribute,
  provideInputUpdate,
  taskStateQuery,
} from '../../workflows/definitions';
import {
  InputRejectedError,
  InvalidTaskRequestError,
  TaskAlreadyTerminalError,
  TaskLimitError,
  TaskNotFoundError,
} from './errors';
import { decodeCursor, encodeCursor, type ListCursor } from './list-cursor';
import { isTaskId, newTaskId, scopeKey, workflowIdFor, type TaskOwner } from './owner';
import type { ListTasksPage, TaskBackend, TaskSpec, TaskView } from './task-backend';
import { describeClosedFailure, type ClosedFailure } from './workflow-failures';
import { isErrorLike } from '../../common/error-message';

/** Memo written at start; everything `tasks/get` needs that the workflow cannot report once closed. */
interface TaskMemo {
  taskId: string;
  tool: string;
  createdAt: string;
  ttlMs: number;
  timeLimitSeconds: number;
  progressToken?: string | number;
}

export interface TemporalTaskBackendOptions {
  client: Client;
  taskQueue: string;
  limits: TaskLimits;
  /** How long a `tasks/get` waits for a worker to answer the state query before falling back. @default 3000 */
  queryTimeoutMs?: number;
}

const CANCELLED_MESSAGE = 'The task was cancelled.';

/**
 * The task engine on Temporal: one workflow execution per task, id `mcp-task/<scope>/<taskId>`.
 * Running tasks answer a query; closed tasks answer from `describe()` and their close event, so no
 * worker is needed to read them. Nothing is cached in this process.
 */
export class TemporalTaskBackend implements TaskBackend {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly limits: TaskLimits;
  private readonly queryTimeoutMs: number;
  private readonly lifetime = new AbortController();

  constructor(options: TemporalTaskBackendOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.limits = options.limits;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 3000;
  }

  async createTask(owner: TaskOwner, spec: TaskSpec): Promise<TaskView> {
    return this.guard(async () => {
      const ttlMs = this.applyTtl(spec.requestedTtlMs);
      await this.enforceRunningLimit(owner);
      const taskId = newTaskId();
      const createdAt = new Date();
      const memo: TaskMemo = {
        taskId,
        tool: spec.tool,
        createdAt: createdAt.toISOString(),
        ttlMs,
        timeLimitSeconds: spec.timeLimitSeconds,
        ...(spec.progressToken !== undefined && { progressToken: spec.progressToken }),
      };
      await this.client.workflow.start(spec.workflowType, {
        workflowId: workflowIdFor(owner, taskId),
        taskQueue: this.taskQueue,
        args: [{ arguments: spec.arguments }],
        workflowExecutionTimeout: `${spec.timeLimitSeconds} seconds`,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { ...memo },
        typedSearchAttributes: [
          { key: ScopeSearchAttribute, value: scopeKey(owner) },
          { key: ToolSearchAttribute, value: spec.tool },
          { key: TaskStatusSearchAttribute, value: 'working' },
          { key: ExpiresAtSearchAttribute, value: new Date(createdAt.getTime() + ttlMs) },
        ],
        staticSummary: `MCP task ${taskId}: ${spec.tool}`,
        staticDetails: `Arguments:\n\`\`\`json\n${truncate(JSON.stringify(spec.arguments, null, 2), 4000)}\n\`\`\``,
      });
      return {
        taskId,
        status: 'working',
        createdAt: memo.createdAt,
        lastUpdatedAt: memo.createdAt,
        ttl: ttlMs,
        pollInterval: this.limits.pollIntervalMs,
        progressToken: spec.progressToken,
      };
    });
  }

  async getTask(owner: TaskOwner, taskId: string): Promise<TaskView> {
    return this.guard(async () => {
      return (await this.load(owner, taskId)).view;
    });
  }

  async getTaskResult(
    owner: TaskOwner,
    taskId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<ToolCallResult> {
    // Each round is guarded on its own, so that a long wait does not pile up abort listeners.
    for (;;) {
      const loaded = await this.guard(() => this.load(owner, taskId));
      if (isTerminalStatus(loaded.view.status)) return this.guard(() => this.resultOf(loaded));
      await sleep(this.limits.pollIntervalMs, undefined, { signal: options.signal });
    }
  }

  async listTasks(owner: TaskOwner, options: { cursor?: string } = {}): Promise<ListTasksPage> {
    return this.guard(async () => {
      const after: ListCursor | undefined = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
      let query = `${ScopeSearchAttribute.name} = "${scopeKey(owner)}"`;
      if (after) query += ` AND StartTime <= "${new Date(after.startedAtMs).toISOString()}"`;
      // Visibility on SQL stores cannot ORDER BY start time, so the page is sorted here.
      const candidates: WorkflowExecutionInfo[] = [];
      for await (const info of this.client.workflow.list({ query, pageSize: 1000 })) {
        if (!after || isOlder(info, after)) candidates.push(info);
      }
      candidates.sort((a, b) => compareNewestFirst(a, b));
      const views: TaskView[] = [];
      let last: WorkflowExecutionInfo | undefined;
      for (const info of candidates) {
        if (views.length === this.limits.listPageSize) {
          return { tasks: views, nextCursor: last && encodeCursor(cursorOf(last)) };
        }
        last = info;
        const view = this.viewFromListing(info);
        if (view) views.push(view);
      }
      return { tasks: views };
    });
  }

  async cancelTask(owner: TaskOwner, taskId: string): Promise<TaskView> {
    return this.guard(async () => {
      const loaded = await this.load(owner, taskId);
      if (isTerminalStatus(loaded.view.status)) throw new TaskAlreadyTerminalError(taskId, loaded.view.status);
      try {
        await this.client.workflow.getHandle(loaded.workflowId).cancel();
      } catch (err) {
        // The workflow closed between the read and the cancel: report its real terminal status.
        const now = await this.load(owner, taskId);
        if (isTerminalStatus(now.view.status)) throw new TaskAlreadyTerminalError(taskId, now.view.status);
        throw err;
      }
      return {
        ...loaded.view,
        status: 'cancelled',
        statusMessage: CANCELLED_MESSAGE,
        lastUpdatedAt: new Date().toISOString(),
      };
    });
  }

  async provideInput(
    owner: TaskOwner,
    taskId: string,
    response: InputResponse,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.guard(async () => {
      const loaded = await this.load(owner, taskId);
      if (loaded.view.status !== 'input_required') {
        throw new InputRejectedError(`Task ${taskId} is not waiting for input (it is ${loaded.view.status})`);
      }
      const handle = this.client.workflow.getHandle(loaded.workflowId);
      const send = () => handle.executeUpdate(provideInputUpdate, { args: [response] });
      try {
        await (options.signal ? this.client.withAbortSignal(options.signal, send) : send());
      } catch (err) {
        if ((err as Error).name === 'WorkflowUpdateFailedError') {
          const cause = (err as { cause?: { message?: string } }).cause;
          throw new InputRejectedError(cause?.message ?? (err as Error).message);
        }
        throw err;
      }
    });
  }

  async listRunningTasks(owner: TaskOwner): Promise<TaskView[]> {
    return this.guard(async () => {
      const views: TaskView[] = [];
      const query = `${ScopeSearchAttribute.name} = "${scopeKey(owner)}" AND ExecutionStatus = "Running"`;
      for await (const info of this.client.workflow.list({ query, pageSize: 1000 })) {
        const view = this.viewFromListing(info);
        if (view) views.push(view);
      }
      return views;
    });
  }

  /**
   * Stops every call in flight (a poll, a query waiting on a worker) and refuses new ones. Call it
   * before closing the Temporal client, so that no retry fires on a closed connection.
   */
  close(): void {
    this.lifetime.abort(new Error('The task engine is shutting down'));
  }

  /**
   * Runs `fn` with every Temporal call in it bound to the engine's lifetime. The client adds an abort
   * listener per call and never removes it, so each operation gets a short-lived signal of its own,
   * linked to the lifetime only while it runs.
   */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    const lifetime = this.lifetime.signal;
    if (lifetime.aborted) throw new Error('The task engine is shut down');
    const operation = new AbortController();
    const stop = (): void => operation.abort(lifetime.reason);
    lifetime.addEventListener('abort', stop, { once: true });
    try {
      return await this.client.withAbortSignal(operation.signal, fn);
    } finally {
      lifetime.removeEventListener('abort', stop);
    }
  }

  private applyTtl(requested: number | undefined): number {
    if (requested === undefined) return this.limits.defaultTtlMs;
    if (!Number.isFinite(requested) || requested < 0) {
      throw new InvalidTaskRequestError(`task.ttl must be a non-negative number of milliseconds, got ${requested}`);
    }
    return Math.min(Math.floor(requested), this.limits.maxTtlMs);
  }

  private async enforceRunningLimit(owner: TaskOwner): Promise<void> {
    const { count } = await this.client.workflow.count(
      `${ScopeSearchAttribute.name} = "${scopeKey(owner)}" AND ExecutionStatus = "Running"`,
    );
    if (count >= this.limits.maxRunningTasksPerOwner) {
      throw new TaskLimitError(
        `Too many running tasks: the limit is ${this.limits.maxRunningTasksPerOwner} per owner; wait for some to finish or cancel them`,
      );
    }
  }

  private async load(owner: TaskOwner, taskId: string): Promise<LoadedTask> {
    if (!isTaskId(taskId)) throw new TaskNotFoundError(taskId);
    const workflowId = workflowIdFor(owner, taskId);
    let description: WorkflowExecutionDescription;
    try {
      description = await this.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (isNotFound(err)) throw new TaskNotFoundError(taskId);
      throw err;
    }
    const memo = description.memo as TaskMemo | undefined;
    if (!memo?.createdAt) throw new TaskNotFoundError(taskId);
    const closedAtMs = description.closeTime?.getTime();
    const base = {
      taskId,
      createdAt: memo.createdAt,
      ttl: appliedTtl(memo, closedAtMs),
      pollInterval: this.limits.pollIntervalMs,
      ...(memo.progressToken !== undefined && { progressToken: memo.progressToken }),
    };
    const cancelRequested = description.raw.workflowExtendedInfo?.cancelRequested === true;
    const closedAt = description.closeTime?.toISOString();
    const statusName = description.status.name;

    if (statusName === 'RUNNING') {
      const live = await this.queryLiveState(workflowId, description);
      const progress = progressOf(description);
      const statusMessage = live.statusMessage ?? progress?.message;
      const view: TaskView = cancelRequested
        ? { ...base, status: 'cancelled', statusMessage: CANCELLED_MESSAGE, lastUpdatedAt: live.lastUpdatedAt }
        : { ...base, ...live, ...(statusMessage !== undefined && { statusMessage }), ...(progress && { progress }) };
      return { workflowId, memo, view };
    }

    if (isExpired(memo, closedAtMs)) throw new TaskNotFoundError(taskId);
    const lastUpdatedAt = closedAt ?? memo.createdAt;
    if (cancelRequested || statusName === 'CANCELLED') {
      return {
        workflowId,
        memo,
        view: { ...base, status: 'cancelled', statusMessage: CANCELLED_MESSAGE, lastUpdatedAt },
      };
    }
    if (statusName === 'COMPLETED') {
      return { workflowId, memo, view: { ...base, status: 'completed', lastUpdatedAt } };
    }
    const failure = await describeClosedFailure(this.client.workflow.getHandle(workflowId), memo);
    return {
      workflowId,
      memo,
      failure,
      view: { ...base, status: 'failed', statusMessage: failure.message, lastUpdatedAt },
    };
  }

  /** The running workflow's own state; falls back to what `describe()` knows when no worker answers. */
  private async queryLiveState(workflowId: string, description: WorkflowExecutionDescription): Promise<LiveTaskState> {
    try {
      return await this.client.withDeadline(Date.now() + this.queryTimeoutMs, () =>
        this.client.workflow.getHandle(workflowId).query(taskStateQuery),
      );
    } catch {
      const status = description.typedSearchAttributes.get(TaskStatusSearchAttribute);
      return {
        status: status === 'input_required' ? 'input_required' : 'working',
        statusMessage: 'No worker is answering right now; the task will continue when one is available.',
        lastUpdatedAt: (description.memo as TaskMemo | undefined)?.createdAt ?? description.startTime.toISOString(),
      };
    }
  }

  private async resultOf(loaded: LoadedTask): Promise<ToolCallResult> {
    switch (loaded.view.status) {
      case 'completed':
        return (await this.client.workflow.getHandle(loaded.workflowId).result()) as ToolCallResult;
      case 'failed':
        return loaded.failure?.toolResult ?? errorResult(loaded.view.statusMessage ?? 'The task failed.');
      default:
        return errorResult(CANCELLED_MESSAGE);
    }
  }

  /** A task built from visibility alone (no extra RPC per task); failure messages need `tasks/get`. */
  private viewFromListing(info: WorkflowExecutionInfo): TaskView | undefined {
    const memo = info.memo as TaskMemo | undefined;
    if (!memo?.taskId) return undefined;
    const running = info.status.name === 'RUNNING';
    const closedAtMs = info.closeTime?.getTime();
    if (!running && isExpired(memo, closedAtMs)) return undefined;
    const saStatus = info.typedSearchAttributes.get(TaskStatusSearchAttribute);
    let status: TaskStatus;
    if (running) status = saStatus === 'input_required' || saStatus === 'cancelled' ? saStatus : 'working';
    else if (info.status.name === 'COMPLETED') status = saStatus === 'cancelled' ? 'cancelled' : 'completed';
    else if (info.status.name === 'CANCELLED') status = 'cancelled';
    else status = 'failed';
    return {
      taskId: memo.taskId,
      status,
      createdAt: memo.createdAt,
      lastUpdatedAt: info.closeTime?.toISOString() ?? memo.createdAt,
      ttl: appliedTtl(memo, closedAtMs),
      pollInterval: this.limits.pollIntervalMs,
      ...(memo.progressToken !== undefined && { progressToken: memo.progressToken }),
    };
  }
}

interface LoadedTask {
  workflowId: string;
  memo: TaskMemo;
  view: TaskView;
  failure?: ClosedFailure;
}

/**
 * The progress of the task's running activity, from its last heartbeat as the server holds it. Read
 * from `describe()` rather than pushed into the workflow, so progress adds no history events.
 */
function progressOf(description: WorkflowExecutionDescription): ProgressDetails | undefined {
  for (const activity of description.raw.pendingActivities ?? []) {
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    try {
      const { progress } = defaultPayloadConverter.fromPayload<HeartbeatDetails>(payload);
      if (typeof progress?.current !== 'number') continue;
      return {
        ...progress,
        message: progress.message ?? (progress.total ? `${progress.current}/${progress.total}` : `${progress.current}`),
      };
    } catch {
      // Heartbeats of another shape carry no progress to show.
    }
  }
  return undefined;
}

function errorResult(message: string): ToolCallResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

function cursorOf(info: WorkflowExecutionInfo): ListCursor {
  return { startedAtMs: info.startTime.getTime(), workflowId: info.workflowId };
}

function compareNewestFirst(a: WorkflowExecutionInfo, b: WorkflowExecutionInfo): number {
  const byTime = b.startTime.getTime() - a.startTime.getTime();
  return byTime !== 0 ? byTime : b.workflowId.localeCompare(a.workflowId);
}

function isOlder(info: WorkflowExecutionInfo, cursor: ListCursor): boolean {
  const time = info.startTime.getTime();
  return (
    time < cursor.startedAtMs || (time === cursor.startedAtMs && info.workflowId.localeCompare(cursor.workflowId) < 0)
  );
}

function isNotFound(err: unknown): boolean {
  return isErrorLike(err) && (err.name === 'WorkflowNotFoundError' || (err as { code?: number }).code === 5);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (truncated)`;
}
