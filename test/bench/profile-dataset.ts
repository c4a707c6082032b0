/**
 * Runs the `analyze_dataset` activity alone on one generated file, for profiling:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/test/bench/profile-dataset.js [csv|jsonl] [rows] [runs]
 * The file is the one `npm run bench` generates; each run's time and rows/s are printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAnalyzeDataset, type DatasetAnalysis } from '../../activities/dataset/analyze-dataset';
import { NO_URL_SOURCES } from '../../activities/common/url-policy';
import { installRuntime } from '../../src/runtime';
import { writeCsv, writeJsonl } from './dataset-bench';

async function main(): Promise<void> {
  installRuntime({ LOG_LEVEL: 'WARN' });
  const format = process.argv[2] === 'jsonl' ? 'jsonl' : 'csv';
  const rows = Number(process.argv[3] ?? '1000000');
  const runs = Number(process.argv[4] ?? '3');
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-profile-'));
  try {
    const file = path.join(dir, `profile.${format}`);
    await (format === 'csv' ? writeCsv : writeJsonl)(file, rows);
    const analyse = createAnalyzeDataset({
      datasetRoots: [dir],
      urlSources: NO_URL_SOURCES,
      observer: { onCancelled: () => undefined },
    });
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      const result: DatasetAnalysis = await new MockActivityEnvironment().run(analyse, { source: path.basename(file) });
      const ms = performance.now() - start;
      if (result.report.rows !== rows) throw new Error(`expected ${rows} rows, got ${result.report.rows}`);
      console.log(
        `${format} ${rows} rows: ${ms.toFixed(0)} ms, ${Math.round(rows / (ms / 1000)).toLocaleString('en')} rows/s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
