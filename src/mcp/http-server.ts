import { createServer, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { LATEST_PROTOCOL_VERSION, isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { SessionIdSigner, type SessionFacts } from './session-ids';
import { StandaloneStreamTracker } from './standalone-stream';
import { canAnswerForms } from './task-questions';
import { errorMessage } from '../../common/error-message';

export interface HttpServerOptions {
  host: string;
  port: number;
  /**
   * Builds an MCP server for one channel of a session: `stream` serves tools/call and tasks/result
   * (and sends notifications), `json` serves tasks/get, tasks/list and tasks/cancel. `resumed` holds
   * what the session id remembers when a session is resumed after a restart. `standaloneStreamOpen`
   * tells whether the session's standalone GET stream is open now.
   */
  createSessionServer(
    sessionId: string,
    channel: { role: 'stream' | 'json'; resumed?: SessionFacts; standaloneStreamOpen: () => boolean },
  ): Server;
  sessionSecret: string;
  /** Idle time after which a session's transport is dropped from memory (it can be resumed). */
  sessionIdleMs: number;
  maxSessions: number;
  /** Largest request body accepted, in bytes. @default 1_048_576 */
  maxBodyBytes?: number;
}

export interface RunningHttpServer {
  /** `http://host:port/mcp` */
  url: string;
  close(): Promise<void>;
}

type SessionRole = 'stream' | 'json';

interface Channel {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
}

interface LiveSession {
  stream: Channel;
  json: Channel;
  standaloneStream: StandaloneStreamTracker;
  lastSeen: number;
}

const MCP_PATH = '/mcp';

/**
 * Serves MCP over Streamable HTTP at `/mcp`, one SDK transport and server per session. Session ids are
 * signed, so after a restart (or on another replica) a client that presents its `Mcp-Session-Id`
 * again is resumed transparently instead of being told to start over: its tasks stay reachable.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const signer = new SessionIdSigner(options.sessionSecret);
  const sessions = new Map<string, LiveSession>();
  // Concurrent first requests of a resumed session share one resumption.
  const resuming = new Map<string, Promise<LiveSession>>();
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  let allowedHosts: string[] = [];

  /** One transport + server pair; `json` answers with a plain JSON body instead of an SSE stream. */
  const openChannel = async (
    sessionId: string,
    role: SessionRole,
    standaloneStream: StandaloneStreamTracker,
    resumed?: SessionFacts,
  ): Promise<Channel> => {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      enableJsonResponse: role === 'json',
      enableDnsRebindingProtection: allowedHosts.length > 0,
      allowedHosts,
    });
    const server = options.createSessionServer(sessionId, {
      role,
      resumed,
      standaloneStreamOpen: () => standaloneStream.isOpen(),
    });
    await server.connect(transport);
    return { transport, server };
  };

  /**
   * Opens a session: a streaming channel for everything that may need a stream (tools/call,
   * tasks/result and its questions, the GET stream) and a JSON channel for tasks/get, tasks/list and
   * tasks/cancel, which the spec says should not be upgraded to SSE. The JSON channel is initialized
   * here with the client's own `initialize`.
   */
  const openSession = async (
    sessionId: string,
    init: { message: InitializeMessage; url: string; host: string },
    resumed?: SessionFacts,
  ): Promise<LiveSession> => {
    evictIfFull();
    const standaloneStream = new StandaloneStreamTracker();
    const stream = await openChannel(sessionId, 'stream', standaloneStream, resumed);
    const json = await openChannel(sessionId, 'json', standaloneStream, resumed);
    const session: LiveSession = { stream, json, standaloneStream, lastSeen: Date.now() };
    sessions.set(sessionId, session);
    stream.transport.onclose = () => {
      if (sessions.get(sessionId) === session) void closeSession(sessionId, session);
    };
    await initializeChannel(json, sessionId, init);
    return session;
  };

  const evictIfFull = (): void => {
    if (sessions.size < options.maxSessions) return;
    let oldest: [string, LiveSession] | undefined;
    for (const entry of sessions) if (!oldest || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
    if (oldest) void closeSession(oldest[0], oldest[1]);
  };

  const closeSession = async (sessionId: string, session: LiveSession): Promise<void> => {
    if (sessions.get(sessionId) === session) sessions.delete(sessionId);
    await session.stream.server.close().catch(() => undefined);
    await session.json.server.close().catch(() => undefined);
  };

  /** Re-creates a session this product issued, replaying an `initialize` built from what its id remembers. */
  const resumeSession = async (sessionId: string, facts: SessionFacts, request: Request): Promise<LiveSession> => {
    const message: InitializeMessage = {
      jsonrpc: '2.0',
      id: 'resume',
      method: 'initialize',
      params: {
        protocolVersion: request.headers.get('mcp-protocol-version') ?? LATEST_PROTOCOL_VERSION,
        capabilities: facts.elicitation ? { elicitation: {} } : {},
        clientInfo: { name: 'resumed-session', version: '0' },
      },
    };
    const init = { message, url: request.url, host: hostOf(request) };
    const session = await openSession(sessionId, init, facts);
    await initializeChannel(session.stream, sessionId, init);
    return session;
  };

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === '/healthz') return Response.json({ status: 'ok', sessions: sessions.size });
    if (url.pathname !== MCP_PATH) return jsonError(404, -32601, `Not found: use ${MCP_PATH}`);

    let parsedBody: unknown;
    if (request.method === 'POST') {
      const text = await readLimited(request, maxBodyBytes);
      if (text === undefined) return jsonError(413, -32600, `Request body larger than ${maxBodyBytes} bytes`);
      try {
        parsedBody = JSON.parse(text);
      } catch {
        return jsonError(400, -32700, 'Parse error: the body is not valid JSON');
      }
    }

    const sessionId = request.headers.get('mcp-session-id');
    let session: LiveSession | undefined;
    if (sessionId) {
      session = sessions.get(sessionId);
      if (!session) {
        const facts = signer.verify(sessionId);
        if (!facts) return jsonError(404, -32001, 'Session not found');
        let pending = resuming.get(sessionId);
        if (!pending) {
          pending = resumeSession(sessionId, facts, request).finally(() => resuming.delete(sessionId));
          resuming.set(sessionId, pending);
        }
        session = await pending;
      }
    } else if (isInitializeMessage(parsedBody)) {
      const id = signer.issue({ elicitation: canAnswerForms(parsedBody.params?.capabilities) });
      session = await openSession(id, { message: parsedBody, url: request.url, host: hostOf(request) });
    } else {
      return jsonError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    session.lastSeen = Date.now();
    if (request.method === 'DELETE') {
      const response = await session.stream.transport.handleRequest(request);
      await closeSession(sessionId ?? '', session);
      return response;
    }
    if (request.method === 'GET') {
      return session.standaloneStream.track(await session.stream.transport.handleRequest(request));
    }
    const channel = request.method === 'POST' && answersAsJson(parsedBody) ? session.json : session.stream;
    if (request.method === 'POST') cancelOnDisconnect(request, channel.transport, parsedBody);
    return channel.transport.handleRequest(request, { parsedBody });
  };

  const listener = getRequestListener(handle, {
    errorHandler: (err) => jsonError(500, -32603, `Internal error: ${errorMessage(err)}`),
  });
  const httpServer: NodeHttpServer = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  if (isLoopback(options.host)) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];

  const sweeper = setInterval(
    () => {
      const cutoff = Date.now() - options.sessionIdleMs;
      for (const [id, session] of sessions) if (session.lastSeen < cutoff) void closeSession(id, session);
    },
    Math.min(options.sessionIdleMs, 60_000),
  );
  sweeper.unref();

  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions].map(([id, session]) => closeSession(id, session)));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** Feeds a channel the client's `initialize` and `notifications/initialized`, discarding the answers. */
