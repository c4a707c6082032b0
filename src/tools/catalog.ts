import { WORKFLOW_TOOLS } from './workflow-tools';
import { describeTaskLimitsTool } from './describe-task-limits';
import type { ToolDefinition } from './tool-definition';

/**
 * Every tool the product serves, in `tools/list` order: the workflow tools that `workflows/tools/` declares, then
 * the tools answered in the MCP server process. Importing the workflows here only takes references to
 * their functions; their code runs in the worker's sandbox.
 */
export const TOOL_CATALOG: readonly ToolDefinition[] = [...WORKFLOW_TOOLS, describeTaskLimitsTool];

/** Time limit of every workflow tool after configuration overrides, by tool name. */
export function resolveTimeLimits(
  tools: readonly ToolDefinition[],
  overrides: Record<string, number>,
): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const tool of tools) {
    if (tool.kind === 'workflow') limits[tool.name] = overrides[tool.name] ?? tool.defaultTimeLimitSeconds;
  }
  return limits;
}

export type { ToolDefinition };
