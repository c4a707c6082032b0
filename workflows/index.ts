/**
 * The workflows the worker runs, and the tools they implement. Temporal finds a workflow by its export
 * name, which must equal its function name (the type the MCP server starts it by); a unit test checks
 * that every tool's workflow is exported here under that name.
 */
import type { WorkflowToolDefinition } from '../common/tool-definition';
import { analyzeDatasetTool } from './analyze-dataset';
import { longRunningOperationTool } from './long-running-operation';
import {
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  purgeDecisionsTool,
  recordDecisionTool,
} from './project-memory';

export { analyzeDatasetWorkflow } from './analyze-dataset';
export { cleanupExpiredTasksWorkflow } from './cleanup-expired-tasks';
export { longRunningOperationWorkflow } from './long-running-operation';
export {
  analyzeDecisionPatternsWorkflow,
  exportMemoryWorkflow,
  getRecentDecisionsWorkflow,
  importDecisionsWorkflow,
  purgeDecisionsWorkflow,
  recordDecisionWorkflow,
} from './project-memory';

/** Every workflow tool, in `tools/list` order. */
export const WORKFLOW_TOOLS: readonly WorkflowToolDefinition[] = [
  longRunningOperationTool,
  analyzeDatasetTool,
  recordDecisionTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  purgeDecisionsTool,
];
