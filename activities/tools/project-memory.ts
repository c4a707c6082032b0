import type { ProjectMemoryActivities } from '../../workflows/tools/project-memory';
import type { ToolActivityDeps } from '../activity-deps';
import { createMemoryActivities } from '../memory';

/** The activities of the project-memory tools (see activities/create-activities.ts). */
export const createToolActivities = ((deps) =>
  createMemoryActivities({
    dbFile: deps.memoryDbFile,
    databaseUrl: deps.memoryDatabaseUrl,
    exportsDir: deps.exportsDir,
    exportRetentionMs: deps.exportRetentionMs,
    datasetRoots: deps.datasetRoots,
    urlSources: deps.urlSources,
    sourceStallTimeoutMs: deps.sourceStallTimeoutMs,
    limits: deps.dataLimits,
    observer: deps.observer,
  })) satisfies (deps: ToolActivityDeps) => ProjectMemoryActivities;
