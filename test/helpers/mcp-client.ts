import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
  CancelTaskResultSchema,
  ElicitRequestSchema,
  type CallToolResult,
  type ClientCapabilities,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';

/** A connected MCP client over real Streamable HTTP, plus the transport (for its session id). */
export interface TestClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  sessionId(): string;
  close(): Promise<void>;
}

/**
 * Connects a new session, or re-attaches to `sessionId` without initializing again. `capabilities` are
 * declared as given (no request handler is installed for them). `token` is sent as a bearer token on
 * every request.
 */
export async function connectMcp(
  url: string,
  options: { sessionId?: string; capabilities?: ClientCapabilities; token?: string } = {},
): Promise<TestClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    sessionId: options.sessionId,
    ...(options.token && { requestInit: { headers: { authorization: `Bearer ${options.token}` } } }),
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  // With a session id already set, the SDK client re-attaches instead of initializing again.
  await client.connect(transport);
  return {
    client,
    transport,
    sessionId: () => transport.sessionId ?? '',
    close: () => client.close(),
  };
}

export async function callToolAsTask(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  task: { ttl?: number } = {},
): Promise<Task> {
  const result = await client.request(
    { method: 'tools/call', params: { name, arguments: args, task } },
    CreateTaskResultSchema,
  );
  return result.task;
}

export function getTask(client: Client, taskId: string): Promise<Task> {
  return client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);
}

export async function getTaskResult(client: Client, taskId: string, timeoutMs = 120_000): Promise<CallToolResult> {
  return client.request({ method: 'tasks/result', params: { taskId } }, CallToolResultSchema, { timeout: timeoutMs });
}

export function listTasks(client: Client, cursor?: string) {
  return client.request(
    { method: 'tasks/list', params: cursor === undefined ? {} : { cursor } },
    ListTasksResultSchema,
  );
}

export function cancelTask(client: Client, taskId: string): Promise<Task> {
  return client.request({ method: 'tasks/cancel', params: { taskId } }, CancelTaskResultSchema);
}

/** Polls `tasks/get` until `predicate` holds, failing with the last status seen after `timeoutMs`. */
export async function waitForTask(
  client: Client,
  taskId: string,
  predicate: (task: Task) => boolean,
  timeoutMs = 60_000,
): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  let last: Task | undefined;
  while (Date.now() < deadline) {
    last = await getTask(client, taskId);
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Task ${taskId} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
}

/** The JSON-RPC error code a rejected request carried. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: number }).code;
  }
  throw new Error('Expected the request to fail');
}

/** A question the server asked, as the client received it. */
export interface ReceivedQuestion {
  message: string;
  requestedSchema: unknown;
  _meta?: Record<string, unknown>;
}

export type ElicitationAnswer =
  { action: 'accept'; content: Record<string, unknown> } | { action: 'decline' | 'cancel' };

/**
 * Answers the server's `elicitation/create` requests. `signal` aborts when the server withdraws the
 * question (`notifications/cancelled`, e.g. after its time-out); an answer given after that is not sent.
 */
export type ElicitationAnswerer = (
  request: ReceivedQuestion,
  context: { signal: AbortSignal; index: number },
) => ElicitationAnswer | Promise<ElicitationAnswer>;

/**
 * A `fetch` for the SDK client transport under which the server seems to offer no standalone GET
 * stream (405), so that questions can only reach the client on its `tasks/result` streams.
 */
const fetchWithoutStandaloneStream: typeof fetch = (input, init) =>
  (init?.method ?? 'GET') === 'GET' ? Promise.resolve(new Response(null, { status: 405 })) : fetch(input, init);

/**
 * Connects a client that declares form elicitation and answers with `answer`. With
 * `standaloneStream: false` it opens no GET stream, so questions come only on `tasks/result` streams.
 */
export async function connectMcpWithElicitation(
  url: string,
  answer: ElicitationAnswerer,
  options: { sessionId?: string; standaloneStream?: boolean } = {},
): Promise<TestClient & { questions: ReceivedQuestion[] }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    sessionId: options.sessionId,
    ...(options.standaloneStream === false && { fetch: fetchWithoutStandaloneStream }),
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  const questions: ReceivedQuestion[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
    const params = request.params as ReceivedQuestion;
    questions.push(params);
    return answer(params, { signal: extra.signal, index: questions.length - 1 });
  });
  await client.connect(transport);
  return { client, transport, questions, sessionId: () => transport.sessionId ?? '', close: () => client.close() };
}
