import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, RELATED_TASK_META_KEY } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TaskLimits } from '../config';
import type { ToolCallResult } from '../shared/task-types';
import type { TaskOwner } from '../tasks/owner';
import type { TaskBackend, TaskView } from '../tasks/task-backend';
import { toToolJsonSchema, type ToolDefinition } from '../tools/tool-definition';
import { ProtocolError, invalidParams, toProtocolError } from './protocol-errors';

export interface McpServerOptions {
  backend: TaskBackend;
  tools: readonly ToolDefinition[];
  /** The owner of every task this server instance (one per session) creates or reads. */
  owner: TaskOwner;
  limits: TaskLimits;
  /** Time limit in seconds of each workflow tool, by name. */
  timeLimitsSeconds: Record<string, number>;
  serverInfo?: { name: string; version: string };
}

/** The server's task capability: tasks/list, tasks/cancel, and task-augmented tools/call. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

const TaskIdParamsSchema = z.object({ taskId: z.string().max(200) });
const ListParamsSchema = z.object({ cursor: z.string().max(2000).optional() }).optional();

/**
 * Builds the MCP server of one session on the SDK's low-level `Server`. Every task method is handled
 * here, over the {@link TaskBackend}, instead of by the SDK's built-in task handlers: those keep
 * request correlation in memory, run forbidden tools, answer required tools without a task with a
 * tool result, and hang on related-task `_meta`. No task state is held in this object.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const { backend, owner, tools } = options;
  const server = new Server(options.serverInfo ?? { name: 'durable-mcp-tasks', version: '0.1.0' }, {
    capabilities: { tools: {}, tasks: TASKS_CAPABILITY },
  });

  const onRequest = <P>(method: string, paramsSchema: z.ZodType<P>, handler: (params: P, signal: AbortSignal) => Promise<object>) => {
    const looseRequest = z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
    server.setRequestHandler(looseRequest, async (request, extra) => {
      const parsed = paramsSchema.safeParse(request.params);
      if (!parsed.success) throw invalidParams(`${method} params`, parsed.error);
      try {
        return await handler(parsed.data, extra.signal);
      } catch (err) {
        throw toProtocolError(err);
      }
    });
  };

  onRequest('tools/list', z.unknown(), async () => ({
    tools: tools.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: toToolJsonSchema(tool.inputSchema, 'input'),
      ...(tool.outputSchema && { outputSchema: toToolJsonSchema(tool.outputSchema, 'output') }),
      execution: { taskSupport: tool.taskSupport },
    })),
  }));

  const CallParamsSchema = z.object({
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()).optional(),
    task: z.object({ ttl: z.number().optional() }).optional(),
  });
  onRequest('tools/call', CallParamsSchema, async (params, signal) => {
    const tool = tools.find((candidate) => candidate.name === params.name);
    if (!tool) throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool: ${params.name}`);
    const wantsTask = params.task !== undefined;
    if (wantsTask && tool.taskSupport === 'forbidden') {
      throw new ProtocolError(ErrorCode.MethodNotFound, `Tool ${tool.name} does not support task augmentation`);
    }
    if (!wantsTask && tool.taskSupport === 'required') {
      throw new ProtocolError(ErrorCode.MethodNotFound, `Tool ${tool.name} requires task augmentation (params.task)`);
    }
    const args = tool.inputSchema.safeParse(params.arguments ?? {});
    if (!args.success) throw invalidParams(`arguments for ${tool.name}`, args.error);
    if (tool.kind === 'local') {
      return tool.execute(args.data, { limits: options.limits, timeLimitsSeconds: options.timeLimitsSeconds });
    }
    const spec = {
      tool: tool.name,
      workflowType: tool.workflowType,
      arguments: args.data,
      timeLimitSeconds: options.timeLimitsSeconds[tool.name] ?? tool.defaultTimeLimitSeconds,
      requestedTtlMs: params.task?.ttl,
    };
    const task = await backend.createTask(owner, spec);
    if (wantsTask) return { task: toWireTask(task) };
    // An optional tool called without a task runs the same workflow and answers on this request.
    return backend.getTaskResult(owner, task.taskId, { signal });
  });

  onRequest('tasks/get', TaskIdParamsSchema, async ({ taskId }) => toWireTask(await backend.getTask(owner, taskId)));

  onRequest('tasks/result', TaskIdParamsSchema, async ({ taskId }, signal) => {
    const result: ToolCallResult = await backend.getTaskResult(owner, taskId, { signal });
    return { ...result, _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } } };
  });

  onRequest('tasks/list', ListParamsSchema, async (params) => {
    const page = await backend.listTasks(owner, { cursor: params?.cursor });
    return { tasks: page.tasks.map(toWireTask), ...(page.nextCursor && { nextCursor: page.nextCursor }) };
  });

  onRequest('tasks/cancel', TaskIdParamsSchema, async ({ taskId }) => toWireTask(await backend.cancelTask(owner, taskId)));

  return server;
}

/** MCP's `Task`: exactly the spec's fields, nothing internal. */
function toWireTask(task: TaskView): Record<string, unknown> {
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
