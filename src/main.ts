import { startProduct } from './app';
import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

const logger = createLogger();

/** `npm start`: the embedded Temporal server (unless TEMPORAL_ADDRESS is set), a worker, and MCP over HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime(process.env, { logger });
  const product = await startProduct(config, { worker: true, http: true, logger });
  onShutdownSignal(() => product.close(), { timeoutMs, logger });
  for (const warning of product.warnings) logger.warn({ event: 'startup.warning' }, warning);
  const ui = product.temporalUiUrl ? `, Temporal UI at ${product.temporalUiUrl}` : '';
  process.stdout.write(`Ready: MCP server at ${product.mcpUrl}${ui} (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  logger.fatal({ event: 'startup.failed', err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
