import type Database from 'better-sqlite3';
import { getDatabase } from './database';
import type { DecisionFields } from './decision-fields';
import type { DecisionRecord } from './types';

/** A `decisions` row as selected by `ROW_COLUMNS`. */
export interface DecisionRow {
  id: number;
  external_id: string | null;
  title: string;
  decision: string;
  rationale: string | null;
  tags: string;
  created_at: string;
}

/** The columns every read of whole decisions selects, in `DecisionRow` shape. */
export const ROW_COLUMNS = 'id, external_id, title, decision, rationale, tags, created_at';

const SQL = {
  insert: `INSERT INTO decisions (tenant, external_id, title, decision, rationale, tags, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  insertTag: 'INSERT OR IGNORE INTO decision_tags (tenant, decision_id, tag) VALUES (?, ?, ?)',
  deleteTags: 'DELETE FROM decision_tags WHERE decision_id = ?',
  byExternalId: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = ? AND external_id = ?`,
  update: `UPDATE decisions SET title = ?, decision = ?, rationale = ?, tags = ?, created_at = ?, updated_at = ?
           WHERE id = ?`,
  maxId: 'SELECT COALESCE(MAX(id), 0) AS maxId FROM decisions',
} as const;

/** A decision to write idempotently under `externalId`; `createdAt` undefined means "now, or keep the stored one". */
export interface KeyedDecision extends DecisionFields {
  externalId: string;
  createdAt: string | undefined;
}

/** What an idempotent write did. */
export type WriteOutcome = 'imported' | 'updated' | 'unchanged';

/**
 * The SQL side of the memory: one per connection, caching prepared statements. All methods are
 * synchronous; wrap several in `transaction()` to make them atomic. Every decision belongs to a
 * tenant: each method that reads or writes decisions takes it, and every query filters by it.
 */
export class DecisionStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The prepared statement for a constant SQL text, prepared once per connection. */
  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs `fn` in one transaction (`BEGIN IMMEDIATE`): committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Inserts a decision of `tenant` and its tags; returns the new id. */
  insert(tenant: string, fields: DecisionFields, externalId: string | null, createdAt: string, now: string): number {
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

  /** The decision of `tenant` stored under `externalId`, if any. */
  findByExternalId(tenant: string, externalId: string): DecisionRow | undefined {
    return this.sql(SQL.byExternalId).get(tenant, externalId) as DecisionRow | undefined;
  }

  /**
   * Inserts `decision` for `tenant`, or overwrites the one that tenant already stores under its
   * external id when any field differs. A missing `createdAt` keeps the stored date, so that
   * re-importing a source without dates changes nothing. Call inside a transaction.
   */
  upsert(tenant: string, decision: KeyedDecision, now: string): WriteOutcome {
    // Look up first: an INSERT ... ON CONFLICT DO NOTHING would burn an AUTOINCREMENT id per existing record.
    const existing = this.findByExternalId(tenant, decision.externalId);
    if (existing === undefined) {
      this.insert(tenant, decision, decision.externalId, decision.createdAt ?? now, now);
      return 'imported';
    }
    const tags = JSON.stringify(decision.tags);
    const createdAt = decision.createdAt ?? existing.created_at;
    if (
      existing.title === decision.title &&
      existing.decision === decision.decision &&
      existing.rationale === decision.rationale &&
      existing.tags === tags &&
      existing.created_at === createdAt
    ) {
      return 'unchanged';
    }
    this.sql(SQL.update).run(decision.title, decision.decision, decision.rationale, tags, createdAt, now, existing.id);
    if (existing.tags !== tags) {
      this.sql(SQL.deleteTags).run(existing.id);
      this.insertTags(tenant, existing.id, decision.tags);
    }
    return 'updated';
  }

  /** The largest id in use, by any tenant (0 when empty); ids are global and never reused. */
  maxId(): number {
    return (this.sql(SQL.maxId).get() as { maxId: number }).maxId;
  }

  private insertTags(tenant: string, id: number, tags: readonly string[]): void {
    const statement = this.sql(SQL.insertTag);
    for (const tag of tags) statement.run(tenant, id, tag);
  }
}

const stores = new WeakMap<Database.Database, DecisionStore>();

/** The store over the process's connection to `dbFile` (opened, and migrated, on first use). */
export function getStore(dbFile: string): DecisionStore {
  const db = getDatabase(dbFile);
  let store = stores.get(db);
  if (store === undefined) {
    store = new DecisionStore(db);
    stores.set(db, store);
  }
  return store;
}

/** Maps a row to the public record shape. */
export function toRecord(row: DecisionRow): DecisionRecord {
  return {
    id: row.id,
    title: row.title,
    decision: row.decision,
    rationale: row.rationale,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
  };
}
