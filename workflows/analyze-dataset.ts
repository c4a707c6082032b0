import { proxyActivities } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES, type ToolCallResult, type ToolWorkflowInput } from '../common/task-types';
import type { Activities } from '../activities';
import type { AnalyzeDatasetOptions, DatasetReport } from '../activities/dataset/analyze-dataset';
import { DATASET_RUN_META_KEY } from '../common/meta-keys';
import { runToolTask } from './task-lifecycle';

const { analyzeDataset } = proxyActivities<Activities>({
  startToCloseTimeout: '25 hours',
  // A crashed worker is noticed within this time; the retry then resumes from the last checkpoint.
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** The `analyze_dataset` tool: one streaming pass over a CSV or JSONL source. */
export async function analyzeDatasetWorkflow(input: ToolWorkflowInput<AnalyzeDatasetOptions>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { report, run } = await analyzeDataset(input.arguments);
    return {
      content: [{ type: 'text', text: summarise(input.arguments.source, report) }],
      structuredContent: { ...report },
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
