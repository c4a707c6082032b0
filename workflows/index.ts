/**
 * The workflows the worker runs, and the tools they implement. Temporal finds a workflow by its export
 * name, which must equal its function name (the type the MCP server starts it by); a unit test checks
 * that every tool's workflow is exported here under that name.
 */
import type { WorkflowToolDefinition } from '../common/tool-definition';
import { analyzeDatasetTool, type AnalyzeDatasetActivities } from './analyze-dataset';
import type { CleanupExpiredTasksActivities } from './cleanup-expired-tasks';
import { longRunningOperationTool, type LongRunningOperationActivities } from './long-running-operation';
import {
  analyzeDecisionPatternsTool,
  exportMemoryTool,
  getRecentDecisionsTool,
  importDecisionsTool,
  purgeDecisionsTool,
  recordDecisionTool,
  type ProjectMemoryActivities,
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

/**
 * Every activity the workflows call, as each workflow file declares it: the worker's activities
 * (`createActivities` in activities/) implement this.
 */
export type WorkflowActivities = LongRunningOperationActivities &
  AnalyzeDatasetActivities &
  ProjectMemoryActivities &
  CleanupExpiredTasksActivities;
