/**
 * `npm run bench`: prints throughput, latency and memory figures. Each figure is printed beside a
 * baseline measured in the same run on the same machine, so the numbers can be compared across runs.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createAnalyzeDataset, type DatasetAnalysis } from '../../activities/dataset/analyze-dataset';
import { closeMemoryDatabases, createMemoryActivities } from '../../activities/memory';
import { NO_URL_SOURCES } from '../../activities/common/url-policy';
import { startProduct } from '../../src/app';
import { loadConfig } from '../../src/config';
import { installRuntime } from '../../src/runtime';
import { writeGeneratedLines } from '../helpers/generate-files';

const silentObserver = { onCancelled: () => undefined };

function writeCsv(file: string, rows: number): Promise<void> {
  return writeGeneratedLines(
    file,
    rows,
    (i) => `${i},${(i % 1000) / 10},c${i % 7},${(i * 7919) % 101},${i % 13 === 0 ? '' : `n${i % 50}`}`,
    'id,amount,category,score,note',
  );
}

function writeJsonl(file: string, rows: number): Promise<void> {
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

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
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

async function benchDatasets(dir: string): Promise<void> {
  console.log('\n## analyze_dataset activity (one pass, checkpoint every second)');
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
    const baseline = await timed(() => countLines(file));
    const run = await timed<DatasetAnalysis>(() =>
      new MockActivityEnvironment().run(analyse, { source: path.basename(file) }),
    );
    if (run.value.report.rows !== rows) throw new Error(`expected ${rows} rows, got ${run.value.report.rows}`);
    console.log(
      `| ${format} | ${rows.toLocaleString('en')} | ${baseline.ms.toFixed(0)} ms | ${run.ms.toFixed(0)} ms | ` +
        `${Math.round(rows / (run.ms / 1000)).toLocaleString('en')} | ${(run.ms / baseline.ms).toFixed(2)}× | ${mb(run.peakHeap)} |`,
    );
    rmSync(file);
  }
}

async function benchMemoryImport(dir: string): Promise<void> {
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

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function benchTasks(dir: string): Promise<void> {
  const config = loadConfig({
    DATA_DIR: dir,
    MCP_PORT: '0',
    TEMPORAL_PORT: process.env.BENCH_TEMPORAL_PORT ?? '17433',
    TEMPORAL_UI_PORT: process.env.BENCH_TEMPORAL_UI_PORT ?? '17434',
    TASK_POLL_INTERVAL_MS: '100',
    TASK_MAX_RUNNING_PER_OWNER: '1000',
    AUDIT_LOG: 'off',
  });
  const product = await startProduct(config, { worker: true, http: true });
  const transport = new StreamableHTTPClientTransport(new URL(product.mcpUrl!));
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  try {
    const n = 50;
    // Warm-up: connections, the worker's caches and the JIT, so that the first measured call is typical.
    for (let i = 0; i < 10; i++) {
      const { task } = await client.request(
        {
          method: 'tools/call',
          params: { name: 'long_running_operation', arguments: { duration: 0, steps: 1 }, task: {} },
        },
        CreateTaskResultSchema,
      );
      await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema);
    }
    const baselineStart: number[] = [];
    const baselineDescribe: number[] = [];
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      const handle = await product.client.workflow.start('longRunningOperationWorkflow', {
        taskQueue: config.taskQueue,
        workflowId: `bench-baseline-${Date.now()}-${i}`,
        args: [{ arguments: { duration: 0, steps: 1 } }],
      });
      baselineStart.push(performance.now() - t);
      t = performance.now();
      await handle.describe();
      baselineDescribe.push(performance.now() - t);
    }
    const create: number[] = [];
    const get: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const { task } = await client.request(
        {
          method: 'tools/call',
          params: { name: 'long_running_operation', arguments: { duration: 0, steps: 1 }, task: {} },
        },
        CreateTaskResultSchema,
      );
      create.push(performance.now() - t0);
      const t1 = performance.now();
      await client.request({ method: 'tasks/get', params: { taskId: task.taskId } }, GetTaskResultSchema);
      get.push(performance.now() - t1);
      await client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema);
      endToEnd.push(performance.now() - t0);
    }
    const closedGet: number[] = [];
    const { tasks } = await client.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    for (const task of tasks) {
      const t = performance.now();
      await client.request({ method: 'tasks/get', params: { taskId: task.taskId } }, GetTaskResultSchema);
      closedGet.push(performance.now() - t);
    }
    const row = (label: string, values: number[]): void =>
      console.log(
        `| ${label} | ${values.length} | ${percentile(values, 50).toFixed(1)} ms | ${percentile(values, 95).toFixed(1)} ms |`,
      );
    console.log('\n## task engine over Streamable HTTP (embedded Temporal dev server, one client, sequential)');
    console.log('| operation | n | p50 | p95 |');
    console.log('|---|---|---|---|');
    row('baseline: Temporal client workflow.start', baselineStart);
    row('baseline: Temporal client describe', baselineDescribe);
    row('tools/call with task (CreateTaskResult)', create);
    row('tasks/get of a running task', get);
    row('tasks/get of a completed task', closedGet);
    row('create → tasks/result (0 s task)', endToEnd);
  } finally {
    await client.close();
    await product.close();
  }
}

async function main(): Promise<void> {
  installRuntime({ LOG_LEVEL: 'WARN' });
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-bench-'));
  console.log(`# benchmarks (${new Date().toISOString()}, node ${process.version})`);
  try {
    await benchDatasets(dir);
    await benchMemoryImport(dir);
    await benchTasks(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
