/**
 * The benchmark's MCP clients, on a thread of their own. A client is a separate program in any real
 * deployment; on the product's event loop, its work (the SDK's schemas, `fetch`, SSE parsing) would
 * queue with the product's own (a workflow activation waits for the main thread), which no real client
 * does. The main thread sends each request as a message; each answer carries the time the operation
 * took, measured on the client thread, so that the messages are not counted.
 */
import path from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  type ListTasksResult,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import { throughput } from './stats';

/** A tool call of the benchmark: a tool and its arguments. */
export interface BenchTool {
  name: string;
  arguments: object;
}

/** The call every create → result makes: a task with no work. */
export const NO_WORK: BenchTool = { name: 'long_running_operation', arguments: { duration: 0, steps: 1 } };

/** One MCP client session (on the client thread). */
class McpSession {
  private constructor(
    private readonly client: McpClient,
    private readonly transport: StreamableHTTPClientTransport,
  ) {}

  static async connect(url: string): Promise<McpSession> {
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const client = new McpClient({ name: 'bench', version: '1' });
    await client.connect(transport);
    return new McpSession(client, transport);
  }

  get sessionId(): string {
    return this.transport.sessionId ?? '';
  }

  async create(tool: BenchTool, progressToken?: string): Promise<Task> {
    const params = { ...tool, task: {}, ...(progressToken && { _meta: { progressToken } }) };
    return (await this.client.request({ method: 'tools/call', params }, CreateTaskResultSchema)).task;
  }

  get(taskId: string): Promise<unknown> {
    return this.client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);
  }

  result(taskId: string): Promise<unknown> {
    return this.client.request({ method: 'tasks/result', params: { taskId } }, CallToolResultSchema, {
      timeout: 600_000,
    });
  }

  list(cursor?: string): Promise<ListTasksResult> {
    return this.client.request({ method: 'tasks/list', params: cursor ? { cursor } : {} }, ListTasksResultSchema);
  }

  cancel(taskId: string): Promise<unknown> {
    return this.client.request({ method: 'tasks/cancel', params: { taskId } }, GetTaskResultSchema);
  }

  async createToResult(): Promise<void> {
    await this.result((await this.create(NO_WORK)).taskId);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

type SessionMethod = 'create' | 'get' | 'result' | 'list' | 'cancel' | 'createToResult' | 'close';

type ClientRequest =
  | { op: 'connect'; url: string }
  | { op: 'call'; session: number; method: SessionMethod; args: unknown[] }
  | { op: 'throughput'; sessions: number[]; total: number };

type ClientAnswer = { id: number; value?: unknown; elapsedMs: number; error?: string };

/** The client thread: runs each request it is sent and answers with its value and its time. */
function serveRequests(port: NonNullable<typeof parentPort>): void {
  const sessions: McpSession[] = [];
  const run = async (request: ClientRequest): Promise<unknown> => {
    switch (request.op) {
      case 'connect': {
        const session = await McpSession.connect(request.url);
        sessions.push(session);
        return { index: sessions.length - 1, sessionId: session.sessionId };
      }
      case 'call': {
        const session = sessions[request.session]!;
        const method = (session[request.method] as (...args: unknown[]) => Promise<unknown>).bind(session);
        return method(...request.args);
      }
      case 'throughput':
        return throughput(request.sessions.length, request.total, (loop) =>
          sessions[request.sessions[loop]!]!.createToResult(),
        );
    }
  };
  port.on('message', ({ id, request }: { id: number; request: ClientRequest }) => {
    const start = performance.now();
    run(request).then(
      (value) => port.postMessage({ id, value, elapsedMs: performance.now() - start } satisfies ClientAnswer),
      (err: unknown) =>
        port.postMessage({ id, error: String(err), elapsedMs: performance.now() - start } satisfies ClientAnswer),
    );
  });
}

if (!isMainThread && parentPort) serveRequests(parentPort);

/** The main thread's handle on the client thread. */
export class McpClients {
  private readonly pending = new Map<number, (answer: ClientAnswer) => void>();
  private nextId = 0;

  private constructor(private readonly thread: Worker) {
    thread.on('message', (answer: ClientAnswer) => {
      this.pending.get(answer.id)?.(answer);
      this.pending.delete(answer.id);
    });
  }

  static start(): McpClients {
    return new McpClients(new Worker(path.join(__dirname, 'mcp-clients.js')));
  }

  /** Sends `request`; its value and the time it took on the client thread. */
  private send(request: ClientRequest): Promise<{ value: unknown; elapsedMs: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (answer) =>
        answer.error === undefined
          ? resolve({ value: answer.value, elapsedMs: answer.elapsedMs })
          : reject(new Error(answer.error)),
      );
      this.thread.postMessage({ id, request });
    });
  }

  /** Calls `method` of session `session` on the client thread. */
  call(session: number, method: SessionMethod, args: unknown[]): Promise<{ value: unknown; elapsedMs: number }> {
    return this.send({ op: 'call', session, method, args });
  }

  async connect(url: string): Promise<RemoteSession> {
    const { value } = await this.send({ op: 'connect', url });
    const { index, sessionId } = value as { index: number; sessionId: string };
    return new RemoteSession(this, index, sessionId);
  }

  /** Runs `total` create → result over `sessions` at once, timed on the client thread. */
  async throughput(sessions: RemoteSession[], total: number): Promise<{ times: number[]; perSecond: number }> {
    const { value } = await this.send({ op: 'throughput', sessions: sessions.map((s) => s.index), total });
    return value as { times: number[]; perSecond: number };
  }

  stop(): Promise<number> {
    return this.thread.terminate();
  }
}

/** One session on the client thread, seen from the main thread. */
export class RemoteSession {
  constructor(
    private readonly clients: McpClients,
    readonly index: number,
    readonly sessionId: string,
  ) {}

  private async call<T>(method: SessionMethod, ...args: unknown[]): Promise<T> {
    return (await this.clients.call(this.index, method, args)).value as T;
  }

  /** The time `method` took on the client thread, without the messages to and from it. */
  async timed(method: SessionMethod, ...args: unknown[]): Promise<number> {
    return (await this.clients.call(this.index, method, args)).elapsedMs;
  }

  create(tool: BenchTool, progressToken?: string): Promise<Task> {
    return this.call('create', tool, progressToken);
  }

  get(taskId: string): Promise<unknown> {
    return this.call('get', taskId);
  }

  result(taskId: string): Promise<unknown> {
    return this.call('result', taskId);
  }

  list(cursor?: string): Promise<ListTasksResult> {
    return this.call('list', cursor);
  }

  cancel(taskId: string): Promise<unknown> {
    return this.call('cancel', taskId);
  }

  createToResult(): Promise<void> {
    return this.call('createToResult');
  }

  close(): Promise<void> {
    return this.call('close');
  }
}
