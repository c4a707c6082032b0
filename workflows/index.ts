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
