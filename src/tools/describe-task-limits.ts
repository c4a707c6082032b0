import { z } from 'zod';
import type { LocalToolDefinition } from './tool-definition';

const TaskLimitsReportSchema = z.object({
  defaultTtlMs: z.number(),
  maxTtlMs: z.number(),
  pollIntervalMs: z.number(),
  listPageSize: z.number(),
  maxRunningTasksPerOwner: z.number(),
  createRatePerMinute: z.number(),
  requestRatePerMinute: z.number(),
  timeLimitsSeconds: z.record(z.string(), z.number()).describe('Time limit of each task tool'),
});

/** Tells a client the limits that apply to its tasks, so it can choose a TTL and plan long work. */
export const describeTaskLimitsTool: LocalToolDefinition = {
  kind: 'local',
  name: 'describe_task_limits',
  title: 'Describe task limits',
  description:
    'Reports the limits that apply to tasks on this server: default and maximum TTL, poll interval, page ' +
    'size of tasks/list, running tasks allowed per owner, and the time limit of each task tool.',
  inputSchema: z.strictObject({}),
  outputSchema: TaskLimitsReportSchema,
  taskSupport: 'forbidden',
  async execute(_args, context) {
    const report = {
      defaultTtlMs: context.limits.defaultTtlMs,
      maxTtlMs: context.limits.maxTtlMs,
      pollIntervalMs: context.limits.pollIntervalMs,
      listPageSize: context.limits.listPageSize,
      maxRunningTasksPerOwner: context.limits.maxRunningTasksPerOwner,
      createRatePerMinute: context.limits.createRatePerMinute,
      requestRatePerMinute: context.limits.requestRatePerMinute,
      timeLimitsSeconds: context.timeLimitsSeconds,
    };
    return { content: [{ type: 'text', text: JSON.stringify(report) }], structuredContent: report };
  },
};
