import type { TaskView } from '../tasks/task-backend';

/** Receives a task as an operation of its owner just answered it. */
export type TaskStatusListener = (task: TaskView) => void;

/**
 * Carries a task's new status from the MCP server instance that changed it (a `tasks/cancel` answer)
 * to the instance that sends the owner's notifications, within one process: over HTTP a session has
 * one instance for streams and another for plain-JSON answers. It holds no task state; a change made
 * elsewhere (another replica, the Temporal UI) is still noticed by the notifier's polling.
 */
export class TaskStatusRelay {
  private readonly listeners = new Map<string, Set<TaskStatusListener>>();

  /** Calls `listener` for every task of `scope` published from now on; returns the unsubscribe. */
  subscribe(scope: string, listener: TaskStatusListener): () => void {
    let set = this.listeners.get(scope);
    if (!set) this.listeners.set(scope, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(scope) === set) this.listeners.delete(scope);
    };
  }

  /** Hands `task`, as the operation answered it, to the listeners of `scope`. */
  publish(scope: string, task: TaskView): void {
    for (const listener of this.listeners.get(scope) ?? []) listener(task);
  }
}
