#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  ListTasksResultSchema,
  McpError,
  TaskStatusNotificationSchema,
  type CallToolResult,
  type Task,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import packageJson from '../../package.json';
import { DEFAULT_MCP_PORT } from '../config';
import { connect, type Connection } from './connection';
import { followTask, getTask, type TaskOutcome } from './follow-task';
import { printJson, resultText, taskDetails, taskLine, toolLine } from './output';
import { TerminalQuestions } from './questions';
import { SessionStore } from './session-store';
import { createTaskDisplay, type TaskDisplay } from './task-display';
import { UsageError, toolArguments } from './tool-arguments';

/** Exit code after Ctrl-C, as shells report a process ended by SIGINT. */
const EXIT_INTERRUPTED = 130;
const EXIT_FAILED = 1;
/** How long Ctrl-C waits for the cancelled task's pending `tasks/result` to end before closing. */
const CANCEL_SETTLE_MS = 3000;
/** How long the command waits for its connection to close before exiting anyway. */
const CLOSE_TIMEOUT_MS = 2000;

interface GlobalOptions {
  url: string;
  token?: string;
}

/**
 * One invocation's connection and what Ctrl-C must undo: the task being waited for is cancelled with
 * `tasks/cancel`, a plain request is abandoned (the SDK tells the server with `notifications/cancelled`).
 */
class Invocation {
  display: TaskDisplay | undefined;
  taskId: string | undefined;
  /** The wait for the task's result, while one runs. */
  following: Promise<unknown> | undefined;
  readonly abort = new AbortController();
  private connection: Connection | undefined;
  private interrupted = false;

  /** Whether Ctrl-C was pressed: the interruption then reports and exits, not the command. */
  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  constructor(private readonly options: GlobalOptions) {
    process.on('SIGINT', () => void this.interrupt());
  }

  async client(): Promise<Client> {
    if (!this.connection) {
      const questions = new TerminalQuestions({
        beforeAsking: () => this.display?.pause(),
        afterAsking: () => this.display?.resume(),
        onInterrupt: () => void this.interrupt(),
      });
      this.connection = await connect({
        url: this.options.url,
        token: this.options.token,
        sessions: new SessionStore(),
        answerQuestion: (request, signal) => questions.ask(request, signal),
        version: packageJson.version,
      });
      this.connection.client.setNotificationHandler(TaskStatusNotificationSchema, (notification) => {
        if (notification.params.taskId === this.taskId) this.display?.showTask(notification.params);
      });
    }
    return this.connection.client;
  }

  async finish(exitCode: number): Promise<never> {
    this.display?.stop();
    // Closing ends the session's streams politely; a server that does not answer must not keep us here.
    const closed = this.connection?.close().catch(() => undefined);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
    process.exit(exitCode);
  }

  private async interrupt(): Promise<void> {
    // A second Ctrl-C does not wait for the cancellation to be acknowledged.
    if (this.interrupted) process.exit(EXIT_INTERRUPTED);
    this.interrupted = true;
    this.display?.stop();
    const taskId = this.taskId;
    if (taskId !== undefined && this.connection) {
      process.stderr.write(`\nCancelling task ${taskId}…\n`);
      try {
        const task = await this.connection.client.request(
          { method: 'tasks/cancel', params: { taskId } },
          CancelTaskResultSchema,
        );
        process.stderr.write(`Task ${taskId} ${task.status === 'cancelled' ? 'cancelled' : `is ${task.status}`}.\n`);
        // The server now ends the pending `tasks/result`; closing before that would look like a crash.
        await Promise.race([this.following, new Promise((resolve) => setTimeout(resolve, CANCEL_SETTLE_MS))]);
      } catch (error) {
        process.stderr.write(`Could not cancel task ${taskId}: ${describeError(error)}\n`);
      }
    } else {
      this.abort.abort();
      process.stderr.write('\nInterrupted.\n');
    }
    await this.finish(EXIT_INTERRUPTED);
  }
}

