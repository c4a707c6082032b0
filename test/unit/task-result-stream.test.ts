import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ToolCallResult } from '../../common/task-types';
import { awaitTaskResult } from '../../src/mcp/task-result-stream';
import type { TaskBackend, TaskView } from '../../src/tasks/task-backend';

/**
 * `tasks/result` waits on the engine's end notice and reads the task meanwhile. These tests isolate
 * the stream from Temporal with an engine stand-in, to reach what a real server rarely shows: an end
 * notice that fails (its long poll cut off) while the task runs on.
 */
describe('the tasks/result stream', () => {
  const done: ToolCallResult = { content: [{ type: 'text', text: 'done' }] };

  /** An engine whose task reads `working` for `workingReads` reads, then `completed`. */
  function engine(workingReads: number, waitForTaskEnd: TaskBackend['waitForTaskEnd']) {
    let reads = 0;
    const view = (status: TaskView['status']): TaskView => ({
      taskId: 't1',
      status,
      createdAt: '2026-12-06T00:00:00.000Z',
      lastUpdatedAt: '2026-12-06T00:00:00.000Z',
      ttl: 60_000,
      pollInterval: 20,
    });
    const backend = {
      waitForTaskEnd,
      getTask: () => Promise.resolve(view(++reads > workingReads ? 'completed' : 'working')),
      getTaskResult: () => Promise.resolve(done),
    } as unknown as TaskBackend;
    return { backend, reads: () => reads };
  }

  function streamOf(backend: TaskBackend, quiet: boolean, signal = new AbortController().signal) {
    const extra = { signal, sendRequest: () => Promise.reject(new Error('no questions here')) };
    return awaitTaskResult({
      backend,
      owner: { scope: 'owner-a' },
      taskId: 't1',
      pollIntervalMs: 20,
      canElicit: false,
      quiet,
      extra: extra as unknown as RequestHandlerExtra<ServerRequest, ServerNotification>,
    });
  }

  it.each([true, false])(
    'reads the task at the check interval once the end notice fails, and answers its end (quiet: %s)',
    async (quiet) => {
      const { backend, reads } = engine(3, () => Promise.reject(new Error('14 UNAVAILABLE')));
      // A quiet task is read every 30 s while the notice stands: only the reads after its failure,
      // 20 ms apart, end this within the test's time.
      await expect(streamOf(backend, quiet)).resolves.toEqual(done);
      expect(reads()).toBe(4);
    },
  );

  it('answers from the end notice without reading a quiet task', async () => {
    const { backend, reads } = engine(0, () => Promise.resolve(done));
    await expect(streamOf(backend, true)).resolves.toEqual(done);
    expect(reads()).toBe(0);
  });

  it('stops when the request is aborted while the notice stands', async () => {
    const request = new AbortController();
    const { backend } = engine(Number.POSITIVE_INFINITY, (_owner, _taskId, options) => {
      const signal = options?.signal;
      return new Promise((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(new Error('The wait was aborted'))),
      );
    });
    const stream = streamOf(backend, true, request.signal);
    request.abort(new Error('the client went away'));
    await expect(stream).rejects.toThrow();
  });
});
