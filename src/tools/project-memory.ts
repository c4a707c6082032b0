import { z } from 'zod';
import type { WorkflowToolDefinition } from './tool-definition';

/** A date (`2026-01-31`) or a date-time with offset (`2026-01-31T12:00:00Z`). */
const IsoDateSchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).describe('ISO 8601 date or date-time');
const TagSchema = z.string().trim().min(1).max(64);

const DecisionSchema = z.object({
  id: z.number(),
  title: z.string(),
  decision: z.string(),
  rationale: z.string().nullable(),
  tags: z.array(z.string()),
  createdAt: z.string(),
});

export const recordDecisionTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'record_decision',
  title: 'Record a decision',
  description:
    "Stores one of the team's decisions (title, decision, optional rationale and tags) in the project memory.",
  inputSchema: z.strictObject({
    title: z.string().trim().min(1).max(500),
    decision: z.string().trim().min(1).max(10_000),
    rationale: z.string().max(10_000).optional(),
    tags: z.array(TagSchema).max(32).default([]),
  }),
  outputSchema: z.object({ id: z.number() }),
  taskSupport: 'forbidden',
  workflowType: 'recordDecisionWorkflow',
  defaultTimeLimitSeconds: 120,
};

export const getRecentDecisionsTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'get_recent_decisions',
  title: 'Recent decisions',
  description: 'The most recent decisions of the project memory, newest first, optionally only those with a tag.',
  inputSchema: z.strictObject({
    limit: z.number().int().min(1).max(100).default(10),
    tag: TagSchema.optional(),
  }),
  outputSchema: z.object({ decisions: z.array(DecisionSchema) }),
  taskSupport: 'forbidden',
  workflowType: 'getRecentDecisionsWorkflow',
  defaultTimeLimitSeconds: 120,
};

export const importDecisionsTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'import_decisions',
  title: 'Import decisions',
  description:
    'Bulk-imports a history of decisions from a JSONL or CSV file (inside the allowed roots) or URL, reporting ' +
    'progress per batch. Idempotent: re-running it, or a crash part-way, creates no duplicates. Invalid lines are ' +
    'reported (first 100), not fatal.',
  inputSchema: z.strictObject({
    source: z.string().min(1).max(4096),
    format: z.enum(['jsonl', 'csv']).optional().describe('Defaults from the file extension'),
  }),
  outputSchema: z.object({
    imported: z.number(),
    updated: z.number(),
    invalid: z.array(z.object({ line: z.number(), error: z.string() })),
  }),
  taskSupport: 'required',
  workflowType: 'importDecisionsWorkflow',
  defaultTimeLimitSeconds: 3600,
};

export const analyzeDecisionPatternsTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'analyze_decision_patterns',
  title: 'Analyse decision patterns',
  description:
    'Counts decisions per week or month, tag trends over time, the most frequent tags, and decisions that reverse ' +
    'an earlier one on the same topic (similar titles plus a reversal cue such as "revert" or "instead of").',
  inputSchema: z
    .strictObject({
      since: IsoDateSchema.optional(),
      until: IsoDateSchema.optional(),
      bucket: z.enum(['week', 'month']).default('month'),
    })
    .refine((args) => !args.since || !args.until || Date.parse(args.since) < Date.parse(args.until), {
      message: 'since must be before until',
      path: ['since'],
    }),
  taskSupport: 'required',
  workflowType: 'analyzeDecisionPatternsWorkflow',
  defaultTimeLimitSeconds: 1800,
};

export const exportMemoryTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'export_memory',
  title: 'Export the project memory',
  description:
    'Writes every decision to a file under DATA_DIR/exports (jsonl, json or csv) and returns its path, count and sha256.',
  inputSchema: z.strictObject({ format: z.enum(['jsonl', 'json', 'csv']).default('jsonl') }),
  outputSchema: z.object({ path: z.string(), count: z.number(), sha256: z.string() }),
  taskSupport: 'required',
  workflowType: 'exportMemoryWorkflow',
  defaultTimeLimitSeconds: 1800,
};

export const purgeDecisionsTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'purge_decisions',
  title: 'Purge decisions',
  description:
    'Deletes the decisions with a tag and/or created before a date, after asking the client to confirm the count ' +
    '(the task is input_required meanwhile). Deletes exactly the records counted, all or nothing; decline, cancel ' +
    'or confirmed=false delete nothing.',
  inputSchema: z
    .strictObject({ tag: TagSchema.optional(), before: IsoDateSchema.optional() })
    .refine((args) => args.tag !== undefined || args.before !== undefined, {
      message: 'give a tag and/or a before date',
    }),
  outputSchema: z.object({ deleted: z.number() }),
  taskSupport: 'required',
  workflowType: 'purgeDecisionsWorkflow',
  // A confirmation may wait for days; the wait holds no worker slot.
  defaultTimeLimitSeconds: 7 * 86_400,
};
