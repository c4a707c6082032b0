import { setTimeout as delay } from 'node:timers/promises';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { parseReplayArgs } from '../../src/replay';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { executionsQuery, replayExecutions, type ExecutionStatusFilter } from '../../src/temporal/replay-executions';
import { callToolAsTask, connectMcp, getTaskResult, waitForTask, type TestClient } from '../helpers/mcp-client';
import { startTestProduct, testConfig } from '../helpers/product';

/** `npm run replay` against a real cluster: open executions are replayed from their partial histories. */
describe('npm run replay: replaying the executions of a cluster', () => {
  let config: Config;
  let product: RunningProduct;
  let mcp: TestClient;
  let runningId: string;
  let completedId: string;

  const query = (status: ExecutionStatusFilter) => executionsQuery({ taskQueue: config.taskQueue, status });

  /** Visibility is eventually consistent: wait until it lists what the test started. */
  async function waitUntilListed(status: ExecutionStatusFilter, count: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await product.client.workflow.count(query(status))).count !== count) {
      if (Date.now() > deadline) throw new Error(`Visibility never listed ${count} ${status} executions`);
      await delay(200);
    }
  }

  beforeAll(async () => {
    // The clean-up schedule would add executions of its own to the task queue while the test runs.
    config = testConfig({ TASK_CLEANUP_INTERVAL_SECONDS: String(7 * 86_400) });
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
    const owner = { scope: `session:${mcp.sessionId()}` };
    const completed = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0.1, steps: 1 });
    await getTaskResult(mcp.client, completed.taskId);
    const running = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 600, steps: 600 });
    await waitForTask(mcp.client, running.taskId, (task) => task.statusMessage !== undefined);
    completedId = workflowIdFor(owner, completed.taskId as TaskId);
    runningId = workflowIdFor(owner, running.taskId as TaskId);
    await waitUntilListed('running', 1);
    await waitUntilListed('closed', 1);
  });

  afterAll(async () => {
    await product?.client.workflow
      .getHandle(runningId)
      .terminate('test over')
      .catch(() => undefined);
    await mcp?.close();
    await product?.close();
  });

  it('--status running replays the partial history of a running task, and only running ones', async () => {
    const replays = await replayExecutions({
      client: product.client,
      query: query('running'),
      limit: 10,
      workflows: { workflowsPath: WORKFLOWS_PATH },
    });
    expect(replays).toEqual([
      {
        workflowId: runningId,
        runId: expect.any(String),
        workflowType: 'longRunningOperationWorkflow',
        running: true,
        error: undefined,
      },
    ]);
  });

  it('--status all (the default) replays running and closed executions', async () => {
    const replays = await replayExecutions({
      client: product.client,
      query: query(parseReplayArgs([]).status),
      limit: 10,
      workflows: { workflowsPath: WORKFLOWS_PATH },
    });
    expect(replays.map((replay) => [replay.workflowId, replay.running, replay.error]).sort()).toEqual(
      [
        [completedId, false, undefined],
        [runningId, true, undefined],
      ].sort(),
    );
  });

  it('reports a determinism error in a running execution when the workflow code changed', async () => {
    const replays = await replayExecutions({
      client: product.client,
      query: query('running'),
      limit: 10,
      workflows: { workflowsPath: require.resolve('../workflows/fixtures/changed-workflows') },
    });
    expect(replays).toHaveLength(1);
    expect(replays[0]!.error).toMatchObject({ name: 'DeterminismViolationError' });
  });

  it('selects every execution of the task queue when no query is given', () => {
    expect(executionsQuery({ taskQueue: 'q', status: 'running' })).toBe(
      '(TaskQueue = "q") AND ExecutionStatus = "Running"',
    );
    expect(executionsQuery({ taskQueue: 'q', status: 'closed' })).toBe(
      '(TaskQueue = "q") AND ExecutionStatus != "Running"',
    );
    expect(executionsQuery({ taskQueue: 'q', status: 'all' })).toBe('TaskQueue = "q"');
  });

  it('parses --status and refuses an unknown one', () => {
    expect(parseReplayArgs([]).status).toBe('all');
    expect(parseReplayArgs(['--status', 'running', '--limit', '5'])).toEqual({ status: 'running', limit: 5 });
    expect(() => parseReplayArgs(['--status', 'open'])).toThrow(/--status must be one of running, closed, all/);
  });
});
