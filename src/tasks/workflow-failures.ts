import type { WorkflowHandle } from '@temporalio/client';
import type { ToolCallResult } from '../../common/task-types';

/** Why a closed workflow did not complete, in words for `statusMessage`. */
export interface ClosedFailure {
  message: string;
  /** The tool's own error result, when the tool produced one. */
  toolResult?: ToolCallResult;
  /** The `ApplicationFailure` type the task closed with, when it closed with one. */
  type?: string;
}

interface FailureLike {
  name?: string;
  message?: string;
  type?: string | null;
  details?: unknown[];
  cause?: FailureLike;
  timeoutType?: unknown;
}

/**
 * Reads a closed workflow's close event (no worker needed) and explains the failure: the tool's error
 * message, "timed out after N seconds", or "terminated by an operator". Errors are matched by `name`
 * rather than `instanceof` so that this works across module copies.
 */
export async function describeClosedFailure(
  handle: WorkflowHandle,
  limits: { timeLimitSeconds: number },
): Promise<ClosedFailure> {
  try {
    await handle.result();
    return { message: 'The task failed.' };
  } catch (err) {
    return explainWorkflowFailure(err, limits);
  }
}

/**
 * Explains the error `WorkflowHandle.result()` threw for a workflow that did not complete, in the
 * same words as {@link describeClosedFailure}.
 */
export function explainWorkflowFailure(err: unknown, limits: { timeLimitSeconds: number }): ClosedFailure {
  const cause = (err as FailureLike).cause;
  switch (cause?.name) {
    case 'CancelledFailure':
      return { message: 'The task was cancelled.' };
    case 'TerminatedFailure':
      return {
        message: `The task was terminated by an operator${cause.message && cause.message !== 'Workflow execution terminated' ? `: ${cause.message}` : '.'}`,
      };
    case 'TimeoutFailure':
      return { message: `The task timed out after ${limits.timeLimitSeconds} seconds (its time limit).` };
    case 'ApplicationFailure': {
      const detail = cause.details?.[0];
      return {
        message: cause.message || 'The task failed.',
        toolResult: isToolResult(detail) ? detail : undefined,
        ...(cause.type && { type: cause.type }),
      };
    }
    default:
      return { message: cause?.message || (err as FailureLike).message || 'The task failed.' };
  }
}

function isToolResult(value: unknown): value is ToolCallResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as ToolCallResult).content);
}
