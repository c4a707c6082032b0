import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import {
  LOCAL_TENANT,
  NON_RETRYABLE_FAILURE_TYPES,
  type ToolCallResult,
  type ToolWorkflowInput,
} from '../../common/task-types';
import { defineWorkflowTool, structuredResult } from '../../common/tool-definition';
import { runToolTask } from '../task-lifecycle';

/*
 * The project-memory tools: each one's schemas, workflow and declaration, and the interface of the
 * activities they run (`ProjectMemoryActivities`). The activities take the types inferred here, so a
 * limit is written once.
 */

/** Largest `limit` of `get_recent_decisions`. */
export const MAX_RECENT_LIMIT = 100;

/** A date (`2026-01-31`) or a date-time with offset (`2026-01-31T12:00:00Z`). */
const IsoDateSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).describe('ISO 8601 date or date-time');
/** A tag as stored: trimmed and lower-cased. */
const TagSchema = z.string().trim().toLowerCase().min(1).max(64);

export const DecisionRecordSchema = z.object({
  id: z.number().describe('Store-local id, assigned in insertion order and never reused'),
  title: z.string(),
  decision: z.string(),
  rationale: z.string().nullable().describe('null when no rationale was given'),
  tags: z.array(z.string()).describe('Trimmed, lower-cased, deduplicated'),
  createdAt: z.string().describe('ISO 8601 UTC timestamp'),
});
/** One stored decision, as every read returns it. */
export type DecisionRecord = z.output<typeof DecisionRecordSchema>;

/**
 * Whose decisions an activity reads or writes: the memory is partitioned by tenant, and every activity
 * sees only its tenant's decisions.
 */
export interface MemoryScope {
  tenant: string;
}

/** The memory scope of a tool workflow: its owner's tenant (the local one for workflows started before tenants). */
export function memoryScope(input: ToolWorkflowInput<unknown>): MemoryScope {
  return { tenant: input.tenant ?? LOCAL_TENANT };
}

/**
 * The activities the project-memory tools run; implemented in `activities/memory`. The workflows always
 * pass the scope; it is optional because activities scheduled before tenants existed are retried with
 * the arguments they were scheduled with, and those belonged to the local tenant.
 */
export interface ProjectMemoryActivities {
  /** Stores one decision; a retry (or a second call from the same workflow) returns the first id. */
  recordDecision: (args: RecordDecisionArgs, scope?: MemoryScope) => Promise<RecordedDecision>;
  /** The newest decisions, optionally with one tag. */
  getRecentDecisions: (args: RecentDecisionsArgs, scope?: MemoryScope) => Promise<RecentDecisions>;
  /** Bulk, idempotent import; resumes from its last committed batch. */
  importDecisions: (args: ImportDecisionsArgs, scope?: MemoryScope) => Promise<ImportResult>;
  /** Counts per bucket, tag trends, top tags and reversals. */
  analyzeDecisionPatterns: (args: AnalyzePatternsArgs, scope?: MemoryScope) => Promise<DecisionPatterns>;
  /** Writes every decision to a new file under the tenant's folder of the exports directory. */
  exportMemory: (args: ExportMemoryArgs, scope?: MemoryScope) => Promise<MemoryExport>;
  /** How many decisions the filter matches now, with the snapshot bound a purge of exactly them needs. */
  countPurgeMatches: (filter: PurgeArgs, scope?: MemoryScope) => Promise<PurgeCount>;
  /** Deletes the decisions matching the filter up to `maxId`; a retry continues and reports the whole total. */
  purgeDecisions: (args: PurgeDecisionsArgs, scope?: MemoryScope) => Promise<PurgeResult>;
}

const queries = proxyActivities<ProjectMemoryActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** Long passes over the whole memory or a source file: heartbeated, resumable, cancellable. */
const passes = proxyActivities<ProjectMemoryActivities>({
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

// record_decision

export const RecordDecisionArgsSchema = z.strictObject({
  title: z.string().trim().min(1).max(500),
  decision: z.string().trim().min(1).max(10_000),
  rationale: z.string().max(10_000).optional(),
  tags: z.array(TagSchema).max(32).default([]),
});
export type RecordDecisionArgs = z.output<typeof RecordDecisionArgsSchema>;
export const RecordedDecisionSchema = z.object({ id: z.number() });
export type RecordedDecision = z.output<typeof RecordedDecisionSchema>;

/** `record_decision`: stores one decision. Idempotent under retries (keyed by this workflow's id). */
export async function recordDecisionWorkflow(input: ToolWorkflowInput<RecordDecisionArgs>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { id } = await queries.recordDecision(input.arguments, memoryScope(input));
    return structuredResult<RecordedDecision>(`Recorded decision #${id}: ${input.arguments.title}`, { id });
  });
}

