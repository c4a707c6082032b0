import path from 'node:path';
import type Database from 'better-sqlite3';
import { closeMemoryDatabases, getDatabase } from './database';
import type { MemoryStore } from './memory-store';
import { PostgresMemoryStore } from './postgres-memory-store';
import { SqliteMemoryStore } from './sqlite-memory-store';

/** Which database holds the memory. */
export interface MemoryStoreTarget {
  /** The SQLite database file, created (with its directory) on first use; unused when `databaseUrl` is set. */
  dbFile: string;
  /** A `postgres://` or `postgresql://` URL: the memory then lives in that PostgreSQL database. */
  databaseUrl?: string;
}

const sqliteStores = new WeakMap<Database.Database, SqliteMemoryStore>();
const postgresStores = new Map<string, PostgresMemoryStore>();

/**
 * The process's store for `target`, opened on first use: one pool per PostgreSQL URL, or the one
 * connection per SQLite file (reopened after `closeMemoryStore`).
 */
export function memoryStore(target: MemoryStoreTarget): MemoryStore {
  if (target.databaseUrl !== undefined) {
    let store = postgresStores.get(target.databaseUrl);
    if (store === undefined) {
      store = new PostgresMemoryStore(target.databaseUrl);
      postgresStores.set(target.databaseUrl, store);
    }
    return store;
  }
  const db = getDatabase(target.dbFile);
  let store = sqliteStores.get(db);
  if (store === undefined) {
    store = new SqliteMemoryStore(db);
    sqliteStores.set(db, store);
  }
  return store;
}

/** Closes the process's store for `target`, if open: for worker shutdown and tests. */
export async function closeMemoryStore(target: MemoryStoreTarget): Promise<void> {
  if (target.databaseUrl === undefined) {
    closeMemoryDatabases(path.resolve(target.dbFile));
    return;
  }
  const store = postgresStores.get(target.databaseUrl);
  postgresStores.delete(target.databaseUrl);
  await store?.close();
}
