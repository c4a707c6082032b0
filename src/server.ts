import { startProduct } from './app';
import { loadConfig } from './config';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

/** `npm run start:server`: the MCP HTTP server only, for scaling out; needs TEMPORAL_ADDRESS. */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime();
  if (config.temporal.kind !== 'external') throw new Error('The server entry point needs TEMPORAL_ADDRESS');
  const product = await startProduct(config, { worker: false, http: true });
  onShutdownSignal(() => product.close(), { timeoutMs });
  for (const warning of product.warnings) process.stderr.write(`${warning}\n`);
  process.stdout.write(`Ready: MCP server at ${product.mcpUrl} (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
