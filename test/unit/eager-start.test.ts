import type { Client, WorkflowStartOptions } from '@temporalio/client';
import { TemporalTaskBackend } from '../../src/tasks/temporal-task-backend';
import { loadConfig } from '../../src/config';
import { longRunningOperationWorkflow } from '../../workflows/tools/long-running-operation';

/**
 * The task engine starts through the worker's connection (eager start) where it has one. These tests
 * isolate the engine from Temporal: the clients are stand-ins that record what they are asked.
 */
describe('starting tasks through the worker connection', () => {
  const limits = loadConfig({ DATA_DIR: '/tmp/unused' }).limits;
  const spec = {
    tool: 'long_running_operation',
    workflow: longRunningOperationWorkflow,
    arguments: { duration: 0, steps: 1 },
    timeLimitSeconds: 60,
  };

  /** The abortable client: counts nothing running, and hands out handles for what was started elsewhere. */
  function mainClient(handles: string[]): Client {
    return {
      withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
      workflow: {
        count: () => Promise.resolve({ count: 0, groups: [] }),
        start: () => Promise.reject(new Error('started through the abortable client')),
        getHandle: (workflowId: string) => {
          handles.push(workflowId);
          return { workflowId };
        },
      },
    } as unknown as Client;
  }

  it('asks for eager start on the worker connection, and hands back a handle of the abortable client', async () => {
    const started: WorkflowStartOptions[] = [];
    const handles: string[] = [];
    const eagerStarter = {
      workflow: {
        start: (_workflow: unknown, options: WorkflowStartOptions) => {
          started.push(options);
          return Promise.resolve({ workflowId: options.workflowId, firstExecutionRunId: 'run-1' });
        },
      },
    } as unknown as Client;
    const backend = new TemporalTaskBackend({ client: mainClient(handles), eagerStarter, taskQueue: 'q', limits });
    try {
      const task = await backend.createTask({ scope: 'owner-a' }, spec);
      expect(task.status).toBe('working');
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({ taskQueue: 'q', requestEagerStart: true });
      expect(handles).toEqual([started[0]!.workflowId]);
    } finally {
      backend.close();
    }
  });

  it('stops waiting for a start that cannot be aborted when the engine shuts down', async () => {
    let asked = (): void => undefined;
    const startAsked = new Promise<void>((resolve) => (asked = resolve));
    const eagerStarter = {
      workflow: {
        // A start whose server never answers, as during an outage while the connection retries.
        start: () => {
          asked();
          return new Promise(() => undefined);
        },
      },
    } as unknown as Client;
    const backend = new TemporalTaskBackend({ client: mainClient([]), eagerStarter, taskQueue: 'q', limits });
    const creating = backend.createTask({ scope: 'owner-a' }, spec);
    await startAsked;
    backend.close();
    await expect(creating).rejects.toThrow('The task engine is shut down');
  });
});
