import { z } from 'zod';
import type { TaskLimits } from '../config';
import type { ToolCallResult } from '../../common/task-types';

/** MCP's `execution.taskSupport`: whether a tool may, must or must not be called as a task. */
export type TaskSupport = 'forbidden' | 'optional' | 'required';

interface ToolBase {
  name: string;
  title: string;
  description: string;
  /** Validates and defaults the arguments; its JSON Schema is what `tools/list` shows. */
  inputSchema: z.ZodObject;
  /** Schema of `structuredContent`, when the tool returns one. */
  outputSchema?: z.ZodObject;
  taskSupport: TaskSupport;
}

/**
 * A tool whose work runs as a Temporal workflow of type `workflowType`, so it is durable whether or
 * not the client asked for a task; `taskSupport` only decides how the client may call it.
 */
export interface WorkflowToolDefinition extends ToolBase {
  kind: 'workflow';
  workflowType: string;
  /** Default time limit of one task; `TOOL_TIME_LIMITS` overrides it per tool. */
  defaultTimeLimitSeconds: number;
}

/** What a local tool may read: the server's own settings, never task state. */
export interface LocalToolContext {
  limits: TaskLimits;
  timeLimitsSeconds: Record<string, number>;
}

/** A quick tool answered in the MCP server process; it has no state and is never a task. */
export interface LocalToolDefinition extends ToolBase {
  kind: 'local';
  taskSupport: 'forbidden';
  execute(args: unknown, context: LocalToolContext): Promise<ToolCallResult>;
}

export type ToolDefinition = WorkflowToolDefinition | LocalToolDefinition;

/** JSON Schema of a zod object schema, in the shape MCP's `Tool.inputSchema` expects. */
export function toToolJsonSchema(
  schema: z.ZodObject,
  io: 'input' | 'output',
): { type: 'object'; [key: string]: unknown } {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return { ...jsonSchema, type: 'object' };
}
