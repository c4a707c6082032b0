import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { tenantExportFolder } from '../../activities/memory';
import type { ActivityObserver } from '../../activities';
import { LOCAL_TENANT } from '../../common/task-types';
import type { RunningProduct } from '../../src/app';
import { workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { startTestProduct, testConfig } from '../helpers/product';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  connectMcpWithElicitation,
  errorCodeOf,
  getTask,
  getTaskResult,
  listTasks,
  waitForTask,
  type TestClient,
} from '../helpers/mcp-client';

type Client = TestClient['client'];

describe('project memory tools', () => {
  let product: RunningProduct;
  let mcp: TestClient;
  let dataDir: string;

  beforeAll(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    product = await startTestProduct(config);
    mcp = await connectMcp(product.mcpUrl!);
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  const record = async (client: Client, args: Record<string, unknown>) =>
    ((await client.callTool({ name: 'record_decision', arguments: args })).structuredContent as { id: number }).id;

  const recent = async (args: Record<string, unknown> = {}) =>
    (
      (await mcp.client.callTool({ name: 'get_recent_decisions', arguments: args })).structuredContent as {
        decisions: { id: number; title: string; tags: string[]; rationale: string | null; createdAt: string }[];
      }
    ).decisions;

  const totalCount = async (): Promise<number> => {
    const task = await callToolAsTask(mcp.client, 'export_memory', { format: 'jsonl' });
    return ((await getTaskResult(mcp.client, task.taskId)).structuredContent as { count: number }).count;
  };

  const runTask = async (name: string, args: Record<string, unknown>) => {
    const task = await callToolAsTask(mcp.client, name, args);
    return { task, result: await getTaskResult(mcp.client, task.taskId) };
  };

  it('records decisions immediately and lists the most recent first, with a tag filter', async () => {
    const first = await record(mcp.client, {
      title: 'Adopt Temporal',
      decision: 'Tasks run as workflows',
      tags: ['Infra', 'infra'],
    });
    const second = await record(mcp.client, {
      title: 'Use SQLite',
      decision: 'For the memory',
      rationale: 'One file',
      tags: ['storage'],
    });
    expect(second).toBeGreaterThan(first);
    const latest = await recent({ limit: 2 });
    expect(latest.map((d) => d.id)).toEqual([second, first]);
    expect(latest[0]).toMatchObject({ title: 'Use SQLite', rationale: 'One file', tags: ['storage'] });
    expect((await recent({ tag: 'infra' })).map((d) => d.id)).toEqual([first]);
  });

  it.each([
    ['record_decision', 'a number for title', { title: 5, decision: 'x' }, 'title'],
    ['record_decision', 'a missing decision', { title: 'x' }, 'decision'],
    ['record_decision', 'a 501-character title', { title: 'x'.repeat(501), decision: 'x' }, 'title'],
    [
      'record_decision',
      '33 tags',
      { title: 'x', decision: 'x', tags: Array.from({ length: 33 }, (_, i) => `t${i}`) },
      'tags',
    ],
    ['get_recent_decisions', 'limit 101', { limit: 101 }, 'limit'],
    ['get_recent_decisions', 'a string limit', { limit: 'ten' }, 'limit'],
  ])('rejects %s called with %s with -32602 naming the field', async (name, _label, args, field) => {
    const before = await totalCount();
    const error = await mcp.client.callTool({ name, arguments: args }).then(
      () => undefined,
      (err: unknown) => err as { code: number; message: string },
    );
    expect(error?.code).toBe(-32602);
    expect(error?.message).toContain(field);
    expect(await totalCount()).toBe(before);
  });

  it.each([
    ['purge_decisions', {}, 'give a tag and/or a before date'],
    ['purge_decisions', { before: 'yesterday' }, 'before'],
    ['analyze_decision_patterns', { since: '2026-02-01', until: '2026-01-01' }, 'since must be before until'],
    ['import_decisions', { source: 'x.jsonl', format: 'xml' }, 'format'],
    ['export_memory', { format: 'yaml' }, 'format'],
  ])('rejects bad arguments of the task tool %s with -32602 (%j)', async (name, args, text) => {
    const error = await callToolAsTask(mcp.client, name, args).then(
      () => undefined,
      (err: unknown) => err as { code: number; message: string },
    );
    expect(error?.code).toBe(-32602);
    expect(error?.message).toContain(text);
  });

  it('refuses record_decision as a task (forbidden) with -32601', async () => {
    const error = await callToolAsTask(mcp.client, 'record_decision', { title: 'x', decision: 'y' }).then(
      () => undefined,
      (err: unknown) => err as { code: number },
    );
    expect(error?.code).toBe(-32601);
  });

  it('imports a JSONL history idempotently, reporting invalid lines without failing', async () => {
    const lines = [
      JSON.stringify({
        id: 'a1',
        title: 'Pick a queue',
        decision: 'Use Temporal task queues',
        tags: ['infra'],
        createdAt: '2026-01-05T10:00:00Z',
      }),
      JSON.stringify({
        id: 'a2',
        title: 'Pick a DB',
        decision: 'SQLite',
        tags: 'storage;infra',
        createdAt: '2026-01-20T10:00:00Z',
      }),
      '{not json',
      JSON.stringify({ id: 'a3', decision: 'no title' }),
      JSON.stringify({ id: 'a4', title: 'Pick a format', decision: 'JSONL', createdAt: '2026-02-03T10:00:00Z' }),
    ];
    writeFileSync(path.join(dataDir, 'datasets', 'history.jsonl'), `${lines.join('\n')}\n`);
    const before = await totalCount();
    const { result } = await runTask('import_decisions', { source: 'history.jsonl' });
    expect(result.isError).toBeFalsy();
    const summary = result.structuredContent as {
      imported: number;
      updated: number;
      invalid: { line: number; error: string }[];
    };
    expect(summary).toMatchObject({ imported: 3, updated: 0 });
    expect(summary.invalid.map((i) => i.line)).toEqual([3, 4]);
    expect(summary.invalid[1]!.error).toMatch(/title/);
    expect(await totalCount()).toBe(before + 3);

    const again = (await runTask('import_decisions', { source: 'history.jsonl' })).result.structuredContent;
    expect(again).toMatchObject({ imported: 0, updated: 0 });
    expect(await totalCount()).toBe(before + 3);
  });

  it('counts malformed CSV lines as invalid', async () => {
    writeFileSync(
      path.join(dataDir, 'datasets', 'history.csv'),
      'id,title,decision,rationale,tags,created_at\nc1,Use CSV,Yes,,a;b,2026-03-01T00:00:00Z\nc2,"unterminated,x,,,\n',
    );
    const { result } = await runTask('import_decisions', { source: 'history.csv' });
    const summary = result.structuredContent as { imported: number; invalid: { line: number; error: string }[] };
    expect(summary.imported).toBe(1);
    expect(summary.invalid.length).toBe(1);
  });

  it.each([
    ['a path outside the allowed roots', { source: '../../etc/passwd', format: 'csv' }, /access denied/],
    ['a missing file', { source: 'nope.jsonl' }, /not found.*nope\.jsonl/],
    ['a directory', { source: 'adir.jsonl' }, /adir\.jsonl/],
  ])('fails the import of %s and leaves the memory unchanged', async (_label, args, message) => {
    mkdirSync(path.join(dataDir, 'datasets', 'adir.jsonl'), { recursive: true });
    const before = await totalCount();
    const task = await callToolAsTask(mcp.client, 'import_decisions', args);
    const failed = await waitForTask(mcp.client, task.taskId, (t) => t.status === 'failed');
    expect(failed.statusMessage).toMatch(message);
    expect(await totalCount()).toBe(before);
  });

  it('analyses patterns per bucket, with top tags and a detected reversal', async () => {
    await record(mcp.client, { title: 'Use PostgreSQL for storage', decision: 'PostgreSQL everywhere', tags: ['db'] });
    const reversal = await record(mcp.client, {
      title: 'Stop using PostgreSQL for storage',
      decision: 'Revert to SQLite instead of PostgreSQL',
      tags: ['db'],
    });
    const { result } = await runTask('analyze_decision_patterns', { bucket: 'month' });
    const patterns = result.structuredContent as {
      total: number;
      buckets: { start: string; count: number }[];
      topTags: { tag: string; count: number }[];
      reversals: { decisionId: number; reversesTitle: string }[];
    };
    expect(patterns.total).toBe(patterns.buckets.reduce((sum, b) => sum + b.count, 0));
    expect(patterns.buckets.length).toBeGreaterThanOrEqual(2);
    expect(patterns.topTags.map((t) => t.tag)).toContain('infra');
    expect(patterns.reversals).toContainEqual(
      expect.objectContaining({ decisionId: reversal, reversesTitle: 'Use PostgreSQL for storage' }),
    );
  });

  it.each(['jsonl', 'json', 'csv'])(
    'exports the memory as %s with its count, sha256 and a resource link',
    async (format) => {
      const { result } = await runTask('export_memory', { format });
      const exported = result.structuredContent as { path: string; count: number; sha256: string };
      // Named relative to the exports directory, in the local tenant's folder: no server path leaves.
      expect(exported.path).toMatch(new RegExp(`^${tenantExportFolder(LOCAL_TENANT)}/[^/]+\\.${format}$`));
      expect(JSON.stringify(result)).not.toContain(dataDir);
      const file = path.join(dataDir, 'exports', exported.path);
      expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(exported.sha256);
      expect(exported.count).toBeGreaterThan(0);
      expect(result.content).toContainEqual(
        expect.objectContaining({ type: 'resource_link', uri: `memory-export:${exported.path}` }),
      );
    },
  );
});

/** Polls the history until a workflow task completed after the cancellation request, or the workflow closed. */
async function waitForWorkflowTaskAfterCancel(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const events = (await handle.fetchHistory()).events ?? [];
    const requested = events.findIndex((event) => event.workflowExecutionCancelRequestedEventAttributes);
    const seen = events.slice(requested + 1).some((event) => event.workflowTaskCompletedEventAttributes);
    if (requested >= 0 && seen) return;
    await setTimeout(100);
  }
  throw new Error('the workflow never processed the cancellation');
}

