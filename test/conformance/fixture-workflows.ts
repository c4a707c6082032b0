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
export {
  askConfirmWorkflow,
  askNameWorkflow,
  audioContentWorkflow,
  contactWorkflow,
  embeddedResourceWorkflow,
  errorHandlingWorkflow,
  imageContentWorkflow,
  multipleContentTypesWorkflow,
  progressWorkflow,
  simpleTextWorkflow,
  twoStepWorkflow,
} from './core-fixture-tools';
export { cleanupExpiredTasksWorkflow } from '../../workflows/cleanup-expired-tasks';
