import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { startProduct } from './app';
import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

const logger = createLogger();

/**
 * `npm run start:stdio`: MCP over stdio for desktop clients, every task owned by `MCP_STDIO_SCOPE`.
 * With TEMPORAL_ADDRESS it only connects; without, it runs the embedded server and a worker itself.
 * Only MCP messages go to stdout.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime(process.env, { logger });
  const embedded = config.temporal.kind === 'embedded';
  const product = await startProduct(config, { worker: embedded, http: false, logger });
  // The local scope outlives any one process: watch its running tasks for notifications at once.
  const server = product.createMcpServerFor({ scope: `local:${config.stdioScope}` }, { resumed: true });
  const stop = async (): Promise<void> => {
    await server.close();
    await product.close();
  };
  const shutdown = onShutdownSignal(stop, { timeoutMs, logger });
  process.stdin.once('end', () => shutdown('stdin closed'));
  await server.connect(new StdioServerTransport());
  process.stderr.write(`Ready: MCP over stdio (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  logger.fatal({ event: 'startup.failed', err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
