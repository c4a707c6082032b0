import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { deleteExpiredTasks } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** Run by a Temporal Schedule: deletes the executions of closed tasks whose TTL has run out. */
export async function cleanupExpiredTasksWorkflow(): Promise<{ deleted: number }> {
  return deleteExpiredTasks();
}
