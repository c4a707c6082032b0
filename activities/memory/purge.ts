import { invalidInput } from '../dataset/failures';
import { isoArgument, tagArgument } from './decision-fields';
import type { DecisionStore } from './decision-store';
import type { PurgeCount, PurgeDecisionsOptions, PurgeFilterOptions } from './types';

// `@x IS NULL OR ...` makes each filter optional while the SQL text stays constant and parameterised.
const MATCHES = `(@tag IS NULL OR EXISTS (SELECT 1 FROM decision_tags t WHERE t.decision_id = d.id AND t.tag = @tag))
                 AND (@before IS NULL OR d.created_at < @before) AND d.id <= @maxId`;

const SQL = {
  count: `SELECT COUNT(*) AS count FROM decisions d WHERE ${MATCHES}`,
  purge: `DELETE FROM decisions AS d WHERE ${MATCHES}`,
} as const;

/** A validated filter: at least one of `tag` and `before`, normalised for SQL (null when absent). */
function purgeFilter(options: PurgeFilterOptions | undefined): { tag: string | null; before: string | null } {
  const tag = tagArgument(options?.tag);
  const before = isoArgument(options?.before, 'before');
  if (tag === undefined && before === undefined) throw invalidInput('give a tag and/or a before date');
  return { tag: tag ?? null, before: before ?? null };
}

/**
 * Builds `countPurgeMatches`: how many decisions carry `tag` (exactly, after trimming and lower-casing)
 * and/or were created before `before`, together with `maxId`, the largest id existing now (0 when
 * empty). Passing that `maxId` to `purgeDecisions` deletes exactly the decisions counted (ids are never
 * reused), not ones added since. Requires at least one filter, like the purge (`InvalidInput`).
 */
export function createCountPurgeMatches(store: () => DecisionStore) {
  return async function countPurgeMatches(options: PurgeFilterOptions): Promise<PurgeCount> {
    const filter = purgeFilter(options);
    const db = store();
    // One read transaction, so the count and maxId describe the same snapshot.
    return db.db.transaction(() => {
      const maxId = db.maxId();
      const { count } = db.sql(SQL.count).get({ ...filter, maxId }) as { count: number };
      return { count, maxId };
    })();
  };
}

/**
 * Builds `purgeDecisions`: deletes, in one transaction, the decisions matching the filter with
 * `id <= maxId` (their tags go with them), and returns how many. All or nothing: any failure rolls the
 * whole purge back. Requires at least one of `tag` and `before` and a non-negative integer `maxId`
 * (`InvalidInput` otherwise). Retrying after a successful purge deletes nothing more and reports 0.
 */
export function createPurgeDecisions(store: () => DecisionStore) {
  return async function purgeDecisions(options: PurgeDecisionsOptions): Promise<{ deleted: number }> {
    const filter = purgeFilter(options);
    const maxId = options.maxId;
    if (typeof maxId !== 'number' || !Number.isSafeInteger(maxId) || maxId < 0) {
      throw invalidInput('maxId must be a non-negative integer (from countPurgeMatches)');
    }
    const db = store();
    return db.transaction(() => ({ deleted: db.sql(SQL.purge).run({ ...filter, maxId }).changes }));
  };
}
