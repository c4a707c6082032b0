import { Client } from 'pg';
import { PostgresMemoryStore } from '../../../activities/memory/postgres-memory-store';
import { POSTGRES_SCHEMA_VERSION } from '../../../activities/memory/postgres-schema';

/** The PostgreSQL store's schema versioning (SQLite's migrations are in migration.test.ts). */
describe('the PostgreSQL memory schema', () => {
  const base = process.env.TEST_DATABASE_URL!;
  let admin: Client;
  let counter = 0;
  let schema: string;
  const urlOf = (name: string) => `${base}?options=${encodeURIComponent(`-c search_path=${name}`)}`;

  beforeAll(async () => {
    admin = new Client({ connectionString: base });
    await admin.connect();
  });
  afterAll(() => admin.end());
  beforeEach(async () => {
    counter += 1;
    schema = `memory_schema_${process.pid}_${counter}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
  });
  afterEach(() => admin.query(`DROP SCHEMA ${schema} CASCADE`));

  it('is created once by workers that start together', async () => {
    const stores = Array.from({ length: 4 }, () => new PostgresMemoryStore(urlOf(schema), { poolSize: 2 }));
    try {
      expect(await Promise.all(stores.map((store) => store.maxId()))).toEqual([0, 0, 0, 0]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
    const { rows } = await admin.query(`SELECT version FROM ${schema}.memory_schema`);
    expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
  });

  it('refuses a database written by a newer schema, and works once the schema matches', async () => {
    await admin.query(`CREATE TABLE ${schema}.memory_schema (version integer NOT NULL)`);
    await admin.query(`INSERT INTO ${schema}.memory_schema VALUES (99)`);
    const store = new PostgresMemoryStore(urlOf(schema), { poolSize: 1 });
    try {
      await expect(store.maxId()).rejects.toThrow(
        `memory database has schema 99, newer than this code's ${POSTGRES_SCHEMA_VERSION}`,
      );
      await admin.query(`DELETE FROM ${schema}.memory_schema`);
      expect(await store.maxId()).toBe(0);
    } finally {
      await store.close();
    }
  });
});
