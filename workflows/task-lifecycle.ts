import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import {
  validateElicitationContent,
  type ElicitationSchema,
  type InputAnswer,
  type InputRequest,
  type InputResponse,
} from '../common/elicitation';
import { TaskFailureType, type LiveTaskState, type ToolCallResult } from '../common/task-types';
import { TaskStatusSearchAttribute, provideInputUpdate, taskStateQuery } from './definitions';

const ALREADY_ANSWERED = 'This question was already answered; the first answer applies';

/** The live MCP status of one task workflow; the query handler reads it, the workflow body writes it. */
export class TaskState {
  private state: LiveTaskState;
  private response: InputResponse | undefined;

  constructor() {
    this.state = { status: 'working', lastUpdatedAt: new Date().toISOString() };
    setHandler(taskStateQuery, () => this.state);
    setHandler(
      provideInputUpdate,
      (response) => {
        // Two answers delivered in one activation both pass the validator: the first one wins.
        if (this.response?.requestId === response.requestId) {
          throw ApplicationFailure.create({ message: ALREADY_ANSWERED, nonRetryable: true });
        }
        this.response = response;
        return { accepted: true } as const;
      },
      { validator: (response: InputResponse) => this.validateResponse(response) },
    );
  }

  /** Moves to `status`; records the change as a search attribute so the UI can filter on it. */
  set(status: LiveTaskState['status'], statusMessage?: string, pendingInput?: InputRequest): void {
    if (status !== this.state.status) {
      upsertSearchAttributes([{ key: TaskStatusSearchAttribute, value: status }]);
    }
    this.state = { status, statusMessage, lastUpdatedAt: new Date().toISOString(), pendingInput };
  }

  /**
   * Asks the client a question and waits for the answer: the task is `input_required` meanwhile.
   * The wait is a durable condition, so it holds no worker slot, runs no activity, survives restarts
   * of every process, and may last as long as the task's time limit.
   */
  async requestInput(message: string, requestedSchema: ElicitationSchema): Promise<InputAnswer> {
    const request: InputRequest = { requestId: uuid4(), message, requestedSchema };
    this.response = undefined;
    this.set('input_required', message, request);
    await condition(() => this.response?.requestId === request.requestId);
    const response = this.response!;
    this.set('working');
    return response.action === 'accept' ? { action: 'accept', content: response.content ?? {} } : { action: response.action };
  }

  private validateResponse(response: InputResponse): void {
    const pending = this.state.pendingInput;
    if (!pending || response.requestId !== pending.requestId) {
      throw new Error('The task is not waiting for an answer to this question');
    }
    if (this.response?.requestId === pending.requestId) throw new Error(ALREADY_ANSWERED);
    if (response.action === 'accept') {
      const problems = validateElicitationContent(pending.requestedSchema, response.content ?? {});
      if (problems.length > 0) throw new Error(`Invalid answer: ${problems.join('; ')}`);
    }
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
