import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RunningProduct } from '../../src/app';
import { RecordingObserver, startTestProduct, testConfig } from '../helpers/product';
import { connectMcp, getTask } from '../helpers/mcp-client';
import { TmuxTerminal } from '../helpers/terminal';
import { freePort } from '../helpers/ports';
import { startSdkTaskServer } from '../helpers/sdk-task-server';

// The compiled command, as `npx mcp-tasks` runs it (`npm test` builds first).
const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');

let product: RunningProduct;
let url: string;
const observer = new RecordingObserver();
const terminals: TmuxTerminal[] = [];

beforeAll(async () => {
  product = await startTestProduct(testConfig(), { activityObserver: observer });
  url = product.mcpUrl!;
});

afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
});

afterAll(async () => {
  await product.close();
});

/** A sessions file of its own: each test is a new user of the command, with its own MCP session. */
function freshUser(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-tasks-cli-'));
  return { MCP_URL: url, MCP_TASKS_SESSIONS_FILE: path.join(dir, 'sessions.json') };
}

async function inTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<TmuxTerminal> {
  const terminal = await TmuxTerminal.start([process.execPath, CLI, ...args], { env });
  terminals.push(terminal);
  return terminal;
}

/** Runs the command with pipes for stdin, stdout and stderr (no terminal). */
function runPiped(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** The MCP session the command saved for the product's URL. */
function savedSession(env: NodeJS.ProcessEnv): string {
  const sessions = JSON.parse(readFileSync(env.MCP_TASKS_SESSIONS_FILE!, 'utf8')) as Record<string, string>;
  return sessions[url]!;
}

// "███░░░ 37% | working | Step 3/8" → [percentage, step]
function barState(screen: string, steps: number): { percent: number; step: number } | undefined {
  const bars = [...screen.matchAll(new RegExp(`█*░* (\\d+)% \\| working \\| Step (\\d+)/${steps}`, 'g'))];
  const last = bars.at(-1);
  return last ? { percent: Number(last[1]), step: Number(last[2]) } : undefined;
}

describe('mcp-tasks in a terminal', () => {
  it('shows a progress bar that moves with the status message, then prints the result and exits 0', async () => {
    const terminal = await inTerminal(
      ['call', 'long_running_operation', '--arg', 'duration=8', '--arg', 'steps=8'],
      freshUser(),
    );
    const early = await terminal.waitForScreen((screen) => {
      const state = barState(screen, 8);
      return state !== undefined && state.step >= 1 && state.step < 7;
    });
    const first = barState(early, 8)!;
    const later = await terminal.waitForScreen((screen) => {
      const state = barState(screen, 8);
      return state !== undefined && state.step > first.step && state.percent > first.percent;
    });
    expect(later).toMatch(/^Task [0-9a-f-]+$/m);
    expect(await terminal.waitForExit()).toBe(0);
    expect(await terminal.screen()).toContain('Long running operation completed. Duration: 8 seconds, Steps: 8.');
  });

  it('asks "Confirm deletion of N records?" as a yes/no question and passes the answer to the task', async () => {
    const tag = `cli-${randomUUID().slice(0, 8)}`;
    const seeder = await connectMcp(url);
    try {
      for (const title of ['first', 'second']) {
        await seeder.client.callTool({ name: 'record_decision', arguments: { title, decision: 'kept', tags: [tag] } });
      }
      const terminal = await inTerminal(['call', 'purge_decisions', '--arg', `tag=${tag}`], freshUser());
      await terminal.waitForScreen((screen) => /Confirm deletion of 2 records\? \(y\/N\)/.test(screen));
      await terminal.sendKeys('y', 'Enter');
      expect(await terminal.waitForExit()).toBe(0);
      expect(await terminal.screen()).toContain('Deleted 2 records.');
      const left = await seeder.client.callTool({ name: 'get_recent_decisions', arguments: { tag } });
      expect(left.structuredContent).toEqual({ decisions: [] });
    } finally {
      await seeder.close();
    }
  });

  it('cancels the task with tasks/cancel on Ctrl-C, says so, and exits 130', async () => {
    const user = freshUser();
    const terminal = await inTerminal(
      ['call', 'long_running_operation', '--arg', 'duration=120', '--arg', 'steps=120'],
      user,
    );
    const running = await terminal.waitForScreen((screen) => (barState(screen, 120)?.step ?? 0) >= 1);
    const taskId = /^Task ([0-9a-f-]+)$/m.exec(running)![1]!;
    await terminal.sendKeys('C-c');
    expect(await terminal.waitForExit()).toBe(130);
    const screen = await terminal.screen();
    expect(screen).toContain(`Cancelling task ${taskId}…`);
    expect(screen).toContain(`Task ${taskId} cancelled.`);
    const owner = await connectMcp(url, { sessionId: savedSession(user) });
    try {
      expect((await getTask(owner.client, taskId)).status).toBe('cancelled');
    } finally {
      await owner.close();
    }
    // The running activity itself was stopped, not only the task's status changed.
    await waitUntil(() => observer.cancellations.length > 0);
  });
});

describe('mcp-tasks without a terminal', () => {
  it('prints the result alone on stdout, with status lines on stderr and no bar or colour', async () => {
    const run = await runPiped(
      ['call', 'long_running_operation', '--arg', 'duration=1', '--arg', 'steps=2'],
      freshUser(),
    );
    expect(run).toMatchObject({
      code: 0,
      stdout: 'Long running operation completed. Duration: 1 seconds, Steps: 2.\n',
    });
    expect(run.stderr).toMatch(/^completed/m);
    const everything = `${run.stdout}${run.stderr}`;
    // No escape sequence (colour, cursor moves) and no bar characters.
    expect(everything).not.toContain('\u001b');
    expect(everything).not.toMatch(/[█░]/);
  });

  it('detaches, then lists, gets, waits for and cancels tasks, each with --json', async () => {
    const user = freshUser();
    const detached = await runPiped(
      ['call', 'long_running_operation', '--args-json', '{"duration": 1, "steps": 1}', '--detach'],
      user,
    );
    expect(detached.code).toBe(0);
    const taskId = detached.stdout.trim();
    expect(taskId).toMatch(/^[0-9a-f-]{16,}$/);

    const result = await runPiped(['result', taskId, '--json'], user);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      content: [{ type: 'text', text: 'Long running operation completed. Duration: 1 seconds, Steps: 1.' }],
    });
    const got = await runPiped(['get', taskId, '--json'], user);
    expect(JSON.parse(got.stdout)).toMatchObject({ taskId, status: 'completed' });
    const listed = await runPiped(['list', '--json'], user);
    expect((JSON.parse(listed.stdout) as { taskId: string }[]).map((task) => task.taskId)).toContain(taskId);

    const long = await runPiped(
      ['call', 'long_running_operation', '--arg', 'duration=300', '--detach', '--ttl', '600000'],
      user,
    );
    const longId = long.stdout.trim();
    const cancelled = await runPiped(['cancel', longId, '--json'], user);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ taskId: longId, status: 'cancelled' });
    const afterCancel = await runPiped(['result', longId], user);
    expect(afterCancel.code).toBe(1);
    expect(afterCancel.stderr).toContain(`Task ${longId} cancelled`);
  });

  it('exits 1 on a failed task, a bad argument and an unknown tool, saying why', async () => {
    const user = freshUser();
    const failed = await runPiped(['call', 'analyze_dataset', '--arg', 'source=no-such-file.csv'], user);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/failed.*no-such-file\.csv/);
    const badNumber = await runPiped(['call', 'long_running_operation', '--arg', 'duration=soon'], user);
    expect(badNumber).toMatchObject({ code: 1, stderr: expect.stringContaining('--arg duration must be a number') });
    const unknown = await runPiped(['call', 'no_such_tool'], user);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('no tool named "no_such_tool"') });
  });

  it('lists the tools with whether each runs as a task', async () => {
    const run = await runPiped(['tools'], freshUser());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^purge_decisions\s+required\s+Deletes the decisions/m);
    expect(run.stdout).toMatch(/^record_decision\s+forbidden/m);
    const json = await runPiped(['tools', '--json'], freshUser());
    expect((JSON.parse(json.stdout) as { name: string }[]).map((tool) => tool.name)).toContain(
      'long_running_operation',
    );
  });
});

