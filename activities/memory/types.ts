/**
 * Inputs and outputs of the project-memory activities, under the names the activities use. The
 * contract is `ProjectMemoryActivities` in `workflows/tools/project-memory.ts`: the tools' schemas and the
 * few values only the workflow and its activities exchange. Everything is a plain JSON value: Temporal
 * serialises activity arguments and results as JSON.
 */
import type {
  AnalyzePatternsArgs,
  BucketCount,
  DecisionPatterns,
  DecisionRecord,
  DecisionReversal,
  ExportMemoryArgs,
  ImportDecisionsArgs,
  ImportResult,
  MemoryExport,
  MemoryScope,
  ProjectMemoryActivities,
  PurgeArgs,
  PurgeCount,
  PurgeDecisionsArgs,
  PurgeResult,
  RecentDecisions,
  RecentDecisionsArgs,
  RecordDecisionArgs,
  RecordedDecision,
} from '../../workflows/tools/project-memory';

export type {
  BucketCount,
  DecisionPatterns,
  DecisionRecord,
  DecisionReversal,
  MemoryExport,
  MemoryScope,
  ProjectMemoryActivities,
  PurgeCount,
  PurgeResult,
  RecentDecisions,
  RecordedDecision,
};

/** Arguments of `recordDecision`: those of `record_decision`. */
export type RecordDecisionOptions = RecordDecisionArgs;
/** Arguments of `getRecentDecisions`: those of `get_recent_decisions`. */
export type RecentDecisionsOptions = RecentDecisionsArgs;
/** Arguments of `importDecisions`: those of `import_decisions`. */
export type ImportDecisionsOptions = ImportDecisionsArgs;
/** Arguments of `analyzeDecisionPatterns`: those of `analyze_decision_patterns`. */
export type AnalyzePatternsOptions = AnalyzePatternsArgs;
/** Arguments of `exportMemory`: those of `export_memory`. */
export type ExportMemoryOptions = ExportMemoryArgs;
/** Which decisions a purge targets: the filter of `purge_decisions`. */
export type PurgeFilterOptions = PurgeArgs;

/** A line the import skipped, with the reason. */
export type InvalidLine = ImportResult['invalid'][number];
/** Result of `importDecisions`: the `structuredContent` of `import_decisions`. */
export type ImportSummary = ImportResult;

/** Arguments of `purgeDecisions`: the filter plus the snapshot bound from `countPurgeMatches`. */
export type PurgeDecisionsOptions = PurgeDecisionsArgs;
