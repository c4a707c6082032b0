import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { TaskFailureType, type LiveTaskState, type ToolCallResult } from '../src/shared/task-types';
import { TaskStatusSearchAttribute, taskStateQuery } from './definitions';

/** The live MCP status of one task workflow; the query handler reads it, the workflow body writes it. */
export class TaskState {
  private state: LiveTaskState;

  constructor() {
    this.state = { status: 'working', lastUpdatedAt: new Date().toISOString() };
    setHandler(taskStateQuery, () => this.state);
  }

  /** Moves to `status`; records the change as a search attribute so the UI can filter on it. */
  set(status: LiveTaskState['status'], statusMessage?: string): void {
    if (status !== this.state.status) {
      upsertSearchAttributes([{ key: TaskStatusSearchAttribute, value: status }]);
    }
    this.state = { status, statusMessage, lastUpdatedAt: new Date().toISOString() };
  }
}

/**
 * Runs a tool's body as an MCP task: registers the state query, and turns every error into a failure
 * the MCP side can read. A cancellation is rethrown unchanged so that the workflow closes as CANCELED;
 * any other error closes it as FAILED with an `ApplicationFailure` whose message is the real reason.
 * A plain `Error` escaping a workflow would instead retry the workflow task forever.
 */
export async function runToolTask(body: (state: TaskState) => Promise<ToolCallResult>): Promise<ToolCallResult> {
  const state = new TaskState();
  try {
    return await body(state);
  } catch (err) {
    if (isCancellation(err)) {
      // Lets tasks/list show the status from visibility alone; tasks/get already reads the cancel request.
      upsertSearchAttributes([{ key: TaskStatusSearchAttribute, value: 'cancelled' }]);
      throw err;
    }
    throw toToolFailure(err);
  }
}

function toToolFailure(err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      type: cause.type ?? TaskFailureType.ToolError,
      message: cause.message,
      nonRetryable: true,
      details: cause.details ? [...cause.details] : undefined,
    });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return ApplicationFailure.create({ type: TaskFailureType.ToolError, message, nonRetryable: true });
}
