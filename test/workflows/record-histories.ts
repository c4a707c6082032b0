/**
 * `npm run histories:record`: drives the real product (worker, MCP server over Streamable HTTP, a
 * Temporal dev server of its own) through every workflow type and every path that can be open during a
 * deploy, and replaces the fixtures in `test/workflows/histories/` with the histories it recorded.
 *
 * Each fixture is `<workflowType>-<path>.json` in the `historyToJSON` format. Histories of running
 * executions are taken at rest (no workflow task in flight) at a point the recorder controls (a
 * question pending, a source that never ends), so every run records the same events.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { Task } from '@modelcontextprotocol/sdk/types.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startProduct, type RunningProduct } from '../../src/app';
import { loadConfig } from '../../src/config';
import { installRuntime } from '../../src/runtime';
import { scopeKey, workflowIdFor, type TaskId } from '../../src/tasks/owner';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { cleanupScheduleId } from '../../src/temporal/cleanup-schedule';
import { WORKFLOWS_PATH } from '../../src/temporal/create-worker';
import { startDevServer } from '../../src/temporal/dev-server';
import {
  callToolAsTask,
  cancelTask,
  connectMcp,
  connectMcpWithElicitation,
  getTaskResult,
  waitForTask,
  type ElicitationAnswerer,
  type TestClient,
} from '../helpers/mcp-client';
import { freePort } from '../helpers/ports';
import { startTrickleSourceServer, type TrickleSourceServer } from './trickle-source';
import { HISTORIES_DIR, isAtRest, isClosed, workflowTypeOf } from './history-files';

const TASK_QUEUE = 'history-recorder';
const POLL_MS = 100;
const WAIT_MS = 120_000;

/** What a scenario can use, and how it saves what it recorded. */
interface Recorder {
  product: RunningProduct;
  datasetsDir: string;
  /** Endless sources that keep a streaming activity mid-way. */
  endlessSources: TrickleSourceServer;
  /** A new MCP session (its own owner scope), closed when the recording ends. */
  connect(options?: { answer?: ElicitationAnswerer }): Promise<TestClient>;
  /** Saves the history of a running execution, once at rest, as `<workflowType>-<pathName>.json`. */
  saveRunning(pathName: string, workflowId: string): Promise<void>;
  /** Waits for the execution to close and saves its whole history. */
  saveClosed(pathName: string, workflowId: string): Promise<void>;
}

type Scenario = (recorder: Recorder) => Promise<void>;

function taskWorkflowId(mcp: TestClient, task: Task): string {
  return workflowIdFor({ scope: `session:${mcp.sessionId()}` }, task.taskId as TaskId);
}

/** The only plain call a session made: plain (non-task) tool calls return no id and are not listed by owner. */
async function onlyWorkflowOf(recorder: Recorder, mcp: TestClient): Promise<string> {
  const prefix = `mcp-call/${scopeKey({ scope: `session:${mcp.sessionId()}` })}/`;
  const query = `WorkflowId STARTS_WITH "${prefix}"`;
  return pollUntil(`a workflow matching ${query}`, async () => {
    const ids: string[] = [];
    for await (const info of recorder.product.client.workflow.list({ query })) ids.push(info.workflowId);
    return ids.length === 1 ? ids[0] : undefined;
  });
}

async function pollUntil<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(POLL_MS);
  }
}

/** Waits until the execution's activity has started and heartbeated: the task is mid-way. */
async function heartbeating(recorder: Recorder, workflowId: string): Promise<string> {
  const handle = recorder.product.client.workflow.getHandle(workflowId);
  await pollUntil(`an activity of ${workflowId} to heartbeat`, async () => {
    const { raw } = await handle.describe();
    return raw.pendingActivities?.some((activity) => activity.lastHeartbeatTime) ? true : undefined;
  });
  return workflowId;
}

function plainCall(mcp: TestClient, name: string, args: Record<string, unknown>) {
  return mcp.client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema);
}

function decision(id: string, tag: string, createdAt: string): string {
  return JSON.stringify({ id, title: `${id} title`, decision: `${id} decided`, tags: [tag], createdAt });
}

/** The seed of the project memory: the purge scenarios each delete by their own tag. */
const SEED_DECISIONS = [
  decision('d1', 'architecture', '2026-01-05'),
  decision('d2', 'architecture', '2026-02-10'),
  decision('d3', 'purge-yes', '2026-02-11'),
  decision('d4', 'purge-yes', '2026-03-01'),
  decision('d5', 'purge-declined', '2026-03-02'),
  decision('d6', 'purge-waiting', '2026-03-03'),
  '{"title": "no decision field"}',
];

