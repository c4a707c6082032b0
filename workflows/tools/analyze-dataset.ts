import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import { NON_RETRYABLE_FAILURE_TYPES, type ToolCallResult, type ToolWorkflowInput } from '../../common/task-types';
import { defineWorkflowTool, structuredResult } from '../../common/tool-definition';
import { DATASET_RUN_META_KEY } from '../../common/meta-keys';
import { runToolTask } from '../task-lifecycle';

export const ColumnReportSchema = z.object({
  count: z.number().describe('Non-null values'),
  nulls: z.number().describe('Rows where the value is empty, missing or JSON null'),
  distinct: z.number().describe('Distinct non-null values, exact up to a cap (10,000 by default)'),
  distinctCapped: z.boolean().describe('True when `distinct` stopped at the cap'),
  min: z.number().optional().describe('Numeric columns only'),
  max: z.number().optional().describe('Numeric columns only'),
  mean: z.number().optional().describe('Numeric columns only'),
  stddev: z.number().optional().describe('Population standard deviation; numeric columns only'),
  top: z
    .array(z.object({ value: z.string(), count: z.number() }))
    .describe('Most frequent values, by count descending then value ascending'),
});

export const DatasetReportSchema = z.object({
  rows: z.number().describe('Valid data rows (the CSV header is not a row)'),
  invalidRows: z.number().describe('Malformed rows, skipped'),
  columns: z
    .record(z.string(), ColumnReportSchema)
    .describe('Per column, in header order (CSV), first-seen order (JSONL) or the requested order'),
  truncated: z
    .boolean()
    .optional()
    .describe('true when long values in `top` were shortened (ending in …) to keep the result under its size limit'),
});

/** Statistics of one column. */
export type ColumnReport = z.output<typeof ColumnReportSchema>;
/** The `structuredContent` of `analyze_dataset`. */
export type DatasetReport = z.output<typeof DatasetReportSchema>;

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

/** Arguments of `analyze_dataset` (and of its activity). */
export type AnalyzeDatasetArgs = z.output<typeof AnalyzeDatasetArgsSchema>;

/** How the activity attempt that produced a report ran; the result's `_meta` carries it. */
export interface DatasetRunInfo {
  /** The activity attempt that produced the result (1 when it never had to be retried). */
  attempt: number;
  /** Byte offset this attempt resumed from; 0 when it started from the beginning. */
  resumedFromByte: number;
  /** Bytes this attempt read. */
  bytesRead: number;
  /** The source's size, when known. */
  totalBytes?: number;
}

/** Result of the `analyzeDataset` activity. */
export interface DatasetAnalysis {
  report: DatasetReport;
  run: DatasetRunInfo;
}

/** The activities `analyze_dataset` runs; implemented in `activities/dataset`. */
export interface AnalyzeDatasetActivities {
  /** One streaming pass over the source; a retry resumes from the last heartbeated checkpoint. */
  analyzeDataset: (args: AnalyzeDatasetArgs) => Promise<DatasetAnalysis>;
}

const { analyzeDataset } = proxyActivities<AnalyzeDatasetActivities>({
  startToCloseTimeout: '25 hours',
  // A crashed worker is noticed within this time; the retry then resumes from the last checkpoint.
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** The `analyze_dataset` tool: one streaming pass over a CSV or JSONL source. */
export async function analyzeDatasetWorkflow(input: ToolWorkflowInput<AnalyzeDatasetArgs>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { report, run } = await analyzeDataset(input.arguments);
    return {
      ...structuredResult<DatasetReport>(summarise(input.arguments.source, report), report),
      _meta: { [DATASET_RUN_META_KEY]: run },
    };
  });
}

function summarise(source: string, report: DatasetReport): string {
  const names = Object.keys(report.columns);
  const numeric = names.filter((name) => report.columns[name]?.mean !== undefined);
  return (
    `Analysed ${source}: ${report.rows} rows (${report.invalidRows} invalid), ${names.length} columns` +
    (numeric.length > 0 ? `; numeric: ${numeric.join(', ')}.` : '.')
  );
}

export const analyzeDatasetTool = defineWorkflowTool({
  name: 'analyze_dataset',
  title: 'Analyse a dataset',
  description:
    'Streams a CSV or JSONL dataset once and reports, per column, counts, nulls, distinct values, the most ' +
    'frequent values and, for numeric columns, min/max/mean/stddev. Handles millions of rows in flat memory ' +
    'and resumes from a checkpoint if its worker crashes. Must be called as a task.',
  inputSchema: AnalyzeDatasetArgsSchema,
  outputSchema: DatasetReportSchema,
  taskSupport: 'required',
  defaultTimeLimitSeconds: 3600,
  workflow: analyzeDatasetWorkflow,
});
