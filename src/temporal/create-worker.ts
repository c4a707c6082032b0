import { Worker, type NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';

export interface ProductWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: ActivityDeps;
  /** A pre-built workflow bundle (tests build one per file); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleWithSourceMap;
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
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(options.activities),
    ...(options.identity !== undefined && { identity: options.identity }),
    // Lets in-flight activities record their last heartbeat before a graceful shutdown cancels them.
    shutdownGraceTime: '2 seconds',
    // Sends every heartbeat (checkpoint and progress) to the server within a second, instead of the
    // default 80% of the heartbeat timeout, so tasks/get shows fresh progress and a retry loses little.
    maxHeartbeatThrottleInterval: '1 second',
  });
}
