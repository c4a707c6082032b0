import { createServer, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { SessionIdSigner, type SessionFacts } from './session-ids';

export interface HttpServerOptions {
  host: string;
  port: number;
  /** Builds the MCP server of one session; called again when a known session is resumed. */
  createSessionServer(sessionId: string): Server;
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

interface LiveSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
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

  const openSession = async (sessionId: string): Promise<LiveSession> => {
    evictIfFull();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      enableDnsRebindingProtection: allowedHosts.length > 0,
      allowedHosts,
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    const server = options.createSessionServer(sessionId);
    const session: LiveSession = { transport, server, lastSeen: Date.now() };
    sessions.set(sessionId, session);
    transport.onclose = () => {
      if (sessions.get(sessionId) === session) sessions.delete(sessionId);
    };
    await server.connect(transport);
    return session;
  };

  const evictIfFull = (): void => {
    if (sessions.size < options.maxSessions) return;
    let oldest: [string, LiveSession] | undefined;
    for (const entry of sessions) if (!oldest || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
    if (oldest) void closeSession(oldest[0], oldest[1]);
  };

  const closeSession = async (sessionId: string, session: LiveSession): Promise<void> => {
    sessions.delete(sessionId);
    await session.server.close().catch(() => undefined);
  };

  /** Re-creates a session this product issued, replaying the client's `initialize` from its id. */
  const resumeSession = async (sessionId: string, facts: SessionFacts, request: Request): Promise<LiveSession> => {
    const session = await openSession(sessionId);
    const protocolVersion = request.headers.get('mcp-protocol-version') ?? LATEST_PROTOCOL_VERSION;
    const initialize = {
      jsonrpc: '2.0',
      id: 'resume',
      method: 'initialize',
      params: {
        protocolVersion,
        capabilities: facts.elicitation ? { elicitation: {} } : {},
        clientInfo: { name: 'resumed-session', version: '0' },
      },
    };
    const host = request.headers.get('host') ?? new URL(request.url).host;
    await replay(session.transport, request.url, host, initialize);
    await replay(session.transport, request.url, host, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId, protocolVersion);
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
    } else if (isInitialize(parsedBody)) {
      session = await openSession(signer.issue({ elicitation: declaresElicitation(parsedBody) }));
    } else {
      return jsonError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    }
    session.lastSeen = Date.now();
    return session.transport.handleRequest(request, { parsedBody });
  };

  const listener = getRequestListener(handle, {
    errorHandler: (err) => jsonError(500, -32603, `Internal error: ${err instanceof Error ? err.message : String(err)}`),
  });
  const httpServer: NodeHttpServer = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  if (isLoopback(options.host)) allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - options.sessionIdleMs;
    for (const [id, session] of sessions) if (session.lastSeen < cutoff) void closeSession(id, session);
  }, Math.min(options.sessionIdleMs, 60_000));
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

async function replay(
  transport: WebStandardStreamableHTTPServerTransport,
  url: string,
  host: string,
  message: object,
  sessionId?: string,
  protocolVersion?: string,
): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    // The transport's DNS-rebinding check reads Host, which a constructed Request does not carry.
    host,
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  if (protocolVersion) headers['mcp-protocol-version'] = protocolVersion;
  const response = await transport.handleRequest(new Request(url, { method: 'POST', headers, body: JSON.stringify(message) }), {
    parsedBody: message,
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`Could not resume the session: HTTP ${response.status} ${body}`);
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

function isInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((message) => (message as { method?: unknown } | null)?.method === 'initialize');
}

function declaresElicitation(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  const init = messages.find((message) => (message as { method?: unknown } | null)?.method === 'initialize') as
    | { params?: { capabilities?: { elicitation?: unknown } } }
    | undefined;
  return init?.params?.capabilities?.elicitation !== undefined;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function jsonError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}