/** Runs one command: connects, runs `body`, reports any error, and exits with its code. */
async function run(command: Command, body: (invocation: Invocation, client: Client) => Promise<number>): Promise<void> {
  const invocation = new Invocation(command.optsWithGlobals<GlobalOptions>());
  let exitCode: number;
  try {
    exitCode = await body(invocation, await invocation.client());
  } catch (error) {
    if (invocation.wasInterrupted) return;
    invocation.display?.stop();
    process.stderr.write(`${describeError(error)}\n`);
    exitCode = EXIT_FAILED;
  }
  if (!invocation.wasInterrupted) await invocation.finish(exitCode);
}

function describeError(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof McpError) return `Error ${error.code}: ${error.message.replace(/^MCP error -?\d+: /, '')}`;
  if (error instanceof StreamableHTTPError) return `The server answered HTTP ${error.code}: ${error.message}`;
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return `Cannot reach the server: ${String((error.cause as Error | undefined)?.message ?? error.message)}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function listAllTools(client: Client): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

async function listAllTasks(client: Client): Promise<Task[]> {
  const tasks: Task[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.request(
      { method: 'tasks/list', params: cursor === undefined ? {} : { cursor } },
      ListTasksResultSchema,
    );
    tasks.push(...page.tasks);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tasks;
}

/** Prints how a task ended and returns the exit code: 0 only for a completed task whose tool succeeded. */
function reportOutcome(outcome: TaskOutcome, json: boolean): number {
  const { task, result, error } = outcome;
  const succeeded = task.status === 'completed' && result !== undefined && result.isError !== true;
  if (json) {
    printJson(result ?? { task, error: error?.message });
  } else if (result !== undefined) {
    const text = resultText(result);
    (succeeded ? process.stdout : process.stderr).write(text === '' ? '' : `${text}\n`);
  }
  if (!succeeded && !json) {
    const reason = task.statusMessage ?? (error ? describeError(error) : undefined);
    process.stderr.write(`Task ${task.taskId} ${task.status}${reason ? `: ${reason}` : ''}\n`);
  }
  return succeeded ? 0 : EXIT_FAILED;
}

function reportPlainResult(result: CallToolResult, json: boolean): number {
  if (json) printJson(result);
  else {
    const text = resultText(result);
    (result.isError ? process.stderr : process.stdout).write(text === '' ? '' : `${text}\n`);
  }
  return result.isError ? EXIT_FAILED : 0;
}

interface CallOptions {
  arg: string[];
  argsJson?: string;
  task: boolean;
  ttl?: number;
  json?: boolean;
  detach?: boolean;
}

async function callTool(invocation: Invocation, client: Client, name: string, options: CallOptions): Promise<number> {
  const tool = (await listAllTools(client)).find((candidate) => candidate.name === name);
  if (!tool) throw new UsageError(`The server has no tool named "${name}" (see: mcp-tasks tools)`);
  const args = toolArguments(options.arg, options.argsJson, tool.inputSchema);
  const taskSupport = tool.execution?.taskSupport ?? 'forbidden';
  const asTask = options.task && taskSupport !== 'forbidden';
  if (options.detach && !asTask) {
    throw new UsageError(
      `--detach needs a task, and ${name} ${options.task ? 'does not run as one' : 'is called with --no-task'}`,
    );
  }
  if (!asTask) {
    invocation.display = createTaskDisplay(undefined);
    const result = await client.request(
      { method: 'tools/call', params: { name, arguments: args } },
      CallToolResultSchema,
      {
        signal: invocation.abort.signal,
        onprogress: (report) => invocation.display?.showProgress(report),
        resetTimeoutOnProgress: true,
      },
    );
    invocation.display.stop();
    return reportPlainResult(result, options.json ?? false);
  }
  const created = await client.request(
    {
      method: 'tools/call',
      params: { name, arguments: args, task: options.ttl === undefined ? {} : { ttl: options.ttl } },
    },
    CreateTaskResultSchema,
    // The SDK keeps a task's progress handler after the CreateTaskResult, for the task's whole life.
    { onprogress: (report) => invocation.display?.showProgress(report) },
  );
  if (options.detach) {
    if (options.json) printJson(created.task);
    else process.stdout.write(`${created.task.taskId}\n`);
    return 0;
  }
  return waitForTask(invocation, client, created.task, options.json ?? false);
}

async function waitForTask(invocation: Invocation, client: Client, task: Task, json: boolean): Promise<number> {
  invocation.taskId = task.taskId;
  invocation.display = createTaskDisplay(task.taskId);
  const following = followTask(client, task, invocation.display);
  invocation.following = following.catch(() => undefined);
  const outcome = await following;
  invocation.display.stop();
  if (invocation.wasInterrupted) return EXIT_INTERRUPTED;
  return reportOutcome(outcome, json);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--ttl takes milliseconds, got "${text}"`);
  return value;
}

