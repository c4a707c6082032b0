import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createMemoryActivities, IMPORT_BATCH_LINES, type MemoryActivities } from '../../../activities/memory';
import { PostgresMemoryStore } from '../../../activities/memory/postgres-memory-store';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import { makeEnv } from './helpers';

/**
 * Two workers (each its own connection pool, as two hosts would have) import the same file and purge
 * on one PostgreSQL database at the same time, while a third connection keeps reading. Every record
 * of batch k carries the tag `batch-k`, so a half-applied batch would show as a tag count other than
 * 0 or a whole batch.
 */
const BATCHES = 4;
const LINES = BATCHES * IMPORT_BATCH_LINES;

const schema = `memory_concurrency_${process.pid}`;
const base = process.env.TEST_DATABASE_URL!;
const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
let dir: string;
let admin: Client;
let stores: PostgresMemoryStore[];
let workers: MemoryActivities[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-concurrency-'));
  const lines = Array.from({ length: LINES }, (_, i) =>
    JSON.stringify({
      id: `r${i}`,
      title: `Record ${i}`,
      decision: `Decision ${i}`,
      tags: [`batch-${Math.floor(i / IMPORT_BATCH_LINES)}`],
      createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    }),
  );
  fs.writeFileSync(path.join(dir, 'shared.jsonl'), lines.join('\n'));
  admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  stores = [new PostgresMemoryStore(url, { poolSize: 3 }), new PostgresMemoryStore(url, { poolSize: 3 })];
  workers = stores.map((store) =>
    createMemoryActivities({
      dbFile: path.join(dir, 'unused.db'),
      store,
      exportsDir: path.join(dir, 'exports'),
      datasetRoots: [dir],
      urlSources: NO_URL_SOURCES,
      observer: { onCancelled: () => undefined },
      purgeBatchRows: IMPORT_BATCH_LINES,
    }),
  );
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One consistent look at the table: decisions per batch tag, and all decisions. */
async function observe(reader: Client): Promise<{ perBatch: Map<string, number>; total: number }> {
  await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    const { rows } = await reader.query<{ tag: string; n: number }>(
      `SELECT tag, CAST(COUNT(*) AS INTEGER) AS n FROM ${schema}.decision_tags GROUP BY tag`,
    );
    const { rows: total } = await reader.query<{ n: number }>(
      `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM ${schema}.decisions`,
    );
    return { perBatch: new Map(rows.map((row) => [row.tag, row.n])), total: total[0]!.n };
  } finally {
    await reader.query('COMMIT');
  }
}

describe('two workers on one PostgreSQL memory', () => {
  it('import the same identities and purge concurrently, and no reader ever sees part of a batch', async () => {
    const [a, b] = workers as [MemoryActivities, MemoryActivities];
    // Creates the schema before the race, so that every worker starts on the same tables.
    await makeEnv().run(a.getRecentDecisions, { limit: 1 });
    const reader = new Client({ connectionString: base });
    await reader.connect();
    const seen: { perBatch: Map<string, number>; total: number }[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) seen.push(await observe(reader));
    })();

    const purge = async () => {
      // Wait until batch 1 is there, then delete it while the imports go on.
      while ((await observe(reader)).perBatch.get('batch-1') !== IMPORT_BATCH_LINES) await new Promise(setImmediate);
      const env = makeEnv();
      const counted = await env.run(b.countPurgeMatches, { tag: 'batch-1' });
      const purged = await env.run(b.purgeDecisions, { tag: 'batch-1', maxId: counted.maxId });
      return { counted, purged };
    };
    const [fromA, fromB, { counted, purged }] = await Promise.all([
      makeEnv().run(a.importDecisions, { source: 'shared.jsonl' }),
      makeEnv().run(b.importDecisions, { source: 'shared.jsonl' }),
      purge(),
    ]).finally(() => (done = true));
    await watching;
    await reader.end();

    expect(seen.length).toBeGreaterThan(5);
    for (const { perBatch, total } of seen) {
      for (const [tag, n] of perBatch)
        expect(`${tag}: ${n}`).toMatch(new RegExp(`^batch-\\d: (0|${IMPORT_BATCH_LINES})$`));
      expect(total).toBe([...perBatch.values()].reduce((sum, n) => sum + n, 0));
    }
    // The purge deleted exactly what it counted: the whole batch.
    expect(counted.count).toBe(IMPORT_BATCH_LINES);
    expect(purged).toEqual({ deleted: IMPORT_BATCH_LINES });
    // Each import accounted for every record once; together they stored each identity once (the
    // purged batch possibly twice: once before the purge, once after it).
    for (const summary of [fromA, fromB]) {
      expect(summary.imported + summary.updated + summary.unchanged).toBe(LINES);
      expect(summary.invalidCount).toBe(0);
    }
    expect(fromA.imported + fromB.imported).toBeGreaterThanOrEqual(LINES);
    expect(fromA.imported + fromB.imported).toBeLessThanOrEqual(LINES + IMPORT_BATCH_LINES);
    const { rows } = await admin.query<{ ids: number; rows: number }>(
      `SELECT CAST(COUNT(DISTINCT external_id) AS INTEGER) AS ids, CAST(COUNT(*) AS INTEGER) AS rows FROM ${schema}.decisions`,
    );
    expect(rows[0]!.ids).toBe(rows[0]!.rows);

    // A last import restores whatever the purge took, and the store holds every record exactly once.
    const last = await makeEnv().run(a.importDecisions, { source: 'shared.jsonl' });
    expect(last.imported).toBe(LINES - rows[0]!.rows);
    const final = await observe(admin);
    expect(final.total).toBe(LINES);
    for (let k = 0; k < BATCHES; k++) expect(final.perBatch.get(`batch-${k}`)).toBe(IMPORT_BATCH_LINES);
  });
});