async function initializeChannel(
  channel: Channel,
  sessionId: string,
  init: { message: InitializeMessage; url: string; host: string },
): Promise<void> {
  const protocolVersion = init.message.params?.protocolVersion ?? LATEST_PROTOCOL_VERSION;
  await replay(channel.transport, init, { ...init.message, id: 'init' });
  await replay(
    channel.transport,
    init,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionId,
    protocolVersion,
  );
}

async function replay(
  transport: WebStandardStreamableHTTPServerTransport,
  target: { url: string; host: string },
  message: object,
  sessionId?: string,
  protocolVersion?: string,
): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    // The transport's DNS-rebinding check reads Host, which a constructed Request does not carry.
    host: target.host,
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
  const response = await transport.handleRequest(
    new Request(target.url, { method: 'POST', headers, body: JSON.stringify(message) }),
    { parsedBody: message },
  );
  const body = await response.text();
  if (!response.ok) throw new Error(`Could not initialize the session: HTTP ${response.status} ${body}`);
}

/** Methods answered with a JSON body: quick reads and cancels that never need a stream. */
const JSON_METHODS = new Set(['tasks/get', 'tasks/list', 'tasks/cancel']);

function answersAsJson(body: unknown): boolean {
  const method = (body as { method?: unknown } | null)?.method;
  return (
    !Array.isArray(body) &&
    typeof method === 'string' &&
    JSON_METHODS.has(method) &&
    (body as { id?: unknown }).id !== undefined
  );
}

function hostOf(request: Request): string {
  return request.headers.get('host') ?? new URL(request.url).host;
}

async function readLimited(request: Request, maxBytes: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Stops reading (and so receiving) as soon as the limit is passed.
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface InitializeMessage {
  jsonrpc: '2.0';
  id: string | number;
  method: 'initialize';
  params?: { protocolVersion?: string; capabilities?: { elicitation?: unknown }; clientInfo?: unknown };
}

function isInitializeMessage(body: unknown): body is InitializeMessage {
  return !Array.isArray(body) && (body as { method?: unknown } | null)?.method === 'initialize';
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function jsonError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

/**
 * The SDK does not end a request's handler when the client drops the HTTP response before it was
 * answered. A dropped response is taken as the client's `notifications/cancelled` for the requests it
 * carried, so that work started for them (the workflow of a plain tool call, a `tasks/result` wait)
 * stops instead of running for nobody.
 */
function cancelOnDisconnect(
  request: Request,
  transport: WebStandardStreamableHTTPServerTransport,
  body: unknown,
): void {
  const requestIds = (Array.isArray(body) ? body : [body]).filter(isJSONRPCRequest).map((message) => message.id);
  if (requestIds.length === 0) return;
  request.signal.addEventListener(
    'abort',
    () => {
      for (const requestId of requestIds) {
        transport.onmessage?.({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId, reason: 'The client disconnected before the answer' },
        });
      }
    },
    { once: true },
  );
}
