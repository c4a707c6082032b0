import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { isErrorLike } from '../../common/error-message';
import { appliedTtl, expiresAtMs, isExpired } from '../../common/task-expiry';
import {
  outstandingQuestions,
  type HeartbeatDetails,
  type LiveTaskState,
  type ProgressDetails,
} from '../../common/task-types';
import {
  type RECORDS_STATE_MEMO_KEY,
  TASK_STATE_MEMO_KEY,
  TaskStatusSearchAttribute,
  taskStateQuery,
} from '../../workflows/definitions';
import type { ClosedTaskCache } from './closed-task-cache';
import { TaskNotFoundError } from './errors';
import { progressFixedUntilMs, type FreshRead, type RunningTaskView } from './running-task-view';
import { isTaskId, workflowIdFor, type TaskOwner } from './owner';
import type { TaskView } from './task-backend';
import { describeClosedFailure, type ClosedFailure } from './workflow-failures';

/**
 * Memo written at start; everything a read needs that the workflow cannot report once closed. The
 * workflow keeps `taskState` current on every status change.
 */
export interface TaskMemo {
  taskId: string;
  tool: string;
  createdAt: string;
  ttlMs: number;
  timeLimitSeconds: number;
  progressToken?: string | number;
  /** Of a task created with an idempotency key: what the call asked for (`idempotency.ts`). */
  callDigest?: string;
  [TASK_STATE_MEMO_KEY]?: LiveTaskState;
  /** Set by engines that start every task recording its state here (see the workflow's patch). */
  [RECORDS_STATE_MEMO_KEY]?: true;
}

/** A task as one read found it, with what serving its result needs. */
export interface LoadedTask {
  workflowId: string;
  runId: string;
  view: TaskView;
  failure?: ClosedFailure;
  /** Of a task created with an idempotency key: what its call asked for (`idempotency.ts`). */
  callDigest?: string;
}

/** A task as its start wrote it: enough to report it once it has completed. */
export interface StartedTask {
  workflowId: string;
  runId: string;
  memo: TaskMemo;
}

export interface TaskReaderOptions {
  client: Client;
  pollIntervalMs: number;
  /** How long a read waits for a worker to answer the state query of an older task. */
  queryTimeoutMs: number;
  /** Closed tasks kept in memory (one `describe()` fewer per read of a finished task); none when absent. */
  closedTasks?: ClosedTaskCache<LoadedTask>;
  /** Running tasks served from memory while exact, to reads that ask for it; none when absent. */
  runningTasks?: RunningTaskView<LoadedTask>;
}

/** `statusMessage` of every cancelled task. */
export const CANCELLED_MESSAGE = 'The task was cancelled.';

/** `temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED`. */
const CANCEL_REQUESTED_EVENT_TYPE = 20;

/** What one look at an execution knows, from `describe()` or from a visibility listing. */
interface ExecutionFacts {
  workflowId: string;
  runId: string;
  memo: TaskMemo;
  statusName: string;
  closeTime?: Date;
  /** Whether a cancel request is recorded; a listing does not say, so it is read only where it matters. */
  cancelRequested: boolean;
  description?: WorkflowExecutionDescription;
}

/**
 * The one place that reads a task. `tasks/get`, `tasks/result`, `tasks/cancel`, answers to questions,
 * notifications and every `tasks/list` entry go through {@link TaskReader.build}, so they report the
 * same status, `statusMessage` and `lastUpdatedAt` for the same state of the workflow:
 * - running: the state the workflow recorded in its memo, the running activity's last heartbeat as
 *   message (a `describe()`, no worker needed);
 * - cancel requested (running or not, unless it completed): `cancelled` from the moment the request
 *   is in the history, updated at that event's time;
 * - closed: the close status, updated at the close time; a failure's message from the close event.
 * Call every method inside the engine's guard.
 */
export class TaskReader {
  constructor(private readonly options: TaskReaderOptions) {}

  /**
   * Reads an owner's task with one `describe()`. Throws `TaskNotFoundError`. With `fromView`, a
   * running task may come from the {@link RunningTaskView} instead, when it is still exact; only
   * `tasks/get` as the client sees it asks for that, so that no other read starts a history watch.
   */
  async read(owner: TaskOwner, taskId: string, options: { fromView?: boolean } = {}): Promise<LoadedTask> {
    if (!isTaskId(taskId)) throw new TaskNotFoundError(taskId);
    const workflowId = workflowIdFor(owner, taskId);
    const kept = this.options.closedTasks?.get(workflowId);
    if (kept) return kept;
    const view = options.fromView ? this.options.runningTasks : undefined;
    if (view) return view.read(workflowId, () => this.readFresh(workflowId, taskId));
    let fresh: FreshRead<LoadedTask>;
    try {
      fresh = await this.readFresh(workflowId, taskId);
    } catch (err) {
      this.options.runningTasks?.forget(workflowId);
      throw err;
    }
    this.options.runningTasks?.observe(workflowId, fresh);
    return fresh.value;
  }

