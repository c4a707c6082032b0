import { setImmediate as nextTurn } from 'node:timers/promises';
import { activityInfo, cancellationSignal, type Info } from '@temporalio/activity';
import type { ProgressDetails } from '../../common/task-types';
import { isActivityCancellation } from './failures';
import type { ActivityObserver } from '../observer';
import { isErrorLike } from '../../common/error-message';

/** The current activity's info, or `undefined` when called outside an activity context. */
export function currentActivityInfo(): Info | undefined {
  try {
    return activityInfo();
  } catch {
    return undefined;
  }
}

/**
 * Identifies one activity execution across its retries: the workflow run and activity id (or a
 * standalone activity's run id). `undefined` outside such a context. Activities that commit progress
 * to the store key it by this, so that a retry continues the same execution.
 */
export function activityExecutionKey(info: Info): string | undefined {
  if (info.workflowExecution !== undefined) {
    const { workflowId, runId } = info.workflowExecution;
    return `workflow:${workflowId}/${runId}/${info.activityId}`;
  }
  return info.activityRunId === undefined ? undefined : `activity:${info.activityRunId}`;
}

/**
 * Runs a long activity body and, when it ends because the activity was cancelled, tells the observer
 * (with the progress reached) and rethrows the `CancelledFailure` itself rather than whatever I/O error
 * the abort caused. Other errors pass through untouched.
 */
export async function reportCancellation<T>(
  observer: ActivityObserver,
  progress: () => ProgressDetails,
  body: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const info = activityInfo();
  const signal = cancellationSignal();
  try {
    return await body(signal);
  } catch (err) {
    if (!isActivityCancellation(err, signal)) throw err;
    observer.onCancelled({
      activityType: info.activityType,
      workflowId: info.workflowExecution?.workflowId ?? '',
      progress: progress(),
    });
    throw isErrorLike(err) && err.name === 'CancelledFailure' ? err : ((signal.reason as unknown) ?? err);
  }
}

/**
 * Lets the event loop run (better-sqlite3 is synchronous, so long loops must step aside for heartbeats
 * and for the cancellation to arrive), then throws the cancellation if it has.
 */
export async function yieldAndCheck(signal: AbortSignal): Promise<void> {
  await nextTurn();
  throwIfCancelled(signal);
}

/** Throws the cancellation reason (a `CancelledFailure`) once the activity has been cancelled. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}
