import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import { workflowBundlerOptions, type WorkflowCodeSource } from './workflow-bundle';

export interface ProductWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** A pre-built workflow bundle (tests build one per file); otherwise `workflowCode` says where the code is. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** The bundle of `npm run build` (see `workflowCodeSource`); without it the workflows are bundled now. */
  workflowCode?: WorkflowCodeSource;
  /** Identity shown in the Temporal UI. */
  identity?: string;
}

/** Path of the workflows' barrel, from both `src/` and the compiled `dist/src/`. */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** A worker that runs every workflow and activity of the product on one task queue. */
export function createProductWorker(options: ProductWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowCodeOption(options),
    activities: createActivities(options.activities),
    ...(options.identity !== undefined && { identity: options.identity }),
    // Lets in-flight activities record their last heartbeat before a graceful shutdown cancels them.
    shutdownGraceTime: '2 seconds',
    // Sends every heartbeat (checkpoint and progress) to the server within a second, instead of the
    // default 80% of the heartbeat timeout, so tasks/get shows fresh progress and a retry loses little.
    maxHeartbeatThrottleInterval: '1 second',
  });
}

function workflowCodeOption(
  options: ProductWorkerOptions,
):
  | { workflowBundle: WorkflowBundleWithSourceMap | { codePath: string } }
  | { workflowsPath: string; bundlerOptions: ReturnType<typeof workflowBundlerOptions> } {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  if (options.workflowCode?.kind === 'prebuilt') return { workflowBundle: { codePath: options.workflowCode.codePath } };
  return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: workflowBundlerOptions(WORKFLOWS_PATH) };
}
