import { getClient, heartbeat } from '@temporalio/activity';
import { isExpired, type ExpiryFacts } from '../common/task-expiry';
import type { HeartbeatDetails } from '../common/task-types';
import type { ActivityObserver } from './observer';
import type { CleanupExpiredTasksActivities } from '../workflows/cleanup-expired-tasks';

/** Most executions one run deletes; the next scheduled run continues. */
const MAX_DELETIONS_PER_RUN = 1000;

/**
 * Deletes the closed task workflows whose TTL has run out (with the result retention the engine
 * applies), through Temporal's own API. Running tasks are never deleted. Idempotent: an execution
 * deleted twice is simply gone.
 */
export function createDeleteExpiredTasks(
  observer?: ActivityObserver,
): CleanupExpiredTasksActivities['deleteExpiredTasks'] {
  return async function deleteExpiredTasks() {
    const client = getClient();
    const now = new Date();
    const query = `McpExpiresAt < "${now.toISOString()}" AND ExecutionStatus != "Running"`;
    let deleted = 0;
    for await (const info of client.workflow.list({ query, pageSize: 500 })) {
      const facts = info.memo as Partial<ExpiryFacts> | undefined;
      if (typeof facts?.createdAt !== 'string' || typeof facts.ttlMs !== 'number') continue;
      if (!isExpired({ createdAt: facts.createdAt, ttlMs: facts.ttlMs }, info.closeTime?.getTime(), now.getTime()))
        continue;
      try {
        await client.workflowService.deleteWorkflowExecution({
          namespace: client.options.namespace,
          workflowExecution: { workflowId: info.workflowId, runId: info.runId },
        });
        deleted++;
        const scope = info.searchAttributes?.McpScope?.[0];
        if (info.workflowId.startsWith('mcp-task/')) {
          observer?.onTaskExpired?.({
            workflowId: info.workflowId,
            scope: typeof scope === 'string' ? scope : undefined,
          });
        }
      } catch (err) {
        // Already deleted by an earlier, overlapping run: nothing to do.
        if ((err as { code?: number }).code !== 5) throw err;
      }
      heartbeat({
        progress: { current: deleted, message: `Deleted ${deleted} expired tasks` },
      } satisfies HeartbeatDetails);
      if (deleted >= MAX_DELETIONS_PER_RUN) break;
    }
    return { deleted };
  };
}
