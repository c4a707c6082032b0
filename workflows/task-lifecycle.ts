import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  validateElicitationContent,
  type ElicitationSchema,
  type InputAnswer,
  type InputRequest,
  type InputResponse,
  type Question,
} from '../common/elicitation';
import {
  CLIENT_FACING_FAILURE_TYPES,
  INTERNAL_FAILURE_TYPE,
  outstandingQuestions,
  type LiveTaskState,
  type ProgressDetails,
  type ToolCallResult,
  type ToolWorkflowInput,
} from '../common/task-types';
import {
  RECORDS_STATE_MEMO_KEY,
  TASK_STATE_MEMO_KEY,
  TaskStatusSearchAttribute,
  provideInputUpdate,
  taskProgressSignal,
  taskStateQuery,
} from './definitions';

/**
 * Patch ids: histories recorded before a change replay without the new commands. Remove a patch (and
 * its `false` branch) only once no execution recorded before it can still be replayed.
 */
const RECORD_STATE_IN_MEMO_PATCH = 'record-task-state-in-memo';
const CANCEL_REQUEST_WINS_PATCH = 'cancel-request-wins';

const ALREADY_ANSWERED = 'This question was already answered; the first answer applies';

/** The live MCP status of one task workflow; the query handler reads it, the workflow body writes it. */
export class TaskState {
  private state: LiveTaskState;
  /** The questions asked and not answered yet, by id, in the order asked. */
  private readonly outstanding = new Map<string, InputRequest>();
  /** Answers that arrived and that the asking code has not taken yet, by question id. */
  private readonly answers = new Map<string, InputResponse>();
  private readonly recordsStateInMemo: boolean;
  private committedWork = false;
  /** The running activity's last reported progress; shown in the current details until the next state change. */
  private progress: ProgressDetails | undefined;

  constructor() {
    this.recordsStateInMemo =
      workflowInfo().memo?.[RECORDS_STATE_MEMO_KEY] === true || patched(RECORD_STATE_IN_MEMO_PATCH);
    this.state = { status: 'working', lastUpdatedAt: new Date().toISOString() };
    setCurrentDetails(currentDetails(this.state));
    setHandler(taskStateQuery, () => this.state);
    // Records no command: histories without progress signals, and old code given new ones, replay alike.
    setHandler(taskProgressSignal, (progress) => {
      // A report sent just before its activity ended may arrive after the task moved on to a question.
      if (this.state.status !== 'working' || !isProgressDetails(progress)) return;
      this.progress = progress;
      setCurrentDetails(currentDetails(this.state, this.progress));
    });
    setHandler(
      provideInputUpdate,
      (response) => {
        // Two answers delivered in one activation both pass the validator: the first one wins.
        if (!this.outstanding.delete(response.requestId)) {
          throw ApplicationFailure.create({ message: ALREADY_ANSWERED, nonRetryable: true });
        }
        this.answers.set(response.requestId, response);
        // Only a task that asked several questions at once still waits: it shows the rest at once, so
        // the next read after this update sees them. With none left the asking code moves on.
        if (this.outstanding.size > 0) this.set('input_required');
        return { accepted: true } as const;
      },
      { validator: (response: InputResponse) => this.validateResponse(response) },
    );
  }

  /**
   * Moves to `status`. Records the new state in the memo, where every reader of the task (get, list,
   * notifications) finds the same status, message, time and outstanding questions with no worker
   * running, and the status as a search attribute so the UI can filter on it.
   */
  set(status: LiveTaskState['status'], statusMessage?: string): void {
    if (status !== this.state.status) {
      upsertSearchAttributes([{ key: TaskStatusSearchAttribute, value: status }]);
    }
    const questions = status === 'input_required' ? [...this.outstanding.values()] : [];
    const message = statusMessage ?? waitingMessage(questions);
    this.state = {
      status,
      lastUpdatedAt: new Date().toISOString(),
      ...(message !== undefined && { statusMessage: message }),
      ...(questions.length > 0 && { pendingInput: questions[0] }),
      // Only with several: the state of a task asking one question is recorded as it always was.
      ...(questions.length > 1 && { pendingInputs: questions }),
      ...(this.committedWork && { committed: true as const }),
    };
    this.progress = undefined;
    if (this.recordsStateInMemo) upsertMemo({ [TASK_STATE_MEMO_KEY]: this.state });
    // Shown by the Temporal UI; it records no command, so histories recorded before it replay unchanged.
    setCurrentDetails(currentDetails(this.state));
  }

