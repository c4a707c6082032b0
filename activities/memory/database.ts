import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Schema migrations, in order; migration `i` brings `PRAGMA user_version` from `i` to `i + 1`.
 * Append new migrations; never edit one that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE decisions (
    -- AUTOINCREMENT so that ids are never reused: a purge bounded by a counted maxId relies on it.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Identity for idempotent writes: 'task:<workflowId>' or 'import:<source id or content hash>'.
    external_id TEXT UNIQUE,
    title TEXT NOT NULL,
    decision TEXT NOT NULL,
    rationale TEXT,
    tags TEXT NOT NULL,            -- JSON array, mirrored in decision_tags
    created_at TEXT NOT NULL,      -- ISO 8601 UTC (Date#toISOString), so text order is time order
    updated_at TEXT NOT NULL
  );
  CREATE INDEX decisions_created_at ON decisions(created_at);
  CREATE TABLE decision_tags (
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (decision_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX decision_tags_tag ON decision_tags(tag);
  -- Progress of each import activity execution, committed with each batch (see import-progress.ts).
  CREATE TABLE import_runs (
    run_key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,      -- JSON ImportCheckpoint, 'null' before the first batch
    finished INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
  );
  `,
  `
  -- Every decision gets an identity, so that an export imported back maps onto the same decisions.
  UPDATE decisions SET external_id = 'memory:' || id WHERE external_id IS NULL;
  -- Running total of each purge activity execution, committed with each batch (see purge.ts).
  CREATE TABLE purge_runs (
    run_key TEXT PRIMARY KEY,
    deleted INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  `
  -- Decisions belong to a tenant; everything stored so far belonged to the one local tenant. SQLite
  -- cannot drop the column-level UNIQUE of external_id, so both tables are rebuilt: new tables, copy,
  -- drop the old ones (decision_tags first: it references decisions), rename.
  CREATE TABLE decisions_v3 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- No default: a write that forgets its tenant fails instead of landing in someone's memory.
    tenant TEXT NOT NULL,
    -- Identity for idempotent writes, unique per tenant: two tenants importing one file get their own rows.
    external_id TEXT,
    title TEXT NOT NULL,
    decision TEXT NOT NULL,
    rationale TEXT,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant, external_id)
  );
  -- Parent key of decision_tags' (tenant, decision_id); also serves the id-ordered scans of one tenant.
  CREATE UNIQUE INDEX decisions_tenant_id ON decisions_v3(tenant, id);
  CREATE INDEX decisions_tenant_created_at ON decisions_v3(tenant, created_at);
  INSERT INTO decisions_v3 (id, tenant, external_id, title, decision, rationale, tags, created_at, updated_at)
    SELECT id, 'local', external_id, title, decision, rationale, tags, created_at, updated_at FROM decisions;
  -- Keep the AUTOINCREMENT high-water mark, so that ids of deleted decisions are still never reused.
  DELETE FROM sqlite_sequence WHERE name = 'decisions_v3';
  INSERT INTO sqlite_sequence (name, seq) SELECT 'decisions_v3', seq FROM sqlite_sequence WHERE name = 'decisions';
  -- The tenant is repeated here so that a tag lookup reads one tenant's rows only; the composite key
  -- makes it always equal to its decision's.
  CREATE TABLE decision_tags_v3 (
    tenant TEXT NOT NULL,
    decision_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (decision_id, tag),
    FOREIGN KEY (tenant, decision_id) REFERENCES decisions_v3(tenant, id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX decision_tags_tenant_tag ON decision_tags_v3(tenant, tag);
  INSERT INTO decision_tags_v3 (tenant, decision_id, tag) SELECT 'local', decision_id, tag FROM decision_tags;
  DROP TABLE decision_tags;
  DROP TABLE decisions;
  -- RENAME also rewrites the foreign key of decision_tags_v3 and the sqlite_sequence row.
  ALTER TABLE decisions_v3 RENAME TO decisions;
  ALTER TABLE decision_tags_v3 RENAME TO decision_tags;
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const connections = new Map<string, Database.Database>();

/**
 * The process's one connection to `dbFile`, opened (and the schema created or migrated) on first use.
 * Connections are shared by every activity of the process; better-sqlite3 is synchronous, so callers
 * must never keep a statement iterator or a transaction open across an `await`.
 */
export function getDatabase(dbFile: string): Database.Database {
  const key = path.resolve(dbFile);
  let db = connections.get(key);
  if (db === undefined) {
    db = openDatabase(key);
    connections.set(key, db);
  }
  return db;
}

/**
 * Closes the connection to `dbFile`, or every connection when omitted. For worker shutdown and tests;
 * the next `getDatabase` opens a fresh one.
 */
export function closeMemoryDatabases(dbFile?: string): void {
  for (const [key, db] of connections) {
    if (dbFile === undefined || key === path.resolve(dbFile)) {
      db.close();
      connections.delete(key);
    }
  }
}

/**
 * A new connection to `file` of its own (pragmas set, schema created or migrated), not shared with the
 * process's: another process would have one such connection. The caller closes it.
 */
export function openDatabase(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // NORMAL is durable against process crashes in WAL mode; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database.Database): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() === SCHEMA_VERSION) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new file cannot both migrate it.
  db.transaction(() => {
    const from = version();
    if (from > SCHEMA_VERSION) {
      throw new Error(`memory database ${db.name} has schema ${from}, newer than this code's ${SCHEMA_VERSION}`);
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
