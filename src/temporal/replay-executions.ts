import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** Which executions to replay: the open ones (partial histories), the closed ones, or both. */
export type ExecutionStatusFilter = 'running' | 'closed' | 'all';

/** The status filters `--status` accepts. */
export const EXECUTION_STATUS_FILTERS: readonly ExecutionStatusFilter[] = ['running', 'closed', 'all'];

export interface ExecutionsQueryOptions {
  /** A visibility query of your own; when absent, every execution of `taskQueue`. */
  query?: string;
  /** The product's task queue: every workflow type it runs, the clean-up schedule's included. */
  taskQueue: string;
  status: ExecutionStatusFilter;
}

/** The visibility query selecting the executions to replay. */
export function executionsQuery(options: ExecutionsQueryOptions): string {
  const base = options.query?.trim() || `TaskQueue = "${options.taskQueue}"`;
  switch (options.status) {
    case 'running':
      return `(${base}) AND ExecutionStatus = "Running"`;
    case 'closed':
      return `(${base}) AND ExecutionStatus != "Running"`;
    case 'all':
      return base;
  }
}

export interface ReplayExecutionsOptions {
  client: Client;
  /** A visibility query, e.g. from {@link executionsQuery}. */
  query: string;
  /** Most executions replayed. */
  limit: number;
  /** The workflow code to check: a path to the workflows' barrel, or a bundle of it. */
  workflows:
    | { workflowsPath: string; bundlerOptions?: Pick<BundleOptions, 'webpackConfigHook' | 'preloadModules'> }
    | { workflowBundle: WorkflowBundleWithSourceMap };
  /** When set, each history is also written there as `<workflowType>-<runId>.json` (`historyToJSON`). */
  saveDir?: string;
  /** Called as each replay finishes, e.g. to print it. */
  onResult?: (replay: ExecutionReplay) => void;
}

/** The outcome of replaying one execution. */
export interface ExecutionReplay {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Whether the execution was open when its history was read (a partial history). */
  running: boolean;
  /** The determinism (or other replay) error; undefined when the replay succeeded. */
  error?: Error;
}

/**
 * Replays the executions `query` selects against `workflows`, open ones included: the history of a
 * running execution is the part written so far, which is exactly what a new worker build would have
 * to replay after a deploy. Returns one result per execution; a determinism error is a result, not a
 * rejection.
 */
export async function replayExecutions(options: ReplayExecutionsOptions): Promise<ExecutionReplay[]> {
  const executions = new Map<string, Omit<ExecutionReplay, 'error'>>();
  const histories = [];
  for await (const info of options.client.workflow.list({ query: options.query })) {
    if (histories.length >= options.limit) break;
    const history = await options.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    const key = `${info.workflowId}/${info.runId}`;
    executions.set(key, {
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.type,
      running: info.status.name === 'RUNNING',
    });
    // The replay reports the workflow id only; the key lets two runs of one id apart.
    histories.push({ workflowId: key, history });
    if (options.saveDir) {
      mkdirSync(options.saveDir, { recursive: true });
      writeFileSync(path.join(options.saveDir, `${info.type}-${info.runId}.json`), historyToJSON(history));
    }
  }
  const replays: ExecutionReplay[] = [];
  if (histories.length === 0) return replays;
  for await (const result of Worker.runReplayHistories(options.workflows, histories)) {
    const replay: ExecutionReplay = { ...executions.get(result.workflowId)!, error: result.error };
    replays.push(replay);
    options.onResult?.(replay);
  }
  return replays;
}
