export { analyzeDatasetWorkflow } from './analyze-dataset';
export { longRunningOperationWorkflow } from './long-running-operation';
