import { randomUUID } from 'node:crypto';
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import type { HeartbeatDetails } from '../../common/task-types';
import { invalidInput } from '../common/failures';
import type { ActivityObserver } from '../observer';
import { activityExecutionKey, currentActivityInfo, yieldAndCheck } from '../common/activity-context';
import { isoArgument, tagArgument } from './decision-fields';
import type { DecisionStore } from './decision-store';
import { tenantOf } from './tenant';
import type { MemoryScope, ProjectMemoryActivities, PurgeFilterOptions } from './types';

// `@x IS NULL OR ...` makes each filter optional while the SQL text stays constant and parameterised.
const MATCHES = `d.tenant = @tenant
                 AND (@tag IS NULL
                      OR EXISTS (SELECT 1 FROM decision_tags t WHERE t.decision_id = d.id AND t.tag = @tag))
                 AND (@before IS NULL OR d.created_at < @before) AND d.id <= @maxId`;

const SQL = {
  count: `SELECT COUNT(*) AS count FROM decisions d WHERE ${MATCHES}`,
  purgeBatch: `DELETE FROM decisions WHERE id IN (SELECT d.id FROM decisions d WHERE ${MATCHES} ORDER BY d.id LIMIT @limit)`,
  claimRun: `INSERT INTO purge_runs (run_key, deleted, finished, updated_at) VALUES (?, 0, 0, ?)
             ON CONFLICT (run_key) DO NOTHING`,
  getRun: 'SELECT deleted, finished FROM purge_runs WHERE run_key = ?',
  pruneRuns: 'DELETE FROM purge_runs WHERE updated_at < ?',
  saveRun: 'UPDATE purge_runs SET deleted = deleted + ?, finished = ?, updated_at = ? WHERE run_key = ?',
} as const;

/**
 * A validated filter for SQL: the scope's tenant, and at least one of `tag` and `before` (null when
 * absent), normalised.
 */
function purgeFilter(
  options: PurgeFilterOptions | undefined,
  scope: MemoryScope | undefined,
): { tenant: string; tag: string | null; before: string | null } {
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
export function createCountPurgeMatches(store: () => DecisionStore): ProjectMemoryActivities['countPurgeMatches'] {
  return async function countPurgeMatches(options, scope) {
    const filter = purgeFilter(options, scope);
    const db = store();
    // One read transaction, so the count and maxId describe the same snapshot.
    return db.db.transaction(() => {
      const maxId = db.maxId();
      const { count } = db.sql(SQL.count).get({ ...filter, maxId }) as { count: number };
      return { count, maxId };
    })();
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
  store: () => DecisionStore,
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
    let run = db.transaction(() => {
      const now = Date.now();
      // A retry comes within the task's time limit (7 days at most); older rows only take space.
      db.sql(SQL.pruneRuns).run(new Date(now - RUN_RETENTION_MS).toISOString());
      db.sql(SQL.claimRun).run(key, new Date(now).toISOString());
      return db.sql(SQL.getRun).get(key) as { deleted: number; finished: number };
    });
    while (run.finished === 0) {
      run = db.transaction(() => {
        const { changes } = db.sql(SQL.purgeBatch).run({ ...filter, maxId, limit: batchRows });
        const finished = changes < batchRows ? 1 : 0;
        db.sql(SQL.saveRun).run(changes, finished, new Date().toISOString(), key);
        return db.sql(SQL.getRun).get(key) as { deleted: number; finished: number };
      });
      const progress = { current: run.deleted, message: `Deleted ${run.deleted} decisions` };
      heartbeat({ progress } satisfies HeartbeatDetails);
      await settings.observer.onBatchCommitted?.({
        activityType: info?.activityType ?? 'purgeDecisions',
        workflowId: info?.workflowExecution?.workflowId ?? '',
        progress,
      });
      if (run.finished === 0) await yieldAndCheck(signal);
    }
    return { deleted: run.deleted };
  };
}
