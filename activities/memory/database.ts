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

function openDatabase(file: string): Database.Database {
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
