import type { Pool } from 'pg';

/**
 * Schema migrations of the PostgreSQL memory, in order; migration `i` brings `memory_schema.version`
 * from `i` to `i + 1`. Append new migrations; never edit one that has shipped. The first one is the
 * SQLite schema 3 (tenants), which is where the PostgreSQL store started. Text columns that are
 * compared or sorted use the "C" collation, so that they order by code point as SQLite does whatever
 * the database's locale (ISO dates then sort chronologically, and `~` after every date).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE decisions (
    -- An identity: ids are never reused, which the purge's maxId bound relies on.
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    title text NOT NULL,
    decision text NOT NULL,
    rationale text,
    tags text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL,
    UNIQUE (tenant, external_id),
    -- Parent key of decision_tags' (tenant, decision_id).
    UNIQUE (tenant, id)
  );
  CREATE INDEX decisions_tenant_created_at ON decisions (tenant, created_at, id);
  CREATE TABLE decision_tags (
    tenant text COLLATE "C" NOT NULL,
    decision_id bigint NOT NULL,
    tag text COLLATE "C" NOT NULL,
    PRIMARY KEY (decision_id, tag),
    FOREIGN KEY (tenant, decision_id) REFERENCES decisions (tenant, id) ON DELETE CASCADE
  );
  CREATE INDEX decision_tags_tenant_tag ON decision_tags (tenant, tag);
  CREATE TABLE import_runs (
    run_key text PRIMARY KEY,
    source text NOT NULL,
    format text NOT NULL,
    attempt integer NOT NULL,
    checkpoint text NOT NULL,
    finished boolean NOT NULL DEFAULT false,
    updated_at text COLLATE "C" NOT NULL
  );
  CREATE TABLE purge_runs (
    run_key text PRIMARY KEY,
    deleted bigint NOT NULL,
    finished boolean NOT NULL,
    updated_at text COLLATE "C" NOT NULL
  );
  `,
];

/** The PostgreSQL schema version this code writes. */
export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** Any constant: the key of the advisory lock that lets one process at a time migrate. */
const MIGRATION_LOCK = 0x6d656d6f; // "memo"

/**
 * Creates or migrates the schema in one transaction, holding an advisory lock so that workers starting
 * together do not migrate twice. A database written by a newer schema is refused.
 */
export async function migratePostgres(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS memory_schema (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM memory_schema');
    const from = rows[0]?.version ?? 0;
    if (from > POSTGRES_SCHEMA_VERSION) {
      throw new Error(`memory database has schema ${from}, newer than this code's ${POSTGRES_SCHEMA_VERSION}`);
    }
    for (let v = from; v < POSTGRES_SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!);
    if (rows.length === 0)
      await client.query('INSERT INTO memory_schema (version) VALUES ($1)', [POSTGRES_SCHEMA_VERSION]);
    else await client.query('UPDATE memory_schema SET version = $1', [POSTGRES_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
