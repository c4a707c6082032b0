import type Database from 'better-sqlite3';
import { closeMemoryDatabases } from './database';
import { COMMON_SQL } from './memory-sql';
import type { DecisionFields } from './decision-fields';
import {
  compareStored,
  ROW_COLUMNS,
  supersededImport,
  type ChronologicalPage,
  type DateRange,
  type DecisionRow,
  type KeyedDecision,
  type MemoryStore,
  type PatternRow,
  type PurgeFilter,
  type PurgeRun,
  type StoredImportRun,
  type WriteOutcome,
} from './memory-store';

// `@x IS NULL OR ...` makes each filter optional while the SQL text stays constant and parameterised.
const PURGE_MATCHES = `d.tenant = @tenant
                 AND (@tag IS NULL
                      OR EXISTS (SELECT 1 FROM decision_tags t WHERE t.decision_id = d.id AND t.tag = @tag))
                 AND (@before IS NULL OR d.created_at < @before) AND d.id <= @maxId`;

const SQL = {
  ...COMMON_SQL,
  insert: `INSERT INTO decisions (tenant, external_id, title, decision, rationale, tags, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  insertTag: 'INSERT OR IGNORE INTO decision_tags (tenant, decision_id, tag) VALUES (?, ?, ?)',
  byExternalId: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = ? AND external_id = ?`,
  getImportRun: 'SELECT source, format, attempt, checkpoint, finished FROM import_runs WHERE run_key = ?',
  upsertImportRun: `INSERT INTO import_runs (run_key, source, format, attempt, checkpoint, finished, updated_at)
           VALUES (?, ?, ?, ?, 'null', 0, ?)
           ON CONFLICT(run_key) DO UPDATE SET attempt = excluded.attempt, updated_at = excluded.updated_at`,
  resetImportRun: `UPDATE import_runs SET source = ?, format = ?, checkpoint = 'null', finished = 0 WHERE run_key = ?`,
  countPurge: `SELECT COUNT(*) AS count FROM decisions d WHERE ${PURGE_MATCHES}`,
  purgeBatch: `DELETE FROM decisions WHERE id IN (SELECT d.id FROM decisions d WHERE ${PURGE_MATCHES} ORDER BY d.id LIMIT @limit)`,
  claimPurgeRun: `INSERT INTO purge_runs (run_key, deleted, finished, updated_at) VALUES (?, 0, 0, ?)
             ON CONFLICT (run_key) DO NOTHING`,
} as const;

/**
 * The memory in one SQLite file (better-sqlite3), the embedded default. better-sqlite3 is synchronous
 * and the process shares one connection per file, so every method runs its statements (and its
 * transaction, `BEGIN IMMEDIATE`) without yielding: no statement iterator and no transaction is ever
 * held open across an `await`. Prepared statements are cached per connection.
 */
