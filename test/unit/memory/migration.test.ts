import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { closeMemoryDatabases, createMemoryActivities } from '../../../activities/memory';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import { getDatabase, SCHEMA_VERSION } from '../../../activities/memory/database';
import { makeEnv, NO_WORKFLOW } from './helpers';

/** The schema as versions 1 and 2 shipped it (copied, not imported: the migration must upgrade exactly this). */
const V2_DDL = `
  CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id TEXT UNIQUE,
    title TEXT NOT NULL,
    decision TEXT NOT NULL,
    rationale TEXT,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX decisions_created_at ON decisions(created_at);
  CREATE TABLE decision_tags (
    decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (decision_id, tag)
  ) WITHOUT ROWID;
  CREATE INDEX decision_tags_tag ON decision_tags(tag);
  CREATE TABLE import_runs (
    run_key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
  );
  UPDATE decisions SET external_id = 'memory:' || id WHERE external_id IS NULL;
  CREATE TABLE purge_runs (
    run_key TEXT PRIMARY KEY,
    deleted INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  PRAGMA user_version = 2;
`;

interface V2Row {
  id: number;
  external_id: string;
  title: string;
  decision: string;
  rationale: string | null;
  tags: string;
  created_at: string;
  updated_at: string;
}

let dir: string;
let dbFile: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-migration-'));
  dbFile = path.join(dir, 'memory.db');
});
afterEach(() => {
  closeMemoryDatabases(dbFile);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A version-2 file with 40 decisions (tagged), the last one deleted, and an import and a purge run. */
function writeV2File(): { rows: V2Row[]; tags: { decision_id: number; tag: string }[] } {
  const db = new Database(dbFile);
  try {
    db.pragma('foreign_keys = ON');
    db.exec(V2_DDL);
    const insert = db.prepare(
      `INSERT INTO decisions (external_id, title, decision, rationale, tags, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertTag = db.prepare('INSERT INTO decision_tags (decision_id, tag) VALUES (?, ?)');
    for (let i = 1; i <= 40; i++) {
      const tags = i % 3 === 0 ? [] : [`t${i % 4}`, 'all'];
      const created = new Date(Date.UTC(2024, 0, i)).toISOString();
      const { lastInsertRowid } = insert.run(
        i % 5 === 0 ? `memory:${i}` : `import:d${i}`,
        `Decision ${i}`,
        `Text ${i}`,
        i % 2 === 0 ? null : `because ${i}`,
        JSON.stringify(tags),
        created,
        created,
      );
      for (const tag of tags) insertTag.run(lastInsertRowid, tag);
    }
    // The highest id is gone: the migration must not hand it out again.
    db.prepare('DELETE FROM decisions WHERE id = 40').run();
    db.prepare(
      `INSERT INTO import_runs (run_key, source, format, attempt, checkpoint, finished, updated_at)
       VALUES ('workflow:w/r/1', 'a.jsonl', 'jsonl', 1, 'null', 0, '2026-01-01T00:00:00.000Z')`,
    ).run();
    db.prepare(
      `INSERT INTO purge_runs (run_key, deleted, finished, updated_at) VALUES ('workflow:w/r/2', 3, 1, '2026-01-01T00:00:00.000Z')`,
    ).run();
    return {
      rows: db.prepare('SELECT * FROM decisions ORDER BY id').all() as V2Row[],
      tags: db.prepare('SELECT decision_id, tag FROM decision_tags ORDER BY decision_id, tag').all() as {
        decision_id: number;
        tag: string;
      }[],
    };
  } finally {
    db.close();
  }
}

describe('memory schema migration 2 → 3 (tenants)', () => {
  it('keeps every decision, tag and run, all in the local tenant', () => {
    const before = writeV2File();
    expect(before.rows).toHaveLength(39);
    const db = getDatabase(dbFile);

    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(3);
    const rows = db.prepare('SELECT * FROM decisions ORDER BY id').all() as (V2Row & { tenant: string })[];
    expect(rows.map(({ tenant: _tenant, ...row }) => row)).toEqual(before.rows);
    expect(new Set(rows.map((row) => row.tenant))).toEqual(new Set(['local']));
    const tags = db.prepare('SELECT tenant, decision_id, tag FROM decision_tags ORDER BY decision_id, tag').all();
    expect(tags).toEqual(before.tags.map((t) => ({ tenant: 'local', ...t })));
    expect(db.prepare('SELECT run_key FROM import_runs').pluck().all()).toEqual(['workflow:w/r/1']);
    expect(db.prepare('SELECT deleted FROM purge_runs').pluck().all()).toEqual([3]);

    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // No table of the rebuild is left behind, and the foreign key points at the renamed table.
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['decision_tags', 'decisions', 'import_runs', 'purge_runs', 'sqlite_sequence']);
    expect(db.pragma('foreign_key_list(decision_tags)')).toEqual([
      expect.objectContaining({ table: 'decisions', from: 'tenant', to: 'tenant', on_delete: 'CASCADE' }),
      expect.objectContaining({ table: 'decisions', from: 'decision_id', to: 'id', on_delete: 'CASCADE' }),
    ]);
  });

  it('keeps ids unique and never reused, tags cascading, and identities unique per tenant', async () => {
    writeV2File();
    const memory = createMemoryActivities({
      dbFile,
      exportsDir: path.join(dir, 'exports'),
      datasetRoots: [dir],
      urlSources: NO_URL_SOURCES,
      observer: { onCancelled: () => undefined },
    });
    // Migrated decisions are the local tenant's, read as before.
    const recent = await makeEnv().run(memory.getRecentDecisions, { limit: 100, tag: 'all' });
    expect(recent.decisions).toHaveLength(26);
    // The id of the deleted decision 40 is not handed out again.
    const { id } = await makeEnv(NO_WORKFLOW).run(memory.recordDecision, {
      title: 'New',
      decision: 'After',
      tags: ['all'],
    });
    expect(id).toBe(41);

    const db = getDatabase(dbFile);
    // The same identity in another tenant is another decision; twice in one tenant is refused.
    const insert = db.prepare(
      `INSERT INTO decisions (tenant, external_id, title, decision, tags, created_at, updated_at)
       VALUES (?, 'import:d1', 't', 'd', '[]', '2024', '2024')`,
    );
    expect(() => insert.run('acme')).not.toThrow();
    expect(() => insert.run('local')).toThrow(/UNIQUE/);
    // A tag cannot claim another tenant than its decision's.
    expect(() =>
      db.prepare("INSERT INTO decision_tags (tenant, decision_id, tag) VALUES ('acme', 1, 'x')").run(),
    ).toThrow(/FOREIGN KEY/);
    // Deleting a decision still deletes its tags.
    db.prepare('DELETE FROM decisions WHERE id = 1').run();
    expect(db.prepare('SELECT COUNT(*) FROM decision_tags WHERE decision_id = 1').pluck().get()).toBe(0);
  });

  it('refuses a file of a newer schema', () => {
    const db = new Database(dbFile);
    db.pragma('user_version = 99');
    db.close();
    expect(() => getDatabase(dbFile)).toThrow(/schema 99, newer than this code's 3/);
  });
});