  /**
   * Asks the client a question and waits for the answer: the task is `input_required` meanwhile.
   * The wait is a durable condition, so it holds no worker slot, runs no activity, survives restarts
   * of every process, and may last as long as the task's time limit.
   */
  async requestInput(message: string, requestedSchema: ElicitationSchema): Promise<InputAnswer> {
    const [answer] = await this.requestInputs([{ message, requestedSchema }]);
    return answer!;
  }

  /**
   * Asks several questions at once and waits until every one is answered; the answers come in the
   * order of `questions`. Each is answered on its own (a client may answer some now, the rest later);
   * until the last one arrives the task stays `input_required` with only those still outstanding.
   */
  async requestInputs(questions: readonly Question[]): Promise<InputAnswer[]> {
    const asked: InputRequest[] = questions.map((question) => ({
      requestId: uuid4(),
      message: question.message,
      requestedSchema: question.requestedSchema,
    }));
    for (const request of asked) this.outstanding.set(request.requestId, request);
    this.set('input_required');
    await condition(() => asked.every((request) => this.answers.has(request.requestId)));
    const responses = asked.map((request) => this.answers.get(request.requestId)!);
    for (const request of asked) this.answers.delete(request.requestId);
    // Questions asked meanwhile by other code of the same tool keep the task waiting.
    if (this.outstanding.size === 0) this.set('working');
    return responses.map((response) =>
      response.action === 'accept'
        ? { action: 'accept', content: response.content ?? {} }
        : { action: response.action },
    );
  }

  /** Whether the task passed its point of no return ({@link commit}). */
  get committed(): boolean {
    return this.committedWork;
  }

  /**
   * Runs `work` to its end whatever happens next: the task's point of no return. A cancel requested
   * before this point (or arriving together with the step that leads here) cancels the task and
   * `work` never starts; one requested afterwards is refused, and the task completes with what `work`
   * did. The commitment is recorded with the state, so every reader (and `tasks/cancel`) knows it.
   */
  async commit<T>(statusMessage: string, work: () => Promise<T>): Promise<T> {
    if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('The task was cancelled');
    this.committedWork = true;
    this.set('working', statusMessage);
    return CancellationScope.nonCancellable(work);
  }

  private validateResponse(response: InputResponse): void {
    const pending = this.outstanding.get(response.requestId);
    if (!pending) {
      if (this.answers.has(response.requestId)) throw new Error(ALREADY_ANSWERED);
      throw new Error('The task is not waiting for an answer to this question');
    }
    if (response.action === 'accept') {
      const problems = validateElicitationContent(pending.requestedSchema, response.content ?? {});
      if (problems.length > 0) throw new Error(`Invalid answer: ${problems.join('; ')}`);
    }
  }
}

/** The status message of a task waiting on `questions`: the question itself when there is one. */
function waitingMessage(questions: readonly InputRequest[]): string | undefined {
  if (questions.length === 0) return undefined;
  if (questions.length === 1) return questions[0]!.message;
  return `Waiting for ${questions.length} answers: ${questions.map((question) => question.message).join(' / ')}`;
}

/**
 * The task's current details as the Temporal UI shows them (Markdown): the MCP status, its message,
 * the running activity's progress, and the pending question while the task is `input_required`.
 */
export function currentDetails(state: LiveTaskState, progress?: ProgressDetails): string {
  const lines = [`**MCP status:** ${state.status}`];
  const questions = outstandingQuestions(state);
  if (questions.length === 1) lines.push(`**Waiting for an answer to:** ${questions[0]!.message}`);
  else if (questions.length > 1) {
    lines.push(`**Waiting for answers to:**\n${questions.map((question) => `- ${question.message}`).join('\n')}`);
  } else if (state.statusMessage) lines.push(state.statusMessage);
  if (progress && questions.length === 0) lines.push(`**Progress:** ${describeProgress(progress)}`);
  if (state.committed) lines.push('Past its point of no return: a cancel is refused.');
  return lines.join('\n\n');
}

