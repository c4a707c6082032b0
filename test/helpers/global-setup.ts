import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer, type RunningDevServer } from '../../src/temporal/dev-server';
import { freePort } from './ports';

declare global {
  var __TEMPORAL_DEV_SERVER__: RunningDevServer | undefined;
}

/**
 * Starts one real Temporal dev server for the whole test run (on a free port, a fresh database) and
 * publishes its address as TEST_TEMPORAL_ADDRESS. Tests that restart a server start their own.
 * The Temporal runtime's log (worker states, workflow bundling) goes to TEST_TEMPORAL_LOG, a file
 * named once here, so that the console shows only jest's own report.
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-test-'));
  process.env.TEST_TEMPORAL_LOG = path.join(dir, 'temporal.log');
  process.stderr.write(`\nTemporal log of this run: ${process.env.TEST_TEMPORAL_LOG}\n`);
  const server = await startDevServer({
    cliPath: findTemporalCli(),
    dbFile: path.join(dir, 'temporal.db'),
    grpcPort: await freePort(),
    namespace: 'default',
  });
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_TMP_ROOT = dir;
}
