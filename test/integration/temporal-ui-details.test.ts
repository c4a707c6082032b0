import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, cancelTask, connectMcp, waitForTask } from '../helpers/mcp-client';
import { scopeKey, workflowIdFor, type TaskId } from '../../src/tasks/owner';

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
});
