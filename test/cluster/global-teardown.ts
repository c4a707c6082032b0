import { runClusterScript } from './cluster-process';

/** Stops the cluster if the global setup started it (its data stays, so the next run starts warm). */
export default async function globalTeardown(): Promise<void> {
  if (!globalThis.__CLUSTER_STARTED_BY_TESTS__) return;
  const down = await runClusterScript('down');
  if (down.code !== 0) throw new Error(`cluster:down failed (exit ${down.code}):\n${down.stderr}`);
}
