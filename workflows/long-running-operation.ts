import { proxyActivities } from '@temporalio/workflow';
import type { ToolCallResult, ToolWorkflowInput } from '../common/task-types';
import type { Activities } from '../activities';
import { runToolTask } from './task-lifecycle';

export interface LongRunningOperationArgs {
  duration: number;
  steps: number;
}

const { runTimedSteps } = proxyActivities<Activities>({
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { maximumAttempts: 5 },
});

/** The `long_running_operation` tool: sleeps through `steps` heartbeated steps in one activity. */
export async function longRunningOperationWorkflow(
  input: ToolWorkflowInput<LongRunningOperationArgs>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { duration, steps } = input.arguments;
    await runTimedSteps({ durationSeconds: duration, steps });
    return {
      content: [{ type: 'text', text: `Long running operation completed. Duration: ${duration} seconds, Steps: ${steps}.` }],
    };
  });
}
