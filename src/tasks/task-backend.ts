import type { Workflow } from '@temporalio/common';
import type { InputAnswer, InputRequest, InputResponse } from '../../common/elicitation';
import type { ProgressDetails, TaskStatus, ToolCallResult } from '../../common/task-types';
import type { TaskOwner } from './owner';

/** A task as the engine reports it; the MCP adapter sends it as MCP's `Task`. */
export interface TaskView {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** Retention from creation in ms, as applied (never null: every task has a bounded TTL). */
  ttl: number;
  pollInterval: number;
  /**
   * The first outstanding question while `input_required` (not part of MCP's `Task`): the one a wire
   * that asks one question at a time asks next.
   */
  pendingInput?: InputRequest;
  /** Every outstanding question while `input_required`, in the order asked; each is answered on its own. */
  pendingInputs?: InputRequest[];
  /** The task passed its point of no return: a cancel is refused (not part of MCP's `Task`). */
  committed?: boolean;
  /** The running activity's last reported progress (not part of MCP's `Task`). */
  progress?: ProgressDetails;
  /** The `progressToken` of the request that created the task, for progress notifications. */
  progressToken?: string | number;
}

/** What to run as a task. */
export interface TaskSpec {
  /** The MCP tool name, kept for listing and the Temporal UI. */
  tool: string;
  /** The workflow function that implements the tool; Temporal uses its name as the workflow type. */
  workflow: Workflow;
  /** Arguments already validated against the tool's schema. */
  arguments: unknown;
  /** Time limit of the whole task; past it the task fails. */
  timeLimitSeconds: number;
  /** TTL the client asked for, in ms; undefined means the default. Clamped to the maximum. */
  requestedTtlMs?: number;
  /** The creating request's `progressToken`; valid for the task's whole life. */
  progressToken?: string | number;
  /** Answers to the tool's questions before start, by key, already validated against their schemas. */
  answersBeforeStart?: Record<string, InputAnswer>;
  /**
   * The client's name for this call (`idempotency.ts`): the same owner sending the same key again gets
   * the task the first call created, on any replica, instead of a second task.
   */
  idempotencyKey?: string;
}

/** A task `createTask` returns: `existing` when an idempotency key found the task of an earlier call. */
export type CreatedTask = TaskView & { existing?: boolean };

/** What to run as a plain call: a tool's workflow whose result answers the request itself. */
export type CallSpec = Pick<TaskSpec, 'tool' | 'workflow' | 'arguments' | 'timeLimitSeconds' | 'answersBeforeStart'>;

/** How a plain call is bound to the request that made it. */
export interface RunCallOptions {
  /** Aborted when the caller is gone (cancelled or disconnected): the call's workflow is cancelled. */
  signal?: AbortSignal;
  /** Receives the running activity's progress each time it changes. */
  onProgress?: (progress: ProgressDetails) => void;
}

/**
 * How a terminal task ended, in the engine's terms; each wire protocol derives its own status and
 * shape from it (2025-11-25 reports a tool's error result as `failed`, 2026-07-28 as `completed`).
 */
export type TaskOutcome =
  /** The tool produced a result: its own, an `isError` one included. */
  | { kind: 'result'; result: ToolCallResult; isToolError: boolean }
  /** The task ended without a tool result: an internal error, its time limit, or an operator. */
  | { kind: 'failure'; message: string }
  | { kind: 'cancelled' };

/** A task as it is now, with its outcome once it is terminal. */
export interface TaskWithOutcome {
  task: TaskView;
  outcome?: TaskOutcome;
}

export interface ListTasksPage {
  tasks: TaskView[];
  nextCursor?: string;
}

/**
 * The task engine's port, in its own vocabulary. The MCP wire protocol is an adapter over it, so the
 * engine outlives changes to MCP's experimental task API. Every call is scoped to an owner: a task of
 * another owner behaves exactly like one that does not exist.
 */
