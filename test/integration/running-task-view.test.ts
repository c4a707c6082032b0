import { Client } from '@temporalio/client';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { RunningTaskView } from '../../src/tasks/running-task-view';
import { TemporalTaskBackend } from '../../src/tasks/temporal-task-backend';
import { workflowIdFor, type TaskId, type TaskOwner } from '../../src/tasks/owner';
import type { TaskView } from '../../src/tasks/task-backend';
import { longRunningOperationWorkflow } from '../../workflows/tools/long-running-operation';
import { startTestProduct, testConfig } from '../helpers/product';
import { recordDescribes } from '../helpers/describe-spy';
import { callToolAsTask, connectMcpWithElicitation, getTask } from '../helpers/mcp-client';

/** What a read reports from the workflow's memo and history (progress may differ within a heartbeat). */
function recorded(task: Pick<TaskView, 'taskId' | 'status' | 'lastUpdatedAt' | 'pendingInputs' | 'committed'>) {
  return {
    taskId: task.taskId,
    status: task.status,
    lastUpdatedAt: task.lastUpdatedAt,
    pendingInputs: task.pendingInputs,
    committed: task.committed,
  };
}

describe('tasks/get of a running task from the replica’s exact view', () => {
  let config: Config;
  let product: RunningProduct;
  /** Another replica: its own client on the same connection, so the describe() spy sees only the first. */
  let otherClient: Client;
  let describes: ReturnType<typeof recordDescribes>;
  const backends: TemporalTaskBackend[] = [];

  const newBackend = (client: Client = product.client): TemporalTaskBackend => {
    const backend = new TemporalTaskBackend({ client, taskQueue: config.taskQueue, limits: config.limits });
    backends.push(backend);
    return backend;
  };
  const startLong = (backend: TemporalTaskBackend, owner: TaskOwner, duration = 60) =>
    backend.createTask(owner, {
      tool: 'long_running_operation',
      workflow: longRunningOperationWorkflow,
      arguments: { duration, steps: duration },
      timeLimitSeconds: 300,
    });
  const describesOf = (workflowId: string): number => describes.described.filter((id) => id === workflowId).length;

  beforeAll(async () => {
    config = testConfig({ TASK_POLL_INTERVAL_MS: '100' });
    product = await startTestProduct(config);
    otherClient = new Client({ connection: product.client.connection, namespace: product.client.options.namespace });
    describes = recordDescribes(product.client);
  });

  afterAll(async () => {
    describes?.restore();
    for (const backend of backends) {
      backend.close();
      await backend.closeView();
    }
    await product?.close();
  });

  it('answers repeated gets of a heartbeating task with fewer describes, as a fresh read on another replica reports it', async () => {
    const viewed = newBackend();
    const fresh = newBackend(otherClient);
    const owner = { scope: 'running-view-heartbeat' };
    const task = await startLong(viewed, owner);
    const workflowId = workflowIdFor(owner, task.taskId as TaskId);
    const readsBefore = describesOf(workflowId);
    let gets = 0;
    let lastProgress = -1;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const before = await fresh.getTask(owner, task.taskId);
      const mine = await viewed.getTask(owner, task.taskId, { fromView: true });
      const after = await fresh.getTask(owner, task.taskId);
      gets++;
      expect(recorded(mine)).toEqual(recorded(after));
      const current = mine.progress?.current ?? 0;
      // Never backwards, never ahead of Temporal, and at most one step behind what Temporal held
      // before the get began. (Temporal's own progress may jump by more between two reads when the
      // worker's heartbeats are late, so a later read is no bound.)
      expect(current).toBeGreaterThanOrEqual(lastProgress);
      expect(current).toBeLessThanOrEqual(after.progress?.current ?? 0);
      expect(current).toBeGreaterThanOrEqual((before.progress?.current ?? 0) - 1);
      lastProgress = current;
    }
    const reads = describesOf(workflowId) - readsBefore;
    expect(gets).toBeGreaterThan(20);
    expect(reads).toBeLessThan(gets / 2);
    // The progress kept moving while it was served from memory.
    expect(lastProgress).toBeGreaterThan(0);
    await viewed.cancelTask(owner, task.taskId);
  });

  it('shows input_required to a viewed get once Temporal has delivered the change a fresh describe shows', async () => {
    // This client opens no GET stream and never calls tasks/result, so the question stays pending.
    const asker = await connectMcpWithElicitation(product.mcpUrl!, () => ({ action: 'cancel' }), {
      standaloneStream: false,
    });
    const fresh = newBackend(otherClient);
    try {
      const tag = `view${Date.now().toString(36)}`;
      await asker.client.callTool({ name: 'record_decision', arguments: { title: tag, decision: 'x', tags: [tag] } });
      const task = await callToolAsTask(asker.client, 'purge_decisions', { tag });
      const owner = { scope: `session:${asker.sessionId()}` };
      let theirs: TaskView;
      do {
        theirs = await fresh.getTask(owner, task.taskId);
        const mine = await getTask(asker.client, task.taskId);
        expect(['working', 'input_required']).toContain(mine.status);
      } while (theirs.status === 'working');
      expect(theirs.status).toBe('input_required');
      // The view learns of the change from its history long poll, which may answer a few
      // milliseconds after a describe() already shows it: no sleep, only that delivery.
      const deadline = Date.now() + 2000;
      let mine = await getTask(asker.client, task.taskId);
      while (mine.status !== 'input_required' && Date.now() < deadline) mine = await getTask(asker.client, task.taskId);
      expect(mine.status).toBe('input_required');
      expect(mine.statusMessage).toBe(theirs.statusMessage);
      expect(mine.lastUpdatedAt).toBe(theirs.lastUpdatedAt);
    } finally {
      await asker.close();
    }
  });

  it('sees this replica’s cancel at once, and another replica’s once Temporal delivers it, reading afresh', async () => {
    const viewed = newBackend();
    const other = newBackend(otherClient);
    const owner = { scope: 'running-view-cancel' };
    const [mine, theirs] = await Promise.all([startLong(viewed, owner), startLong(viewed, owner)]);
    const warm = async (taskId: string) => {
      // Reads until one is served from memory: the watch is then armed.
      const workflowId = workflowIdFor(owner, taskId as TaskId);
      for (;;) {
        const reads = describesOf(workflowId);
        await viewed.getTask(owner, taskId, { fromView: true });
        if (describesOf(workflowId) === reads) return;
      }
    };

    await warm(mine.taskId);
    const cancelled = await viewed.cancelTask(owner, mine.taskId);
    expect(recorded(await viewed.getTask(owner, mine.taskId, { fromView: true }))).toEqual(recorded(cancelled));

    await warm(theirs.taskId);
    const theirId = workflowIdFor(owner, theirs.taskId as TaskId);
    const readsBefore = describesOf(theirId);
    const cancelledThere = await other.cancelTask(owner, theirs.taskId);
    const deadline = Date.now() + 10_000;
    let seen: TaskView;
    do {
      seen = await viewed.getTask(owner, theirs.taskId, { fromView: true });
    } while (seen.status !== 'cancelled' && Date.now() < deadline);
    expect(recorded(seen)).toEqual(recorded(cancelledThere));
    expect(describesOf(theirId)).toBeGreaterThan(readsBefore);
  });

  it('never answers running once this replica has seen the task end, nor older than its last fresh read', async () => {
    const viewed = newBackend();
    const other = newBackend(otherClient);
    const owner = { scope: 'running-view-end' };
    // Started by another replica: this one knows its end only from its own long poll on the close.
    const task = await startLong(other, owner, 2);
    const first = await viewed.getTask(owner, task.taskId, { fromView: true });
    expect(first.status).toBe('working');
    const result = await viewed.waitForTaskEnd(owner, task.taskId);
    expect(result?.isError).toBeFalsy();
    expect((await viewed.getTask(owner, task.taskId, { fromView: true })).status).toBe('completed');

    const slow = await startLong(other, owner, 30);
    await viewed.getTask(owner, slow.taskId, { fromView: true });
    await other.cancelTask(owner, slow.taskId);
    // A read without the view (the notifier's) sees the cancel; the viewed get never answers older.
    expect((await viewed.getTask(owner, slow.taskId)).status).toBe('cancelled');
    expect((await viewed.getTask(owner, slow.taskId, { fromView: true })).status).toBe('cancelled');
  });

  it('stops every history watch on close, and reads that do not ask for the view start none', async () => {
    const viewed = newBackend();
    const owner = { scope: 'running-view-close' };
    const task = await startLong(viewed, owner, 30);
    await viewed.getTask(owner, task.taskId);
    await viewed.getTaskResult(owner, task.taskId).catch(() => undefined);
    expect(viewed.watchedTaskCount).toBe(0);
    await viewed.getTask(owner, task.taskId, { fromView: true });
    expect(viewed.watchedTaskCount).toBe(1);
    await viewed.cancelTask(owner, task.taskId);
    viewed.close();
    await viewed.closeView();
    expect(viewed.watchedTaskCount).toBe(0);
  });

  it('watches at most its limit of tasks against a real server, dropping the least recently read', async () => {
    const starter = newBackend();
    const owner = { scope: 'running-view-cap' };
    const [a, b] = await Promise.all([startLong(starter, owner, 30), startLong(starter, owner, 30)]);
    const view = new RunningTaskView<string>({ client: product.client, maxWatched: 1 });
    const readFresh = (taskId: string) => async () => {
      const description = await product.client.workflow.getHandle(workflowIdFor(owner, taskId as TaskId)).describe();
      return {
        value: description.status.name,
        snapshot: { runId: description.runId, historyLength: description.historyLength, progressFixedUntilMs: 0 },
      };
    };
    const idA = workflowIdFor(owner, a.taskId as TaskId);
    const idB = workflowIdFor(owner, b.taskId as TaskId);
    expect(await view.read(idA, readFresh(a.taskId))).toBe('RUNNING');
    expect(view.isWatched(idA)).toBe(true);
    await view.read(idB, readFresh(b.taskId));
    expect([view.isWatched(idA), view.isWatched(idB)]).toEqual([false, true]);
    await view.close();
    expect(view.watchedCount).toBe(0);
    await Promise.all([starter.cancelTask(owner, a.taskId), starter.cancelTask(owner, b.taskId)]);
  });
});
