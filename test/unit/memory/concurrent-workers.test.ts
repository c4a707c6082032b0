import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import {
  createMemoryActivities,
  IMPORT_BATCH_LINES,
  type MemoryActivities,
  type MemoryStore,
} from '../../../activities/memory';
import { openDatabase } from '../../../activities/memory/database';
import { PostgresMemoryStore } from '../../../activities/memory/postgres-memory-store';
import { SqliteMemoryStore } from '../../../activities/memory/sqlite-memory-store';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import { makeEnv, MEMORY_STORES, type StoreKind } from './helpers';

/**
 * Two workers, each with connections of its own (as two processes, or two hosts, would have), import
 * the same file and purge on one memory at the same time, while a third connection keeps reading. Every
 * record of batch k carries the tag `batch-k`, so a half-applied batch would show as a tag count other
 * than 0 or a whole batch.
 */
const BATCHES = 4;
const LINES = BATCHES * IMPORT_BATCH_LINES;

interface Observation {
  perBatch: Map<string, number>;
  total: number;
  distinctIds: number;
}

/** Two stores on one database, and a reader that sees one committed state per call. */
interface Backend {
  stores: [MemoryStore, MemoryStore];
  observe(): Promise<Observation>;
  close(): Promise<void>;
}

const OBSERVE = {
  tags: 'SELECT tag, CAST(COUNT(*) AS INTEGER) AS n FROM decision_tags GROUP BY tag',
  totals: 'SELECT CAST(COUNT(*) AS INTEGER) AS n, CAST(COUNT(DISTINCT external_id) AS INTEGER) AS ids FROM decisions',
};

function observation(tags: { tag: string; n: number }[], totals: { n: number; ids: number }): Observation {
  return { perBatch: new Map(tags.map((row) => [row.tag, row.n])), total: totals.n, distinctIds: totals.ids };
}

async function openBackend(kind: StoreKind, dir: string): Promise<Backend> {
  if (kind === 'sqlite') {
    const file = path.join(dir, 'memory.db');
    const connections = [openDatabase(file), openDatabase(file)];
    const reader = new Database(file, { readonly: true });
    return {
      stores: [new SqliteMemoryStore(connections[0]!), new SqliteMemoryStore(connections[1]!)],
      // One read transaction: both statements see the same snapshot of the WAL.
      observe: async () =>
        reader.transaction(() =>
          observation(
            reader.prepare(OBSERVE.tags).all() as { tag: string; n: number }[],
            reader.prepare(OBSERVE.totals).get() as { n: number; ids: number },
          ),
        )(),
      close: async () => {
        for (const db of [...connections, reader]) db.close();
      },
    };
  }
  const schema = `memory_concurrency_${process.pid}`;
  const base = process.env.TEST_DATABASE_URL!;
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const reader = new Client({ connectionString: url });
  await reader.connect();
  const stores: [PostgresMemoryStore, PostgresMemoryStore] = [
    new PostgresMemoryStore(url, { poolSize: 3 }),
    new PostgresMemoryStore(url, { poolSize: 3 }),
  ];
  return {
    stores,
    observe: async () => {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      try {
        const tags = (await reader.query<{ tag: string; n: number }>(OBSERVE.tags)).rows;
        const totals = (await reader.query<{ n: number; ids: number }>(OBSERVE.totals)).rows[0]!;
        return observation(tags, totals);
      } finally {
        await reader.query('COMMIT');
      }
    },
    close: async () => {
      await Promise.all(stores.map((store) => store.close()));
      await reader.end();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

describe.each(MEMORY_STORES)('two workers on one %s memory', (kind) => {
  let dir: string;
  let backend: Backend;
  let workers: [MemoryActivities, MemoryActivities];

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
    backend = await openBackend(kind, dir);
    const worker = (store: MemoryStore) =>
      createMemoryActivities({
        dbFile: path.join(dir, 'unused.db'),
        store,
        exportsDir: path.join(dir, 'exports'),
        datasetRoots: [dir],
        urlSources: NO_URL_SOURCES,
        observer: { onCancelled: () => undefined },
        purgeBatchRows: IMPORT_BATCH_LINES,
      });
    workers = [worker(backend.stores[0]), worker(backend.stores[1])];
  });

  afterAll(async () => {
    await backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('import the same identities and purge concurrently, and no reader ever sees part of a batch', async () => {
    const [a, b] = workers;
    // Creates the schema before the race, so that every worker starts on the same tables.
    await makeEnv().run(a.getRecentDecisions, { limit: 1 });
    const seen: Observation[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        seen.push(await backend.observe());
        await new Promise(setImmediate);
      }
    })();

    const purge = async () => {
      // Wait until batch 1 is there, then delete it while the imports go on.
      while ((await backend.observe()).perBatch.get('batch-1') !== IMPORT_BATCH_LINES) {
        await new Promise(setImmediate);
      }
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

    expect(seen.length).toBeGreaterThan(5);
    for (const { perBatch, total, distinctIds } of seen) {
      for (const [tag, n] of perBatch) {
        expect(`${tag}: ${n}`).toMatch(new RegExp(`^batch-\\d: (0|${IMPORT_BATCH_LINES})$`));
      }
      expect(total).toBe([...perBatch.values()].reduce((sum, n) => sum + n, 0));
      expect(distinctIds).toBe(total);
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

    // A last import restores whatever the purge took, and the store holds every record exactly once.
    const before = await backend.observe();
    const last = await makeEnv().run(a.importDecisions, { source: 'shared.jsonl' });
    expect(last.imported).toBe(LINES - before.total);
    const final = await backend.observe();
    expect(final.total).toBe(LINES);
    for (let k = 0; k < BATCHES; k++) expect(final.perBatch.get(`batch-${k}`)).toBe(IMPORT_BATCH_LINES);
  });
});
