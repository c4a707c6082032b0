import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import type { ElicitRequestFormParams, ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { InputRequest } from '../../common/elicitation';
import { InputRejectedError, TaskNotFoundError } from '../tasks/errors';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend, TaskView } from '../tasks/task-backend';

/** Sends one `elicitation/create` and resolves with the client's answer (on some stream of the session). */
export type SendQuestion = (
  params: ElicitRequestFormParams,
  options: { timeout: number; signal: AbortSignal },
) => Promise<ElicitResult>;

export interface AskQuestionOptions {
  backend: TaskBackend;
  owner: TaskOwner;
  taskId: string;
  question: InputRequest;
  /** Why the question is asked again (the previous answer's rejection); put in front of the message. */
  reason?: string;
  send: SendQuestion;
  /** How long the client may take to answer before the question counts as unanswered. */
  timeoutMs: number;
  /** How often the task is re-read while the question waits, to notice it was settled elsewhere. */
  pollIntervalMs: number;
  /** Ends the wait (the request being served went away, or the session closed). */
  signal?: AbortSignal;
  /**
   * Withdraws the question while it waits for its answer (another stream takes it over): the outcome
   * is then `settled-elsewhere`. An answer already received is still handed to the task.
   */
  handOver?: AbortSignal;
  /** Counts the question while the client has it (the `mcp_questions_pending` gauge). */
  pendingQuestions?: { inc(): void; dec(): void };
}

/** What became of one question sent to the client. */
export type QuestionOutcome =
  /** The task accepted the answer. */
  | { kind: 'accepted'; action: ElicitResult['action'] }
  /**
   * The task refused the answer. `stillPending` tells whether the same question still waits (the
   * answer broke its schema: ask again with `reason`), or another answer was applied first.
   */
  | { kind: 'rejected'; reason: string; stillPending: boolean }
  /** The client did not answer in time; ask again if the task still waits. */
  | { kind: 'unanswered' }
  /**
   * The question stopped waiting meanwhile (answered on another stream, task cancelled or ended), or
   * was handed over to another stream before the client answered it.
   */
  | { kind: 'settled-elsewhere' };

/** Whether the task is still waiting on exactly this question. */
export function isWaitingOn(task: TaskView, question: InputRequest): boolean {
  return task.status === 'input_required' && task.pendingInput?.requestId === question.requestId;
}

/**
 * Whether a client with these capabilities can answer form questions. An empty `elicitation` object
 * means form (the spec's backwards-compatible default); a client that declares only `url` cannot.
 */
export function canAnswerForms(capabilities: { elicitation?: unknown } | undefined): boolean {
  const elicitation: unknown = capabilities?.elicitation;
  if (typeof elicitation !== 'object' || elicitation === null) return false;
  const modes = elicitation as { form?: unknown; url?: unknown };
  return modes.form !== undefined || modes.url === undefined;
}

/**
 * Asks the task's pending question once, with related-task `_meta`, and hands the answer to the task.
 * While the client thinks, the task is re-read: when the question stops waiting (answered on another
 * stream of the session, or the task was cancelled), the request is withdrawn, which the client sees
 * as `notifications/cancelled`. The answer that arrives second is refused by the task and changes
 * nothing; its outcome says why.
 */
export async function askQuestion(options: AskQuestionOptions): Promise<QuestionOutcome> {
  const { backend, owner, taskId, question } = options;
  // Aborting this withdraws the question; it is never aborted once the client answered, since the SDK
  // would then send `notifications/cancelled` for a request that is already complete.
  const withdraw = new AbortController();
  const stopWatching = new AbortController();
  let settledElsewhere = false;
  const onOuterAbort = (): void => {
    withdraw.abort(options.signal?.reason);
    stopWatching.abort();
  };
  const onHandOver = (): void => {
    settledElsewhere = true;
    withdraw.abort(new Error(`The question of task ${taskId} is asked on another stream`));
  };
  if (options.handOver?.aborted) return { kind: 'settled-elsewhere' };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  options.handOver?.addEventListener('abort', onHandOver, { once: true });
  const watching = (async () => {
    while (!stopWatching.signal.aborted) {
      await sleep(options.pollIntervalMs, undefined, { signal: stopWatching.signal }).catch(() => undefined);
      if (stopWatching.signal.aborted) return;
      const stillWaiting = await backend.getTask(owner, taskId).then(
        (task) => isWaitingOn(task, question),
        // A transient read error says nothing about the question; a vanished task settles it.
        (err: unknown) => !(err instanceof TaskNotFoundError),
      );
      if (!stillWaiting && !stopWatching.signal.aborted) {
        settledElsewhere = true;
        withdraw.abort(new Error(`The question of task ${taskId} no longer waits for an answer`));
        return;
      }
    }
  })();
  let answer: ElicitResult;
  options.pendingQuestions?.inc();
  try {
    answer = await options.send(
      {
        message: options.reason ? `${options.reason}. ${question.message}` : question.message,
        requestedSchema: question.requestedSchema,
        _meta: { [RELATED_TASK_META_KEY]: { taskId } },
      },
      { timeout: options.timeoutMs, signal: withdraw.signal },
    );
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (settledElsewhere) return { kind: 'settled-elsewhere' };
    if ((err as { code?: unknown }).code === ErrorCode.RequestTimeout) return { kind: 'unanswered' };
    throw err;
  } finally {
    options.pendingQuestions?.dec();
    stopWatching.abort();
    options.signal?.removeEventListener('abort', onOuterAbort);
    options.handOver?.removeEventListener('abort', onHandOver);
    await watching;
  }
  try {
    await backend.provideInput(
      owner,
      taskId,
      { requestId: question.requestId, action: answer.action, ...(answer.content && { content: answer.content }) },
      { signal: options.signal },
    );
    return { kind: 'accepted', action: answer.action };
  } catch (err) {
    if (!(err instanceof InputRejectedError)) throw err;
    const stillPending = await backend.getTask(owner, taskId).then(
      (task) => isWaitingOn(task, question),
      () => false,
    );
    const reason = stillPending
      ? err.message
      : `Answer not applied: the question "${question.message}" of task ${taskId} was already answered or no longer waits (${err.message})`;
    return { kind: 'rejected', reason, stillPending };
  }
}
