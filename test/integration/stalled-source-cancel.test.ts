import type { RunningProduct } from '../../src/app';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { RecordingObserver, startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, cancelTask, connectMcp, getTask, waitForTask, type TestClient } from '../helpers/mcp-client';
import { startStallingServer, within, type StallingServer } from '../unit/dataset/stalling-server';

/**
 * A URL source that sends a little and then nothing, with the connection left open. The activity's
 * heartbeat timeout is 10 s and Temporal delivers a cancellation only in answer to a heartbeat: the
 * activity must keep heartbeating while it waits, or the cancel never reaches it and the task fails
 * with a heartbeat timeout instead.
 */
describe('tasks/cancel on a task whose URL source stalled', () => {
  let product: RunningProduct;
  let mcp: TestClient;
  let sources: StallingServer;
  const observer = new RecordingObserver();

  beforeAll(async () => {
    sources = await startStallingServer();
    product = await startTestProduct(testConfig({ DATASET_URL_HOSTS: sources.origin }), { activityObserver: observer });
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
    await sources?.close();
  });

  it.each([
    ['analyze_dataset', 'analyzeDataset', 'rows.csv', 'a,b\n1,2\n3,4\n', /Analysed 2 rows/],
    [
      'import_decisions',
      'importDecisions',
      'history.jsonl',
      '{"id":"s1","title":"Use Postgres","decision":"We use Postgres."}\n',
      /Imported 0 records/,
    ],
  ])(
    'cancels %s: tasks/get says cancelled, the activity stops its download and the workflow closes CANCELLED',
    async (tool, activityType, name, body, stalledProgress) => {
      const source = sources.urlFor(name, body);
      const task = await callToolAsTask(mcp.client, tool, { source });
      // The activity has read what the source sent (its progress says so) and now waits for more.
      await waitForTask(mcp.client, task.taskId, (t) => stalledProgress.test(t.statusMessage ?? ''), 60_000);

      expect((await cancelTask(mcp.client, task.taskId)).status).toBe('cancelled');

      const workflowId = workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId);
      const handle = product.client.workflow.getHandle(workflowId);
      const deadline = Date.now() + 60_000;
      let closed = await handle.describe();
      while (closed.status.name === 'RUNNING' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        closed = await handle.describe();
      }
      expect(closed.status.name).toBe('CANCELLED');
      expect((await getTask(mcp.client, task.taskId)).status).toBe('cancelled');
      expect(observer.cancellations.filter((c) => c.workflowId === workflowId)).toEqual([
        expect.objectContaining({ activityType }),
      ]);
      await within(sources.closed(name), 10_000, 'closing the stalled download');
    },
    150_000,
  );
});
