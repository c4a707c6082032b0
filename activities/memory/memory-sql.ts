import { ROW_COLUMNS } from './memory-store';

/**
 * The statements both stores run as written, with SQLite's `?` placeholders; the PostgreSQL store
 * numbers them (`$1`, `$2`, …) with {@link numbered}. Statements that differ between the two (upserts,
 * locks, the purge filter) stay with their store.
 */
export const COMMON_SQL = {
  deleteTags: 'DELETE FROM decision_tags WHERE decision_id = ?',
  update: `UPDATE decisions SET title = ?, decision = ?, rationale = ?, tags = ?, created_at = ?, updated_at = ?
           WHERE id = ?`,
  maxId: 'SELECT COALESCE(MAX(id), 0) AS "maxId" FROM decisions',
  recent: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`,
  recentWithTag: `SELECT d.id, d.external_id, d.title, d.decision, d.rationale, d.tags, d.created_at
                  FROM decision_tags t JOIN decisions d ON d.id = t.decision_id
                  WHERE t.tenant = ? AND t.tag = ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?`,
  chronological: `SELECT id, title, decision, created_at FROM decisions
                  WHERE tenant = ? AND created_at >= ? AND created_at < ? AND (created_at, id) > (?, ?)
                  ORDER BY created_at, id LIMIT ?`,
  topTags: `SELECT t.tag AS tag, COUNT(*) AS count FROM decisions d JOIN decision_tags t ON t.decision_id = d.id
            WHERE d.tenant = ? AND d.created_at >= ? AND d.created_at < ?
            GROUP BY t.tag ORDER BY count DESC, t.tag ASC LIMIT ?`,
  tagDates: `SELECT d.created_at AS created_at FROM decision_tags t JOIN decisions d ON d.id = t.decision_id
             WHERE t.tenant = ? AND t.tag = ? AND d.created_at >= ? AND d.created_at < ?`,
  byId: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
  saveImportRun:
    'UPDATE import_runs SET checkpoint = ?, finished = ?, updated_at = ? WHERE run_key = ? AND attempt = ?',
  pruneImportRuns: 'DELETE FROM import_runs WHERE updated_at < ?',
  getPurgeRun: 'SELECT deleted, finished FROM purge_runs WHERE run_key = ?',
  prunePurgeRuns: 'DELETE FROM purge_runs WHERE updated_at < ?',
  savePurgeRun: 'UPDATE purge_runs SET deleted = deleted + ?, finished = ?, updated_at = ? WHERE run_key = ?',
} as const;

/** `sql` with PostgreSQL's numbered placeholders: the n-th `?` becomes `$n`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** {@link COMMON_SQL} for PostgreSQL. */
export const COMMON_SQL_NUMBERED = Object.fromEntries(
  Object.entries(COMMON_SQL).map(([name, sql]) => [name, numbered(sql)]),
) as { [K in keyof typeof COMMON_SQL]: string };
