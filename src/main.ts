import { startProduct } from './app';
import { loadConfig } from './config';
import { installRuntime } from './runtime';
import { onShutdownSignal, shutdownTimeoutMs } from './shutdown';

/** `npm start`: the embedded Temporal server (unless TEMPORAL_ADDRESS is set), a worker, and MCP over HTTP. */
async function main(): Promise<void> {
  const config = loadConfig();
  const timeoutMs = shutdownTimeoutMs();
  installRuntime();
  const product = await startProduct(config, { worker: true, http: true });
  onShutdownSignal(() => product.close(), { timeoutMs });
  for (const warning of product.warnings) process.stderr.write(`${warning}\n`);
  const ui = product.temporalUiUrl ? `, Temporal UI at ${product.temporalUiUrl}` : '';
  process.stdout.write(`Ready: MCP server at ${product.mcpUrl}${ui} (Temporal ${product.temporal.address})\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
