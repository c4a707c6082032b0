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
  maxArgumentBytes: z.number().describe('Largest arguments of one tool call, in bytes of JSON'),
  maxProgressTokenChars: z.number().describe('Longest string progressToken accepted'),
  maxAnswerBytes: z.number().describe("Largest content of an answer to a task's question, in bytes of JSON"),
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
      maxArgumentBytes: context.limits.maxArgumentBytes,
      maxProgressTokenChars: context.limits.maxProgressTokenChars,
      maxAnswerBytes: context.limits.maxAnswerBytes,
      timeLimitsSeconds: context.timeLimitsSeconds,
    };
    return { content: [{ type: 'text', text: JSON.stringify(report) }], structuredContent: report };
  },
};
