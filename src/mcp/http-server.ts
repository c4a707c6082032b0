import { createServer, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isJSONRPCRequest } from '@modelcontextprotocol/sdk/types.js';
import { isInitializeMessage } from './sdk-session-resumption';
import { SessionRegistry, type ChannelInfo, type LiveSession } from './session-registry';
import { internalError } from './protocol-errors';

export interface HttpServerOptions {
  host: string;
  port: number;
  /**
   * Builds an MCP server for one channel of a session: `stream` serves tools/call and tasks/result
   * (and sends notifications), `json` serves tasks/get, tasks/list and tasks/cancel. `resumed` holds
   * what the session id remembers when a session is resumed after a restart; `standaloneStreamOpen`
   * tells whether the session's standalone GET stream is open now.
   */
  createSessionServer(sessionId: string, channel: ChannelInfo): Server;
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

const MCP_PATH = '/mcp';

/**
 * Serves MCP over Streamable HTTP at `/mcp`: the HTTP door (routing, body limit, JSON errors) in front
 * of a {@link SessionRegistry}. Session ids are signed, so after a restart (or on another replica) a
 * client that presents its `Mcp-Session-Id` again is resumed transparently instead of being told to
 * start over: its tasks stay reachable.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const sessions = new SessionRegistry({
    sessionSecret: options.sessionSecret,
    createSessionServer: (sessionId, channel) => options.createSessionServer(sessionId, channel),
    sessionIdleMs: options.sessionIdleMs,
    maxSessions: options.maxSessions,
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;

  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    // Says only that the server is up: how many sessions it holds is nobody else's business.
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
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
      session = await sessions.findOrResume(sessionId, {
        url: request.url,
        host: hostOf(request),
        protocolVersion: request.headers.get('mcp-protocol-version'),
      });
      if (!session) return jsonError(404, -32001, 'Session not found');
    } else if (isInitializeMessage(parsedBody)) {
      session = await sessions.open({ message: parsedBody, url: request.url, host: hostOf(request) });
    } else {
      return jsonError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    sessions.touch(session);
    if (request.method === 'DELETE') {
      const response = await session.stream.transport.handleRequest(request);
      await sessions.close(session);
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
    errorHandler: (err) => jsonError(500, -32603, internalError(err).message),
  });
  const httpServer: NodeHttpServer = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  if (isLoopback(options.host)) sessions.allowHosts([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  sessions.startSweeping();

  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${MCP_PATH}`,
    async close() {
      await sessions.closeAll();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
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
