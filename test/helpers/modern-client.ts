/** A minimal 2026-07-28 client over fetch: every request carries its version and capabilities. */

export const MODERN_VERSION = '2026-07-28';
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const WITH_TASKS = { extensions: { [TASKS_EXTENSION]: {} } };

export interface ModernAnswer {
  status: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export interface ModernRequestOptions {
  /** The request's `clientCapabilities`. @default the client's */
  capabilities?: object;
  /** Headers to set or (with undefined) leave out, over the ones derived from the body. */
  headers?: Record<string, string | undefined>;
  /** Replaces the whole `_meta`. */
  meta?: Record<string, unknown>;
  /** Added to the `_meta` the client derives (e.g. a vendor key). */
  extraMeta?: Record<string, unknown>;
}

export class ModernClient {
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly capabilities: object = WITH_TASKS,
    private readonly bearer?: string,
  ) {}

  /** Sends one request with the routing headers its body implies, and reads the JSON answer. */
  async request(
    method: string,
    params: Record<string, unknown> = {},
    options: ModernRequestOptions = {},
  ): Promise<ModernAnswer> {
    const meta = options.meta ?? {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientCapabilities': options.capabilities ?? this.capabilities,
      'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1' },
      ...options.extraMeta,
    };
    const name = method === 'tools/call' ? params.name : method.startsWith('tasks/') ? params.taskId : undefined;
    const headers: Record<string, string | undefined> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
      ...(typeof name === 'string' && { 'mcp-name': name }),
      ...(this.bearer && { authorization: `Bearer ${this.bearer}` }),
      ...options.headers,
    };
    const response = await fetch(this.url, {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params: { ...params, _meta: meta } }),
    });
    const body = (await response.json()) as Omit<ModernAnswer, 'status'>;
    return { status: response.status, ...body };
  }

  /** `tools/call`, expecting a result (sync or task). */
  async call(
    name: string,
    args: Record<string, unknown> = {},
    options: ModernRequestOptions = {},
  ): Promise<Record<string, unknown>> {
    return ok(await this.request('tools/call', { name, arguments: args }, options));
  }

  async getTask(taskId: string): Promise<Record<string, unknown>> {
    return ok(await this.request('tasks/get', { taskId }));
  }

  /** Polls `tasks/get` until `until` holds. */
  async waitForTask(
    taskId: string,
    until: (task: Record<string, unknown>) => boolean,
    timeoutMs = 60_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const task = await this.getTask(taskId);
      if (until(task)) return task;
      if (Date.now() > deadline)
        throw new Error(`Task ${taskId} never reached the condition; last: ${JSON.stringify(task)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The result of an answer that must have succeeded. */
export function ok(answer: ModernAnswer): Record<string, unknown> {
  if (!answer.result) throw new Error(`Expected a result, got ${JSON.stringify(answer)}`);
  return answer.result;
}

export const isTerminal = (task: Record<string, unknown>): boolean =>
  ['completed', 'failed', 'cancelled'].includes(task.status as string);
