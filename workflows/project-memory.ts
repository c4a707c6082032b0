import { proxyActivities } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES, type ToolCallResult, type ToolWorkflowInput } from '../common/task-types';
import type { Activities } from '../activities';
import { runToolTask } from './task-lifecycle';

/** Quick database reads and writes: retried a few times, never long. */
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

/** Long passes over the whole memory or a source file: heartbeated, resumable, cancellable. */
const long = proxyActivities<Activities>({
  startToCloseTimeout: '25 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES },
});

type ArgsOf<Name extends keyof Activities> = Parameters<Activities[Name]>[0];

function structured(text: string, content: object): ToolCallResult {
  return { content: [{ type: 'text', text }], structuredContent: { ...content } };
}

/** `record_decision`: stores one decision. Idempotent under retries (keyed by this workflow's id). */
export async function recordDecisionWorkflow(input: ToolWorkflowInput<ArgsOf<'recordDecision'>>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const { id } = await quick.recordDecision(input.arguments);
    return structured(`Recorded decision #${id}: ${input.arguments.title}`, { id });
  });
}

/** `get_recent_decisions`: the newest decisions, optionally with one tag. */
export async function getRecentDecisionsWorkflow(
  input: ToolWorkflowInput<ArgsOf<'getRecentDecisions'>>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const result = await quick.getRecentDecisions(input.arguments);
    const lines = result.decisions.map((d) => `#${d.id} ${d.createdAt.slice(0, 10)} ${d.title}: ${d.decision}`);
    return structured(lines.length > 0 ? lines.join('\n') : 'No decisions recorded yet.', result);
  });
}

/** `import_decisions`: bulk, idempotent import of a JSONL or CSV history. */
export async function importDecisionsWorkflow(input: ToolWorkflowInput<ArgsOf<'importDecisions'>>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const summary = await long.importDecisions(input.arguments);
    return structured(
      `Imported ${summary.imported} new and updated ${summary.updated} decisions from ${input.arguments.source}; ` +
        `${summary.invalidCount} invalid lines.`,
      { imported: summary.imported, updated: summary.updated, invalid: summary.invalid },
    );
  });
}

/** `analyze_decision_patterns`: counts per bucket, tag trends, top tags and reversals. */
export async function analyzeDecisionPatternsWorkflow(
  input: ToolWorkflowInput<ArgsOf<'analyzeDecisionPatterns'>>,
): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const patterns = await long.analyzeDecisionPatterns(input.arguments);
    const top = patterns.topTags.slice(0, 5).map((t) => `${t.tag} (${t.count})`);
    return structured(
      `${patterns.total} decisions in ${patterns.buckets.length} ${input.arguments.bucket}s; ` +
        `top tags: ${top.length > 0 ? top.join(', ') : 'none'}; ${patterns.reversals.length} reversals.`,
      patterns,
    );
  });
}

/** `export_memory`: writes every decision to a file under DATA_DIR/exports and links it. */
export async function exportMemoryWorkflow(input: ToolWorkflowInput<ArgsOf<'exportMemory'>>): Promise<ToolCallResult> {
  return runToolTask(async () => {
    const exported = await long.exportMemory(input.arguments);
    const name = exported.path.split('/').pop() ?? exported.path;
    return {
      content: [
        { type: 'text', text: `Exported ${exported.count} decisions to ${exported.path} (sha256 ${exported.sha256}).` },
        {
          type: 'resource_link',
          uri: `file://${exported.path}`,
          name,
          mimeType: MIME_TYPES[input.arguments.format],
          description: `Project memory export, ${exported.count} decisions`,
        },
      ],
      structuredContent: { ...exported },
    };
  });
}

const MIME_TYPES: Record<ArgsOf<'exportMemory'>['format'], string> = {
  jsonl: 'application/jsonl',
  json: 'application/json',
  csv: 'text/csv',
};

/**
 * `purge_decisions`: counts the matches, asks the client to confirm, and deletes exactly the rows it
 * counted (not rows added while it waited), all or nothing. Decline, cancel or `confirmed: false`
 * delete nothing; the task still completes, saying why.
 */
export async function purgeDecisionsWorkflow(input: ToolWorkflowInput<ArgsOf<'countPurgeMatches'>>): Promise<ToolCallResult> {
  return runToolTask(async (state) => {
    const { count, maxId } = await quick.countPurgeMatches(input.arguments);
    if (count === 0) return structured('No decisions match; nothing to delete.', { deleted: 0 });
    const answer = await state.requestInput(`Confirm deletion of ${count} records?`, {
      type: 'object',
      properties: { confirmed: { type: 'boolean' } },
      required: ['confirmed'],
    });
    if (answer.action !== 'accept') {
      return structured(`Nothing deleted: the confirmation was ${answer.action === 'decline' ? 'declined' : 'cancelled'}.`, {
        deleted: 0,
      });
    }
    if (answer.content.confirmed !== true) return structured('Nothing deleted: deletion was not confirmed.', { deleted: 0 });
    const { deleted } = await quick.purgeDecisions({ ...input.arguments, maxId });
    return structured(`Deleted ${deleted} decisions.`, { deleted });
  });
}
