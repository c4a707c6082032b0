import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  ErrorCode,
  GetTaskResultSchema,
  McpError,
  type CallToolResult,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import type { TaskDisplay } from './task-display';

/** How a task ended, as far as the command can tell. */
export interface TaskOutcome {
  /** The task's last known state (its terminal one, unless the server stopped answering `tasks/get`). */
  task: Task;
  /** What `tasks/result` answered: the tool's result. */
  result?: CallToolResult;
  /** Why `tasks/result` answered no result (a failed or cancelled task, a protocol error). */
  error?: Error;
}

const TERMINAL = new Set<Task['status']>(['completed', 'failed', 'cancelled']);
// An SDK request gives up after its timeout; `tasks/result` blocks for as long as the task runs, so it
// is asked again, which the spec allows.
const RESULT_REQUEST_TIMEOUT_MS = 600_000;

/** Reads a task's state with `tasks/get`. */
export function getTask(client: Client, taskId: string): Promise<Task> {
  return client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);
}

/**
 * Waits for a task's result with `tasks/result` (on whose stream the server asks the task's
 * questions) while polling `tasks/get` at the task's `pollInterval` to keep `display` current.
 */
export async function followTask(client: Client, first: Task, display: TaskDisplay): Promise<TaskOutcome> {
  let task = first;
  display.showTask(task);
  const outcome = waitForResult(client, task.taskId);
  let settled = false;
  void outcome.finally(() => (settled = true));
  while (!settled && !TERMINAL.has(task.status)) {
    await Promise.race([outcome, delay(task.pollInterval ?? 1000)]);
    if (settled) break;
    task = await getTask(client, task.taskId).catch(() => task);
    display.showTask(task);
  }
  const { result, error } = await outcome;
  // The result says what the tool answered; the task's final status says how it ended.
  task = await getTask(client, task.taskId).catch(() => task);
  display.showTask(task);
  return { task, result, error };
}

async function waitForResult(client: Client, taskId: string): Promise<{ result?: CallToolResult; error?: Error }> {
  for (;;) {
    try {
      const result = await client.request({ method: 'tasks/result', params: { taskId } }, CallToolResultSchema, {
        timeout: RESULT_REQUEST_TIMEOUT_MS,
      });
      return { result };
    } catch (error) {
      if (error instanceof McpError && error.code === (ErrorCode.RequestTimeout as number)) continue;
      return { error: error instanceof Error ? error : new Error(String(error)) };
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
