import type { DataLimits } from './common/data-limits';
import type { UrlSourcePolicy } from './common/url-policy';
import type { ActivityObserver } from './observer';

/** What the activities need from the process that hosts them; the worker builds it from its config. */
export interface ActivityDeps {
  /** Roots that dataset paths may resolve into; the first is where relative paths start. */
  datasetRoots: string[];
  /** Which `http(s)://` dataset and import sources may be fetched (`hosts: []`: none), and how much of them. */
  urlSources: UrlSourcePolicy;
  /** Caps on what one task may consume (columns, record length, distinct values, result size, stored text). @default DEFAULT_DATA_LIMITS */
  dataLimits?: DataLimits;
  /** The project memory's SQLite file, unless `memoryDatabaseUrl` is set. */
  memoryDbFile: string;
  /** The project memory's PostgreSQL database (`DATABASE_URL`); undefined keeps it in `memoryDbFile`. */
  memoryDatabaseUrl?: string;
  /** Where `export_memory` writes its files, one folder per tenant. */
  exportsDir: string;
  /** How long an export is kept, in milliseconds (`EXPORT_RETENTION_DAYS`). @default 7 days */
  exportRetentionMs?: number;
  /**
   * How long a dataset or import source may send nothing before the attempt fails with `SourceStalled`
   * (retried from the last checkpoint, up to `LAST_STALL_RETRY_ATTEMPT`). @default 300_000
   */
  sourceStallTimeoutMs?: number;
  /** Receives lifecycle events such as cancellations. @default loggingObserver */
  observer?: ActivityObserver;
}

/** The dependencies as a tool's activities receive them: defaults applied. */
export type ToolActivityDeps = ActivityDeps & { observer: ActivityObserver };

/**
 * What every module in `activities/tools/` exports as `createToolActivities`: the activities of one
 * tool module, typed by the interface its workflow file declares (so typecheck fails until each one is
 * implemented). The worker registers them by property name.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- activities take any arguments
export type ToolActivitiesFactory = (deps: ToolActivityDeps) => Record<string, (...args: any[]) => Promise<unknown>>;
