import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import { TOOL_CATALOG } from '../../src/tools/catalog';
import { startTestProduct, testConfig } from '../helpers/product';
import { connectMcpWithElicitation, type TestClient } from '../helpers/mcp-client';

type Client = TestClient['client'];

/** One real call per tool: every tool of the catalog must appear here. */
const CALLS: Record<string, Record<string, unknown>> = {
  long_running_operation: { duration: 0, steps: 1 },
  analyze_dataset: { source: 'people.csv' },
  record_decision: { title: 'Use zod', decision: 'One schema per tool', rationale: 'No drift', tags: ['Schemas'] },
  // Over 1 MB of decisions exist by then, so the result is truncated.
  get_recent_decisions: { limit: 100 },
  import_decisions: { source: 'big.jsonl' },
  analyze_decision_patterns: { bucket: 'week' },
  export_memory: { format: 'csv' },
  purge_decisions: { tag: 'big' },
  describe_task_limits: {},
};

/**
 * Calls a tool the way a client does: plainly, or (for task tools) with the SDK's task stream. Either
 * way the SDK client itself validates `structuredContent` against the `outputSchema` of `tools/list`
 * and turns a mismatch into an error.
 */
async function callLikeAClient(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const tool = TOOL_CATALOG.find((candidate) => candidate.name === name)!;
  if (tool.taskSupport !== 'required') return (await client.callTool({ name, arguments: args })) as CallToolResult;
  for await (const message of client.experimental.tasks.callToolStream(
    { name, arguments: args },
    CallToolResultSchema,
    { timeout: 120_000 },
  )) {
    if (message.type === 'result') return message.result;
    if (message.type === 'error') throw message.error;
  }
  throw new Error(`the task stream of ${name} ended without a result`);
}

describe('tool results match the output schemas the tools declare', () => {
  let product: RunningProduct;
  let mcp: TestClient & { questions: unknown[] };

  beforeAll(async () => {
    const config = testConfig();
    const datasets = path.join(config.dataDir, 'datasets');
    writeFileSync(path.join(datasets, 'people.csv'), 'name,age,city\nAda,36,London\nAlan,41,\nGrace,,Arlington\n');
    const big = Array.from({ length: 70 }, (_, i) =>
      JSON.stringify({
        id: `big-${i}`,
        title: `Big ${i}`,
        decision: 'd'.repeat(9_000),
        rationale: 'r'.repeat(9_000),
        tags: ['big'],
      }),
    );
    writeFileSync(path.join(datasets, 'big.jsonl'), `${big.join('\n')}\n{broken\n`);
    product = await startTestProduct(config);
    mcp = await connectMcpWithElicitation(product.mcpUrl!, () => ({ action: 'accept', content: { confirmed: true } }));
    // The SDK client learns the output schemas (and which tools are tasks) from tools/list.
    await mcp.client.listTools();
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  it('has a call below for every tool of the catalog', () => {
    expect(Object.keys(CALLS).sort()).toEqual(TOOL_CATALOG.map((tool) => tool.name).sort());
  });

  const order = [
    'long_running_operation',
    'analyze_dataset',
    'record_decision',
    'import_decisions',
    'get_recent_decisions',
    'analyze_decision_patterns',
    'export_memory',
    'purge_decisions',
    'describe_task_limits',
  ];
  it.each(order)('%s: the SDK client accepts its result, and so does its zod output schema', async (name) => {
    const tool = TOOL_CATALOG.find((candidate) => candidate.name === name)!;
    const result = await callLikeAClient(mcp.client, name, CALLS[name]!);
    expect(result.isError).toBeFalsy();
    if (tool.outputSchema === undefined) {
      // A tool without an output schema must not return structured content a client cannot check.
      expect(result.structuredContent).toBeUndefined();
      return;
    }
    expect(result.structuredContent).toBeDefined();
    const parsed = tool.outputSchema.strict().safeParse(result.structuredContent);
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (name === 'get_recent_decisions') expect(result.structuredContent).toMatchObject({ truncated: true });
  });
});
