import { createAnalyzeDataset } from './dataset/analyze-dataset';
import { createRunTimedSteps } from './long-running-operation';
import { createMemoryActivities } from './memory';
import { createDeleteExpiredTasks } from './task-cleanup';
import { loggingObserver, type ActivityObserver } from './observer';
import type { WorkflowActivities } from '../workflows';
import type { UrlSourcePolicy } from './common/url-policy';
import type { DataLimits } from './common/data-limits';

/** What the activities need from the process that hosts them; the worker builds it from its config. */
export interface ActivityDeps {
  /** Roots that dataset paths may resolve into; the first is where relative paths start. */
  datasetRoots: string[];
  /** Which `http(s)://` dataset and import sources may be fetched (`hosts: []`: none), and how much of them. */
  urlSources: UrlSourcePolicy;
  /** Caps on what one task may consume (columns, record length, distinct values, result size, stored text). @default DEFAULT_DATA_LIMITS */
  dataLimits?: DataLimits;
  /** The project memory's SQLite file. */
  memoryDbFile: string;
  /** Where `export_memory` writes its files. */
  exportsDir: string;
  /**
   * How long a dataset or import source may send nothing before the attempt fails with `SourceStalled`
   * (retried from the last checkpoint, up to `LAST_STALL_RETRY_ATTEMPT`). @default 300_000
   */
  sourceStallTimeoutMs?: number;
  /** Receives lifecycle events such as cancellations. @default loggingObserver */
  observer?: ActivityObserver;
}

/** Builds every activity the workflows call, closed over its dependencies. */
export function createActivities(deps: ActivityDeps): Activities {
  const observer = deps.observer ?? loggingObserver;
  return {
    runTimedSteps: createRunTimedSteps(observer),
    deleteExpiredTasks: createDeleteExpiredTasks(),
    analyzeDataset: createAnalyzeDataset({
      datasetRoots: deps.datasetRoots,
      urlSources: deps.urlSources,
      sourceStallTimeoutMs: deps.sourceStallTimeoutMs,
      limits: deps.dataLimits,
      observer,
    }),
    ...createMemoryActivities({
      dbFile: deps.memoryDbFile,
      exportsDir: deps.exportsDir,
      datasetRoots: deps.datasetRoots,
      urlSources: deps.urlSources,
      sourceStallTimeoutMs: deps.sourceStallTimeoutMs,
      limits: deps.dataLimits,
      observer,
    }),
  };
}

/** The activities the worker registers (by property name): those the workflow files declare. */
export type Activities = WorkflowActivities;