  /** Drops what the running-task view keeps of a task this replica has just changed or seen close. */
  forgetRunning(workflowId: string): void {
    this.options.runningTasks?.forget(workflowId);
  }

  /** One `describe()`, and what it saw that tells whether a later read could answer otherwise. */
  private async readFresh(workflowId: string, taskId: string): Promise<FreshRead<LoadedTask>> {
    const { closedTasks } = this.options;
    const description = await this.describe(workflowId);
    if (!description) throw new TaskNotFoundError(taskId);
    const facts = factsOfDescription(description);
    const built = facts && (await this.build(facts));
    if (!built) throw new TaskNotFoundError(taskId);
    const { callDigest } = facts.memo;
    const loaded = callDigest === undefined ? built : { ...built, callDigest };
    // A closed execution no longer changes (a cancel requested of a running one is not closed yet).
    if (closedTasks && facts.statusName !== 'RUNNING' && facts.closeTime) {
      closedTasks.put(workflowId, loaded, expiresAtMs(facts.memo, facts.closeTime.getTime()));
    }
    // Only a state the workflow recorded in its memo changes with history events alone; a state asked
    // of a worker (older tasks) also depends on whether one answers.
    const exact = facts.statusName === 'RUNNING' && facts.memo[TASK_STATE_MEMO_KEY] !== undefined;
    if (!exact) return { value: loaded };
    const snapshot = {
      runId: facts.runId,
      historyLength: description.historyLength,
      progressFixedUntilMs: progressFixedUntilMs(description.raw.pendingActivities ?? []),
    };
    return { value: loaded, snapshot };
  }

  /**
   * Keeps a task that completed as {@link read} would report it, from what its start wrote and its
   * close event, so that the reads after the end of a wait need no `describe()`. Only a completed
   * task qualifies: its view depends on nothing else (a cancel request does not change a completion).
   */
  async keepCompleted(started: StartedTask, closeTime: Date): Promise<void> {
    const { closedTasks } = this.options;
    if (!closedTasks) return;
    const { workflowId, runId, memo } = started;
    const facts = { workflowId, runId, memo, statusName: 'COMPLETED', closeTime, cancelRequested: false };
    const built = await this.build(facts);
    if (!built) return;
    const loaded = memo.callDigest === undefined ? built : { ...built, callDigest: memo.callDigest };
    closedTasks.put(workflowId, loaded, expiresAtMs(memo, closeTime.getTime()));
  }

  /**
   * A listed task, as {@link read} would report it. Completed and cancelled executions are final in
   * visibility and are built from the listing; any other is read again, because visibility lags
   * (a task it still shows running may have been cancelled or closed a moment ago) and does not
   * hold the cancel request or the failure. Undefined for an expired or vanished task.
   */
  async readListed(info: WorkflowExecutionInfo): Promise<TaskView | undefined> {
    const memo = info.memo as TaskMemo | undefined;
    if (!memo?.taskId) return undefined;
    const statusName = info.status.name;
    if (statusName === 'COMPLETED' || statusName === 'CANCELLED') {
      const facts = { workflowId: info.workflowId, runId: info.runId, memo, statusName, cancelRequested: false };
      return (await this.build({ ...facts, closeTime: info.closeTime }))?.view;
    }
    const description = await this.describe(info.workflowId);
    const facts = description && factsOfDescription(description);
    return facts && (await this.build(facts))?.view;
  }

  /** Whether a listed execution is closed and past its TTL (no read needed to skip it). */
  static isExpiredListing(info: WorkflowExecutionInfo): boolean {
    const memo = info.memo as TaskMemo | undefined;
    return !memo?.taskId || (info.status.name !== 'RUNNING' && isExpired(memo, info.closeTime?.getTime()));
  }

  /** The last progress the running activity of `workflowId` reported, if any. */
  async progress(workflowId: string): Promise<ProgressDetails | undefined> {
    const description = await this.describe(workflowId);
    return description && progressOf(description);
  }

