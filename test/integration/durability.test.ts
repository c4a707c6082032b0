import path from 'node:path';
import { DATASET_RUN_META_KEY } from '../../common/meta-keys';
import type { RunningProduct } from '../../src/app';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, getTask, getTaskResult, listTasks, waitForTask } from '../helpers/mcp-client';
import { spawnEntryPoint, type ProductProcess } from '../helpers/processes';
import { freePort } from '../helpers/ports';
import { writeGeneratedLines } from '../helpers/generate-files';

/** Writes a CSV of `rows` rows with numeric, categorical and sparse columns. */
function writeLargeCsv(file: string, rows: number): Promise<void> {
  const categories = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  return writeGeneratedLines(
    file,
    rows,
    (i) => `${i},${(i % 1000) / 10},${categories[i % 5]},${(i * 7919) % 101},${i % 13 === 0 ? '' : `n${i % 50}`}`,
    'id,amount,category,score,note',
  );
}

describe('durability', () => {
  it('finishes analyze_dataset after the worker is killed with SIGKILL, resuming from a checkpoint with an identical result', async () => {
    const config = testConfig();
    const env = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TASK_QUEUE: config.taskQueue,
      DATA_DIR: config.dataDir,
    };
    await writeLargeCsv(path.join(config.dataDir, 'datasets', 'big.csv'), 8_000_000);
    const product = await startTestProduct(config, { worker: false });
    let worker: ProductProcess = spawnEntryPoint('worker', env);
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      await worker.ready;
      const baselineTask = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'big.csv' });
      const baseline = await getTaskResult(mcp.client, baselineTask.taskId);
      expect(baseline.isError).toBeFalsy();
      expect(baseline.structuredContent).toMatchObject({ rows: 8_000_000, invalidRows: 0 });

      const task = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'big.csv' });
      await waitForTask(
        mcp.client,
        task.taskId,
        (t) => /Analysed [1-9][\d,]* rows/.test(t.statusMessage ?? ''),
        60_000,
      );
      await worker.kill('SIGKILL');
      worker = spawnEntryPoint('worker', env);
      await worker.ready;

      const resumed = await getTaskResult(mcp.client, task.taskId, 180_000);
      expect(resumed.isError).toBeFalsy();
      expect(resumed.structuredContent).toEqual(baseline.structuredContent);
      const run = resumed._meta?.[DATASET_RUN_META_KEY] as { attempt: number; resumedFromByte: number };
      expect(run.attempt).toBeGreaterThanOrEqual(2);
      expect(run.resumedFromByte).toBeGreaterThan(0);
    } finally {
      await worker.kill();
      await mcp.close();
      await product.close();
    }
  }, 300_000);

  it('imports decisions exactly once when the worker is killed with SIGKILL mid-import', async () => {
    const config = testConfig();
    const env = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TASK_QUEUE: config.taskQueue,
      DATA_DIR: config.dataDir,
    };
    const lines = 300_000;
    await writeGeneratedLines(path.join(config.dataDir, 'datasets', 'history.jsonl'), lines, (i) =>
      JSON.stringify({ id: `d${i}`, title: `Decision ${i}`, decision: `Chose option ${i % 7}`, tags: [`t${i % 11}`] }),
    );
    const product = await startTestProduct(config, { worker: false });
    let worker: ProductProcess = spawnEntryPoint('worker', env);
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      await worker.ready;
      const task = await callToolAsTask(mcp.client, 'import_decisions', { source: 'history.jsonl' });
      await waitForTask(mcp.client, task.taskId, (t) => /Imported [1-9]/.test(t.statusMessage ?? ''), 60_000);
      await worker.kill('SIGKILL');
      worker = spawnEntryPoint('worker', env);
      await worker.ready;
      const result = await getTaskResult(mcp.client, task.taskId, 240_000);
      expect(result.isError).toBeFalsy();
      const exported = await callToolAsTask(mcp.client, 'export_memory', { format: 'jsonl' });
      expect((await getTaskResult(mcp.client, exported.taskId)).structuredContent).toMatchObject({ count: lines });
      const again = await callToolAsTask(mcp.client, 'import_decisions', { source: 'history.jsonl' });
      expect((await getTaskResult(mcp.client, again.taskId, 240_000)).structuredContent).toMatchObject({
        imported: 0,
        updated: 0,
      });
    } finally {
      await worker.kill();
      await mcp.close();
      await product.close();
    }
  }, 400_000);

  it('lets the same session reach its task after the MCP server process restarts', async () => {
    const config = testConfig();
    const port = await freePort();
    const env = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TASK_QUEUE: config.taskQueue,
      DATA_DIR: config.dataDir,
      MCP_PORT: String(port),
    };
    const workerOnly = await startTestProduct(config, { http: false });
    let server = spawnEntryPoint('server', env);
    try {
      await server.ready;
      const url = `http://127.0.0.1:${port}/mcp`;
      const first = await connectMcp(url);
      const sessionId = first.sessionId();
      const task = await callToolAsTask(first.client, 'long_running_operation', { duration: 4, steps: 4 });

      await server.kill('SIGKILL');
      server = spawnEntryPoint('server', env);
      await server.ready;

      const again = await connectMcp(url, { sessionId });
      const status = await getTask(again.client, task.taskId);
      expect(['working', 'completed']).toContain(status.status);
      const result = await getTaskResult(again.client, task.taskId);
      expect(result.content).toEqual([
        { type: 'text', text: 'Long running operation completed. Duration: 4 seconds, Steps: 4.' },
      ]);
      expect((await listTasks(again.client)).tasks.map((t) => t.taskId)).toContain(task.taskId);

      const stranger = await connectMcp(url);
      await expect(getTask(stranger.client, task.taskId)).rejects.toMatchObject({ code: -32602 });
      await Promise.all([first.close().catch(() => undefined), again.close(), stranger.close()]);
    } finally {
      await server.kill();
      await workerOnly.close();
    }
  }, 120_000);

  it('keeps every task, running or finished, across a restart of the embedded Temporal server', async () => {
    const base = testConfig();
    const embeddedEnv = {
      TEMPORAL_ADDRESS: '',
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      DATA_DIR: base.dataDir,
      TASK_QUEUE: base.taskQueue,
    };
    const config = testConfig(embeddedEnv);
    expect(config.temporal.kind).toBe('embedded');

    let product: RunningProduct = await startTestProduct(config);
    let mcp = await connectMcp(product.mcpUrl!);
    let finished, finishedResult, running, sessionId: string;
    try {
      finished = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
      finishedResult = await getTaskResult(mcp.client, finished.taskId);
      running = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 20, steps: 20 });
      await waitForTask(mcp.client, running.taskId, (t) => /^Step [1-9]\d*\/20$/.test(t.statusMessage ?? ''));
      sessionId = mcp.sessionId();
    } finally {
      // Stops the embedded Temporal server too, also when the test fails here.
      await mcp.close();
      await product.close();
    }

    product = await startTestProduct({ ...config, mcpPort: 0 });
    try {
      mcp = await connectMcp(product.mcpUrl!, { sessionId });
      expect((await getTask(mcp.client, finished.taskId)).status).toBe('completed');
      expect(await getTaskResult(mcp.client, finished.taskId)).toEqual(finishedResult);
      expect(['working', 'completed']).toContain((await getTask(mcp.client, running.taskId)).status);
      const result = await getTaskResult(mcp.client, running.taskId);
      expect(result.content).toEqual([
        { type: 'text', text: 'Long running operation completed. Duration: 20 seconds, Steps: 20.' },
      ]);
      await mcp.close();
    } finally {
      await product.close();
    }
  }, 180_000);
});
