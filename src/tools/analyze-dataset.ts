import { z } from 'zod';
import type { WorkflowToolDefinition } from './tool-definition';

const ColumnReportSchema = z.object({
  count: z.number().describe('Non-null values'),
  nulls: z.number(),
  distinct: z.number().describe('Distinct non-null values, exact up to 10,000'),
  distinctCapped: z.boolean().describe('True when `distinct` stopped at the cap'),
  min: z.number().optional(),
  max: z.number().optional(),
  mean: z.number().optional(),
  stddev: z.number().optional().describe('Population standard deviation'),
  top: z.array(z.object({ value: z.string(), count: z.number() })).describe('Most frequent values'),
});

export const DatasetReportSchema = z.object({
  rows: z.number().describe('Valid data rows'),
  invalidRows: z.number().describe('Malformed rows, skipped'),
  columns: z.record(z.string(), ColumnReportSchema),
});

export const AnalyzeDatasetArgsSchema = z.strictObject({
  source: z
    .string()
    .min(1)
    .max(4096)
    .describe(
      'A file path inside the allowed dataset roots (relative paths start at DATA_DIR/datasets), or an http(s) URL',
    ),
  format: z.enum(['csv', 'jsonl']).optional().describe('Defaults from the file extension'),
  columns: z.array(z.string().min(1).max(256)).min(1).max(1000).optional().describe('Only analyse these columns'),
});

export const analyzeDatasetTool: WorkflowToolDefinition = {
  kind: 'workflow',
  name: 'analyze_dataset',
  title: 'Analyse a dataset',
  description:
    'Streams a CSV or JSONL dataset once and reports, per column, counts, nulls, distinct values, the most ' +
    'frequent values and, for numeric columns, min/max/mean/stddev. Handles millions of rows in flat memory ' +
    'and resumes from a checkpoint if its worker crashes. Must be called as a task.',
  inputSchema: AnalyzeDatasetArgsSchema,
  outputSchema: DatasetReportSchema,
  taskSupport: 'required',
  workflowType: 'analyzeDatasetWorkflow',
  defaultTimeLimitSeconds: 3600,
};
