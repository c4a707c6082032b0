import { z } from 'zod';
import type { WorkflowToolDefinition } from './tool-definition';

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

export const longRunningOperationTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'long_running_operation',
  title: 'Long running operation',
  description:
    'Waits `duration` seconds in `steps` equal steps, reporting progress after each. Demonstrates a durable ' +
    'task: it survives restarts and can be cancelled at any step.',
  inputSchema: LongRunningOperationArgsSchema,
  taskSupport: 'optional',
  workflowType: 'longRunningOperationWorkflow',
  defaultTimeLimitSeconds: MAX_OPERATION_SECONDS + 300,
};
