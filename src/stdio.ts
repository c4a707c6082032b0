import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { startProduct } from './app';
import { loadConfig } from './config';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

/**
 * `npm run start:stdio`: MCP over stdio for desktop clients, every task owned by `MCP_STDIO_SCOPE`.
 * With TEMPORAL_ADDRESS it only connects; without, it runs the embedded server and a worker itself.
 * Only MCP messages go to stdout.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime();
  const embedded = config.temporal.kind === 'embedded';
  const product = await startProduct(config, { worker: embedded, http: false });
  // The local scope outlives any one process: watch its running tasks for notifications at once.
  const server = product.createMcpServerFor({ scope: `local:${config.stdioScope}` }, { resumed: true });
  const stop = async (): Promise<void> => {
    await server.close();
    await product.close();
  };
  const shutdown = onShutdownSignal(stop, { timeoutMs });
  process.stdin.once('end', () => shutdown('stdin closed'));
  await server.connect(new StdioServerTransport());
  process.stderr.write(`Ready: MCP over stdio (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