export interface TaskBackend {
  /**
   * Starts the task and returns it in status `working`, under a fresh random id; or, when `spec` has an
   * idempotency key that an earlier call of this owner used, returns that call's task as it is now
   * (`existing`), starting nothing. A key used for another tool or other arguments, or whose task has
   * expired, is refused (`InvalidTaskRequestError`). `beforeStart` is awaited alongside the engine's own
   * checks, before anything is started: the caller's last chance to refuse (its rejection is the call's).
   */
  createTask(owner: TaskOwner, spec: TaskSpec, options?: { beforeStart?: () => Promise<void> }): Promise<CreatedTask>;
  /**
   * What this process knows, without a read, of a task it started and has not yet seen end: its tool
   * and progress token. Undefined for any other task (started elsewhere, ended, or unknown).
   */
  knownStart?(owner: TaskOwner, taskId: string): { tool: string; progressToken?: string | number } | undefined;
  /**
   * The task as it is now. Throws `TaskNotFoundError`. Works with no worker running. With `fromView`
   * (the client's `tasks/get` only), a running task may be answered from this replica's memory while
   * nothing can have changed it (`running-task-view.ts`); a write of another replica then shows once
   * Temporal has delivered its history event. Other readers leave it unset and read afresh.
   */
  getTask(owner: TaskOwner, taskId: string, options?: { fromView?: boolean }): Promise<TaskView>;
  /**
   * Runs a tool's workflow for a caller that did not ask for a task, and returns its result. A call is
   * not a task: it has no task id, never appears in `listTasks`, and does not count toward the running
   * task limit. When `signal` aborts, the workflow is cancelled and the returned promise rejects.
   */
  runCall(owner: TaskOwner, spec: CallSpec, options?: RunCallOptions): Promise<ToolCallResult>;
  /**
   * The `CallToolResult` of a terminal task: the tool's own result when it completed, an `isError`
   * result with the reason when it failed or was cancelled. Never waits: throws
   * `TaskNotTerminalError` while the task still runs (the caller polls `getTask` and asks again).
   * `signal` stops the read.
   */
  getTaskResult(owner: TaskOwner, taskId: string, options?: { signal?: AbortSignal }): Promise<ToolCallResult>;
  /**
   * The task as it is now and, once terminal, how it ended. Never waits. Throws `TaskNotFoundError`.
   * `signal` stops the read; `fromView` is as for {@link getTask}.
   */
  getTaskWithOutcome(
    owner: TaskOwner,
    taskId: string,
    options?: { signal?: AbortSignal; fromView?: boolean },
  ): Promise<TaskWithOutcome>;
  /**
   * Resolves once the task's execution has closed (completed, failed, cancelled or timed out), or is
   * gone. Learns of it from the engine's own notice of the close, not by polling, so a caller waiting
   * for a result hears of it at once. When the task completed during the wait (or before it, if the
   * engine knows it has not expired since), resolves with its result as `getTaskResult` would answer
   * it (the notice carries it); otherwise (it ended before and may have expired; it failed or was
   * cancelled; it is gone) with undefined: read the task.
   * Rejects with the signal's reason when `signal` aborts first. A cancel requested but not yet
   * carried out is not an end: read the task for that.
   */
  waitForTaskEnd(
    owner: TaskOwner,
    taskId: string,
    options?: { signal?: AbortSignal },
  ): Promise<ToolCallResult | undefined>;
  /**
   * One page of the owner's tasks, in the order of the engine's index: running tasks first, most
   * recently started first, then finished ones, most recently finished first. Each entry has the same
   * status, `statusMessage` and `lastUpdatedAt` as `getTask`. A page costs the same however many tasks
   * the owner has; tasks created while a client pages never shift the pages after its cursor (a task
   * that finishes meanwhile can show up once more, among the finished). Throws `InvalidCursorError`
   * for a cursor it did not issue to this owner.
   */
  listTasks(owner: TaskOwner, options?: { cursor?: string }): Promise<ListTasksPage>;
  /**
   * Requests cancellation; the returned task is already `cancelled`, and every later read says so
   * (its `lastUpdatedAt` is the time the request was recorded). Throws `TaskAlreadyTerminalError`.
   */
  cancelTask(owner: TaskOwner, taskId: string): Promise<TaskView>;
  /**
   * Delivers the client's answer to one of the task's outstanding questions. Throws
   * `InputRejectedError` when the task is not waiting for it or the answer breaks the question's
   * schema; the task then stays `input_required` and the question can be asked again. Once it
   * resolves, every read of the task shows the question answered (the rest stay outstanding).
   */
  provideInput(
    owner: TaskOwner,
    taskId: string,
    response: InputResponse,
    options?: { signal?: AbortSignal },
  ): Promise<void>;
  /** The owner's tasks that are still running (for resuming notifications after a restart). */
  listRunningTasks(owner: TaskOwner): Promise<TaskView[]>;
}
