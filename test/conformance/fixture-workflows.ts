/** The worker's entry to the fixture workflows (named re-exports, as `workflows/index.ts`). */
export {
  confirmDeleteWorkflow,
  failingJobWorkflow,
  greetWorkflow,
  multiInputWorkflow,
  protocolErrorJobWorkflow,
  slowComputeWorkflow,
  testToolWithTaskWorkflow,
} from './fixture-tools';
export { cleanupExpiredTasksWorkflow } from '../../workflows/cleanup-expired-tasks';
