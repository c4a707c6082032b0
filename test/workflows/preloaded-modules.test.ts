import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundlerOptions } from '../../src/temporal/workflow-bundle';
import { connectTestTemporal, type TestTemporal } from '../helpers/test-temporal';

const WORKFLOWS = require.resolve('./fixtures/module-state-workflows');

/**
 * The product bundles its workflows so that a worker evaluates their modules once, not once per
 * execution. A module's state is then shared by every execution on the worker's thread: the reason
 * the product's workflow modules hold only constants and functions at module level.
 */
describe('preloaded workflow modules', () => {
  let temporal: TestTemporal;
  let client: Client;

  beforeAll(async () => {
    temporal = await connectTestTemporal();
    client = temporal.client;
  });

  afterAll(async () => {
    await temporal?.close();
  });

  /** What three executions in a row return on a worker whose bundle is made with `bundlerOptions`. */
  async function threeExecutions(
    bundlerOptions: Partial<ReturnType<typeof workflowBundlerOptions>>,
  ): Promise<number[]> {
    const taskQueue = `module-state-${randomUUID()}`;
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: WORKFLOWS,
        logger: new DefaultLogger('WARN'),
        ...bundlerOptions,
      }),
    });
    return worker.runUntil(async () => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        counts.push(
          await client.workflow.execute('countExecutionsWorkflow', {
            taskQueue,
            workflowId: `module-state/${randomUUID()}`,
            workflowExecutionTimeout: '1 minute',
          }),
        );
      }
      return counts;
    });
  }

  it("evaluates the workflow module once, for all executions, with the product's bundler options", async () => {
    await expect(threeExecutions(workflowBundlerOptions(WORKFLOWS))).resolves.toEqual([1, 2, 3]);
  }, 120_000);

  it('evaluates it again for each execution without them (the SDK default)', async () => {
    await expect(threeExecutions({})).resolves.toEqual([1, 1, 1]);
  }, 120_000);
});
