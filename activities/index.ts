export { createActivities } from './create-activities';
export { closeMemoryDatabases, closeMemoryStore, pruneAllExports } from './memory';
export type { Activities, ActivityDeps, ToolActivityDeps, ToolActivitiesFactory } from './create-activities';
export type { ActivityObserver, CancellationReport } from './observer';
