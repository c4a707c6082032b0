import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadWorkflowTools } from '../../src/tools/workflow-tools';
import type { RunningProduct } from '../../src/app';
import { WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { workflowBundlerOptions } from '../../src/temporal/workflow-bundle';
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
import { isClosed, readHistoryFiles, type HistoryFile } from './history-files';

/**
 * Replay tests: today's workflow code must reproduce the commands of every committed history. The
 * histories (`npm run histories:record`) include partial histories of running executions, which are
 * what a deploy must replay: a workflow waiting for an answer, or mid-way through an activity.
 */
const histories = readHistoryFiles();
const byName = new Map(histories.map((file) => [file.name, file]));

function history(name: string): HistoryFile {
  const file = byName.get(name);
  if (!file) throw new Error(`No committed history ${name}.json: run npm run histories:record`);
  return file;
}

const bundleLogger = new DefaultLogger('WARN');

/** Bundled as the product bundles it, so the replays run exactly what a worker runs. */
function bundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: bundleLogger, ...workflowBundlerOptions(workflowsPath) });
}

describe('workflow replay of the committed histories', () => {
  let current: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    current = await bundle(WORKFLOWS_PATH);
  });

  it('has a history of every workflow type the worker runs, and only of those', () => {
    const workflowTypes = ['cleanupExpiredTasksWorkflow', ...Object.keys(loadWorkflowTools().workflows)].sort();
    const covered = [...new Set(histories.map((file) => file.workflowType))].sort();
    expect(covered).toEqual(workflowTypes);
  });

  it('bundles the inert zod placeholder instead of the package, which the sandbox never uses', () => {
    expect(current.code).toContain('zod-placeholder');
    expect(current.code).not.toMatch(/node_modules\/zod\//);
  });

  it('names every history after its workflow type', () => {
    for (const file of histories) expect(file.name.startsWith(`${file.workflowType}-`)).toBe(true);
  });

  it.each([
    'longRunningOperationWorkflow-running-mid-way',
    'analyzeDatasetWorkflow-running-mid-way',
    'importDecisionsWorkflow-running-mid-way',
    'purgeDecisionsWorkflow-waiting-for-answer',
  ])('has the partial history of the running execution %s', (name) => {
    expect(isClosed(history(name).history)).toBe(false);
  });

  it.each(histories.map((file) => file.name))('replays %s without a determinism error', async (name) => {
    await expect(Worker.runReplayHistory({ workflowBundle: current }, history(name).history)).resolves.toBeUndefined();
  });

  it('fails the replay of a history when the workflow code changed non-deterministically', async () => {
    const changed = await bundle(require.resolve('./fixtures/changed-workflows'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: changed }, history('longRunningOperationWorkflow-completed').history),
    ).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });
});

/**
 * The versioning rule, shown on one change: `purge_decisions` reads a few matching decisions before
 * asking (one more activity). Replayed on histories the old code recorded, which are frozen in
 * `fixtures/histories/` together with the copy of the old code in `fixtures/purge-with-preview.ts`.
 */
describe('versioning a workflow change with patched()', () => {
  const oldHistories = readHistoryFiles(path.join(__dirname, 'fixtures', 'histories'));
  const oldHistory = (name: string) => oldHistories.find((file) => file.name === name)!.history;
  let guarded: WorkflowBundleWithSourceMap;
  let unguarded: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    guarded = await bundle(require.resolve('./fixtures/patched-workflows'));
    unguarded = await bundle(require.resolve('./fixtures/unguarded-workflows'));
  });

  it.each(['purgeDecisionsWorkflow-waiting-for-answer', 'purgeDecisionsWorkflow-answered-yes'])(
    'replays the old history %s cleanly when the change is under patched()',
    async (name) => {
      await expect(Worker.runReplayHistory({ workflowBundle: guarded }, oldHistory(name))).resolves.toBeUndefined();
    },
  );

  it.each(['purgeDecisionsWorkflow-waiting-for-answer', 'purgeDecisionsWorkflow-answered-yes'])(
    'fails the replay of the old history %s with a determinism error when the same change has no guard',
    async (name) => {
      await expect(Worker.runReplayHistory({ workflowBundle: unguarded }, oldHistory(name))).rejects.toMatchObject({
        name: 'DeterminismViolationError',
      });
    },
  );
});

/**
 * Executions started before tenants existed have no tenant in their input, and their memory activities
 * were scheduled without a scope; today's code must replay them (it then passes the local tenant).
 * Their histories are frozen in `fixtures/histories-before-tenants/`.
 */
describe('replay of histories recorded before tenants', () => {
  const before = readHistoryFiles(path.join(__dirname, 'fixtures', 'histories-before-tenants'));
  let current: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    current = await bundle(WORKFLOWS_PATH);
  });

  it('holds histories whose workflow input has no tenant, among them a running one', () => {
    expect(before.map((file) => file.name)).toContain('purgeDecisionsWorkflow-waiting-for-answer');
    for (const { history } of before) {
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const input = JSON.parse(Buffer.from(payload!).toString('utf8')) as Record<string, unknown>;
      expect(input).toHaveProperty('arguments');
      expect(input).not.toHaveProperty('tenant');
    }
  });

  it.each(before.map((file) => file.name))('replays %s without a determinism error', async (name) => {
    const { history } = before.find((file) => file.name === name)!;
    await expect(Worker.runReplayHistory({ workflowBundle: current }, history)).resolves.toBeUndefined();
  });
});

describe('workflow replay of fresh histories', () => {
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
    const fresh: Array<{ workflowId: string; history: HistoryFile['history'] }> = [];
    for (const task of [completed, cancelled, failed]) {
      const handle = product.client.workflow.getHandle(workflowIdFor(owner, task.taskId as TaskId));
      await handle.result().catch(() => undefined);
      fresh.push({ workflowId: handle.workflowId, history: await handle.fetchHistory() });
    }
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, bundlerOptions: workflowBundlerOptions(WORKFLOWS_PATH) },
      fresh,
    )) {
      results.push(result);
    }
    expect(results.map((result) => result.error)).toEqual([undefined, undefined, undefined]);
    // Started with the engine's memo flag, a task records its state in the memo without a patch
    // marker (and the visibility update that comes with one); the committed histories have it.
    const markers = (file: { history: HistoryFile['history'] }): number =>
      (file.history.events ?? []).filter((event) => event.markerRecordedEventAttributes).length;
    expect(markers(fresh[0]!)).toBe(0);
    expect(markers(history('longRunningOperationWorkflow-running-mid-way'))).toBeGreaterThan(0);
  });
});
