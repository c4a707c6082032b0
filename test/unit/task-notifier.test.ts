import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { ProgressDetails, TaskStatus } from '../../common/task-types';
import { TaskNotifier } from '../../src/mcp/task-notifier';
import { TaskStatusRelay } from '../../src/mcp/task-status-relay';
import { scopeKey } from '../../src/tasks/owner';
import type { TaskBackend, TaskView } from '../../src/tasks/task-backend';

const owner = { scope: 'session:unit' };
const taskId = '0123456789abcdef0123456789abcdef';

function view(status: TaskStatus, progress?: ProgressDetails, lastUpdatedAt = '2026-01-01T00:00:00.000Z'): TaskView {
  return {
    taskId,
    status,
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUpdatedAt,
    ttl: 60_000,
    pollInterval: 5,
    progressToken: 'tok',
    ...(progress && { progress }),
  };
}

/** A backend that answers `getTask` with the scripted views in turn, then repeats the last one. */
function scriptedBackend(views: TaskView[]): TaskBackend & { reads: number } {
  const backend = {
    reads: 0,
    getTask: async () => views[Math.min(backend.reads++, views.length - 1)]!,
  };
  return backend as unknown as TaskBackend & { reads: number };
}

function recordingServer(): { server: Server; sent: { method: string; params: Record<string, unknown> }[] } {
  const sent: { method: string; params: Record<string, unknown> }[] = [];
  const server = { notification: async (message: (typeof sent)[number]) => void sent.push(message) };
  return { server: server as unknown as Server, sent };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('TaskNotifier', () => {
  it('sends progress with related-task _meta and never a lower progress than it already sent', async () => {
    // A retried activity resumed from an older checkpoint reports 2 after 3 had been sent.
    const backend = scriptedBackend([
      view('working', { current: 1, total: 4 }),
      view('working', { current: 3, total: 4 }),
      view('working', { current: 2, total: 4 }),
      view('working', { current: 3, total: 4 }),
      view('working', { current: 4, total: 4 }),
      view('completed'),
    ]);
    const { server, sent } = recordingServer();
    const notifier = new TaskNotifier({ server, backend, owner, intervalMs: 1 });
    notifier.watch(view('working'));
    await until(() => sent.some((message) => message.method === 'notifications/tasks/status'));
    notifier.close();

    const progress = sent.filter((message) => message.method === 'notifications/progress').map((m) => m.params);
    expect(progress.map((params) => params.progress)).toEqual([1, 3, 4]);
    for (const params of progress) {
      expect(params).toMatchObject({
        progressToken: 'tok',
        _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
      });
    }
  });

  it('sends a relayed tasks/cancel answer as the status notification, and not the stale read of the same change', async () => {
    const relay = new TaskStatusRelay();
    const cancelledAt = '2026-01-01T00:00:09.000Z';
    // The engine may read the cancelled task with an older lastUpdatedAt while the cancel is in flight.
    const backend = scriptedBackend([view('working'), view('cancelled', undefined, '2026-01-01T00:00:01.000Z')]);
    const { server, sent } = recordingServer();
    const notifier = new TaskNotifier({ server, backend, owner, intervalMs: 1, statusRelay: relay });
    notifier.watch(view('working'));
    await until(() => backend.reads >= 1);
    relay.publish(scopeKey(owner), view('cancelled', undefined, cancelledAt));
    await until(() => sent.length >= 1);
    // The same answer relayed again (e.g. a repeated cancel) is not sent twice.
    relay.publish(scopeKey(owner), view('cancelled', undefined, cancelledAt));
    notifier.close();

    const statuses = sent.filter((message) => message.method === 'notifications/tasks/status').map((m) => m.params);
    expect(statuses).toEqual([
      {
        taskId,
        status: 'cancelled',
        createdAt: '2026-01-01T00:00:00.000Z',
        lastUpdatedAt: cancelledAt,
        ttl: 60_000,
        pollInterval: 5,
      },
    ]);
  });

  describe('bounded cost', () => {
    afterEach(() => jest.useRealTimers());

    /** A backend whose tasks never change, or whose progress moves on each read while `moving` says so. */
    function steadyBackend(moving: () => boolean): TaskBackend & { reads: string[] } {
      let current = 0;
      const backend = {
        reads: [] as string[],
        getTask: async (_owner: unknown, id: string) => {
          backend.reads.push(id);
          if (moving()) current++;
          return { ...view('working', current > 0 ? { current, total: 1000 } : undefined), taskId: id };
        },
      };
      return backend as unknown as TaskBackend & { reads: string[] };
    }

    it('reads a quiet task ever less often, up to the maximum wait, and at once again when it moves', async () => {
      jest.useFakeTimers();
      let moving = false;
      const backend = steadyBackend(() => moving);
      const { server } = recordingServer();
      const notifier = new TaskNotifier({ server, backend, owner, intervalMs: 100, maxIntervalMs: 800 });
      notifier.watch(view('working'));
      // Unchanged reads double the wait: reads at 100, 300, 700, 1500 and 2300 ms (23 without back-off).
      for (let elapsed = 0; elapsed < 2300; elapsed += 100) await jest.advanceTimersByTimeAsync(100);
      expect(backend.reads).toHaveLength(5);
      // Capped at 800 ms: one more read in the next 800 ms.
      await jest.advanceTimersByTimeAsync(800);
      expect(backend.reads).toHaveLength(6);
      // Progress moves (a progressToken is watched): the wait drops back to one interval.
      moving = true;
      await jest.advanceTimersByTimeAsync(800);
      const readsWhileMoving = backend.reads.length;
      await jest.advanceTimersByTimeAsync(1000);
      expect(backend.reads.length - readsWhileMoving).toBeGreaterThanOrEqual(9);
      notifier.close();
    });

    it('watches at most maxWatched tasks, dropping the one quiet longest', async () => {
      jest.useFakeTimers();
      const backend = steadyBackend(() => false);
      const { server } = recordingServer();
      const notifier = new TaskNotifier({ server, backend, owner, intervalMs: 100, maxWatched: 3 });
      const ids = ['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(32));
      notifier.watch({ ...view('working'), taskId: ids[0]! });
      // The first task has been quiet for a while (its wait grew) when the others arrive.
      await jest.advanceTimersByTimeAsync(300);
      for (const id of ids.slice(1)) notifier.watch({ ...view('working'), taskId: id });
      expect(notifier.watchedCount).toBe(3);
      backend.reads.length = 0;
      await jest.advanceTimersByTimeAsync(200);
      expect(new Set(backend.reads)).toEqual(new Set(ids.slice(2)));
      notifier.close();
    });
  });
});
