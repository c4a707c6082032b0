import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, cancelTask, connectMcp, waitForTask } from '../helpers/mcp-client';
import { scopeKey, workflowIdFor, type TaskId } from '../../src/tasks/owner';

/** Polls `read` until `accept` takes its value, or fails after `timeoutMs` naming the last value seen. */
async function waitFor<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await delay(200);
  }
}

/** The step a `long_running_operation`'s current details report, or undefined before any progress. */
function stepShown(currentDetails: string): number | undefined {
  const match = /\*\*Progress:\*\* Step (\d+)\/20$/m.exec(currentDetails);
  return match ? Number(match[1]) : undefined;
}

function seconds(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) + (time?.nanos ?? 0) / 1e9;
}

/** What the Temporal UI shows of a running workflow: its summary, and its current details. */
async function uiView(
  product: Awaited<ReturnType<typeof startTestProduct>>,
  workflowId: string,
): Promise<{ summary?: string; details?: string; currentDetails: string }> {
  const handle = product.client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return {
    summary: await description.staticSummary(),
    details: await description.staticDetails(),
    currentDetails: metadata.currentDetails ?? '',
  };
}

describe('what the Temporal UI shows of a task', () => {
  it('names the tool, owner and task in the summary, and shows the status and pending question as current details', async () => {
    const product = await startTestProduct(testConfig());
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const tag = `ui${Date.now().toString(36)}`;
      await mcp.client.callTool({ name: 'record_decision', arguments: { title: tag, decision: 'kept', tags: [tag] } });
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const owner = { scope: `session:${mcp.sessionId()}` };
      const view = await uiView(product, workflowIdFor(owner, task.taskId as TaskId));

      expect(view.summary).toBe(`purge_decisions · owner ${scopeKey(owner)} · MCP task ${task.taskId}`);
      expect(view.details).toContain(tag);
      expect(view.currentDetails).toBe(
        '**MCP status:** input_required\n\n**Waiting for an answer to:** Confirm deletion of 1 record?',
      );
      await cancelTask(mcp.client, task.taskId);
    } finally {
      await mcp.close();
      await product.close();
    }
  }, 120_000);

  it('shows the status message of a running task', async () => {
    const product = await startTestProduct(testConfig());
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 60, steps: 6 });
      const owner = { scope: `session:${mcp.sessionId()}` };
      const view = await uiView(product, workflowIdFor(owner, task.taskId as TaskId));
      expect(view.currentDetails).toMatch(/^\*\*MCP status:\*\* working/);
      await cancelTask(mcp.client, task.taskId);
    } finally {
      await mcp.close();
      await product.close();
    }
  }, 120_000);

  it("shows the running activity's progress, advancing while it runs, in a history that replays", async () => {
    const product = await startTestProduct(testConfig());
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 40, steps: 20 });
      const workflowId = workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId);
      const read = async () => (await uiView(product, workflowId)).currentDetails;

      const first = await waitFor('progress in the current details', read, (d) => stepShown(d) !== undefined);
      expect(first).toMatch(/^\*\*MCP status:\*\* working\n\n\*\*Progress:\*\* Step \d+\/20$/);
      const later = await waitFor('the progress to advance', read, (d) => (stepShown(d) ?? 0) > stepShown(first)!);
      expect(stepShown(later)).toBeLessThan(20);

      await cancelTask(mcp.client, task.taskId);
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'cancelled');
      const handle = product.client.workflow.getHandle(workflowId);
      await waitFor(
        'the workflow to close',
        async () => (await handle.describe()).status.name,
        (s) => s !== 'RUNNING',
      );
      const history = await handle.fetchHistory();
      const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toContain('taskProgress');
      // The first after 2 s, then at most one per 5 s: throttled to the run time, not one per heartbeat.
      const events = history.events ?? [];
      const runMs = seconds(events[events.length - 1]!.eventTime) * 1000 - seconds(events[0]!.eventTime) * 1000;
      expect(signals.length).toBeLessThanOrEqual(1 + Math.floor(Math.max(0, runMs - 2000) / 5000));
      await expect(
        Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'progress' }, history, workflowId),
      ).resolves.toBeUndefined();
    } finally {
      await mcp.close();
      await product.close();
    }
  }, 180_000);
});
