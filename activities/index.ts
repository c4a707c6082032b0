export { createActivities } from './create-activities';
export { closeMemoryDatabases, closeMemoryStore, memoryStore, pruneAllExports } from './memory';
export type { Activities, ActivityDeps, ToolActivityDeps, ToolActivitiesFactory } from './create-activities';
export type { ActivityObserver, CancellationReport } from './observer';
