import { z } from 'zod';
import type { TaskLimits } from '../config';
import type { ToolCallResult } from '../../common/task-types';
import type { TaskSupport, WorkflowToolDefinition } from '../../common/tool-definition';

export type { TaskSupport, WorkflowToolDefinition };

/** What a local tool may read: the server's own settings, never task state. */
export interface LocalToolContext {
  limits: TaskLimits;
  timeLimitsSeconds: Record<string, number>;
}

/** A quick tool answered in the MCP server process; it has no state and is never a task. */
export interface LocalToolDefinition {
  kind: 'local';
  name: string;
  title: string;
  description: string;
  /** Validates and defaults the arguments; its JSON Schema is what `tools/list` shows. */
  inputSchema: z.ZodObject;
  /** Schema of `structuredContent`; a tool without one returns no `structuredContent`. */
  outputSchema: z.ZodObject | undefined;
  taskSupport: 'forbidden';
  execute(args: unknown, context: LocalToolContext): Promise<ToolCallResult>;
}

export type ToolDefinition = WorkflowToolDefinition | LocalToolDefinition;

/** What `tools/list` shows of a tool in every protocol revision (2025-11-25 adds `execution`). */
export function describeTool(tool: ToolDefinition): Record<string, unknown> {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: (tool.kind === 'workflow' && tool.inputJsonSchema) || toToolJsonSchema(tool.inputSchema, 'input'),
    ...(tool.outputSchema && { outputSchema: toToolJsonSchema(tool.outputSchema, 'output') }),
  };
}

/** A JSON Schema value, as `z.toJSONSchema` produces it. */
type JsonSchemaNode = { [key: string]: unknown };

/**
 * JSON Schema of a zod object schema, in the shape MCP's `Tool.inputSchema`/`outputSchema` expects.
 * Nullable types come out of zod as `type: ["string", "null"]`, which some clients (the MCP Inspector)
 * do not render; they are rewritten as the equivalent, more portable `anyOf`.
 */
export function toToolJsonSchema(
  schema: z.ZodObject,
  io: 'input' | 'output',
): { type: 'object'; [key: string]: unknown } {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return { ...portable(jsonSchema), type: 'object' };
}

function portable(node: JsonSchemaNode): JsonSchemaNode {
  const out: JsonSchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      out[key] = value.map((item: unknown) => (isNode(item) ? portable(item) : item));
    } else if (isNode(value)) {
      out[key] = portable(value);
    } else {
      out[key] = value;
    }
  }
  if (Array.isArray(out.type)) {
    const { type, ...rest } = out;
    return { anyOf: (type as unknown[]).map((one) => ({ ...rest, type: one })) };
  }
  return out;
}

function isNode(value: unknown): value is JsonSchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
