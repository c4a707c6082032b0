import { log } from '@temporalio/activity';
import type { ProgressDetails } from '../common/task-types';

/** What an activity tells its observer when it stops because its task was cancelled. */
export interface CancellationReport {
  activityType: string;
  workflowId: string;
  /** Progress reached when the cancellation arrived. */
  progress: ProgressDetails;
}

/**
 * Hooks through which activities report lifecycle events. The worker logs them; tests record them to
 * prove that cancellation really reached the running activity and that its clean-up ran.
 */
export interface ActivityObserver {
  onCancelled(report: CancellationReport): void;
  /**
   * Called after each batch that a long write (a purge) commits, and awaited before the next one.
   * Tests use it to hold an activity between two batches.
   */
  onBatchCommitted?(report: CancellationReport): void | Promise<void>;
}

/** The default observer: writes to the worker's Temporal logger. */
export const loggingObserver: ActivityObserver = {
  onCancelled(report) {
    log.info('Activity cancelled; clean-up done', { ...report });
  },
};