export const recordDecisionTool = defineWorkflowTool({
  name: 'record_decision',
  title: 'Record a decision',
  description:
    "Stores one of the team's decisions (title, decision, optional rationale and tags) in the project memory.",
  inputSchema: RecordDecisionArgsSchema,
  outputSchema: RecordedDecisionSchema,
  taskSupport: 'forbidden',
  defaultTimeLimitSeconds: 120,
  workflow: recordDecisionWorkflow,
});

// get_recent_decisions

export const RecentDecisionsArgsSchema = z.strictObject({
  limit: z.number().int().min(1).max(MAX_RECENT_LIMIT).default(10),
  tag: TagSchema.optional(),
});
export type RecentDecisionsArgs = z.output<typeof RecentDecisionsArgsSchema>;
export const RecentDecisionsSchema = z.object({
  decisions: z.array(DecisionRecordSchema).describe('Newest first: createdAt descending, then id descending'),
  truncated: z
    .boolean()
    .optional()
    .describe('true when fewer than `limit` were returned to keep the result under its size limit'),
});
export type RecentDecisions = z.output<typeof RecentDecisionsSchema>;

/** `get_recent_decisions`: the newest decisions, optionally with one tag. */
export async function getRecentDecisionsWorkflow(
  input: ToolWorkflowInput<RecentDecisionsArgs>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const result = await queries.getRecentDecisions(input.arguments, memoryScope(input));
    const lines = result.decisions.map((d) => `#${d.id} ${d.createdAt.slice(0, 10)} ${d.title}: ${d.decision}`);
    if (result.truncated) lines.push(`(only ${result.decisions.length} shown: the result reached its size limit)`);
    return structuredResult<RecentDecisions>(
      lines.length > 0 ? lines.join('\n') : 'No decisions recorded yet.',
      result,
    );
  });
}

export const getRecentDecisionsTool = defineWorkflowTool({
  name: 'get_recent_decisions',
  title: 'Recent decisions',
  description: 'The most recent decisions of the project memory, newest first, optionally only those with a tag.',
  inputSchema: RecentDecisionsArgsSchema,
  outputSchema: RecentDecisionsSchema,
  taskSupport: 'forbidden',
  defaultTimeLimitSeconds: 120,
  workflow: getRecentDecisionsWorkflow,
});

// import_decisions

export const ImportDecisionsArgsSchema = z.strictObject({
  source: z
    .string()
    .trim()
    .min(1)
    .max(4096)
    .describe('A path inside the allowed roots (relative paths start at DATA_DIR/datasets), or an http(s) URL'),
  format: z.enum(['jsonl', 'csv']).optional().describe('Defaults from the file extension'),
});
export type ImportDecisionsArgs = z.output<typeof ImportDecisionsArgsSchema>;
export const InvalidLineSchema = z.object({
  line: z.number().describe('1-based physical line where the record starts (the CSV header is line 1)'),
  error: z.string(),
});
export const ImportResultSchema = z.object({
  imported: z.number().describe('Records that created a decision'),
  updated: z.number().describe('Records that changed an existing decision'),
  unchanged: z.number().describe('Records identical to a stored decision'),
  invalid: z.array(InvalidLineSchema).describe('The first 100 invalid lines'),
  invalidCount: z.number().describe('All invalid lines'),
});
export type ImportResult = z.output<typeof ImportResultSchema>;

/** `import_decisions`: bulk, idempotent import of a JSONL or CSV history. */
export async function importDecisionsWorkflow(input: ToolWorkflowInput<ImportDecisionsArgs>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const summary = await passes.importDecisions(input.arguments, memoryScope(input));
    return structuredResult<ImportResult>(
      `Imported ${summary.imported} new and updated ${summary.updated} decisions from ${input.arguments.source}; ` +
        `${summary.invalidCount} invalid lines.`,
      summary,
    );
  });
}

export const importDecisionsTool = defineWorkflowTool({
  name: 'import_decisions',
  title: 'Import decisions',
  description:
    'Bulk-imports a history of decisions from a JSONL or CSV file (inside the allowed roots) or URL, reporting ' +
    'progress per batch. Idempotent: re-running it, or a crash part-way, creates no duplicates; a file written by ' +
    'export_memory imports back onto the same decisions. Invalid lines are reported (first 100), not fatal.',
  inputSchema: ImportDecisionsArgsSchema,
  outputSchema: ImportResultSchema,
  taskSupport: 'required',
  defaultTimeLimitSeconds: 3600,
  workflow: importDecisionsWorkflow,
});

// analyze_decision_patterns

