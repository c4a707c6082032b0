import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { ToolCallResult, ToolWorkflowInput } from '../../common/task-types';
import { defineWorkflowTool } from '../../common/tool-definition';
import { runToolTask } from '../task-lifecycle';

/** Longest `duration` accepted, so that one call cannot hold a worker slot for more than an hour. */
export const MAX_OPERATION_SECONDS = 3600;

export const LongRunningOperationArgsSchema = z.strictObject({
  duration: z
    .number()
    .min(0)
    .max(MAX_OPERATION_SECONDS)
    .default(10)
    .describe(`Total duration in seconds (0 to ${MAX_OPERATION_SECONDS})`),
  steps: z.number().int().min(1).max(10_000).default(5).describe('Number of steps; progress is reported after each'),
});

/** Arguments of `long_running_operation`, after defaults. */
export type LongRunningOperationArgs = z.output<typeof LongRunningOperationArgsSchema>;

/** Arguments of `runTimedSteps`. */
export interface TimedStepsOptions {
  durationSeconds: LongRunningOperationArgs['duration'];
  steps: LongRunningOperationArgs['steps'];
}

/** The activities `long_running_operation` runs; implemented in `activities/tools/long-running-operation.ts`. */
export interface LongRunningOperationActivities {
  /** Sleeps `durationSeconds` in `steps` heartbeated steps; a retry resumes at the last step heartbeated. */
  runTimedSteps: (options: TimedStepsOptions) => Promise<{ stepsRun: number }>;
}

const { runTimedSteps } = proxyActivities<LongRunningOperationActivities>({
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
      content: [
        { type: 'text', text: `Long running operation completed. Duration: ${duration} seconds, Steps: ${steps}.` },
      ],
    };
  });
}

export const longRunningOperationTool = defineWorkflowTool({
  name: 'long_running_operation',
  title: 'Long running operation',
  description:
    'Waits `duration` seconds in `steps` equal steps, reporting progress after each. Demonstrates a durable ' +
    'task: it survives restarts and can be cancelled at any step.',
  inputSchema: LongRunningOperationArgsSchema,
  outputSchema: undefined,
  taskSupport: 'optional',
  isQuickCall: (args) => args.duration < 1,
  defaultTimeLimitSeconds: MAX_OPERATION_SECONDS + 300,
  workflow: longRunningOperationWorkflow,
});
