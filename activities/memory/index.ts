import type { ActivityObserver } from '../observer';
import type { UrlSourcePolicy } from '../common/url-policy';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../common/data-limits';
import { createAnalyzeDecisionPatterns } from './analyze-patterns';
import { memoryStore, type MemoryStoreTarget } from './memory-stores';
import { createExportMemory } from './export-memory';
import { createImportDecisions } from './import-decisions';
import { createCountPurgeMatches, createPurgeDecisions } from './purge';
import { createGetRecentDecisions, createRecordDecision } from './record-decision';
import type { ProjectMemoryActivities } from './types';
import type { MemoryStore } from './memory-store';

export { closeMemoryDatabases } from './database';
export { closeMemoryStore, memoryStore, type MemoryStoreTarget } from './memory-stores';
export type { MemoryStore } from './memory-store';
export { DEFAULT_EXPORT_RETENTION_MS, pruneAllExports, tenantExportFolder } from './export-files';
export { IMPORT_BATCH_LINES } from './import-decisions';
export type { ImportCheckpoint } from './import-progress';
export type {
  AnalyzePatternsOptions,
  BucketCount,
  DecisionPatterns,
  DecisionRecord,
  DecisionReversal,
  ExportMemoryOptions,
  ImportDecisionsOptions,
  ImportSummary,
  InvalidLine,
  MemoryExport,
  MemoryScope,
  PurgeCount,
  PurgeDecisionsOptions,
  PurgeFilterOptions,
  ProjectMemoryActivities,
  RecentDecisions,
  RecentDecisionsOptions,
  RecordDecisionOptions,
} from './types';

/** What the memory activities need from the worker. */
export interface MemoryDeps extends MemoryStoreTarget {
  /**
   * A store opened by the caller, used instead of the one `dbFile` or `databaseUrl` names; the caller
   * closes it.
   */
  store?: MemoryStore;
  /** Where `exportMemory` writes its files, in one folder per tenant; created when missing. */
  exportsDir: string;
  /**
   * How long an export is kept: a tenant's older files go when it exports again.
   * @default DEFAULT_EXPORT_RETENTION_MS (7 days)
   */
  exportRetentionMs?: number;
  /** Roots that import paths must resolve into; the first is where relative paths start. */
  datasetRoots: string[];
  /** Which `http(s)://` import sources may be fetched (`hosts: []`: none), and how much of them. */
  urlSources: UrlSourcePolicy;
  /** Receives cancellations of the long activities. */
  observer: ActivityObserver;
  /** Longest time between two heartbeats of `importDecisions`. @default 1000 */
  checkpointIntervalMs?: number;
  /** How long an import source may send nothing before the attempt fails. @default DEFAULT_SOURCE_STALL_TIMEOUT_MS */
  sourceStallTimeoutMs?: number;
  /** Decisions `purgeDecisions` deletes per transaction. @default PURGE_BATCH_ROWS */
  purgeBatchRows?: number;
  /** Caps on import sources, stored text and results. @default DEFAULT_DATA_LIMITS */
  limits?: DataLimits;
}

/**
 * Builds the project-memory activities over one database (SQLite in `dbFile`, or PostgreSQL at
 * `databaseUrl`): a store of the team's decisions written only by these activities. Decisions belong to tenants: every activity takes a
 * `MemoryScope` and reads, writes, exports and purges only that tenant's decisions. The database is
 * opened lazily on the first call, once per process and database (SQLite in WAL mode with a busy
 * timeout; PostgreSQL through a connection pool); its schema is created or migrated then.
 *
 * Every write is idempotent under activity retries: `recordDecision` keys its row by the calling
 * workflow, the import keys rows by their source identity, and a purge is bounded by a counted `maxId`.
 * Invalid arguments throw non-retryable `InvalidInput` failures; import sources fail like the dataset
 * activity's (`AccessDenied`, `SourceNotFound`, `SourceUnreadable`). The long activities (import,
 * analysis, export) heartbeat and report a cancellation to `observer` before rethrowing it.
 *
 * @example
 * const memory = createMemoryActivities({ dbFile, exportsDir, datasetRoots, urlSources: NO_URL_SOURCES, observer });
 * const { id } = await memory.recordDecision({ title: 'Use Postgres', decision: 'We use Postgres 16.', tags: ['db'] });
 */
export function createMemoryActivities(deps: MemoryDeps): MemoryActivities {
  const given = deps.store;
  const store = given === undefined ? () => memoryStore(deps) : () => given;
  const limits = deps.limits ?? DEFAULT_DATA_LIMITS;
  return {
    recordDecision: createRecordDecision(store, limits.maxStoredTextChars),
    getRecentDecisions: createGetRecentDecisions(store, limits.maxResultBytes),
    importDecisions: createImportDecisions(store, {
      datasetRoots: deps.datasetRoots,
      urlSources: deps.urlSources,
      observer: deps.observer,
      checkpointIntervalMs: deps.checkpointIntervalMs,
      sourceStallTimeoutMs: deps.sourceStallTimeoutMs,
      limits,
    }),
    analyzeDecisionPatterns: createAnalyzeDecisionPatterns(store, deps.observer),
    exportMemory: createExportMemory(store, {
      exportsDir: deps.exportsDir,
      observer: deps.observer,
      retentionMs: deps.exportRetentionMs,
    }),
    countPurgeMatches: createCountPurgeMatches(store),
    purgeDecisions: createPurgeDecisions(store, { observer: deps.observer, batchRows: deps.purgeBatchRows }),
  };
}

/** The project-memory activities, as registered with the worker (by property name). */
export type MemoryActivities = ProjectMemoryActivities;