/** Every recording, in order: later ones rely on the memory seeded by `importDecisionsWorkflow-completed`. */
const SCENARIOS: Scenario[] = [
  async function longRunningOperation(recorder) {
    const mcp = await recorder.connect();
    const completed = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0.2, steps: 2 });
    await getTaskResult(mcp.client, completed.taskId);
    await recorder.saveClosed('completed', taskWorkflowId(mcp, completed));

    const running = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 600, steps: 600 });
    await recorder.saveRunning('running-mid-way', await heartbeating(recorder, taskWorkflowId(mcp, running)));
    await cancelTask(mcp.client, running.taskId);
    await recorder.saveClosed('cancelled-mid-way', taskWorkflowId(mcp, running));

    const plain = await recorder.connect();
    await plainCall(plain, 'long_running_operation', { duration: 0.2, steps: 1 });
    await recorder.saveClosed('plain-call', await onlyWorkflowOf(recorder, plain));
  },

  async function analyzeDataset(recorder) {
    const mcp = await recorder.connect();
    const rows = ['id,amount,category', '1,10.5,a', '2,3,b', '3,,a', '4,7.25,c'];
    writeFileSync(path.join(recorder.datasetsDir, 'orders.csv'), rows.map((row) => `${row}\n`).join(''));
    const completed = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'orders.csv' });
    await getTaskResult(mcp.client, completed.taskId);
    await recorder.saveClosed('completed', taskWorkflowId(mcp, completed));

    const source = recorder.endlessSources.urlFor('orders.csv', {
      header: 'id,amount,category',
      line: (i) => `${i},${i % 50},c${i % 3}`,
    });
    const running = await callToolAsTask(mcp.client, 'analyze_dataset', { source });
    await recorder.saveRunning('running-mid-way', await heartbeating(recorder, taskWorkflowId(mcp, running)));
    await cancelTask(mcp.client, running.taskId);
    await recorder.saveClosed('cancelled-mid-way', taskWorkflowId(mcp, running));

    const failed = await callToolAsTask(mcp.client, 'analyze_dataset', { source: 'absent.csv' });
    await recorder.saveClosed('failed', taskWorkflowId(mcp, failed));
  },

  async function importDecisions(recorder) {
    const mcp = await recorder.connect();
    writeFileSync(
      path.join(recorder.datasetsDir, 'decisions.jsonl'),
      SEED_DECISIONS.map((line) => `${line}\n`).join(''),
    );
    const completed = await callToolAsTask(mcp.client, 'import_decisions', { source: 'decisions.jsonl' });
    await getTaskResult(mcp.client, completed.taskId);
    await recorder.saveClosed('completed', taskWorkflowId(mcp, completed));

    const source = recorder.endlessSources.urlFor('more-decisions.jsonl', {
      line: (i) => decision(`e${i}`, 'endless', '2026-04-01'),
    });
    const running = await callToolAsTask(mcp.client, 'import_decisions', { source });
    await recorder.saveRunning('running-mid-way', await heartbeating(recorder, taskWorkflowId(mcp, running)));
    await cancelTask(mcp.client, running.taskId);
    await recorder.saveClosed('cancelled-mid-way', taskWorkflowId(mcp, running));
  },

  async function recordDecision(recorder) {
    const mcp = await recorder.connect();
    await plainCall(mcp, 'record_decision', { title: 'Use Temporal', decision: 'Tasks are workflows', tags: ['x'] });
    await recorder.saveClosed('plain-call', await onlyWorkflowOf(recorder, mcp));
  },

  async function getRecentDecisions(recorder) {
    const mcp = await recorder.connect();
    await plainCall(mcp, 'get_recent_decisions', { limit: 5, tag: 'architecture' });
    await recorder.saveClosed('plain-call', await onlyWorkflowOf(recorder, mcp));
  },

  async function analyzeDecisionPatterns(recorder) {
    const mcp = await recorder.connect();
    const task = await callToolAsTask(mcp.client, 'analyze_decision_patterns', { bucket: 'month' });
    await getTaskResult(mcp.client, task.taskId);
    await recorder.saveClosed('completed', taskWorkflowId(mcp, task));
  },

  async function exportMemory(recorder) {
    const mcp = await recorder.connect();
    const task = await callToolAsTask(mcp.client, 'export_memory', { format: 'jsonl' });
    await getTaskResult(mcp.client, task.taskId);
    await recorder.saveClosed('completed', taskWorkflowId(mcp, task));
  },

  async function purgeDecisions(recorder) {
    const waiting = await recorder.connect();
    const task = await callToolAsTask(waiting.client, 'purge_decisions', { tag: 'purge-waiting' });
    await waitForTask(waiting.client, task.taskId, (t) => t.status === 'input_required', WAIT_MS);
    await recorder.saveRunning('waiting-for-answer', taskWorkflowId(waiting, task));
    await cancelTask(waiting.client, task.taskId);
    await recorder.saveClosed('cancelled-while-waiting', taskWorkflowId(waiting, task));

    const answers: [string, string, ElicitationAnswerer][] = [
      ['answered-yes', 'purge-yes', () => ({ action: 'accept', content: { confirmed: true } })],
      ['declined', 'purge-declined', () => ({ action: 'decline' })],
    ];
    for (const [pathName, tag, answer] of answers) {
      const mcp = await recorder.connect({ answer });
      const answered = await callToolAsTask(mcp.client, 'purge_decisions', { tag });
      await getTaskResult(mcp.client, answered.taskId);
      await recorder.saveClosed(pathName, taskWorkflowId(mcp, answered));
    }

    const nothing = await recorder.connect();
    const none = await callToolAsTask(nothing.client, 'purge_decisions', { tag: 'no-such-tag' });
    await getTaskResult(nothing.client, none.taskId);
    await recorder.saveClosed('nothing-to-delete', taskWorkflowId(nothing, none));
  },

  async function cleanupExpiredTasks(recorder) {
    const schedule = recorder.product.client.schedule.getHandle(cleanupScheduleId(TASK_QUEUE));
    await schedule.trigger();
    const workflowId = await pollUntil('the clean-up schedule to start its workflow', async () => {
      const { info } = await schedule.describe();
      return info.recentActions[0]?.action.workflow.workflowId;
    });
    await recorder.saveClosed('completed', workflowId);
  },
];

