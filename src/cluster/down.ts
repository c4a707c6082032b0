import { downCluster } from './cluster';
import { loadClusterSettings } from './settings';

/**
 * `npm run cluster:down [-- --purge]`: stops every process of the cluster (SIGTERM, then SIGKILL after
 * CLUSTER_STOP_GRACE_SECONDS). Its data stays under DATA_DIR/cluster unless `--purge` is given.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== '--purge');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')} (the only option is --purge)`);
  const settings = loadClusterSettings();
  await downCluster(
    settings,
    { purge: args.includes('--purge') },
    (line) => void process.stderr.write(`cluster: ${line}\n`),
  );
  process.stdout.write(`Stopped${args.includes('--purge') ? ' and purged' : ''}: ${settings.clusterDir}\n`);
}

main().catch((err) => {
  process.stderr.write(`cluster:down failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
