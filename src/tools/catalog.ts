import { analyzeDatasetTool } from './analyze-dataset';
import { describeTaskLimitsTool } from './describe-task-limits';
import { longRunningOperationTool } from './long-running-operation';
import {
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  purgeDecisionsTool,
  recordDecisionTool,
} from './project-memory';
import type { ToolDefinition, WorkflowToolDefinition } from './tool-definition';

/** Every tool the product serves, in `tools/list` order. */
export const TOOL_CATALOG: readonly ToolDefinition[] = [
  longRunningOperationTool,
  analyzeDatasetTool,
  recordDecisionTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  purgeDecisionsTool,
  describeTaskLimitsTool,
];

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

export type { ToolDefinition, WorkflowToolDefinition };
