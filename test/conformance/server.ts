import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startConformanceServer } from './conformance-server';

/**
 * The server the official conformance suite runs against (see conformance-server.ts). Listens on
 * 127.0.0.1:$MCP_PORT and prints its URL when ready.
 */
async function main(): Promise<void> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'mcp-conformance-')),
    MCP_SESSION_SECRET: 'conformance-secret-0123456789abcdef',
    AUDIT_LOG: 'off',
    TASK_POLL_INTERVAL_MS: '500',
    // The suite polls every 100-200 ms; a poll is never refused.
    TASK_CREATE_RATE_PER_MINUTE: '100000',
    TASK_REQUEST_RATE_PER_MINUTE: '100000',
    ...process.env,
    MCP_HOST: '127.0.0.1',
  });
  const server = await startConformanceServer(config);
  process.stdout.write(`${server.url}\n`);
  const stop = async (): Promise<void> => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
