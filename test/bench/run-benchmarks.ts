/**
 * `npm run bench`: the figures of docs/performance.md. Each figure is printed beside a baseline
 * measured in the same run on the same machine: the raw Temporal client and the MCP SDK's in-memory
 * task store for the task engine, a plain line read for the activities. `BENCH_SCALE` (default 1)
 * multiplies the counts; `TEMPORAL_ADDRESS` measures against that cluster instead of the embedded
 * dev server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { installRuntime } from '../../src/runtime';
import { benchDatasets, benchMemoryImport } from './dataset-bench';
import { benchTasks } from './task-bench';

async function main(): Promise<void> {
  installRuntime({ LOG_LEVEL: 'WARN' });
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`BENCH_SCALE must be a positive number, got ${process.env.BENCH_SCALE}`);
  const only = process.env.BENCH_ONLY;
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-bench-'));
  console.log(
    `# benchmarks (${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, scale ${scale})`,
  );
  try {
    if (!only || only === 'tasks' || only === 'latency') {
      const config = loadConfig({
        ...pick(process.env, ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS']),
        DATA_DIR: dir,
        MCP_PORT: '0',
        TEMPORAL_PORT: process.env.BENCH_TEMPORAL_PORT ?? '17433',
        TEMPORAL_UI_PORT: process.env.BENCH_TEMPORAL_UI_PORT ?? '17434',
        TASK_QUEUE: `bench-${Date.now()}`,
        AUDIT_LOG: 'off',
        TASK_MAX_RUNNING_PER_OWNER: String(2000 * scale),
        TASK_MAX_RUNNING: String(10_000 * scale),
        TASK_CREATE_RATE_PER_MINUTE: '10000000',
        TASK_REQUEST_RATE_PER_MINUTE: '10000000',
      });
      await benchTasks({ config, scale, latencyOnly: only === 'latency' });
    }
    if (!only || only === 'activities') {
      await benchDatasets(dir);
      await benchMemoryImport(dir);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pick(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
