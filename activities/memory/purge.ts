import { randomUUID } from 'node:crypto';
import { cancellationSignal } from '@temporalio/activity';
import { reportProgress } from '../common/progress-report';
import type { HeartbeatDetails } from '../../common/task-types';
import { invalidInput } from '../common/failures';
import type { ActivityObserver } from '../observer';
import { activityExecutionKey, currentActivityInfo, yieldAndCheck } from '../common/activity-context';
import { isoArgument, tagArgument } from './decision-fields';
import type { MemoryStore, PurgeFilter } from './memory-store';
import { tenantOf } from './tenant';
import type { MemoryScope, ProjectMemoryActivities, PurgeFilterOptions } from './types';

/**
 * A validated filter for SQL: the scope's tenant, and at least one of `tag` and `before` (null when
 * absent), normalised.
 */
function purgeFilter(options: PurgeFilterOptions | undefined, scope: MemoryScope | undefined): PurgeFilter {
  const tenant = tenantOf(scope);
  const tag = tagArgument(options?.tag);
  const before = isoArgument(options?.before, 'before');
  if (tag === undefined && before === undefined) throw invalidInput('give a tag and/or a before date');
  return { tenant, tag: tag ?? null, before: before ?? null };
}

/**
 * Builds `countPurgeMatches`: how many of the scope's tenant's decisions carry `tag` (exactly, after
 * trimming and lower-casing) and/or were created before `before`, together with `maxId`, the largest
 * id existing now, of any tenant (0 when empty). Passing that `maxId` to `purgeDecisions` deletes exactly the decisions counted (ids are never
 * reused), not ones added since. Requires at least one filter, like the purge (`InvalidInput`).
 */
export function createCountPurgeMatches(store: () => MemoryStore): ProjectMemoryActivities['countPurgeMatches'] {
  return async function countPurgeMatches(options, scope) {
    const filter = purgeFilter(options, scope);
    return store().countPurgeMatches(filter);
  };
}

/** How long a purge's running total is kept for its retries. */
const RUN_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Decisions deleted per transaction: small enough that one batch blocks the event loop only briefly. */
export const PURGE_BATCH_ROWS = 500;

/**
 * Builds `purgeDecisions`: deletes the scope's tenant's decisions matching the filter with
 * `id <= maxId` (their tags go with them) and returns how many.
 *
 * The rows go in batches of `batchRows`, each in its own transaction that also records the running
 * total in `purge_runs` under this activity execution; between batches the activity heartbeats and lets
 * the event loop run, so a large purge never blocks the worker for long. A retry continues where the
 * last committed batch stopped and reports the total of the whole execution; a retry after the end
 * deletes nothing more and reports the same total. A batch that fails rolls back whole. The workflow
 * runs this activity in a non-cancellable scope, so once started it runs to its end.
 *
 * Requires at least one of `tag` and `before` (a purge without a filter would delete everything) and a
 * non-negative integer `maxId` (`InvalidInput` otherwise).
 */
export function createPurgeDecisions(
  store: () => MemoryStore,
  settings: { observer: ActivityObserver; batchRows?: number },
): ProjectMemoryActivities['purgeDecisions'] {
  const batchRows = settings.batchRows ?? PURGE_BATCH_ROWS;
  return async function purgeDecisions(options, scope) {
    const filter = purgeFilter(options, scope);
    const maxId = options.maxId;
    if (typeof maxId !== 'number' || !Number.isSafeInteger(maxId) || maxId < 0) {
      throw invalidInput('maxId must be a non-negative integer (from countPurgeMatches)');
    }
    const db = store();
    const signal = cancellationSignal();
    const info = currentActivityInfo();
    const key = (info && activityExecutionKey(info)) ?? `purge:${randomUUID()}`;
    const now = Date.now();
    // A retry comes within the task's time limit (7 days at most); older rows only take space.
    const pruneBefore = new Date(now - RUN_RETENTION_MS).toISOString();
    let run = await db.claimPurgeRun(key, new Date(now).toISOString(), pruneBefore);
    while (!run.finished) {
      run = await db.purgeBatch({ ...filter, maxId }, batchRows, key, new Date().toISOString());
      const progress = { current: run.deleted, message: `Deleted ${run.deleted} decisions` };
      reportProgress({ progress } satisfies HeartbeatDetails);
      await settings.observer.onBatchCommitted?.({
        activityType: info?.activityType ?? 'purgeDecisions',
        workflowId: info?.workflowExecution?.workflowId ?? '',
        progress,
      });
      if (!run.finished) await yieldAndCheck(signal);
    }
    return { deleted: run.deleted };
  };
}
