import { parseEndpoints, runClusterScript } from './cluster-process';

declare global {
  var __CLUSTER_STARTED_BY_TESTS__: boolean | undefined;
}

/**
 * Starts the cluster with `cluster:up` (or finds it running) and publishes its endpoints as
 * CLUSTER_MCP_URLS and CLUSTER_TEMPORAL_ADDRESS. The teardown stops it only if this run started it.
 */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const up = await runClusterScript('up');
  if (up.code !== 0) {
    // Jest runs no teardown after a failed setup: stop whatever part of the cluster did start.
    await runClusterScript('down');
    throw new Error(`cluster:up failed (exit ${up.code}):\n${up.stderr}`);
  }
  const { mcpUrls, temporalAddress } = parseEndpoints(up.stdout);
  globalThis.__CLUSTER_STARTED_BY_TESTS__ = up.stdout.startsWith('Ready:');
  process.env.CLUSTER_MCP_URLS = mcpUrls.join(',');
  process.env.CLUSTER_TEMPORAL_ADDRESS = temporalAddress;
  process.stderr.write(`\n${up.stdout.trim()} (cluster:up took ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
