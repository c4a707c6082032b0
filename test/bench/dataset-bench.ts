/** The activities' own throughput: each beside a plain single-pass line read of the same file. */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAnalyzeDataset, type DatasetAnalysis } from '../../activities/dataset/analyze-dataset';
import { closeMemoryDatabases, createMemoryActivities } from '../../activities/memory';
import { NO_URL_SOURCES } from '../../activities/common/url-policy';
import { writeGeneratedLines } from '../helpers/generate-files';
import { mb } from './stats';

const silentObserver = { onCancelled: () => undefined };

export function writeCsv(file: string, rows: number): Promise<void> {
  return writeGeneratedLines(
    file,
    rows,
    (i) => `${i},${(i % 1000) / 10},c${i % 7},${(i * 7919) % 101},${i % 13 === 0 ? '' : `n${i % 50}`}`,
    'id,amount,category,score,note',
  );
}

export function writeJsonl(file: string, rows: number): Promise<void> {
  return writeGeneratedLines(file, rows, (i) =>
    JSON.stringify({
      id: i,
      amount: (i % 1000) / 10,
      category: `c${i % 7}`,
      score: (i * 7919) % 101,
      note: i % 13 === 0 ? null : `n${i % 50}`,
    }),
  );
}

/** Baseline: reading the same file line by line and doing nothing else. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const _line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) lines++;
  return lines;
}

/** Runs `fn`, sampling heap use every 20 ms; `peakHeap` is the most it grew above the start. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; peakHeap: number }> {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 20);
  const start = performance.now();
  try {
    const value = await fn();
    return { value, ms: performance.now() - start, peakHeap: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

/** How many times each file is read and analysed, taking turns; the rows show the median of each. */
const DATASET_TURNS = 3;

/** The median time of `runs` and the most the heap grew in any of them. */
function medianRun<T>(runs: Array<{ value: T; ms: number; peakHeap: number }>): {
  value: T;
  ms: number;
  peakHeap: number;
} {
  const byTime = [...runs].sort((a, b) => a.ms - b.ms);
  const median = byTime[Math.floor(byTime.length / 2)]!;
  return { ...median, peakHeap: Math.max(...runs.map((run) => run.peakHeap)) };
}

export async function benchDatasets(dir: string): Promise<void> {
  console.log(
    `\n## analyze_dataset activity (one pass, checkpoint every second; median of ${DATASET_TURNS} turns each)`,
  );
  console.log('| input | rows | baseline: read lines | analyse | rows/s | vs baseline | peak heap growth |');
  console.log('|---|---|---|---|---|---|---|');
  const analyse = createAnalyzeDataset({ datasetRoots: [dir], urlSources: NO_URL_SOURCES, observer: silentObserver });
  const cases: [string, number, (file: string, rows: number) => Promise<void>][] = [
    ['csv', 250_000, writeCsv],
    ['csv', 1_000_000, writeCsv],
    ['csv', 3_000_000, writeCsv],
    ['jsonl', 1_000_000, writeJsonl],
  ];
  for (const [format, rows, write] of cases) {
    const file = path.join(dir, `bench-${rows}.${format}`);
    await write(file, rows);
    // Taking turns, so that the disk's writing back of the new file, or any other drift, weighs on both.
    const baselines = [];
    const runs = [];
    for (let turn = 0; turn < DATASET_TURNS; turn++) {
      baselines.push(await timed(() => countLines(file)));
      const run = await timed<DatasetAnalysis>(() =>
        new MockActivityEnvironment().run(analyse, { source: path.basename(file) }),
      );
      if (run.value.report.rows !== rows) throw new Error(`expected ${rows} rows, got ${run.value.report.rows}`);
      runs.push(run);
    }
    const baseline = medianRun(baselines);
    const run = medianRun(runs);
    console.log(
      `| ${format} | ${rows.toLocaleString('en')} | ${baseline.ms.toFixed(0)} ms | ${run.ms.toFixed(0)} ms | ` +
        `${Math.round(rows / (run.ms / 1000)).toLocaleString('en')} | ${(run.ms / baseline.ms).toFixed(2)}× | ${mb(run.peakHeap)} |`,
    );
    rmSync(file);
  }
}

export async function benchMemoryImport(dir: string): Promise<void> {
  console.log('\n## import_decisions activity (SQLite, batches of 1000 in one transaction each)');
  console.log('| lines | baseline: read lines | first import | lines/s | re-import (no change) | peak heap growth |');
  console.log('|---|---|---|---|---|---|');
  const memory = createMemoryActivities({
    dbFile: path.join(dir, 'bench-memory.db'),
    exportsDir: path.join(dir, 'exports'),
    datasetRoots: [dir],
    urlSources: NO_URL_SOURCES,
    observer: silentObserver,
  });
  const lines = 200_000;
  const file = path.join(dir, 'bench-history.jsonl');
  await writeGeneratedLines(file, lines, (i) =>
    JSON.stringify({ id: `d${i}`, title: `Decision ${i}`, decision: `Chose option ${i % 7}`, tags: [`t${i % 11}`] }),
  );
  const baseline = await timed(() => countLines(file));
  // A fresh workflow identity per run: an import is keyed by its execution.
  const env = (run: string) =>
    new MockActivityEnvironment({ workflowExecution: { workflowId: `bench-${run}`, runId: run }, activityId: run });
  const first = await timed(() => env('first').run(memory.importDecisions, { source: path.basename(file) }));
  const again = await timed(() => env('again').run(memory.importDecisions, { source: path.basename(file) }));
  console.log(
    `| ${lines.toLocaleString('en')} | ${baseline.ms.toFixed(0)} ms | ${first.ms.toFixed(0)} ms | ` +
      `${Math.round(lines / (first.ms / 1000)).toLocaleString('en')} | ${again.ms.toFixed(0)} ms | ${mb(Math.max(first.peakHeap, again.peakHeap))} |`,
  );
  closeMemoryDatabases();
}
