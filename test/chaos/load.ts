import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  type CallToolResult,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { IDEMPOTENCY_KEY_META } from '../../src/tasks/idempotency';
import { DefinitiveError, type ChaosOwner } from './owner';
import type { SeededRandom } from './options';

export const TASK_KINDS = ['long_running_operation', 'analyze_dataset', 'import_decisions', 'purge_decisions'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** A task the load created (its `tools/call` answered with a task id), and what became of it. */
export interface TrackedTask {
  taskId: string;
  owner: ChaosOwner;
  kind: TaskKind;
  /** The terminal status seen, or `lost` when none was seen by the end (or the task vanished). */
  outcome?: 'completed' | 'failed' | 'cancelled' | 'lost';
  /** The status message of a failed or cancelled task, or why it counts as lost. */
  reason?: string;
  /** Set when a completed task's result is not what its input implies. */
  wrongResult?: string;
  /** The tag of the decisions an import writes or a purge deletes. */
  tag?: string;
  /** Decisions the import's file holds, or that the purge's tag matched when it was created. */
  expectedRows?: number;
  /** What a completed purge reported deleting. */
  deleted?: number;
}

/** Reads of a task id by a session that does not own it; every one must be refused. */
export interface CrossOwnerReads {
  attempts: number;
  /** Refused with -32602, as a task of another owner must be. */
  refused: number;
  /** Answered with the task or its result: each one is a leak. */
  leaked: string[];
  /** No answer before its deadline (every replica away); neither a refusal nor a leak. */
  unanswered: number;
}

/** The shared state of one run's load. */
export interface LoadState {
  owners: ChaosOwner[];
  /** `DATA_DIR/datasets`, where the workers find the generated files. */
  datasetsDir: string;
  /** Unique to the run: it prefixes every file, tag and title, so that runs never mix. */
  runId: string;
  /** No task is created after this moment. */
  createUntil: number;
  /** Every wait for a terminal state ends here. */
  settleUntil: number;
  tasks: TrackedTask[];
  crossOwner: CrossOwnerReads;
  /** `tools/call`s that never answered before their deadline, by the last error seen. */
  notCreated: Map<string, number>;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** How long one request may wait for its answer before it is sent again (a cut stream never answers). */
const REQUEST_TIMEOUT_MS = 15_000;
/** How long one attempt to create a task may keep retrying through outages. */
const CREATE_DEADLINE_MS = 120_000;

/** Runs one job of the mixed load (its choices drawn from `random`, its own generator): one task, or for a purge, the import of its decisions and then the purge. */
export async function runJob(state: LoadState, index: number, random: SeededRandom): Promise<void> {
  const owner = random.pick(state.owners);
  const roll = random.next();
  if (roll < 0.4) {
    const duration = random.int(0, 3);
    await createAndFollow(state, random, owner, 'long_running_operation', { duration, steps: random.int(1, 3) }, {});
  } else if (roll < 0.65) {
    const rows = random.int(10, 200);
    const source = writeDataset(state, index, rows);
    await createAndFollow(state, random, owner, 'analyze_dataset', { source }, { expectedRows: rows });
  } else if (roll < 0.85) {
    const tag = `${state.runId}-i${index}`;
    const { source, count } = writeDecisions(state, tag, random.int(5, 60));
    await createAndFollow(state, random, owner, 'import_decisions', { source }, { tag, expectedRows: count });
  } else {
    const tag = `${state.runId}-p${index}`;
    const { source, count } = writeDecisions(state, tag, random.int(1, 20));
    const seed = await createAndFollow(
      state,
      random,
      owner,
      'import_decisions',
      { source },
      { tag, expectedRows: count },
    );
    // Without its decisions in place the purge would have nothing to confirm; the import's failure is counted.
    if (seed?.outcome !== 'completed') return;
    await createAndFollow(state, random, owner, 'purge_decisions', { tag }, { tag, expectedRows: count });
  }
}

/** Creates the task, lets another owner try to read it, waits for its end and checks its result. */
async function createAndFollow(
  state: LoadState,
  random: SeededRandom,
  owner: ChaosOwner,
  kind: TaskKind,
  args: Record<string, unknown>,
  expected: Pick<TrackedTask, 'tag' | 'expectedRows'>,
): Promise<TrackedTask | undefined> {
  if (Date.now() > state.createUntil) return undefined;
  // One key for every attempt of this call: an attempt whose answer a kill cut off started a task,
  // and the next attempt must get that task rather than start a second one (an orphan).
  const key = `chaos-${randomUUID()}`;
  let created: Task;
  try {
    created = await owner.request(Date.now() + CREATE_DEADLINE_MS, (client) =>
      client
        .request(
          {
            method: 'tools/call',
            params: { name: kind, arguments: args, task: {}, _meta: { [IDEMPOTENCY_KEY_META]: key } },
          },
          CreateTaskResultSchema,
          { timeout: REQUEST_TIMEOUT_MS },
        )
        .then((result) => result.task),
    );
  } catch (err) {
    const reason = `${kind}: ${describe(err)}`;
    state.notCreated.set(reason, (state.notCreated.get(reason) ?? 0) + 1);
    return undefined;
  }
  const task: TrackedTask = { taskId: created.taskId, owner, kind, ...expected };
  state.tasks.push(task);
  await Promise.all([readAsStranger(state, random, task), follow(state, task)]);
  return task;
}

/** Waits for the task to reach a terminal state, confirming a purge's question, then checks its result. */
async function follow(state: LoadState, task: TrackedTask): Promise<void> {
  let last: Task | undefined;
  for (;;) {
    try {
      last = await task.owner.request(state.settleUntil, (client) =>
        client.request({ method: 'tasks/get', params: { taskId: task.taskId } }, GetTaskResultSchema, {
          timeout: REQUEST_TIMEOUT_MS,
        }),
      );
    } catch (err) {
      task.outcome = 'lost';
      task.reason =
        err instanceof DefinitiveError
          ? `vanished: ${err.message}`
          : `no terminal state by the end of the run (last status ${last?.status ?? 'never read'})`;
      return;
    }
    if (TERMINAL.has(last.status)) break;
    if (Date.now() > state.settleUntil) {
      task.outcome = 'lost';
      task.reason = `no terminal state by the end of the run (last status ${last.status})`;
      return;
    }
    if (last.status === 'input_required') {
      // The question comes on this stream and the owner's client confirms it; a cut stream is
      // simply opened again on the next turn.
      await readResult(task, Math.min(state.settleUntil, Date.now() + 30_000)).catch(() => undefined);
    } else {
      await sleep(500);
    }
  }
  task.outcome = last.status as 'completed' | 'failed' | 'cancelled';
  if (task.outcome !== 'completed') {
    task.reason = last.statusMessage ?? '(no status message)';
    return;
  }
  try {
    checkResult(task, await readResult(task, state.settleUntil));
  } catch (err) {
    task.wrongResult = `its result could not be read: ${describe(err)}`;
  }
}

function readResult(task: TrackedTask, deadline: number): Promise<CallToolResult> {
  return task.owner.request(deadline, (client) =>
    client.request({ method: 'tasks/result', params: { taskId: task.taskId } }, CallToolResultSchema, {
      timeout: 30_000,
    }),
  );
}

/** Records what in a completed task's result contradicts its input (the memory itself is checked at the end). */
function checkResult(task: TrackedTask, result: CallToolResult): void {
  const content = (result.structuredContent ?? {}) as Record<string, unknown>;
  if (result.isError) {
    task.wrongResult = `completed with an error result: ${JSON.stringify(result.content).slice(0, 200)}`;
  } else if (task.kind === 'analyze_dataset' && content.rows !== task.expectedRows) {
    task.wrongResult = `analysed ${String(content.rows)} rows of ${task.expectedRows}`;
  } else if (task.kind === 'import_decisions') {
    const seen = Number(content.imported) + Number(content.updated) + Number(content.unchanged);
    if (seen !== task.expectedRows || content.invalidCount !== 0)
      task.wrongResult = `import reported ${JSON.stringify(content)} for ${task.expectedRows} records`;
  } else if (task.kind === 'purge_decisions') {
    task.deleted = Number(content.deleted);
  }
}

/** Another owner asks for the task and, now and then, its result: the server must refuse both. */
async function readAsStranger(state: LoadState, random: SeededRandom, task: TrackedTask): Promise<void> {
  const others = state.owners.filter((owner) => owner !== task.owner);
  const stranger = random.pick(others);
  const method = random.next() < 0.7 ? 'tasks/get' : 'tasks/result';
  state.crossOwner.attempts++;
  try {
    await stranger.request<unknown>(Date.now() + 60_000, (client) =>
      method === 'tasks/get'
        ? client.request({ method, params: { taskId: task.taskId } }, GetTaskResultSchema, {
            timeout: REQUEST_TIMEOUT_MS,
          })
        : client.request({ method, params: { taskId: task.taskId } }, CallToolResultSchema, {
            timeout: REQUEST_TIMEOUT_MS,
          }),
    );
    state.crossOwner.leaked.push(`${stranger.name} read ${task.taskId} of ${task.owner.name} with ${method}`);
  } catch (err) {
    if (err instanceof DefinitiveError) state.crossOwner.refused++;
    else state.crossOwner.unanswered++;
  }
}

/** A CSV of `rows` rows under `DATA_DIR/datasets`; returns its path relative to that folder. */
function writeDataset(state: LoadState, index: number, rows: number): string {
  const relative = path.join(state.runId, `dataset-${index}.csv`);
  const lines = ['id,group,value'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},g${i % 7},${(i * 37) % 101}`);
  writeRunFile(state, relative, lines);
  return relative;
}

/** A JSONL history of `count` decisions, all tagged `tag`, each with its own id and title. */
function writeDecisions(state: LoadState, tag: string, count: number): { source: string; count: number } {
  const relative = path.join(state.runId, `${tag}.jsonl`);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `${tag}-${i}`, title: `${tag} decision ${i}`, decision: `chose option ${i}`, tags: [tag] }),
  );
  writeRunFile(state, relative, lines);
  return { source: relative, count };
}

function writeRunFile(state: LoadState, relative: string, lines: string[]): void {
  const file = path.join(state.datasetsDir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: { code?: unknown } }).cause?.code;
    return `${err.message}${typeof code === 'number' || typeof code === 'string' ? ` (code ${code})` : ''}${
      typeof cause === 'string' ? ` (${cause})` : ''
    }`.slice(0, 200);
  }
  return String(err);
}
