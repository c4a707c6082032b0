import type { TaskView } from '../tasks/task-backend';

/** MCP's `Task`: exactly the spec's fields, nothing internal. */
export function toWireTask(task: TaskView): Record<string, unknown> {
  return {
    taskId: task.taskId,
    status: task.status,
    ...(task.statusMessage !== undefined && { statusMessage: task.statusMessage }),
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
    ttl: task.ttl,
    pollInterval: task.pollInterval,
  };
}