describe('mcp-tasks with other MCP Tasks servers', () => {
  // The MCP SDK's own interactive task server: none of this product's code, only the protocol.
  const EXAMPLE_SERVER = require.resolve('@modelcontextprotocol/sdk/examples/server/simpleTaskInteractive.js');

  it("asks the SDK example server's question and prints its result", async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [EXAMPLE_SERVER], {
      env: { ...process.env, PORT: String(port) },
      stdio: 'pipe',
    });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        server.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Starting server on')) resolve();
        });
        server.once('exit', (code) => reject(new Error(`the example server exited with ${code}: ${output}`)));
      });
      const terminal = await inTerminal(
        ['--url', `http://localhost:${port}/mcp`, 'call', 'confirm_delete', '--arg', 'filename=notes.txt'],
        freshUser(),
      );
      await terminal.waitForScreen((screen) => screen.includes("Are you sure you want to delete 'notes.txt'? (y/N)"));
      await terminal.sendKeys('y', 'Enter');
      expect(await terminal.waitForExit()).toBe(0);
      expect(await terminal.screen()).toContain("Deleted 'notes.txt'");
    } finally {
      server.kill();
      await exited;
    }
  });

  it('asks a form field by field on a server built from the SDK alone, checking each value against the schema', async () => {
    const server = await startSdkTaskServer({
      message: 'Who is asking?',
      requestedSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', title: 'Your name', minLength: 2 },
          count: { type: 'integer', title: 'How many', minimum: 1, maximum: 9 },
          colour: { type: 'string', title: 'Colour', enum: ['red', 'green'] },
          urgent: { type: 'boolean', title: 'Urgent?' },
        },
        required: ['name', 'count'],
      },
    });
    try {
      const terminal = await inTerminal(['--url', server.url, 'call', 'ask'], freshUser());
      await terminal.waitForScreen((screen) => screen.includes('Who is asking?') && screen.includes('? Your name'));
      await terminal.sendKeys('A', 'Enter');
      await terminal.waitForScreen((screen) => screen.includes('At least 2 characters.'));
      await terminal.sendKeys('lice', 'Enter');
      await terminal.waitForScreen((screen) => screen.includes('? How many'));
      await terminal.sendKeys('3', 'Enter');
      await terminal.waitForScreen((screen) => screen.includes('? Colour'));
      await terminal.sendKeys('Down', 'Enter');
      await terminal.waitForScreen((screen) => screen.includes('? Urgent?'));
      await terminal.sendKeys('y', 'Enter');
      expect(await terminal.waitForExit()).toBe(0);
      expect(await terminal.screen()).toContain('ANSWER {"name":"Alice","count":3,"colour":"green","urgent":true}');
    } finally {
      await server.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
