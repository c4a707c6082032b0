import { downCluster, missingComponents, upCluster } from '../../src/cluster/cluster';
import { loadClusterSettings } from '../../src/cluster/settings';
import { runChaos } from './chaos';
import { parseChaosOptions } from './options';
import { formatReport } from './report';

/**
 * `npm run chaos`: a chaos run against the cluster of `npm run cluster:up` (started here, and stopped
 * at the end, when it is not running). Prints the table; exits 1 when the run misses the bar.
 */
async function main(): Promise<void> {
  const options = parseChaosOptions(process.argv.slice(2), process.env);
  const settings = loadClusterSettings();
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const startedCluster = missingComponents(settings).length === 6;
  if (missingComponents(settings).length > 0) await upCluster(settings, (line) => say(`cluster: ${line}`));
  try {
    const report = await runChaos(options, settings, say);
    process.stdout.write(`${formatReport(report)}\n`);
    process.exitCode = report.verdict.length === 0 ? 0 : 1;
  } finally {
    if (startedCluster) await downCluster(settings, { purge: false }, (line) => say(`cluster: ${line}`));
  }
}

main().catch((err) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