async function historyAtRest(handle: WorkflowHandle) {
  return pollUntil(`${handle.workflowId} to be at rest`, async () => {
    const history = await handle.fetchHistory();
    return isAtRest(history) ? history : undefined;
  });
}

/** Records every scenario into a fresh directory, checks that each replays, then replaces the fixtures. */
async function main(): Promise<void> {
  // The worker logs every failed task workflow as a warning; the failed path is recorded on purpose.
  installRuntime({ LOG_LEVEL: 'ERROR' });
  const workDir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-histories-'));
  const outDir = path.join(workDir, 'histories');
  const dataDir = path.join(workDir, 'data');
  mkdirSync(outDir);
  mkdirSync(path.join(dataDir, 'datasets'), { recursive: true });
  const devServer = await startDevServer({
    cliPath: findTemporalCli(),
    dbFile: path.join(workDir, 'temporal.db'),
    grpcPort: await freePort(),
    namespace: 'default',
  });
  const clients: TestClient[] = [];
  const endlessSources = await startTrickleSourceServer();
  let product: RunningProduct | undefined;
  const recorded: { name: string; workflowId: string; history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> }[] =
    [];
  try {
    product = await startProduct(
      loadConfig({
        TEMPORAL_ADDRESS: devServer.address,
        TASK_QUEUE,
        MCP_PORT: '0',
        DATA_DIR: dataDir,
        MCP_SESSION_SECRET: 'history-recorder-secret-0123456789',
        TASK_POLL_INTERVAL_MS: '100',
        AUDIT_LOG: 'off',
        // The running-mid-way recordings of streaming tools read an endless source served here.
        DATASET_URL_HOSTS: endlessSources.origin,
        // The recorder triggers the clean-up schedule itself; it must not also fire on its own.
        TASK_CLEANUP_INTERVAL_SECONDS: String(7 * 86_400),
      }),
      { worker: true, http: true },
    );
    const running = product;
    const save = async (pathName: string, workflowId: string, closed: boolean): Promise<void> => {
      const handle = running.client.workflow.getHandle(workflowId);
      if (closed) await handle.result().catch(() => undefined);
      const history = await historyAtRest(handle);
      if (isClosed(history) !== closed) {
        throw new Error(`${workflowId} (${pathName}) is ${closed ? 'still running' : 'already closed'}`);
      }
      const name = `${workflowTypeOf(history)}-${pathName}`;
      if (recorded.some((entry) => entry.name === name)) throw new Error(`Two recordings are named ${name}`);
      writeFileSync(path.join(outDir, `${name}.json`), `${historyToJSON(history)}\n`);
      recorded.push({ name, workflowId, history });
      process.stdout.write(`recorded ${name} (${history.events?.length ?? 0} events)\n`);
    };
    const recorder: Recorder = {
      product,
      datasetsDir: path.join(dataDir, 'datasets'),
      endlessSources,
      async connect(options = {}) {
        const mcp = options.answer
          ? await connectMcpWithElicitation(running.mcpUrl!, options.answer)
          : await connectMcp(running.mcpUrl!);
        clients.push(mcp);
        return mcp;
      },
      saveRunning: (pathName, workflowId) => save(pathName, workflowId, false),
      saveClosed: (pathName, workflowId) => save(pathName, workflowId, true),
    };
    for (const scenario of SCENARIOS) await scenario(recorder);

    let failures = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH },
      recorded.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      if (result.error) {
        failures++;
        process.stderr.write(`does not replay: ${result.workflowId}: ${result.error.message}\n`);
      }
    }
    if (failures > 0) throw new Error(`${failures} recorded histories do not replay; the fixtures are unchanged`);

    mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const file of readdirSync(HISTORIES_DIR).filter((name) => name.endsWith('.json'))) {
      rmSync(path.join(HISTORIES_DIR, file));
    }
    for (const { name } of recorded)
      copyFileSync(path.join(outDir, `${name}.json`), path.join(HISTORIES_DIR, `${name}.json`));
    process.stdout.write(`wrote ${recorded.length} histories to ${HISTORIES_DIR}\n`);
  } finally {
    for (const mcp of clients) await mcp.close().catch(() => undefined);
    await endlessSources.close();
    await product?.close();
    await devServer.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
