import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { isTerminalStatus, type TaskStatus } from '../../common/task-types';
import { TaskNotFoundError } from '../tasks/errors';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend, TaskView } from '../tasks/task-backend';
import { toWireTask } from './wire-task';

interface WatchedTask {
  lastStatus: TaskStatus;
  lastProgress?: number;
  lastTotal?: number;
  progressToken?: string | number;
}

/**
 * Pushes `notifications/tasks/status` (the full task, on every status change) and, for tasks created
 * with a `progressToken`, `notifications/progress` to one connected session, for the task's whole
 * life. It polls the engine; nothing it holds is task state: a resumed session rebuilds it from the
 * owner's running tasks. Notifications are best effort (the spec's MAY): clients still poll.
 */
export class TaskNotifier {
  private readonly watched = new Map<string, WatchedTask>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly options: { server: Server; backend: TaskBackend; owner: TaskOwner; intervalMs: number },
  ) {}

  /** Starts watching a task of this session. */
  watch(task: TaskView): void {
    if (this.closed || isTerminalStatus(task.status)) return;
    this.watched.set(task.taskId, { lastStatus: task.status, progressToken: task.progressToken });
    this.schedule();
  }

  /** Watches every task of the owner that is still running (after a restart or a resumed session). */
  async resume(): Promise<void> {
    for (const task of await this.options.backend.listRunningTasks(this.options.owner)) this.watch(task);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watched.clear();
  }

  private schedule(): void {
    if (this.timer || this.closed || this.watched.size === 0) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        this.timer = undefined;
        this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    for (const [taskId, entry] of [...this.watched]) {
      let task: TaskView;
      try {
        task = await this.options.backend.getTask(this.options.owner, taskId);
      } catch (err) {
        if (err instanceof TaskNotFoundError) this.watched.delete(taskId);
        continue;
      }
      if (entry.progressToken !== undefined && task.progress && task.progress.current !== entry.lastProgress) {
        entry.lastProgress = task.progress.current;
        entry.lastTotal = task.progress.total;
        await this.send('notifications/progress', {
          progressToken: entry.progressToken,
          progress: task.progress.current,
          ...(task.progress.total !== undefined && { total: task.progress.total }),
          ...(task.progress.message !== undefined && { message: task.progress.message }),
        });
      }
      // The last heartbeat may land after the final poll: a completed task reports full progress.
      if (
        task.status === 'completed' &&
        entry.progressToken !== undefined &&
        entry.lastTotal !== undefined &&
        entry.lastProgress !== entry.lastTotal
      ) {
        entry.lastProgress = entry.lastTotal;
        await this.send('notifications/progress', {
          progressToken: entry.progressToken,
          progress: entry.lastTotal,
          total: entry.lastTotal,
          message: 'Completed',
        });
      }
      if (task.status !== entry.lastStatus) {
        entry.lastStatus = task.status;
        await this.send('notifications/tasks/status', toWireTask(task));
      }
      if (isTerminalStatus(task.status)) this.watched.delete(taskId);
    }
  }

  private async send(method: string, params: Record<string, unknown>): Promise<void> {
    try {
      await this.options.server.notification({ method, params });
    } catch {
      // The session has no open stream right now; the client will see the state when it polls.
    }
  }
}
