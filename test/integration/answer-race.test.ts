import type { RunningProduct } from '../../src/app';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { provideInputUpdate, taskStateQuery } from '../../workflows/definitions';
import { startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, getTaskResult, waitForTask } from '../helpers/mcp-client';

describe('two answers to the same question', () => {
  it('applies only one of two answers that reach the workflow together; the other is refused as already answered', async () => {
    const config = testConfig();
    let worker: RunningProduct | undefined = await startTestProduct(config, { http: false });
    const http = await startTestProduct(config, { worker: false });
    const mcp = await connectMcp(http.mcpUrl!);
    try {
      await mcp.client.callTool({
        name: 'record_decision',
        arguments: { title: 'race-1', decision: 'd', tags: ['race'] },
      });
      const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag: 'race' });
      await waitForTask(mcp.client, task.taskId, (t) => t.status === 'input_required');
      const handle = http.client.workflow.getHandle(
        workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId),
      );
      const { pendingInput } = await handle.query(taskStateQuery);
      const requestId = pendingInput!.requestId;

      // With no worker running, both answers wait at the server and reach the workflow in one go.
      await worker.close();
      worker = undefined;
      const outcome = (confirmed: boolean) =>
        handle
          .executeUpdate(provideInputUpdate, {
            args: [{ requestId, action: 'accept', content: { confirmed } }],
          })
          .then(
            () => ({ confirmed, accepted: true as const }),
            (err: Error & { cause?: Error }) => ({
              confirmed,
              accepted: false as const,
              reason: err.cause?.message ?? err.message,
            }),
          );
      // Both requests are on their way before a worker exists (starting one takes far longer).
      const answers = Promise.all([outcome(true), outcome(false)]);
      worker = await startTestProduct(config, { http: false });

      const settled = await answers;
      const accepted = settled.filter((answer) => answer.accepted);
      expect(accepted).toHaveLength(1);
      expect(settled.find((answer) => !answer.accepted)?.reason).toMatch(
        /already answered|not waiting for an answer to this question/,
      );
      const result = await getTaskResult(mcp.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: accepted[0]!.confirmed ? 1 : 0 });
    } finally {
      await mcp.close();
      await http.close();
      await worker?.close();
    }
    // Starts three product processes, two of them workers that bundle the workflows: minutes on a loaded machine.
  }, 300_000);
});
