import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { RunningProduct } from '../../src/app';
import { WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  getTaskResult,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';

const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * Replay tests: the current workflow code must reproduce the commands recorded in real histories.
 * Committed fixtures guard against non-deterministic changes to released workflows; fresh histories
 * cover every path (completed, cancelled, failed) of today's code.
 */
describe('workflow replay', () => {
  it.each(readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json')))(
    'replays the committed history %s',
    async (file) => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
      await expect(Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, history)).resolves.toBeUndefined();
    },
  );

  it('fails the replay of a history when the workflow code changed non-deterministically', async () => {
    const file = readdirSync(HISTORIES_DIR).find((name) => name.startsWith('longRunningOperationWorkflow'))!;
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    const changed = require.resolve('./fixtures/changed-workflows');
    await expect(Worker.runReplayHistory({ workflowsPath: changed }, history)).rejects.toMatchObject({
      name: 'DeterminismViolationError',
    });
  });

  describe('fresh histories', () => {
    let product: RunningProduct;
    let mcp: TestClient;

    beforeAll(async () => {
      product = await startTestProduct(testConfig());
      mcp = await connectMcp(product.mcpUrl!);
    });

    afterAll(async () => {
      await mcp?.close();
      await product?.close();
    });

    it('replays completed, cancelled and failed task workflows without a determinism error', async () => {
      const completed = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 1, steps: 2 });
      await getTaskResult(mcp.client, completed.taskId);
      const cancelled = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 30, steps: 3 });
      await waitForTask(mcp.client, cancelled.taskId, (t) => t.statusMessage !== undefined);
      await cancelTask(mcp.client, cancelled.taskId);
      const failed = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'absent.csv' });
      await waitForTask(mcp.client, failed.taskId, (t) => t.status === 'failed');

      const owner = { scope: `session:${mcp.sessionId()}` };
      const histories = [];
      for (const task of [completed, cancelled, failed]) {
        const handle = product.client.workflow.getHandle(workflowIdFor(owner, task.taskId as TaskId));
        await handle.result().catch(() => undefined);
        histories.push({ workflowId: handle.workflowId, history: await handle.fetchHistory() });
      }
      const results = [];
      for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
        results.push(result);
      }
      expect(results.map((result) => result.error)).toEqual([undefined, undefined, undefined]);
    });
  });
});