describe('project memory: export and import round trip, purge outcome', () => {
  let product: RunningProduct;
  let mcp: TestClient & { questions: { message: string }[] };
  let dataDir: string;
  /** Holds the purge after its first committed batch until the test releases it. */
  let holdPurge: { reached: () => void; release: Promise<void> } | undefined;

  beforeAll(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    const observer: ActivityObserver = {
      onCancelled: () => undefined,
      onBatchCommitted: async () => {
        const hold = holdPurge;
        holdPurge = undefined;
        if (hold) {
          hold.reached();
          await hold.release;
        }
      },
    };
    product = await startTestProduct(config, { activityObserver: observer });
    mcp = await connectMcpWithElicitation(product.mcpUrl!, () => ({ action: 'accept', content: { confirmed: true } }));
  });

  afterAll(async () => {
    await mcp?.close();
    await product?.close();
  });

  const record = async (args: Record<string, unknown>) =>
    ((await mcp.client.callTool({ name: 'record_decision', arguments: args })).structuredContent as { id: number }).id;

  const runTask = async (name: string, args: Record<string, unknown>) =>
    getTaskResult(mcp.client, (await callToolAsTask(mcp.client, name, args)).taskId);

  const exportAll = async (format: string) =>
    (await runTask('export_memory', { format })).structuredContent as { path: string; count: number };

  it.each(['jsonl', 'csv'])('imports a %s export into the same store without creating a duplicate', async (format) => {
    await record({ title: `Round trip ${format}`, decision: 'Keep identities', tags: ['trip'] });
    writeFileSync(
      path.join(dataDir, 'datasets', `seed-${format}.jsonl`),
      `${JSON.stringify({ id: `seed-${format}`, title: 'Seeded', decision: 'From a file', tags: ['trip'] })}\n`,
    );
    await runTask('import_decisions', { source: `seed-${format}.jsonl` });
    const before = await exportAll(format);
    const copy = path.join(dataDir, 'datasets', `again.${format}`);
    writeFileSync(copy, readFileSync(path.join(dataDir, 'exports', before.path)));

    const summary = (await runTask('import_decisions', { source: `again.${format}` })).structuredContent;
    expect(summary).toMatchObject({ imported: 0, updated: 0, unchanged: before.count, invalidCount: 0 });
    expect((await exportAll(format)).count).toBe(before.count);
  });

  it.each([
    [1, 'Confirm deletion of 1 record?'],
    [2, 'Confirm deletion of 2 records?'],
  ])('asks to confirm %i record(s) with the right number word', async (count, question) => {
    const tag = `plural-${count}`;
    for (let i = 0; i < count; i++) await record({ title: `${tag} ${i}`, decision: 'x', tags: [tag] });
    const asked = mcp.questions.length;
    const result = await runTask('purge_decisions', { tag });
    expect(mcp.questions[asked]?.message).toBe(question);
    expect(result.structuredContent).toEqual({ deleted: count });
  });

  it('refuses a cancel once the confirmed delete runs, and completes with the count', async () => {
    const tag = 'cancel-mid-delete';
    for (let i = 0; i < 3; i++) await record({ title: `${tag} ${i}`, decision: 'x', tags: [tag] });
    const before = (await exportAll('jsonl')).count;
    let reached!: () => void;
    const deleteRunning = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    holdPurge = { reached: () => reached(), release: new Promise<void>((resolve) => (release = resolve)) };

    const task = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
    // tasks/result answers the confirmation; the delete then starts and is held after its first batch.
    const outcome = getTaskResult(mcp.client, task.taskId);
    await deleteRunning;
    // Past the point of no return tasks/cancel is refused with -32602: answering `cancelled` would be a lie.
    const refusal = cancelTask(mcp.client, task.taskId);
    expect(await errorCodeOf(refusal)).toBe(-32602);
    await expect(refusal).rejects.toThrow(/cannot be interrupted/);
    expect((await getTask(mcp.client, task.taskId)).status).toBe('working');

    // A cancel that reaches Temporal anyway (an operator in the UI) does not stop the delete either.
    const handle = product.client.workflow.getHandle(
      workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId),
    );
    await handle.cancel();
    // Release the delete only once the workflow has seen the cancellation (a workflow task completed after it).
    await waitForWorkflowTaskAfterCancel(handle);
    expect((await getTask(mcp.client, task.taskId)).status).toBe('working');
    release();

    // Completed with what it deleted, in every view; never "cancelled" over rows that are gone.
    const result = await outcome;
    expect(result.structuredContent).toEqual({ deleted: 3 });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect((await getTask(mcp.client, task.taskId)).status).toBe('completed');
    const listed = (await listTasks(mcp.client)).tasks.find((entry) => entry.taskId === task.taskId);
    expect(listed?.status).toBe('completed');
    expect((await exportAll('jsonl')).count).toBe(before - 3);
  });
});
