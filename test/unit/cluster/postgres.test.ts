import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startPostgres, stopPostgres, type RunningPostgres } from '../../../src/cluster/postgres';
import { freePort } from '../../helpers/ports';

/** A PostgreSQL instance of this file's own (the run's shared one is left alone). */
describe('startPostgres', () => {
  let dir: string;
  let running: RunningPostgres | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'postgres-module-'));
  });
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (url: string, sql: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<Record<string, unknown>>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('initialises a data directory, serves its databases on loopback with a password, and keeps them across a restart', async () => {
    const port = await freePort();
    running = await startPostgres({ dataDir: dir, port, databases: ['memory', 'other'], durable: false });
    expect(running.url).toMatch(new RegExp(`^postgresql://postgres:[0-9a-f]{48}@127\\.0\\.0\\.1:${port}/memory$`));
    expect(await query(running.url, 'SELECT current_database() AS db')).toEqual([{ db: 'memory' }]);
    expect(await query(running.urlFor('other'), 'SELECT current_database() AS db')).toEqual([{ db: 'other' }]);
    const settings = await query(
      running.url,
      "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories') ORDER BY name",
    );
    expect(settings).toEqual([
      { name: 'listen_addresses', setting: '127.0.0.1' },
      { name: 'unix_socket_directories', setting: dir },
    ]);
    // The data directory stays private to the server's user.
    expect(statSync(dir).mode & 0o077).toBe(0);
    await expect(query(running.url.replace(/:[0-9a-f]{48}@/, ':wrong@'), 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );

    await query(running.url, 'CREATE TABLE kept (n integer); INSERT INTO kept VALUES (7)');
    const url = running.url;
    await running.stop();
    await expect(query(url, 'SELECT 1')).rejects.toThrow();
    running = await startPostgres({ dataDir: dir, port, databases: ['memory'], durable: false });
    expect(running.url).toBe(url);
    expect(await query(running.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
  });

  it('reuses the instance already running from the directory, and refuses to move it to another port', async () => {
    const again = await startPostgres({ dataDir: dir, port: running!.port, durable: false });
    expect(again.urlFor('memory')).toBe(running!.url);
    const elsewhere = await freePort();
    await expect(startPostgres({ dataDir: dir, port: elsewhere })).rejects.toThrow(
      `PostgreSQL is already running from ${dir} on port ${running!.port}, not ${elsewhere}`,
    );
  });

  it('as root, says which parent keeps the postgres user from its data directory; otherwise runs there', async () => {
    const privateParent = path.join(dir, '..', `${path.basename(dir)}-private`);
    mkdirSync(privateParent, { mode: 0o700 });
    const start = () => startPostgres({ dataDir: path.join(privateParent, 'data'), port: 0, durable: false });
    try {
      if (process.getuid?.() === 0) {
        await expect(start()).rejects.toThrow(
          `${privateParent} is not searchable by others (chmod o+x ${privateParent})`,
        );
      } else {
        // The server runs as this user, who owns the parent.
        const own = await startPostgres({
          dataDir: path.join(privateParent, 'data'),
          port: await freePort(),
          durable: false,
        });
        await own.stop();
      }
    } finally {
      rmSync(privateParent, { recursive: true, force: true });
    }
  });

  it('stops nothing when no server runs from the directory', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'postgres-none-'));
    try {
      await expect(stopPostgres(empty)).resolves.toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