export const AnalyzePatternsArgsSchema = z
  .strictObject({
    since: IsoDateSchema.optional().describe('Inclusive lower bound on createdAt'),
    until: IsoDateSchema.optional().describe('Exclusive upper bound on createdAt'),
    bucket: z.enum(['week', 'month']).default('month'),
  })
  .refine((args) => !args.since || !args.until || Date.parse(args.since) < Date.parse(args.until), {
    message: 'since must be before until',
    path: ['since'],
  });
export type AnalyzePatternsArgs = z.output<typeof AnalyzePatternsArgsSchema>;
const BucketCountSchema = z.object({
  start: z.string().describe('Start of the bucket in ISO UTC: a Monday 00:00 for weeks, the 1st 00:00 for months'),
  count: z.number(),
});
export type BucketCount = z.output<typeof BucketCountSchema>;
const DecisionReversalSchema = z.object({
  decisionId: z.number(),
  title: z.string(),
  reversesId: z.number(),
  reversesTitle: z.string(),
  reason: z.string().describe('Why it matched, e.g. `cue "revert"; titles 67% similar`'),
});
export type DecisionReversal = z.output<typeof DecisionReversalSchema>;
export const DecisionPatternsSchema = z.object({
  range: z
    .object({ since: z.string().nullable(), until: z.string().nullable() })
    .describe('The bounds applied, in ISO UTC; null when unbounded'),
  bucket: z.enum(['week', 'month']),
  total: z.number().describe('Decisions in the range'),
  buckets: z.array(BucketCountSchema).describe('Ascending and contiguous, empty buckets included'),
  topTags: z.array(z.object({ tag: z.string(), count: z.number() })).describe('The 20 most used tags'),
  tagTrends: z
    .array(z.object({ tag: z.string(), counts: z.array(BucketCountSchema) }))
    .describe('For the 5 most used tags, a count per bucket of `buckets`'),
  reversals: z.array(DecisionReversalSchema).describe('The latest 200 reversals, chronologically'),
  reversalCount: z.number().describe('All reversals found'),
});
export type DecisionPatterns = z.output<typeof DecisionPatternsSchema>;

/** `analyze_decision_patterns`: counts per bucket, tag trends, top tags and reversals. */
export async function analyzeDecisionPatternsWorkflow(
  input: ToolWorkflowInput<AnalyzePatternsArgs>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const patterns = await passes.analyzeDecisionPatterns(input.arguments, memoryScope(input));
    const top = patterns.topTags.slice(0, 5).map((t) => `${t.tag} (${t.count})`);
    return structuredResult<DecisionPatterns>(
      `${patterns.total} decisions in ${patterns.buckets.length} ${input.arguments.bucket}s; ` +
        `top tags: ${top.length > 0 ? top.join(', ') : 'none'}; ${patterns.reversals.length} reversals.`,
      patterns,
    );
  });
}

export const analyzeDecisionPatternsTool = defineWorkflowTool({
  name: 'analyze_decision_patterns',
  title: 'Analyse decision patterns',
  description:
    'Counts decisions per week or month, tag trends over time, the most frequent tags, and decisions that reverse ' +
    'an earlier one on the same topic (similar titles plus a reversal cue such as "revert" or "instead of").',
  inputSchema: AnalyzePatternsArgsSchema,
  outputSchema: DecisionPatternsSchema,
  taskSupport: 'required',
  defaultTimeLimitSeconds: 1800,
  workflow: analyzeDecisionPatternsWorkflow,
});

// export_memory

export const ExportMemoryArgsSchema = z.strictObject({ format: z.enum(['jsonl', 'json', 'csv']).default('jsonl') });
export type ExportMemoryArgs = z.output<typeof ExportMemoryArgsSchema>;
export const MemoryExportSchema = z.object({
  path: z
    .string()
    .describe("Path of the file relative to the exports directory (DATA_DIR/exports): '<tenant folder>/<name>'"),
  count: z.number().describe('Decisions written'),
  sha256: z.string().describe("Hex SHA-256 of the file's bytes"),
});
export type MemoryExport = z.output<typeof MemoryExportSchema>;

const MIME_TYPES: Record<ExportMemoryArgs['format'], string> = {
  jsonl: 'application/jsonl',
  json: 'application/json',
  csv: 'text/csv',
};

/**
 * `export_memory`: writes the tenant's decisions to a file under DATA_DIR/exports and links it. The
 * link names the file relative to the exports directory (`memory-export:<path>`): no server path leaves.
 */
