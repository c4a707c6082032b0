import type { Client } from '@temporalio/client';

export interface CleanupScheduleOptions {
  taskQueue: string;
  /** How often expired tasks are deleted. */
  intervalSeconds: number;
}

/** The schedule's id; one per task queue, so that several deployments in a namespace do not collide. */
export function cleanupScheduleId(taskQueue: string): string {
  return `mcp-tasks-ttl-cleanup/${taskQueue}`;
}

/**
 * Makes sure a Temporal Schedule runs `cleanupExpiredTasksWorkflow` every `intervalSeconds`. Safe to
 * call from every worker at start-up: an existing schedule is left as it is. Overlapping runs are
 * skipped, so a slow clean-up never piles up.
 */
export async function ensureCleanupSchedule(client: Client, options: CleanupScheduleOptions): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: cleanupScheduleId(options.taskQueue),
      spec: { intervals: [{ every: `${options.intervalSeconds} seconds` }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'cleanupExpiredTasksWorkflow',
        taskQueue: options.taskQueue,
        args: [],
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
    });
  } catch (err) {
    if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
  }
}
