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
  /** Called for each task execution the clean-up schedule deleted because its TTL ran out (audited). */
  onTaskExpired?(report: { workflowId: string; scope: string | undefined }): void;
}

/** The default observer: writes to the worker's Temporal logger. */
export const loggingObserver: ActivityObserver = {
  onCancelled(report) {
    log.info('Activity cancelled; clean-up done', { ...report });
  },
  onTaskExpired({ workflowId, scope }) {
    // The same JSON line as the MCP server's audit events (AUDIT_LOG), for the same collector.
    const taskId = workflowId.split('/').at(-1);
    process.stderr.write(
      `${JSON.stringify({ audit: true, time: new Date().toISOString(), event: 'task.expired', taskId, scope })}\n`,
    );
  },
};