export async function exportMemoryWorkflow(input: ToolWorkflowInput<ExportMemoryArgs>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const exported = await passes.exportMemory(input.arguments, memoryScope(input));
    const name = exported.path.split('/').pop() ?? exported.path;
    const result = structuredResult<MemoryExport>(
      `Exported ${exported.count} decisions to exports/${exported.path} (sha256 ${exported.sha256}).`,
      exported,
    );
    result.content.push({
      type: 'resource_link',
      uri: `memory-export:${exported.path}`,
      name,
      mimeType: MIME_TYPES[input.arguments.format],
      description: `Project memory export, ${exported.count} decisions`,
    });
    return result;
  });
}

export const exportMemoryTool = defineWorkflowTool({
  name: 'export_memory',
  title: 'Export the project memory',
  description:
    "Writes every decision of the caller's tenant to a file under DATA_DIR/exports (jsonl, json or csv) and " +
    'returns its path there, count and sha256. import_decisions reads the file back onto the same decisions. ' +
    'CSV cells that a spreadsheet would run as formulas are prefixed with an apostrophe, which the import removes.',
  inputSchema: ExportMemoryArgsSchema,
  outputSchema: MemoryExportSchema,
  taskSupport: 'required',
  defaultTimeLimitSeconds: 1800,
  workflow: exportMemoryWorkflow,
});

// purge_decisions

export const PurgeArgsSchema = z
  .strictObject({
    tag: TagSchema.optional().describe('Decisions carrying exactly this tag'),
    before: IsoDateSchema.optional().describe('Decisions created strictly before this date'),
  })
  .refine((args) => args.tag !== undefined || args.before !== undefined, {
    message: 'give a tag and/or a before date',
  });
export type PurgeArgs = z.output<typeof PurgeArgsSchema>;
export const PurgeResultSchema = z.object({ deleted: z.number() });
export type PurgeResult = z.output<typeof PurgeResultSchema>;

/** Result of `countPurgeMatches`. */
export interface PurgeCount {
  count: number;
  /** The largest id existing at the time of the count (0 when the store is empty). */
  maxId: number;
}

/** Arguments of `purgeDecisions`: the filter plus the snapshot bound from `countPurgeMatches`. */
export type PurgeDecisionsArgs = PurgeArgs & {
  /** Only ids up to this one are deleted, so that decisions added after the count survive. */
  maxId: number;
};

/** "1 record", "3 records". */
export function records(count: number): string {
  return `${count} ${count === 1 ? 'record' : 'records'}`;
}

/**
 * `purge_decisions`: counts the matches, asks the client to confirm, and deletes exactly the rows it
 * counted (not rows added while it waited). Decline, `confirmed: false`, or a cancellation before the
 * answer delete nothing. Once confirmed, the delete runs to its end even if the task is cancelled
 * meanwhile, and the task completes with the count: its outcome always says what really happened.
 */
export async function purgeDecisionsWorkflow(input: ToolWorkflowInput<PurgeArgs>): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const { count, maxId } = await queries.countPurgeMatches(input.arguments, memoryScope(input));
    if (count === 0) return structuredResult<PurgeResult>('No decisions match; nothing to delete.', { deleted: 0 });
    const answer = await state.requestInput(`Confirm deletion of ${records(count)}?`, {
      type: 'object',
      properties: { confirmed: { type: 'boolean' } },
      required: ['confirmed'],
    });
    if (answer.action !== 'accept') {
      const how = answer.action === 'decline' ? 'declined' : 'cancelled';
      return structuredResult<PurgeResult>(`Nothing deleted: the confirmation was ${how}.`, { deleted: 0 });
    }
    if (answer.content.confirmed !== true) {
      return structuredResult<PurgeResult>('Nothing deleted: deletion was not confirmed.', { deleted: 0 });
    }
    // The confirmed delete is the point of no return: a cancel that arrived with the answer wins and
    // nothing is deleted; one that comes later is refused, and the task completes with the count.
    const { deleted } = await state.commit(`Deleting ${records(count)}`, () =>
      passes.purgeDecisions({ ...input.arguments, maxId }, memoryScope(input)),
    );
    return structuredResult<PurgeResult>(`Deleted ${records(deleted)}.`, { deleted });
  });
}

export const purgeDecisionsTool = defineWorkflowTool({
  name: 'purge_decisions',
  title: 'Purge decisions',
  description:
    'Deletes the decisions with a tag and/or created before a date, after asking the client to confirm the count ' +
    '(the task is input_required meanwhile). Deletes exactly the records counted; decline, confirmed=false or a ' +
    'cancel before the answer delete nothing. Once confirmed, the delete completes even if the task is cancelled.',
  inputSchema: PurgeArgsSchema,
  outputSchema: PurgeResultSchema,
  taskSupport: 'required',
  asksDuringTask: true,
  // A confirmation may wait for days; the wait holds no worker slot.
  defaultTimeLimitSeconds: 7 * 86_400,
  workflow: purgeDecisionsWorkflow,
});
