import { Pool, types, type PoolClient } from 'pg';
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
import { COMMON_SQL_NUMBERED } from './memory-sql';
import { migratePostgres } from './postgres-schema';

/** Connections one process keeps to the memory's database. */
const POOL_SIZE = 10;

/** How often a transaction that lost a deadlock or a serialization conflict is run again. */
const MAX_TRANSACTION_ATTEMPTS = 5;

// Each filter is optional while the SQL text stays constant: `$n::text IS NULL OR ...`.
const PURGE_MATCHES = `d.tenant = $1
  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM decision_tags t WHERE t.decision_id = d.id AND t.tag = $2))
  AND ($3::text IS NULL OR d.created_at < $3) AND d.id <= $4`;

const SQL = {
  ...COMMON_SQL_NUMBERED,
  insert: `INSERT INTO decisions (tenant, external_id, title, decision, rationale, tags, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (tenant, external_id) DO NOTHING RETURNING id`,
  insertTags: `INSERT INTO decision_tags (tenant, decision_id, tag) SELECT $1, $2, unnest($3::text[])
               ON CONFLICT DO NOTHING`,
  lockByExternalIds: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = $1 AND external_id = ANY($2::text[])
                      ORDER BY id FOR UPDATE`,
  insertMany: `INSERT INTO decisions (tenant, external_id, title, decision, rationale, tags, created_at, updated_at)
               SELECT $1, r.external_id, r.title, r.decision, r.rationale, r.tags, r.created_at, $8
               FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                    WITH ORDINALITY AS r(external_id, title, decision, rationale, tags, created_at, n)
               ORDER BY r.n
               ON CONFLICT (tenant, external_id) DO NOTHING RETURNING id, external_id`,
  insertManyTags: `INSERT INTO decision_tags (tenant, decision_id, tag)
                   SELECT $1, r.id, r.tag FROM unnest($2::bigint[], $3::text[]) AS r(id, tag)
                   ON CONFLICT DO NOTHING`,
  lockByExternalId: `SELECT ${ROW_COLUMNS} FROM decisions WHERE tenant = $1 AND external_id = $2 FOR UPDATE`,
  lockImportRun: 'SELECT source, format, attempt, checkpoint, finished FROM import_runs WHERE run_key = $1 FOR UPDATE',
  upsertImportRun: `INSERT INTO import_runs (run_key, source, format, attempt, checkpoint, finished, updated_at)
           VALUES ($1, $2, $3, $4, 'null', false, $5)
           ON CONFLICT (run_key) DO UPDATE SET attempt = excluded.attempt, updated_at = excluded.updated_at`,
  resetImportRun: `UPDATE import_runs SET source = $1, format = $2, checkpoint = 'null', finished = false WHERE run_key = $3`,
  countPurge: `SELECT COUNT(*) AS count FROM decisions d WHERE ${PURGE_MATCHES}`,
  purgeBatch: `DELETE FROM decisions WHERE id IN
                 (SELECT d.id FROM decisions d WHERE ${PURGE_MATCHES} ORDER BY d.id LIMIT $5)`,
  purgeLeft: `SELECT EXISTS (SELECT 1 FROM decisions d WHERE ${PURGE_MATCHES}) AS "left"`,
  claimPurgeRun: `INSERT INTO purge_runs (run_key, deleted, finished, updated_at) VALUES ($1, 0, false, $2)
                  ON CONFLICT (run_key) DO NOTHING`,
} as const;

/** bigint (ids, counts) as a number: ids stay far below 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? Number : (types.getTypeParser(oid, format ?? 'text') as unknown)) as typeof types.getTypeParser,
};

/**
 * The memory in PostgreSQL (`DATABASE_URL`), shared by workers on many hosts. Each method is one
 * transaction on a pooled connection, at READ COMMITTED.
 *
 * Concurrent imports of the same identities (two workers, or a retry next to a zombie attempt) meet on
 * the unique index `(tenant, external_id)`. Each record is looked up and locked (`FOR UPDATE`) first;
 * when missing it is inserted with `ON CONFLICT DO NOTHING`, which makes a second writer wait for the
 * first to commit and then insert nothing, after which it locks the row the first one wrote and
 * compares. So an identity is never stored twice and no batch fails for a lost race. Row locks keep the
 * conflicts as narrow as the rows involved: SERIALIZABLE would re-run whole batches of 1000 records on
 * any overlap, and an advisory lock per tenant would serialise unrelated imports. Two batches taking
 * the same rows in opposite orders can deadlock; PostgreSQL aborts one, which is run again (like a
 * serialization failure), up to {@link MAX_TRANSACTION_ATTEMPTS} times.
 *
 * Ids come from an identity sequence, never reused. Sequence values can commit out of order, so the
 * purge's count takes a SHARE lock on `decisions`: it waits for the writes in flight, and any decision
 * written afterwards gets a larger id than the `maxId` it returns.
 */
export class PostgresMemoryStore implements MemoryStore {
  private readonly pool: Pool;
  private ready: Promise<void> | undefined;

  constructor(url: string, options: { poolSize?: number } = {}) {
    this.pool = new Pool({ connectionString: url, max: options.poolSize ?? POOL_SIZE, types: TYPES });
    // An idle connection the server ends (a restart) must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async recordOnce(tenant: string, key: string, fields: DecisionFields, now: string) {
    return this.transaction(async (client) => {
      for (;;) {
        const existing = await this.lockByExternalId(client, tenant, key);
        if (existing !== undefined) return { id: existing.id, existing };
        const id = await this.insert(client, tenant, fields, key, now, now);
        // Undefined when another transaction inserted it meanwhile: lock and return that one.
        if (id !== undefined) return { id, existing: undefined };
      }
    });
  }

  async recent(tenant: string, limit: number, tag: string | undefined): Promise<DecisionRow[]> {
    const { rows } =
      tag === undefined
        ? await this.query<DecisionRow>(SQL.recent, [tenant, limit])
        : await this.query<DecisionRow>(SQL.recentWithTag, [tenant, tag, limit]);
    return rows;
  }

  async claimImportRun(claim: Parameters<MemoryStore['claimImportRun']>[0]): Promise<StoredImportRun | undefined> {
    const { key, source, format, attempt, now, pruneBefore } = claim;
    return this.transaction(async (client) => {
      await client.query(SQL.pruneImportRuns, [pruneBefore]);
      const { rows } = await client.query<{
        source: string;
        format: string;
        attempt: number;
        checkpoint: string;
        finished: boolean;
      }>(SQL.lockImportRun, [key]);
      const row = rows[0];
      if (row !== undefined && row.attempt > attempt) throw supersededImport(key, attempt, row.attempt);
      await client.query(SQL.upsertImportRun, [key, source, format, attempt, now]);
      if (row === undefined) return undefined;
      if (row.source !== source || row.format !== format) {
        await client.query(SQL.resetImportRun, [source, format, key]);
        return undefined;
      }
      return { checkpoint: JSON.parse(row.checkpoint) as unknown, finished: row.finished };
    });
  }

  async applyImportBatch(
    tenant: string,
    decisions: readonly KeyedDecision[],
    now: string,
    progress: Parameters<MemoryStore['applyImportBatch']>[3],
  ): Promise<WriteOutcome[]> {
    return this.transaction(async (client) => {
      const outcomes: WriteOutcome[] = [];
      outcomes.push(...(await this.upsertAll(client, tenant, decisions, now)));
      const save = progress(outcomes);
      if (save !== undefined) {
        const { rowCount } = await client.query(SQL.saveImportRun, [
          JSON.stringify(save.checkpoint),
          save.finished,
          now,
          save.key,
          save.attempt,
        ]);
        if (rowCount !== 1) throw supersededImport(save.key, save.attempt);
      }
      return outcomes;
    });
  }

  async pageChronological(tenant: string, range: ChronologicalPage, limit: number): Promise<PatternRow[]> {
    const params = [tenant, range.lower, range.upper, range.after[0], range.after[1], limit];
    return (await this.query<PatternRow>(SQL.chronological, params)).rows;
  }

  async topTags(tenant: string, range: DateRange, limit: number) {
    return (await this.query<{ tag: string; count: number }>(SQL.topTags, [tenant, range.lower, range.upper, limit]))
      .rows;
  }

  async tagDates(tenant: string, tag: string, range: DateRange): Promise<string[]> {
    const { rows } = await this.query<{ created_at: string }>(SQL.tagDates, [tenant, tag, range.lower, range.upper]);
    return rows.map((row) => row.created_at);
  }

  async maxId(): Promise<number> {
    return (await this.query<{ maxId: number }>(SQL.maxId, [])).rows[0]!.maxId;
  }

  async pageById(tenant: string, afterId: number, maxId: number, limit: number): Promise<DecisionRow[]> {
    return (await this.query<DecisionRow>(SQL.byId, [tenant, afterId, maxId, limit])).rows;
  }

  async countPurgeMatches(filter: PurgeFilter): Promise<{ count: number; maxId: number }> {
    return this.transaction(async (client) => {
      // Waits for the writes in flight; later ones get larger ids than this maxId (see the class comment).
      await client.query('LOCK TABLE decisions IN SHARE MODE');
      const maxId = (await client.query<{ maxId: number }>(SQL.maxId)).rows[0]!.maxId;
      const { rows } = await client.query<{ count: number }>(SQL.countPurge, [
        filter.tenant,
        filter.tag,
        filter.before,
        maxId,
      ]);
      return { count: rows[0]!.count, maxId };
    });
  }

  async claimPurgeRun(key: string, now: string, pruneBefore: string): Promise<PurgeRun> {
    return this.transaction(async (client) => {
      await client.query(SQL.prunePurgeRuns, [pruneBefore]);
      await client.query(SQL.claimPurgeRun, [key, now]);
      return purgeRun(client, key);
    });
  }

  async purgeBatch(
    filter: PurgeFilter & { maxId: number },
    limit: number,
    key: string,
    now: string,
  ): Promise<PurgeRun> {
    return this.transaction(async (client) => {
      const params = [filter.tenant, filter.tag, filter.before, filter.maxId];
      const { rowCount } = await client.query(SQL.purgeBatch, [...params, limit]);
      const deleted = rowCount ?? 0;
      // A short batch may only mean that another purge holds some of the rows: finished once none is left.
      const finished = deleted < limit && !(await client.query<{ left: boolean }>(SQL.purgeLeft, params)).rows[0]!.left;
      await client.query(SQL.savePurgeRun, [deleted, finished, now, key]);
      return purgeRun(client, key);
    });
  }

  isConstraintViolation(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code;
    // Class 23: integrity constraint violation.
    return typeof code === 'string' && code.startsWith('23');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Creates or migrates the schema once per store, before the first statement. */
  private async ensureSchema(): Promise<void> {
    this.ready ??= migratePostgres(this.pool).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
  }

  private async query<R extends object>(text: string, params: unknown[]) {
    await this.ensureSchema();
    return this.pool.query<R>(text, params);
  }

  /** Runs `fn` in one transaction, again when it lost a deadlock or a serialization conflict. */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    await this.ensureSchema();
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (attempt < MAX_TRANSACTION_ATTEMPTS && isRetryable(err)) continue;
        throw err;
      } finally {
        client.release(broken);
      }
    }
  }

  private async insert(
    client: PoolClient,
    tenant: string,
    fields: DecisionFields,
    externalId: string,
    createdAt: string,
    now: string,
  ): Promise<number | undefined> {
    const { rows } = await client.query<{ id: number }>(SQL.insert, [
      tenant,
      externalId,
      fields.title,
      fields.decision,
      fields.rationale,
      JSON.stringify(fields.tags),
      createdAt,
      now,
    ]);
    const id = rows[0]?.id;
    if (id !== undefined && fields.tags.length > 0) await client.query(SQL.insertTags, [tenant, id, fields.tags]);
    return id;
  }

  private async lockByExternalId(client: PoolClient, tenant: string, key: string): Promise<DecisionRow | undefined> {
    return (await client.query<DecisionRow>(SQL.lockByExternalId, [tenant, key])).rows[0];
  }

  /**
   * Writes `decisions` in order, in as many statements as there are steps, not records: one look-up (and
   * lock) of the identities, one insert of the new ones, one of their tags, then an update per changed
   * record. An identity repeated within the batch starts a new round, so a later record compares with
   * the earlier one as it would record by record.
   */
  private async upsertAll(
    client: PoolClient,
    tenant: string,
    decisions: readonly KeyedDecision[],
    now: string,
  ): Promise<WriteOutcome[]> {
    const outcomes: WriteOutcome[] = [];
    let round: KeyedDecision[] = [];
    const seen = new Set<string>();
    for (const decision of decisions) {
      if (seen.has(decision.externalId)) {
        outcomes.push(...(await this.upsertRound(client, tenant, round, now)));
        round = [];
        seen.clear();
      }
      seen.add(decision.externalId);
      round.push(decision);
    }
    outcomes.push(...(await this.upsertRound(client, tenant, round, now)));
    return outcomes;
  }

  /** {@link upsertAll} for records whose identities are distinct. */
  private async upsertRound(
    client: PoolClient,
    tenant: string,
    round: readonly KeyedDecision[],
    now: string,
  ): Promise<WriteOutcome[]> {
    const outcomes = new Map<string, WriteOutcome>();
    let pending = round;
    while (pending.length > 0) {
      // Look up first: an INSERT that meets an existing identity would still burn an id of the sequence.
      const { rows } = await client.query<DecisionRow>(SQL.lockByExternalIds, [
        tenant,
        pending.map((d) => d.externalId),
      ]);
      const existing = new Map(rows.map((row) => [row.external_id!, row]));
      for (const decision of pending) {
        const row = existing.get(decision.externalId);
        if (row !== undefined) outcomes.set(decision.externalId, await this.update(client, tenant, row, decision, now));
      }
      const missing = pending.filter((d) => !existing.has(d.externalId));
      const inserted = await this.insertMany(client, tenant, missing, now);
      for (const externalId of inserted) outcomes.set(externalId, 'imported');
      // Inserted by another transaction meanwhile (ON CONFLICT DO NOTHING): lock those rows and compare.
      pending = missing.filter((d) => !inserted.has(d.externalId));
    }
    return round.map((d) => outcomes.get(d.externalId)!);
  }

  /** Inserts decisions with distinct identities, in order, and their tags; returns the identities inserted. */
  private async insertMany(
    client: PoolClient,
    tenant: string,
    decisions: readonly KeyedDecision[],
    now: string,
  ): Promise<Set<string>> {
    if (decisions.length === 0) return new Set();
    const { rows } = await client.query<{ id: number; external_id: string }>(SQL.insertMany, [
      tenant,
      decisions.map((d) => d.externalId),
      decisions.map((d) => d.title),
      decisions.map((d) => d.decision),
      decisions.map((d) => d.rationale),
      decisions.map((d) => JSON.stringify(d.tags)),
      decisions.map((d) => d.createdAt ?? now),
      now,
    ]);
    const ids = new Map(rows.map((row) => [row.external_id, row.id]));
    const tagIds: number[] = [];
    const tags: string[] = [];
    for (const decision of decisions) {
      const id = ids.get(decision.externalId);
      if (id === undefined) continue;
      for (const tag of decision.tags) {
        tagIds.push(id);
        tags.push(tag);
      }
    }
    if (tags.length > 0) await client.query(SQL.insertManyTags, [tenant, tagIds, tags]);
    return new Set(ids.keys());
  }

  /** Overwrites `row` with `decision` when they differ (see {@link compareStored}). */
  private async update(
    client: PoolClient,
    tenant: string,
    row: DecisionRow,
    decision: KeyedDecision,
    now: string,
  ): Promise<WriteOutcome> {
    const change = compareStored(row, decision);
    if (change.unchanged) return 'unchanged';
    const { title, rationale } = decision;
    await client.query(SQL.update, [title, decision.decision, rationale, change.tags, change.createdAt, now, row.id]);
    if (change.tagsChanged) {
      await client.query(SQL.deleteTags, [row.id]);
      if (decision.tags.length > 0) await client.query(SQL.insertTags, [tenant, row.id, decision.tags]);
    }
    return 'updated';
  }
}

async function purgeRun(client: PoolClient, key: string): Promise<PurgeRun> {
  return (await client.query<PurgeRun>(SQL.getPurgeRun, [key])).rows[0]!;
}

/** Deadlock (40P01) and serialization failure (40001): the transaction may simply be run again. */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
