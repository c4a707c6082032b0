import { startProduct } from './app';
import { loadConfig } from './config';
import { createLogger } from './ops/logger';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

const logger = createLogger();

/** `npm run start:worker`: a Temporal worker only, for scaling out; needs TEMPORAL_ADDRESS. */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime(process.env, { logger });
  if (config.temporal.kind !== 'external') throw new Error('The worker entry point needs TEMPORAL_ADDRESS');
  const product = await startProduct(config, { worker: true, http: false, logger });
  onShutdownSignal(() => product.close(), { timeoutMs, logger });
  const health = product.healthUrl ? `, health at ${product.healthUrl}` : '';
  process.stdout.write(
    `Ready: worker on task queue ${config.taskQueue}${health} (Temporal ${product.temporal.address})\n`,
  );
}

main().catch((err) => {
  logger.fatal({ event: 'startup.failed', err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
