import type { TaskLimits } from '../config';
import { InputRejectedError, InvalidTaskRequestError } from './errors';

/** Bytes of `value` as JSON (UTF-8), as Temporal stores it in a payload. */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * Refuses a tool call whose validated arguments or `progressToken` pass their caps, before anything is
 * started: arguments become a workflow's input and a token is kept with the task, and Temporal refuses
 * payloads over 2 MB. Throws {@link InvalidTaskRequestError} (−32602) naming the cap.
 */
export function checkToolCallSize(
  call: { arguments: unknown; progressToken?: string | number },
  limits: Pick<TaskLimits, 'maxArgumentBytes' | 'maxProgressTokenChars'>,
): void {
  const bytes = jsonBytes(call.arguments);
  if (bytes > limits.maxArgumentBytes) {
    throw new InvalidTaskRequestError(
      `The arguments are ${bytes} bytes of JSON, more than ${limits.maxArgumentBytes}, the most a tool call may carry`,
    );
  }
  const token = call.progressToken;
  if (typeof token === 'string' && token.length > limits.maxProgressTokenChars) {
    throw new InvalidTaskRequestError(
      `The progressToken is ${token.length} characters long, more than ${limits.maxProgressTokenChars}, the longest accepted`,
    );
  }
}

/**
 * Refuses an answer to a task's question whose content passes the cap, before it reaches the task.
 * Throws {@link InputRejectedError}: the question stays pending and is asked again with the reason.
 */
export function checkAnswerSize(content: unknown, limits: Pick<TaskLimits, 'maxAnswerBytes'>): void {
  const bytes = content === undefined ? 0 : jsonBytes(content);
  if (bytes > limits.maxAnswerBytes) {
    throw new InputRejectedError(
      `The answer is ${bytes} bytes of JSON, more than ${limits.maxAnswerBytes}, the largest answer a task accepts`,
    );
  }
}
