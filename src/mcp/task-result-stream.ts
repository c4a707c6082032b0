import { setTimeout as sleep } from 'node:timers/promises';
import { ElicitResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { isTerminalStatus, type ToolCallResult } from '../../common/task-types';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend, TaskView } from '../tasks/task-backend';
import { ProtocolError } from './protocol-errors';
import { askQuestion, type QuestionOutcome } from './task-questions';

export interface ResultStreamOptions {
  backend: TaskBackend;
  owner: TaskOwner;
  taskId: string;
  pollIntervalMs: number;
  /** Whether the client can answer form questions (see `canAnswerForms`). */
  canElicit: boolean;
  /** The request being answered: its stream carries the questions, its signal ends the wait. */
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  /** How long one question may wait for its answer before it is asked again. @default 600_000 */
  elicitationTimeoutMs?: number;
  /** Called with what became of each question this stream asked. */
  onQuestionOutcome?: (outcome: QuestionOutcome) => void;
  /** Called with each read of the task this stream makes (the session's notifier uses them). */
  onRead?: (task: TaskView) => void;
  /** Counts the questions this stream has sent and not yet had answered. */
  pendingQuestions?: { inc(): void; dec(): void };
  /**
   * The task cannot ask questions and reports no progress: until it ends, no read would show anything
   * new, so the stream relies on the end notice and reads only rarely (often again if the notice fails).
   */
  quiet?: boolean;
}

/** Longest a waiting `tasks/result` goes without looking for a question the task asks. */
const QUESTION_CHECK_MS = 1000;
/** How often a quiet task is read while its end notice stands (a safety net, not a need). */
const QUIET_CHECK_MS = 30_000;

/**
 * Serves `tasks/result`, the only place that waits for a task. The end of the task comes from the
 * engine's notice of the close (one long poll for the whole wait), so the result is answered the
 * moment it exists. Meanwhile the task is read about once a second (or every poll interval, if
 * shorter): while it is `input_required`, the workflow's recorded question is sent as
 * `elicitation/create` on this response's stream (with related-task `_meta`) and the answer handed to
 * the workflow. Everything it needs is read from the task each time round, so a restarted server, or
 * another replica, asks again and the answer still reaches the workflow. An answer the workflow
 * rejects is followed by the same question with the reason in front; a question left unanswered past
 * the time-out is simply asked again.
 */
export async function awaitTaskResult(options: ResultStreamOptions): Promise<ToolCallResult> {
  const { backend, owner, taskId, extra } = options;
  const waiting = new AbortController();
  const stopWaiting = (): void => waiting.abort(extra.signal.reason);
  extra.signal.addEventListener('abort', stopWaiting, { once: true });
  let ended: { result?: ToolCallResult } | undefined;
  let noticeLost = false;
  // Settles once: with the task's end, or when the long poll itself fails (Temporal unreachable for a
  // moment), after which the reads below carry on alone.
  const notice = backend.waitForTaskEnd(owner, taskId, { signal: waiting.signal }).then(
    (result) => void (ended = { result }),
    () => void (noticeLost = true),
  );
  const questionCheckMs = Math.min(options.pollIntervalMs, QUESTION_CHECK_MS);
  /** Until the next read: the notice while it stands, or the check interval (a quiet task's is long while the notice stands). */
  const nextCheck = (): Promise<unknown> => {
    if (noticeLost) return sleep(questionCheckMs, undefined, { signal: waiting.signal });
    const checkMs = options.quiet ? QUIET_CHECK_MS : questionCheckMs;
    return Promise.race([notice, sleep(checkMs, undefined, { signal: waiting.signal })]);
  };
  let rejection: { requestId: string; reason: string } | undefined;
  try {
    // A task that ends within the first check interval (or has ended) needs no read at all: the
    // notice brings its end. A question asked meanwhile is still seen within about a second.
    await nextCheck();
    for (;;) {
      if (ended) return ended.result ?? (await backend.getTaskResult(owner, taskId));
      const task = await backend.getTask(owner, taskId);
      options.onRead?.(task);
      if (isTerminalStatus(task.status)) return await backend.getTaskResult(owner, taskId);
      const question = task.status === 'input_required' ? task.pendingInput : undefined;
      if (!question) {
        await nextCheck();
        continue;
      }
      if (!options.canElicit) {
        throw new ProtocolError(
          ErrorCode.InvalidRequest,
          `Task ${taskId} needs input ("${question.message}"), but this client did not declare the elicitation capability for forms; cancel the task or answer from a client that supports form elicitation`,
        );
      }
      const outcome = await askQuestion({
        backend,
        owner,
        taskId,
        question,
        reason: rejection?.requestId === question.requestId ? rejection.reason : undefined,
        send: (params, sendOptions) =>
          extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema, sendOptions),
        timeoutMs: options.elicitationTimeoutMs ?? 600_000,
        pollIntervalMs: options.pollIntervalMs,
        signal: extra.signal,
        pendingQuestions: options.pendingQuestions,
      });
      options.onQuestionOutcome?.(outcome);
      rejection =
        outcome.kind === 'rejected' && outcome.stillPending
          ? { requestId: question.requestId, reason: outcome.reason }
          : undefined;
    }
  } finally {
    extra.signal.removeEventListener('abort', stopWaiting);
    waiting.abort();
  }
}
