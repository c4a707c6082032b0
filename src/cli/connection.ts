import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { SessionStore } from './session-store';

/** The protocol revision this client speaks (core Tasks). */
export const PROTOCOL_VERSION = '2025-11-25';

/** How to reach the server. */
export interface ConnectionOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token: string | undefined;
  sessions: SessionStore;
  /** Answers the server's `elicitation/create` requests (a task's questions). */
  answerQuestion: (request: ElicitRequest, signal: AbortSignal) => Promise<ElicitResult>;
  version: string;
}

/** A connected client and the way to end its connection (the session stays open for later invocations). */
export interface Connection {
  client: Client;
  close(): Promise<void>;
}

/**
 * Connects to the server, resuming the session saved for this URL and token when the server still
 * knows it, else initializing a new one and saving it.
 */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const saved = options.sessions.get(options.url, options.token);
  if (saved !== undefined) {
    const resumed = await resumeSession(options, saved);
    if (resumed) return resumed;
  }
  const { client, transport } = newClient(options, undefined);
  await client.connect(transport);
  options.sessions.set(options.url, options.token, transport.sessionId);
  return { client, close: () => client.close() };
}

async function resumeSession(options: ConnectionOptions, sessionId: string): Promise<Connection | undefined> {
  const { client, transport } = newClient(options, sessionId);
  // With a session id already set, the SDK attaches to it instead of initializing again.
  await client.connect(transport);
  transport.setProtocolVersion(PROTOCOL_VERSION);
  try {
    await client.ping();
  } catch (error) {
    await client.close();
    // 404 is the spec's "this session is gone"; some servers answer 400 for a session they never had.
    if (error instanceof StreamableHTTPError && (error.code === 404 || error.code === 400)) return undefined;
    throw error;
  }
  // The SDK opens the standalone GET stream (progress and status notifications) only after
  // initializing; a resumed session opens it here. A server without one answers 405, which is fine.
  await transport.resumeStream('').catch(() => undefined);
  return { client, close: () => client.close() };
}

function newClient(
  options: ConnectionOptions,
  sessionId: string | undefined,
): { client: Client; transport: StreamableHTTPClientTransport } {
  const transport = new StreamableHTTPClientTransport(new URL(options.url), {
    sessionId,
    ...(options.token !== undefined && { requestInit: { headers: { authorization: `Bearer ${options.token}` } } }),
  });
  const client = new Client(
    { name: 'mcp-tasks', version: options.version },
    { capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler(ElicitRequestSchema, (request, extra) => options.answerQuestion(request, extra.signal));
  // Transport hiccups (a dropped notification stream) are retried by the SDK; the requests that matter
  // report their own errors.
  client.onerror = () => undefined;
  return { client, transport };
}
