import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { finishSignal } from './fixtures/cancel-race-workflows';
import { connectTestTemporal, type TestTemporal } from '../helpers/test-temporal';

const WORKFLOWS = require.resolve('./fixtures/cancel-race-workflows');

/**
 * The race behind "cancelled stays cancelled": the work finishes in the very activation that brings
 * the cancel request. Both events are put in the history while no worker runs, so the next worker
 * sees them together, every time.
 */
describe('task workflow cancellation', () => {
  let temporal: TestTemporal;
  let client: Client;
  let bundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    temporal = await connectTestTemporal();
    client = temporal.client;
    // The bundler's report goes to the log only when something is wrong.
    bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: new DefaultLogger('WARN') });
  });

  afterAll(async () => {
    await temporal?.close();
  });

  async function runWorkerUntil<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
    const worker = await Worker.create({ connection: temporal.nativeConnection, taskQueue, workflowBundle: bundle });
    return worker.runUntil(fn);
  }

  it('closes CANCELLED, not COMPLETED, when the work ends in the activation that brings the cancel request', async () => {
    const taskQueue = `cancel-race-${randomUUID()}`;
    const handle = await client.workflow.start('finishOnSignalWorkflow', {
      taskQueue,
      workflowId: `cancel-race/${randomUUID()}`,
      workflowExecutionTimeout: '1 minute',
    });
    // Let a worker run the workflow up to its wait, then stop it.
    await runWorkerUntil(taskQueue, async () => {
      while ((await handle.fetchHistory()).events?.at(-1)?.workflowTaskCompletedEventAttributes === undefined) {
        await sleep(50);
      }
    });
    // With no worker, the end of the work and the cancel request land in the history together.
    await handle.signal(finishSignal);
    await handle.cancel();
    const status = await runWorkerUntil(taskQueue, async () => {
      await handle.result().catch(() => undefined);
      return (await handle.describe()).status.name;
    });
    expect(status).toBe('CANCELLED');
  });
});
