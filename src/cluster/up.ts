import { readyLine, upCluster } from './cluster';
import { loadClusterSettings } from './settings';

/**
 * `npm run cluster:up`: the production topology on loopback (PostgreSQL, a Temporal server built from
 * its Go module, two MCP replicas, two workers), detached. Prints one `Ready:` line when everything
 * answers; on a cluster that already runs, says so and exits 0.
 */
async function main(): Promise<void> {
  const settings = loadClusterSettings();
  const say = (line: string): void => void process.stderr.write(`cluster: ${line}\n`);
  const started = Date.now();
  const { endpoints, alreadyRunning } = await upCluster(settings, say);
  if (alreadyRunning) {
    process.stdout.write(`Already running: ${readyLine(endpoints).slice('Ready: '.length)}\n`);
    return;
  }
  say(`up in ${((Date.now() - started) / 1000).toFixed(1)} s; logs and pid files in ${settings.clusterDir}`);
  process.stdout.write(`${readyLine(endpoints)}\n`);
}

main().catch((err) => {
  process.stderr.write(`cluster:up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
