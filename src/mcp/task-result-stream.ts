import { setTimeout as sleep } from 'node:timers/promises';
import { ElicitResultSchema, ErrorCode, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import type { ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { isTerminalStatus, type ToolCallResult } from '../../common/task-types';
import { InputRejectedError } from '../tasks/errors';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend } from '../tasks/task-backend';
import { ProtocolError } from './protocol-errors';

export interface ResultStreamOptions {
  backend: TaskBackend;
  owner: TaskOwner;
  taskId: string;
  pollIntervalMs: number;
  /** Whether the client declared the elicitation capability. */
  canElicit: boolean;
  /** The request being answered: its stream carries the questions, its signal ends the wait. */
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  /** How long one question may wait for its answer before it is asked again. @default 600_000 */
  elicitationTimeoutMs?: number;
  /** Called when the workflow accepted an answer. */
  onInputAccepted?: (action: string) => void;
}

/**
 * Serves `tasks/result`: waits until the task is terminal and returns its result. While the task is
 * `input_required`, sends the workflow's recorded question as `elicitation/create` on this response's
 * stream (with related-task `_meta`) and hands the answer to the workflow. Everything it needs is read
 * from the task each time round, so a restarted server, or another replica, asks again and the answer
 * still reaches the workflow. An answer the workflow rejects is followed by the same question, with
 * the reason in front.
 */
export async function awaitTaskResult(options: ResultStreamOptions): Promise<ToolCallResult> {
  const { backend, owner, taskId, extra } = options;
  let rejection: { requestId: string; reason: string } | undefined;
  for (;;) {
    const task = await backend.getTask(owner, taskId);
    if (isTerminalStatus(task.status)) return backend.getTaskResult(owner, taskId, { signal: extra.signal });
    if (task.status === 'input_required' && task.pendingInput) {
      if (!options.canElicit) {
        throw new ProtocolError(
          ErrorCode.InvalidRequest,
          `Task ${taskId} needs input ("${task.pendingInput.message}"), but this client did not declare the elicitation capability; cancel the task or answer from a client that supports elicitation`,
        );
      }
      const request = task.pendingInput;
      const answer: ElicitResult = await extra.sendRequest(
        {
          method: 'elicitation/create',
          params: {
            message:
              rejection?.requestId === request.requestId ? `${rejection.reason}. ${request.message}` : request.message,
            requestedSchema: request.requestedSchema,
            _meta: { [RELATED_TASK_META_KEY]: { taskId } },
          },
        },
        ElicitResultSchema,
        { timeout: options.elicitationTimeoutMs ?? 600_000, signal: extra.signal },
      );
      try {
        await backend.provideInput(
          owner,
          taskId,
          {
            requestId: request.requestId,
            action: answer.action,
            ...(answer.content && { content: answer.content }),
          },
          { signal: extra.signal },
        );
        rejection = undefined;
        options.onInputAccepted?.(answer.action);
      } catch (err) {
        if (!(err instanceof InputRejectedError)) throw err;
        rejection = { requestId: request.requestId, reason: err.message };
      }
      continue;
    }
    await sleep(options.pollIntervalMs, undefined, { signal: extra.signal });
  }
}
