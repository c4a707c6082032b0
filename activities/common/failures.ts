import { ApplicationFailure } from '@temporalio/common';
import { TaskFailureType } from '../../common/task-types';
import { isErrorLike } from '../../common/error-message';

/**
 * Builds the non-retryable failure an activity throws for problems that a retry cannot fix
 * (bad input, missing or forbidden source). Only `type` and `message` survive serialisation, so the
 * message must name what went wrong on its own.
 */
export function toolFailure(type: TaskFailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Shorthand for an `InvalidInput` failure: arguments that make no sense for this dataset. */
export function invalidInput(message: string): ApplicationFailure {
  return toolFailure(TaskFailureType.InvalidInput, message);
}

/**
 * Whether `err` is the cancellation of the current activity. `@temporalio/activity` does not export
 * such a helper, so this checks by name (which survives Jest's module sandboxes, unlike `instanceof`):
 * a `CancelledFailure`, or an `AbortError` raised by fetch or a stream once the signal was aborted.
 */
export function isActivityCancellation(err: unknown, signal: AbortSignal): boolean {
  if (!isErrorLike(err)) return false;
  if (err.name === 'CancelledFailure') return true;
  return signal.aborted && (err.name === 'AbortError' || err.cause === signal.reason);
}
