import { runChaos } from '../chaos/chaos';
import { COMPONENT_KINDS } from '../chaos/killer';
import { parseChaosOptions } from '../chaos/options';
import { formatReport } from '../chaos/report';
import { loadClusterSettings } from '../../src/cluster/settings';
import { missingComponents } from '../../src/cluster/cluster';

/**
 * The short chaos run of `npm run chaos` (200 tasks, 20 kills by default; CHAOS_* variables change
 * it): a mixed load through both replicas while workers, replicas and the Temporal server are killed
 * with SIGKILL and restarted. The bar: nothing lost, nothing done twice, no task read by another
 * owner, every failure explained.
 */
const options = parseChaosOptions([], { CHAOS_TIME_LIMIT_SECONDS: '1200', ...process.env });
const settings = loadClusterSettings(process.env);

describe('the cluster under chaos', () => {
  it(
    `loses, duplicates and leaks nothing through ${options.kills} SIGKILLs of workers, replicas and the Temporal server`,
    async () => {
      const report = await runChaos(options, settings, (line) => void process.stderr.write(`${line}\n`));
      process.stderr.write(`\n${formatReport(report)}\n`);

      expect(report.totalCreated).toBeGreaterThanOrEqual(options.tasks);
      for (const kind of COMPONENT_KINDS) expect(report.kills.kills[kind]).toBeGreaterThanOrEqual(1);
      expect(COMPONENT_KINDS.reduce((sum, kind) => sum + report.kills.kills[kind], 0)).toBe(options.kills);
      expect(report.lost).toEqual([]);
      expect(report.memory.importedTwice).toBe(0);
      expect(report.memory.deletedTwice).toBe(0);
      expect(report.crossOwner.leaked).toEqual([]);
      expect(report.crossOwner.refused).toBeGreaterThan(0);
      expect(report.failures.filter((line) => line.why === undefined)).toEqual([]);
      expect([...report.wrongResults, ...report.memory.contradictions]).toEqual([]);
      expect(report.verdict).toEqual([]);
      // The run leaves every component of the cluster running for the tests after it.
      expect(missingComponents(settings)).toEqual([]);
    },
    options.timeLimitMs + 120_000,
  );
});
