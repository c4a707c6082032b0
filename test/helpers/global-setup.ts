import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startPostgres, stopPostgresOnExit, type RunningPostgres } from '../../src/cluster/postgres';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { freePort } from './ports';

declare global {
  var __TEMPORAL_DEV_SERVER__: RunningDevServer | undefined;
  var __POSTGRES__: RunningPostgres | undefined;
}

/**
 * Starts one real Temporal dev server for the whole test run (on a free port, a fresh database) and
 * publishes its address as TEST_TEMPORAL_ADDRESS; and, alongside it, one PostgreSQL 15 (a fresh data
 * directory, no fsync) whose database for the memory tests is TEST_DATABASE_URL. Tests that restart a
 * server start their own.
 * The Temporal runtime's log (worker states, workflow bundling) goes to TEST_TEMPORAL_LOG, a file
 * named once here, so that the console shows only jest's own report.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-test-'));
  process.env.TEST_TEMPORAL_LOG = path.join(dir, 'temporal.log');
  process.stderr.write(`\nTemporal log of this run: ${process.env.TEST_TEMPORAL_LOG}\n`);
  // Its own directory: PostgreSQL runs as another user when we are root, and the run's one is private.
  const postgresDir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-test-postgres-'));
  // Teardown stops it; this covers a run that ends without its teardown.
  stopPostgresOnExit(postgresDir);
  const [server, postgres] = await Promise.all([
    startDevServer({
      cliPath: findTemporalCli(),
      dbFile: path.join(dir, 'temporal.db'),
      grpcPort: await freePort(),
      namespace: 'default',
    }),
    startPostgres({ dataDir: postgresDir, port: await freePort(), databases: ['mcp_memory_test'], durable: false }),
  ]);
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  globalThis.__POSTGRES__ = postgres;
  process.env.TEST_DATABASE_URL = postgres.url;
  process.env.TEST_POSTGRES_DIR = postgresDir;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_TMP_ROOT = dir;
}
