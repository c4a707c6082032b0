import { setTimeout as sleep } from 'node:timers/promises';
import { ElicitResultSchema, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { isTerminalStatus, type ToolCallResult } from '../../common/task-types';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend } from '../tasks/task-backend';
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
}

/**
 * Serves `tasks/result`, the only loop that waits for a task: it re-reads the task every poll
 * interval and, once the task is terminal, returns its result. While the task is `input_required`,
 * sends the workflow's recorded question as `elicitation/create` on this response's stream (with
 * related-task `_meta`) and hands the answer to the workflow. Everything it needs is read from the
 * task each time round, so a restarted server, or another replica, asks again and the answer still
 * reaches the workflow. An answer the workflow rejects is followed by the same question with the
 * reason in front; a question left unanswered past the time-out is simply asked again.
 */
export async function awaitTaskResult(options: ResultStreamOptions): Promise<ToolCallResult> {
  const { backend, owner, taskId, extra } = options;
  let rejection: { requestId: string; reason: string } | undefined;
  for (;;) {
    const task = await backend.getTask(owner, taskId);
    if (isTerminalStatus(task.status)) return backend.getTaskResult(owner, taskId);
    const question = task.status === 'input_required' ? task.pendingInput : undefined;
    if (!question) {
      await sleep(options.pollIntervalMs, undefined, { signal: extra.signal });
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
    });
    options.onQuestionOutcome?.(outcome);
    rejection =
      outcome.kind === 'rejected' && outcome.stillPending
        ? { requestId: question.requestId, reason: outcome.reason }
        : undefined;
  }
}
