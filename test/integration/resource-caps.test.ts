import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CallToolResultSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  connectMcp,
  connectMcpWithElicitation,
  getTaskResult,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';

const isTerminal = (task: Task): boolean => ['completed', 'failed', 'cancelled'].includes(task.status);

/** Rejects with the error a request got; fails when it succeeded. */
async function failureOf(promise: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: number; message: string };
  }
  throw new Error('Expected the request to fail');
}

/**
 * What a tool may consume and carry, end to end: crafted files fail their own task with the cap's
 * message while the worker keeps serving others, refused URLs are never fetched, and oversized
 * arguments, progress tokens and answers are refused with a message that names the cap.
 */
describe('caps on what a task may consume', () => {
  let product: RunningProduct;
  let config: Config;
  let mcp: TestClient;
  let datasets: string;
  let server: http.Server;
  let requests = 0;
  let origin: string;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(200).end('a,b\n1,2\n');
    });
    server.on('connection', () => requests++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    config = testConfig({
      // Another port of the same host is allowed: the test server's own port is not.
      DATASET_URL_HOSTS: `http://127.0.0.1:${(server.address() as AddressInfo).port + 1}`,
      TOOL_ARGUMENTS_MAX_BYTES: '2048',
      PROGRESS_TOKEN_MAX_CHARS: '16',
      ELICITATION_ANSWER_MAX_BYTES: '1024',
    });
    datasets = config.datasetRoots[0]!;
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a file with a million columns and one with a 100 MB line, each in seconds with its cap, while a small task completes', async () => {
    fs.writeFileSync(path.join(datasets, 'wide.csv'), `${','.repeat(1_000_000)}\n1\n`);
    const longLine = fs.openSync(path.join(datasets, 'long-line.jsonl'), 'w');
    const megabyte = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 100; i++) fs.writeSync(longLine, megabyte);
    fs.closeSync(longLine);
    fs.writeFileSync(path.join(datasets, 'small.csv'), 'a,b\n1,2\n3,4\n');

    const started = Date.now();
    const wide = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'wide.csv' });
    const long = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'long-line.jsonl' });
    const small = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'small.csv' });

    const smallDone = await waitForTask(mcp.client, small.taskId, isTerminal, 60_000);
    expect(smallDone.status).toBe('completed');
    expect((await getTaskResult(mcp.client, small.taskId)).structuredContent).toMatchObject({ rows: 2 });

    const wideDone = await waitForTask(mcp.client, wide.taskId, isTerminal, 60_000);
    expect(wideDone).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringContaining(
        'the CSV header has 1000001 columns, more than 1000, the most a dataset may have',
      ) as unknown,
    });
    const longDone = await waitForTask(mcp.client, long.taskId, isTerminal, 60_000);
    expect(longDone).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringMatching(/longer than 4194304 bytes, the longest a record may be/) as unknown,
    });
    // Generous for a loaded machine: a crafted file is refused in seconds, not after reading all of it.
    expect(Date.now() - started).toBeLessThan(30_000);
    fs.rmSync(path.join(datasets, 'long-line.jsonl'));
  });

  it('fails a task whose URL is not allowed, without ever contacting the server', async () => {
    const task = await callToolAsTask(mcp.client, 'analyze_dataset', { source: `${origin}/data.csv` });
    const done = await waitForTask(mcp.client, task.taskId, isTerminal, 60_000);
    expect(done).toMatchObject({
      status: 'failed',
      statusMessage: expect.stringContaining(`access denied: ${origin}/data.csv (host 127.0.0.1:`) as unknown,
    });
    expect(requests).toBe(0);
  });

  it('tells clients the caps on what a tool call may carry', async () => {
    const result = await mcp.client.callTool({ name: 'describe_task_limits', arguments: {} });
    expect(result.structuredContent).toMatchObject({
      maxArgumentBytes: 2048,
      maxProgressTokenChars: 16,
      maxAnswerBytes: 1024,
    });
  });

  it('refuses tool arguments larger than TOOL_ARGUMENTS_MAX_BYTES with -32602', async () => {
    const columns = Array.from({ length: 20 }, (_, i) => `column-${i}-${'c'.repeat(200)}`);
    const err = await failureOf(callToolAsTask(mcp.client, 'analyze_dataset', { source: 'small.csv', columns }));
    expect(err.code).toBe(-32602);
    expect(err.message).toMatch(/The arguments are \d+ bytes of JSON, more than 2048, the most a tool call may carry/);
  });

  it('refuses a progressToken longer than PROGRESS_TOKEN_MAX_CHARS with -32602', async () => {
    const call = (progressToken: string) =>
      mcp.client.request(
        {
          method: 'tools/call',
          params: { name: 'record_decision', arguments: { title: 'T', decision: 'D' }, _meta: { progressToken } },
        },
        CallToolResultSchema,
      );
    const err = await failureOf(call('p'.repeat(17)));
    expect(err.code).toBe(-32602);
    expect(err.message).toContain('The progressToken is 17 characters long, more than 16, the longest accepted');
    await expect(call('p'.repeat(16))).resolves.toMatchObject({ structuredContent: { id: expect.any(Number) } });
  });

  it('refuses an answer larger than ELICITATION_ANSWER_MAX_BYTES and asks again, saying why', async () => {
    const asker = await connectMcpWithElicitation(
      product.mcpUrl!,
      (_question, { index }) =>
        index === 0
          ? { action: 'accept', content: { confirmed: true, note: 'n'.repeat(2_000) } }
          : { action: 'accept', content: { confirmed: false } },
      { standaloneStream: false },
    );
    try {
      const tag = `caps${Date.now().toString(36)}`;
      await asker.client.callTool({ name: 'record_decision', arguments: { title: tag, decision: 'D', tags: [tag] } });
      const task = await callToolAsTask(asker.client, 'purge_decisions', { tag });
      const result = await getTaskResult(asker.client, task.taskId);
      expect(result.structuredContent).toEqual({ deleted: 0 });
      expect(asker.questions).toHaveLength(2);
      expect(asker.questions[1]?.message).toMatch(
        /^The answer is \d+ bytes of JSON, more than 1024, the largest answer a task accepts\. Confirm deletion of 1 record\?$/,
      );
    } finally {
      await asker.close();
    }
  });
});