  private async describe(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.options.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async build(facts: ExecutionFacts): Promise<LoadedTask | undefined> {
    const { memo, workflowId, runId } = facts;
    const closedAtMs = facts.closeTime?.getTime();
    const running = facts.statusName === 'RUNNING';
    if (!running && isExpired(memo, closedAtMs)) return undefined;
    const base = {
      taskId: memo.taskId,
      createdAt: memo.createdAt,
      ttl: appliedTtl(memo, closedAtMs),
      pollInterval: this.options.pollIntervalMs,
      ...(memo.progressToken !== undefined && { progressToken: memo.progressToken }),
    };
    const closedAt = facts.closeTime?.toISOString() ?? memo.createdAt;

    // A committed task refuses a cancel requested after its point of no return and finishes its work.
    const refusesCancel = memo[TASK_STATE_MEMO_KEY]?.committed === true;
    if (
      facts.statusName === 'CANCELLED' ||
      (facts.cancelRequested && facts.statusName !== 'COMPLETED' && !refusesCancel)
    ) {
      // While a workflow task is in flight, Temporal holds the request back from the history; until it
      // lands there the task reads as before (`cancelTask` answers only once it has landed).
      const requestedAt = await this.cancelRequestedAt(workflowId, runId);
      if (requestedAt !== undefined || facts.statusName === 'CANCELLED') {
        const lastUpdatedAt = requestedAt ?? closedAt;
        const view: TaskView = { ...base, status: 'cancelled', statusMessage: CANCELLED_MESSAGE, lastUpdatedAt };
        return { workflowId, runId, view };
      }
    }
    if (running) {
      const live = memo[TASK_STATE_MEMO_KEY] ?? (await this.queryLiveState(facts));
      const progress = facts.description && progressOf(facts.description);
      const statusMessage = live.statusMessage ?? progress?.message;
      const questions = live.status === 'input_required' ? outstandingQuestions(live) : [];
      const view: TaskView = {
        ...base,
        status: live.status,
        lastUpdatedAt: live.lastUpdatedAt,
        ...(statusMessage !== undefined && { statusMessage }),
        ...(questions.length > 0 && { pendingInput: questions[0], pendingInputs: questions }),
        ...(live.committed && { committed: true }),
        ...(progress && { progress }),
      };
      return { workflowId, runId, view };
    }
    if (facts.statusName === 'COMPLETED') {
      return { workflowId, runId, view: { ...base, status: 'completed', lastUpdatedAt: closedAt } };
    }
    const failure = await describeClosedFailure(this.options.client.workflow.getHandle(workflowId, runId), memo);
    const view: TaskView = { ...base, status: 'failed', statusMessage: failure.message, lastUpdatedAt: closedAt };
    return { workflowId, runId, failure, view };
  }

  /** When the cancel request was recorded: its history event, found by reading from the end. */
  private async cancelRequestedAt(workflowId: string, runId: string): Promise<string | undefined> {
    const { client } = this.options;
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: client.options.namespace,
        execution: { workflowId, runId },
        maximumPageSize: 50,
        nextPageToken,
      });
      for (const event of page.history?.events ?? []) {
        if ((event.eventType as number | null | undefined) === CANCEL_REQUESTED_EVENT_TYPE) {
          return optionalTsToDate(event.eventTime)?.toISOString();
        }
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return undefined;
  }

  /**
   * The live state of a task started before workflows recorded it in their memo: asked with a query,
   * falling back to what `describe()` knows when no worker answers.
   */
  private async queryLiveState(facts: ExecutionFacts): Promise<LiveTaskState> {
    const { client, queryTimeoutMs } = this.options;
    try {
      return await client.withDeadline(Date.now() + queryTimeoutMs, () =>
        client.workflow.getHandle(facts.workflowId, facts.runId).query(taskStateQuery),
      );
    } catch {
      const status = facts.description?.typedSearchAttributes.get(TaskStatusSearchAttribute);
      return {
        status: status === 'input_required' ? 'input_required' : 'working',
        statusMessage: 'No worker is answering right now; the task will continue when one is available.',
        lastUpdatedAt: facts.memo.createdAt,
      };
    }
  }
}

function factsOfDescription(description: WorkflowExecutionDescription): ExecutionFacts | undefined {
  const memo = description.memo as TaskMemo | undefined;
  if (!memo?.taskId || !memo.createdAt) return undefined;
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    memo,
    statusName: description.status.name,
    closeTime: description.closeTime,
    cancelRequested: description.raw.workflowExtendedInfo?.cancelRequested === true,
    description,
  };
}

/**
 * The progress of the task's running activity, from its last heartbeat as the server holds it. Read
 * from `describe()`: always the latest, while the workflow hears of progress only through throttled
 * signals (for the Temporal UI's current details) that keep its history small.
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

/** Whether a Temporal call failed because the execution does not exist (deleted, or never there). */
export function isNotFound(err: unknown): boolean {
  return isErrorLike(err) && (err.name === 'WorkflowNotFoundError' || (err as { code?: number }).code === 5);
}