/** The `mcp-tasks` command line. */
export function buildProgram(): Command {
  const program = new Command('mcp-tasks')
    .description('Run and follow the tasks of an MCP server (MCP 2025-11-25 Tasks, Streamable HTTP).')
    .version(packageJson.version)
    .addOption(
      new Option('--url <url>', 'the MCP endpoint').env('MCP_URL').default(`http://127.0.0.1:${DEFAULT_MCP_PORT}/mcp`),
    )
    .addOption(new Option('--token <token>', 'bearer token sent on every request').env('MCP_TOKEN'))
    .showHelpAfterError();

  program
    .command('tools')
    .description('list the tools and whether each runs as a task')
    .option('--json', 'print the tools as JSON')
    .action((options: { json?: boolean }, command: Command) =>
      run(command, async (_invocation, client) => {
        const tools = await listAllTools(client);
        if (options.json) printJson(tools);
        else {
          const width = Math.max(0, ...tools.map((tool) => tool.name.length));
          // On a terminal, one row per tool; piped, whole descriptions for whoever reads them.
          const columns = process.stdout.isTTY ? process.stdout.columns : Infinity;
          for (const tool of tools) process.stdout.write(`${toolLine(tool, width).slice(0, columns)}\n`);
        }
        return 0;
      }),
    );

  program
    .command('call <tool>')
    .description('call a tool; as a task when it supports one, with a progress bar, its questions and its result')
    .option('--arg <key=value>', 'an argument (repeatable); the value is typed as the tool schema says', collect, [])
    .option('--args-json <json>', 'all arguments as one JSON object (--arg entries override it)')
    .option('--no-task', 'call without a task: the answer comes on the request')
    .option('--ttl <ms>', 'how long the server keeps the task and its result', positiveInteger)
    .option('--json', 'print the whole result as JSON')
    .option('--detach', 'print the task id and leave the task running')
    .action((name: string, options: CallOptions, command: Command) =>
      run(command, (invocation, client) => callTool(invocation, client, name, options)),
    );

  program
    .command('list')
    .description('list the tasks this session (or token) owns')
    .option('--json', 'print the tasks as JSON')
    .action((options: { json?: boolean }, command: Command) =>
      run(command, async (_invocation, client) => {
        const tasks = await listAllTasks(client);
        if (options.json) printJson(tasks);
        else for (const task of tasks) process.stdout.write(`${taskLine(task)}\n`);
        return 0;
      }),
    );

  program
    .command('get <id>')
    .description("show a task's status")
    .option('--json', 'print the task as JSON')
    .action((taskId: string, options: { json?: boolean }, command: Command) =>
      run(command, async (_invocation, client) => {
        const task = await getTask(client, taskId);
        if (options.json) printJson(task);
        else process.stdout.write(`${taskDetails(task)}\n`);
        return 0;
      }),
    );

  program
    .command('result <id>')
    .description("wait for a task's result, with the progress bar and its questions")
    .option('--json', 'print the whole result as JSON')
    .action((taskId: string, options: { json?: boolean }, command: Command) =>
      run(command, async (invocation, client) =>
        waitForTask(invocation, client, await getTask(client, taskId), options.json ?? false),
      ),
    );

  program
    .command('cancel <id>')
    .description('cancel a task')
    .option('--json', 'print the cancelled task as JSON')
    .action((taskId: string, options: { json?: boolean }, command: Command) =>
      run(command, async (_invocation, client) => {
        const task = await client.request({ method: 'tasks/cancel', params: { taskId } }, CancelTaskResultSchema);
        if (options.json) printJson(task);
        else process.stdout.write(`Task ${task.taskId} ${task.status}.\n`);
        return 0;
      }),
    );

  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync()
    .catch((error: unknown) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exit(EXIT_FAILED);
    });
}
