export { createActivities } from './create-activities';
export { closeMemoryDatabases } from './memory';
export type { Activities, ActivityDeps } from './create-activities';
export type { ActivityObserver, CancellationReport } from './observer';