export class SqliteMemoryStore implements MemoryStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  async recordOnce(tenant: string, key: string, fields: DecisionFields, now: string) {
    return this.transaction(() => {
      const existing = this.findByExternalId(tenant, key);
      if (existing !== undefined) return { id: existing.id, existing };
      return { id: this.insert(tenant, fields, key, now, now), existing: undefined };
    });
  }

  async recent(tenant: string, limit: number, tag: string | undefined): Promise<DecisionRow[]> {
    return (
      tag === undefined ? this.sql(SQL.recent).all(tenant, limit) : this.sql(SQL.recentWithTag).all(tenant, tag, limit)
    ) as DecisionRow[];
  }

  async claimImportRun(claim: Parameters<MemoryStore['claimImportRun']>[0]): Promise<StoredImportRun | undefined> {
    const { key, source, format, attempt, now, pruneBefore } = claim;
    return this.transaction(() => {
      this.sql(SQL.pruneImportRuns).run(pruneBefore);
      const row = this.sql(SQL.getImportRun).get(key) as
        { source: string; format: string; attempt: number; checkpoint: string; finished: number } | undefined;
      if (row !== undefined && row.attempt > attempt) throw supersededImport(key, attempt, row.attempt);
      this.sql(SQL.upsertImportRun).run(key, source, format, attempt, now);
      if (row === undefined) return undefined;
      if (row.source !== source || row.format !== format) {
        this.sql(SQL.resetImportRun).run(source, format, key);
        return undefined;
      }
      return { checkpoint: JSON.parse(row.checkpoint) as unknown, finished: row.finished === 1 };
    });
  }

  async applyImportBatch(
    tenant: string,
    decisions: readonly KeyedDecision[],
    now: string,
    progress: Parameters<MemoryStore['applyImportBatch']>[3],
  ): Promise<WriteOutcome[]> {
    return this.transaction(() => {
      const outcomes = decisions.map((decision) => this.upsert(tenant, decision, now));
      const save = progress(outcomes);
      if (save !== undefined) {
        const { changes } = this.sql(SQL.saveImportRun).run(
          JSON.stringify(save.checkpoint),
          save.finished ? 1 : 0,
          now,
          save.key,
          save.attempt,
        );
        if (changes !== 1) throw supersededImport(save.key, save.attempt);
      }
      return outcomes;
    });
  }

  async pageChronological(tenant: string, range: ChronologicalPage, limit: number): Promise<PatternRow[]> {
    return this.sql(SQL.chronological).all(tenant, range.lower, range.upper, ...range.after, limit) as PatternRow[];
  }

  async topTags(tenant: string, range: DateRange, limit: number) {
    return this.sql(SQL.topTags).all(tenant, range.lower, range.upper, limit) as { tag: string; count: number }[];
  }

  async tagDates(tenant: string, tag: string, range: DateRange): Promise<string[]> {
    return this.sql(SQL.tagDates).pluck().all(tenant, tag, range.lower, range.upper) as string[];
  }

  async maxId(): Promise<number> {
    return this.currentMaxId();
  }

  async pageById(tenant: string, afterId: number, maxId: number, limit: number): Promise<DecisionRow[]> {
    return this.sql(SQL.byId).all(tenant, afterId, maxId, limit) as DecisionRow[];
  }

  async countPurgeMatches(filter: PurgeFilter): Promise<{ count: number; maxId: number }> {
    // One read transaction, so the count and maxId describe the same snapshot.
    return this.db.transaction(() => {
      const maxId = this.currentMaxId();
      const { count } = this.sql(SQL.countPurge).get({ ...filter, maxId }) as { count: number };
      return { count, maxId };
    })();
  }

  async claimPurgeRun(key: string, now: string, pruneBefore: string): Promise<PurgeRun> {
    return this.transaction(() => {
      this.sql(SQL.prunePurgeRuns).run(pruneBefore);
      this.sql(SQL.claimPurgeRun).run(key, now);
      return this.purgeRun(key);
    });
  }

  async purgeBatch(
    filter: PurgeFilter & { maxId: number },
    limit: number,
    key: string,
    now: string,
  ): Promise<PurgeRun> {
    return this.transaction(() => {
      const { changes } = this.sql(SQL.purgeBatch).run({ ...filter, limit });
      this.sql(SQL.savePurgeRun).run(changes, changes < limit ? 1 : 0, now, key);
      return this.purgeRun(key);
    });
  }

  isConstraintViolation(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
  }

  async close(): Promise<void> {
    closeMemoryDatabases(this.db.name);
  }

  /** The prepared statement for a constant SQL text, prepared once per connection. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs `fn` in one transaction (`BEGIN IMMEDIATE`): committed when it returns, rolled back when it throws. */
  private transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private currentMaxId(): number {
    return (this.sql(SQL.maxId).get() as { maxId: number }).maxId;
  }

  private purgeRun(key: string): PurgeRun {
    const run = this.sql(SQL.getPurgeRun).get(key) as { deleted: number; finished: number };
    return { deleted: run.deleted, finished: run.finished === 1 };
  }

  private insert(tenant: string, fields: DecisionFields, externalId: string, createdAt: string, now: string): number {
    const { lastInsertRowid } = this.sql(SQL.insert).run(
      tenant,
      externalId,
      fields.title,
      fields.decision,
      fields.rationale,
      JSON.stringify(fields.tags),
      createdAt,
      now,
    );
    const id = Number(lastInsertRowid);
    this.insertTags(tenant, id, fields.tags);
    return id;
  }

  private findByExternalId(tenant: string, externalId: string): DecisionRow | undefined {
    return this.sql(SQL.byExternalId).get(tenant, externalId) as DecisionRow | undefined;
  }

  private upsert(tenant: string, decision: KeyedDecision, now: string): WriteOutcome {
    // Look up first: an INSERT ... ON CONFLICT DO NOTHING would burn an AUTOINCREMENT id per existing record.
    const existing = this.findByExternalId(tenant, decision.externalId);
    if (existing === undefined) {
      this.insert(tenant, decision, decision.externalId, decision.createdAt ?? now, now);
      return 'imported';
    }
    const change = compareStored(existing, decision);
    if (change.unchanged) return 'unchanged';
    const { title, rationale } = decision;
    this.sql(SQL.update).run(title, decision.decision, rationale, change.tags, change.createdAt, now, existing.id);
    if (change.tagsChanged) {
      this.sql(SQL.deleteTags).run(existing.id);
      this.insertTags(tenant, existing.id, decision.tags);
    }
    return 'updated';
  }

  private insertTags(tenant: string, id: number, tags: readonly string[]): void {
    const statement = this.sql(SQL.insertTag);
    for (const tag of tags) statement.run(tenant, id, tag);
  }
}
