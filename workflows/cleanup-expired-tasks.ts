import { proxyActivities } from '@temporalio/workflow';

/** What one cleanup run did. */
export interface ExpiredTasksCleanup {
  deleted: number;
}

/** The activities the cleanup schedule runs; implemented in `activities/task-cleanup.ts`. */
export interface CleanupExpiredTasksActivities {
  /** Deletes the closed task executions whose TTL has run out (a bounded number per run). */
  deleteExpiredTasks: () => Promise<ExpiredTasksCleanup>;
}

const { deleteExpiredTasks } = proxyActivities<CleanupExpiredTasksActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Run by a Temporal Schedule: deletes the executions of closed tasks whose TTL has run out. */
export async function cleanupExpiredTasksWorkflow(): Promise<ExpiredTasksCleanup> {
  return deleteExpiredTasks();
}