/** `Step 3/6`, `Imported 4200 records (line 4200)`, or the bare counts when there is no message. */
function describeProgress({ current, total, message }: ProgressDetails): string {
  const counts = total === undefined ? `${current}` : `${current}/${total}`;
  if (message === undefined) return counts;
  return total === undefined || message.includes(counts) ? message : `${message} (${counts})`;
}

/** A signal is only as trustworthy as its sender: anything not shaped like progress is ignored. */
function isProgressDetails(value: unknown): value is ProgressDetails {
  if (typeof value !== 'object' || value === null) return false;
  const { current, total, message } = value as Record<string, unknown>;
  return (
    typeof current === 'number' &&
    (total === undefined || typeof total === 'number') &&
    (message === undefined || typeof message === 'string')
  );
}

/**
 * The answers to a tool's questions before start (its definition's `questionsBeforeStart`): those the
 * client gave before the task existed, else asked now as the task's own questions (a client of a wire
 * without that round, or an execution started without them): all outstanding ones at once, then any
 * that an answer brought up, round after round. In the order of keys.
 */
export async function answersBeforeStart(
  state: TaskState,
  input: ToolWorkflowInput<unknown>,
  questions: Record<string, Question> | ((answers: Readonly<Record<string, InputAnswer>>) => Record<string, Question>),
): Promise<Record<string, InputAnswer>> {
  const questionsFor = typeof questions === 'function' ? questions : () => questions;
  let answers: Record<string, InputAnswer> = { ...input.answersBeforeStart };
  for (;;) {
    const round = questionsFor(answers);
    const missing = Object.keys(round).filter((key) => answers[key] === undefined);
    if (missing.length === 0) return answers;
    const asked = await state.requestInputs(missing.map((key) => round[key]!));
    answers = { ...answers, ...Object.fromEntries(missing.map((key, index) => [key, asked[index]!])) };
  }
}

/**
 * Runs a tool's body as an MCP task: registers the state query, and turns every error into a failure
 * the MCP side can read. A cancellation is rethrown unchanged so that the workflow closes as CANCELED;
 * any other error closes it as FAILED with an `ApplicationFailure` whose message is the real reason.
 * A plain `Error` escaping a workflow would instead retry the workflow task forever.
 *
 * A cancel request wins unless the task committed ({@link TaskState.commit}): when it arrives while
 * the last step finishes (the step's result and the request reach the workflow together), the
 * workflow still closes CANCELED, because the client was already told `cancelled`.
 */
export async function runToolTask(body: (state: TaskState) => Promise<ToolCallResult>): Promise<ToolCallResult> {
  const state = new TaskState();
  try {
    const result = await body(state);
    if (!state.committed && CancellationScope.current().consideredCancelled && patched(CANCEL_REQUEST_WINS_PATCH)) {
      throw new CancelledFailure('The task was cancelled as its work finished');
    }
    return result;
  } catch (err) {
    if (isCancellation(err)) {
      // Lets tasks/list show the status from visibility alone; tasks/get already reads the cancel request.
      upsertSearchAttributes([{ key: TaskStatusSearchAttribute, value: 'cancelled' }]);
      throw err;
    }
    throw toToolFailure(err);
  }
}

/**
 * The failure a task closes with. A failure of a client-facing type keeps its message; anything else
 * (a bug, a database error) may carry internal details, so the client gets a reference instead: the
 * run id, under which operators find the full error in the task's history and the worker's log.
 */
function toToolFailure(err: unknown): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type && CLIENT_FACING_FAILURE_TYPES.has(cause.type)) {
    return ApplicationFailure.create({
      type: cause.type,
      message: cause.message,
      nonRetryable: true,
      details: cause.details ? [...cause.details] : undefined,
    });
  }
  return ApplicationFailure.create({
    type: INTERNAL_FAILURE_TYPE,
    message: `The task failed because of an internal error (reference ${workflowInfo().runId}).`,
    nonRetryable: true,
  });
}
