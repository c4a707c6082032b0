import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { TaskFailureType } from '../../common/task-types';
import { explainWorkflowFailure } from '../../src/tasks/workflow-failures';
import type { FailingActivities } from './fixtures/failing-tool-workflows';
import { connectTestTemporal, type TestTemporal } from '../helpers/test-temporal';

const WORKFLOWS = require.resolve('./fixtures/failing-tool-workflows');
const INTERNAL_DETAIL = 'SQLITE_CORRUPT: database disk image is malformed (/srv/mcp/data/memory.db)';

/**
 * What a failed task tells the client: a tool's own failure keeps its message; an unexpected error
 * (a bug, a database error) is reported by reference only, since its message carries internal
 * details, while the history keeps the full error for operators.
 */
describe('task failure messages', () => {
  let temporal: TestTemporal;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `failing-tool-${randomUUID()}`;

  beforeAll(async () => {
    temporal = await connectTestTemporal();
    client = temporal.client;
    const activities: FailingActivities = {
      async fail(kind) {
        if (kind === 'client-facing') {
          throw ApplicationFailure.create({
            type: TaskFailureType.SourceNotFound,
            message: 'file not found: data.csv',
            nonRetryable: true,
          });
        }
        throw new Error(INTERNAL_DETAIL);
      },
    };
    worker = await Worker.create({
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS, logger: new DefaultLogger('WARN') }),
      activities,
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await temporal?.close();
  });

  async function failureOf(kind: 'client-facing' | 'unexpected') {
    const handle = await client.workflow.start('failingToolWorkflow', {
      taskQueue,
      workflowId: `failing-tool/${randomUUID()}`,
      args: [kind],
      workflowExecutionTimeout: '1 minute',
    });
    const err = await handle.result().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return { err, handle };
  }

  it('keeps the message of a client-facing failure', async () => {
    const { err } = await failureOf('client-facing');
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'SourceNotFound' });
    expect(explainWorkflowFailure(err, { timeLimitSeconds: 60 }).message).toBe('file not found: data.csv');
  });

  it('reports an unexpected error by reference only, and keeps the detail in the history', async () => {
    const { err, handle } = await failureOf('unexpected');
    const { runId } = await handle.describe();
    const message = explainWorkflowFailure(err, { timeLimitSeconds: 60 }).message;
    expect(message).toBe(`The task failed because of an internal error (reference ${runId}).`);
    expect(message).not.toContain('/srv');
    const history = JSON.stringify(await handle.fetchHistory());
    expect(history).toContain(INTERNAL_DETAIL);
  });
});
