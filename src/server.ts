import { startProduct } from './app';
import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

const logger = createLogger();

/** `npm run start:server`: the MCP HTTP server only, for scaling out; needs TEMPORAL_ADDRESS. */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime(process.env, { logger });
  if (config.temporal.kind !== 'external') throw new Error('The server entry point needs TEMPORAL_ADDRESS');
  const product = await startProduct(config, { worker: false, http: true, logger });
  onShutdownSignal(() => product.close(), { timeoutMs, logger });
  for (const warning of product.warnings) logger.warn({ event: 'startup.warning' }, warning);
  process.stdout.write(`Ready: MCP server at ${product.mcpUrl} (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  logger.fatal({ event: 'startup.failed', err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
