import { createServer, type Server as NodeHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type HttpBindings, type Http2Bindings } from '@hono/node-server';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import {
  InitializeRequestSchema,
  isJSONRPCRequest,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { isInitializeMessage } from './sdk-session-resumption';
import {
  SessionEndingsUnavailableError,
  SessionLimitError,
  SessionRegistry,
  type ChannelInfo,
  type LiveSession,
  type RequestIdentity,
} from './session-registry';
import type { SessionEndings } from '../temporal/session-endings';
import { ProtectedResource } from '../auth/protected-resource';
import { loadKeySet, TokenVerifier } from '../auth/token-verifier';
import { isLoopbackHost, type AuthConfig } from '../config';
import { internalError } from './protocol-errors';
import { auditPrincipal, type AuditSink } from './audit-log';
import { errorMessage } from '../../common/error-message';
import { operatorRoute } from '../ops/health-server';
import type { ProductMetrics } from '../ops/metrics';
import type { ReadinessCheck } from '../ops/readiness';
import type { ModernHandler } from '../mcp2026/modern-server';
import { MODERN_PROTOCOL_VERSION, claimsModernEra } from '../mcp2026/wire';

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
  /** The URL clients reach `/mcp` at. @default `http://host:port/mcp` */
  publicUrl?: string;
  /** Require a bearer token on every `/mcp` request; undefined serves without authentication. */
  auth?: AuthConfig;
  /** Serve without authentication on a non-loopback interface all the same. @default false */
  allowUnauthenticated?: boolean;
  /** Receives messages for the operator (the server's own problems, never a client's request). */
  log?: (message: string) => void;
  /** Receives a `request.refused` event per refused token, unknown session and session past a cap. */
  audit?: AuditSink;
  /** Origins whose browser pages may call `/mcp` (exact `scheme://host[:port]`); requests without Origin pass. */
  allowedOrigins?: string[];
  /** Age after which a session id is no longer accepted, in seconds. @default 86400 */
  sessionMaxAgeSeconds?: number;
  /** Sessions one principal (or client address without authentication) may hold in this process. */
  maxSessionsPerOwner?: number;
  /** Durable record of sessions ended by DELETE, seen by every replica. */
  sessionEndings?: SessionEndings;
  /** Answers `/readyz`. @default always ready */
  ready?: ReadinessCheck;
  /**
   * Served at `/metrics` when the server has no authentication; with authentication, scrape the
   * operator's port (`HEALTH_PORT`) instead, which is not exposed to clients.
   */
  metrics?: ProductMetrics;
  /**
   * Serves requests of the 2026-07-28 revision (stateless, recognised by the protocol version in
   * their `_meta`) on the same endpoint. Without it, only 2025-11-25 is served.
   */
  modern?: ModernHandler;
}

export interface RunningHttpServer {
  /** `http://host:port/mcp` */
  url: string;
  /** What the operator should know about how the server is exposed (printed at start). */
  warnings: string[];
  /** Sessions held in memory now. */
  sessionCount(): number;
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
  const warnings = exposureWarnings(options);
  // Read now, so that an unreadable key file stops the start instead of refusing every request.
  const keys = options.auth && loadKeySet(options.auth.jwks);
  let resource: ProtectedResource | undefined;
  let verifier: TokenVerifier | undefined;
  let metadataPaths: string[] = [];
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const sessions = new SessionRegistry({
    sessionSecret: options.sessionSecret,
    createSessionServer: (sessionId, channel) => options.createSessionServer(sessionId, channel),
    sessionIdleMs: options.sessionIdleMs,
    maxSessions: options.maxSessions,
    maxSessionsPerOwner: options.maxSessionsPerOwner,
    sessionMaxAgeMs: (options.sessionMaxAgeSeconds ?? 86_400) * 1000,
    endings: options.sessionEndings,
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const refused = (identity: RequestIdentity, status: number, reason: string): void =>
    options.audit?.({
      time: new Date().toISOString(),
      event: 'request.refused',
      status,
      reason,
      principal: auditPrincipal(identity.principal),
      clientAddress: identity.clientAddress,
    });
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  // Set once listening, when bound to loopback: the Host names this server answers to.
  let allowedHosts: Set<string> | undefined;
  /**
   * A page served by this very server (same scheme, loopback name and port) is same-origin, not a
   * rebound one: browsers send Origin on every POST, so refusing it would refuse local pages only.
   */
  const isOwnLoopbackOrigin = (origin: string): boolean => {
    if (!allowedHosts) return false;
    const own = /^http:\/\/([^/]+)$/i.exec(origin);
    return own !== null && allowedHosts.has((own[1] ?? '').toLowerCase());
  };

  /**
   * The door: every check that can refuse a request runs here, before a session is looked up or
   * opened, so that a refused request leaves nothing behind. Host and Origin first (DNS rebinding and
   * cross-site pages learn nothing), then the token, then the shape of the request, then its body.
   */
  const handle = async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const url = new URL(request.url);
    if (allowedHosts && !allowedHosts.has(hostOf(request).toLowerCase())) {
      return jsonError(403, -32600, `Forbidden: this server does not answer to Host ${hostOf(request)}`);
    }
    // Says only that the server is up: how many sessions it holds is nobody else's business.
    if (url.pathname === '/healthz') return Response.json({ status: 'ok' });
    if (url.pathname === '/readyz' || url.pathname === '/metrics') {
      const answer = operatorRoute(request, {
        ready: options.ready ?? (() => Promise.resolve({ ready: true })),
        metrics: options.auth ? undefined : options.metrics,
      });
      if (answer) return answer;
    }
    if (resource && metadataPaths.includes(url.pathname)) {
      if (request.method !== 'GET') return jsonError(405, -32600, 'Method not allowed: use GET');
      // Browser-based clients read the metadata from another origin; it holds nothing secret.
      return Response.json(resource.metadata(), { headers: { 'access-control-allow-origin': '*' } });
    }
    if (url.pathname !== MCP_PATH) return jsonError(404, -32601, `Not found: use ${MCP_PATH}`);
    const origin = request.headers.get('origin');
    if (origin !== null && !allowedOrigins.has(origin) && !isOwnLoopbackOrigin(origin)) {
      return jsonError(403, -32600, `Forbidden: Origin ${origin} is not allowed (MCP_ALLOWED_ORIGINS)`);
    }

    const identity: RequestIdentity = { clientAddress: env.incoming.socket.remoteAddress };
    if (verifier && resource) {
      const outcome = await verifier.verify(request.headers.get('authorization'));
      if (!outcome.ok) {
        if (outcome.failure.kind === 'keys_unavailable') log(`Token verification failed: ${outcome.failure.cause}`);
        refused(identity, outcome.failure.kind === 'insufficient_scope' ? 403 : 401, `auth: ${outcome.failure.kind}`);
        return resource.refuse(outcome.failure);
      }
      identity.principal = outcome.principal;
    }
    const misfit = checkShape(request);
    if (misfit) return misfit;

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

    // Body first: a request that claims 2026-07-28 in its `_meta` is stateless and never touches a
    // session, whatever `Mcp-Session-Id` it carries; the 2026-07-28 header alone claims it too.
    if (
      request.method === 'POST' &&
      options.modern &&
      (claimsModernEra(parsedBody) || request.headers.get('mcp-protocol-version')?.trim() === MODERN_PROTOCOL_VERSION)
    ) {
      return options.modern(parsedBody, {
        headers: request.headers,
        principal: identity.principal,
        clientAddress: identity.clientAddress,
        signal: request.signal,
      });
    }
    const unsupported = unsupportedVersion(request);
    if (unsupported) return unsupported;

    const invalid = isInitializeMessage(parsedBody) ? invalidInitialize(parsedBody) : undefined;
    if (invalid) return invalid;

    const sessionId = request.headers.get('mcp-session-id');
    let session: LiveSession | undefined;
    // For a read, whether the session was ended is checked while the read runs (see below).
    let ended: Promise<boolean> | undefined;
    try {
      if (sessionId) {
        const sessionRequest = {
          url: request.url,
          host: hostOf(request),
          protocolVersion: request.headers.get('mcp-protocol-version'),
          ...identity,
        };
        if (request.method === 'POST' && mayCheckEndAlongside(parsedBody)) {
          const found = await sessions.findDeferringEndCheck(sessionId, sessionRequest);
          session = found?.session;
          ended = found?.ended;
        } else {
          session = await sessions.findOrResume(sessionId, sessionRequest);
        }
        if (!session) {
          refused(identity, 404, 'session not found');
          return jsonError(404, -32001, 'Session not found');
        }
      } else if (isInitializeMessage(parsedBody)) {
        session = await sessions.open({ message: parsedBody, url: request.url, host: hostOf(request), ...identity });
      } else {
        return jsonError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      }
      sessions.touch(session);
      if (request.method === 'DELETE') {
        await sessions.end(session);
        return new Response(null, { status: 200 });
      }
    } catch (err) {
      if (err instanceof SessionLimitError) {
        refused(identity, 429, 'limit: sessions');
        return jsonError(429, -32000, err.message, { 'retry-after': '60' });
      }
      if (!(err instanceof SessionEndingsUnavailableError)) throw err;
      return endingsUnavailable(err);
    }
    if (request.method === 'GET') {
      return session.standaloneStream.track(await session.stream.transport.handleRequest(request));
    }
    const channel = request.method === 'POST' && answersAsJson(parsedBody) ? session.json : session.stream;
    if (request.method === 'POST') cancelOnDisconnect(request, channel.transport, parsedBody);
    const answer = channel.transport.handleRequest(request, { parsedBody });
    if (!ended) return answer;
    // The request runs alongside the end check (one round trip to Temporal fewer in a row), and its
    // answer, written nowhere yet, is let out only if the session was not ended.
    const [response, outcome] = await Promise.all([
      answer,
      ended.then(
        (value) => value,
        (err: unknown) => err,
      ),
    ]);
    if (outcome === false) return response;
    await response.body?.cancel().catch(() => undefined);
    if (outcome instanceof SessionEndingsUnavailableError) return endingsUnavailable(outcome);
    if (outcome !== true) throw outcome;
    refused(identity, 404, 'session not found');
    return jsonError(404, -32001, 'Session not found');
  };

  const endingsUnavailable = (err: SessionEndingsUnavailableError): Response => {
    // The end records live in Temporal: without it, a session cannot be told apart from an ended one.
    log(`Ended sessions cannot be checked: ${errorMessage(err.cause)}`);
    return jsonError(503, -32603, 'Sessions cannot be checked right now; retry later', { 'retry-after': '5' });
  };

  const listener = getRequestListener(handle, {
    errorHandler: (err) =>
      // A request the adapter cannot even turn into a Request (a malformed Host, a bad path) is the client's.
      (err as { name?: unknown } | null)?.name === 'RequestError'
        ? jsonError(400, -32600, `Bad Request: ${errorMessage(err)}`)
        : jsonError(500, -32603, internalError(err).message),
  });
  const httpServer: NodeHttpServer = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const localUrl = `http://${host}:${port}${MCP_PATH}`;
  if (isLoopbackHost(options.host)) {
    // Bound to loopback, only a page rebound by DNS would send another Host.
    const names = ['127.0.0.1', 'localhost', '[::1]', host];
    allowedHosts = new Set(
      [
        ...names.flatMap((name) => [`${name}:${port}`, ...(port === 80 ? [name] : [])]),
        ...(options.publicUrl ? [new URL(options.publicUrl).host] : []),
      ].map((h) => h.toLowerCase()),
    );
    sessions.allowHosts([...allowedHosts]);
  }
  sessions.startSweeping();

  if (options.auth && keys) {
    const publicUrl = options.publicUrl ?? localUrl;
    resource = new ProtectedResource(publicUrl, options.auth);
    metadataPaths = resource.metadataPaths(MCP_PATH);
    verifier = new TokenVerifier({
      keys,
      issuer: options.auth.issuer,
      audience: options.auth.audience ?? publicUrl,
      requiredScopes: options.auth.requiredScopes,
      tenantClaim: options.auth.tenantClaim,
    });
  }
  return {
    url: localUrl,
    warnings,
    sessionCount: () => sessions.size,
    async close() {
      await sessions.closeAll();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/**
 * Without authentication the server is a local tool: anyone who reaches the port owns a session. It
 * refuses to listen beyond loopback unless told to, and says so when told to.
 */
function exposureWarnings(options: HttpServerOptions): string[] {
  if (options.auth || isLoopbackHost(options.host)) return [];
  if (!options.allowUnauthenticated) {
    throw new Error(
      `Refusing to serve MCP without authentication on ${options.host}, which is not a loopback address: ` +
        'set MCP_AUTH_ISSUER (with MCP_AUTH_JWKS_URL or MCP_AUTH_JWKS_FILE) to require access tokens, ' +
        'set MCP_HOST=127.0.0.1 to serve this machine only, or set MCP_ALLOW_UNAUTHENTICATED=1 to serve ' +
        'everyone who can reach the port without authentication',
    );
  }
  return [
    `Warning: serving MCP without authentication on ${options.host} (MCP_ALLOW_UNAUTHENTICATED=1): ` +
      'anyone who can reach the port can run tools; set MCP_AUTH_ISSUER to require access tokens',
  ];
}

/** Methods answered with a JSON body: quick reads and cancels that never need a stream. */
const JSON_METHODS = new Set(['tasks/get', 'tasks/list', 'tasks/cancel']);

/**
 * Requests that may run while the session's end is being checked: reads, which change nothing, and
 * `tools/call`, which waits for the check (its channel's `sessionOpen`) before it starts anything.
 */
const CHECKED_ALONGSIDE_METHODS = new Set([
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tools/list',
  'ping',
  'tools/call',
]);

function mayCheckEndAlongside(body: unknown): boolean {
  const method = (body as { method?: unknown } | null)?.method;
  return !Array.isArray(body) && typeof method === 'string' && CHECKED_ALONGSIDE_METHODS.has(method);
}

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
  const length = request.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (Number.isFinite(declared) && declared > maxBytes) return undefined;
  // Node's parser holds a body to its declared length, so it is read whole: the adapter reads it
  // straight from the socket, with no web stream in between (most of a small request's cost).
  if (Number.isFinite(declared)) return await request.text();
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

/**
 * 400 with -32602 for an `initialize` whose params break the schema, checked before a session is
 * opened for it: the SDK would open one and then answer -32603 with its validator's raw output.
 */
function invalidInitialize(message: unknown): Response | undefined {
  const parsed = InitializeRequestSchema.safeParse(message);
  if (parsed.success) return undefined;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const id = (message as { id?: unknown }).id;
  return Response.json(
    {
      jsonrpc: '2.0',
      id: typeof id === 'string' || typeof id === 'number' ? id : null,
      error: { code: -32602, message: `Invalid initialize request: ${problems.join('; ')}` },
    },
    { status: 400 },
  );
}

function jsonError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status, headers });
}

/**
 * 400 for an `MCP-Protocol-Version` of a request of the 2025-11-25 era that the SDK does not speak.
 * Checked here, not left to the SDK: a session resumed on this replica replays its initialize with
 * this version, and an unsupported one must be the client's 400, not a failed resumption.
 */
function unsupportedVersion(request: Request): Response | undefined {
  const version = request.headers.get('mcp-protocol-version');
  if (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return undefined;
  return jsonError(
    400,
    -32000,
    `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}, ` +
      `and ${MODERN_PROTOCOL_VERSION} with the version in each request's _meta)`,
  );
}

/**
 * What Streamable HTTP requires of a request's method and headers, checked before a session exists
 * (the SDK transport checks the same, but only once a session was opened for the request).
 */
function checkShape(request: Request): Response | undefined {
  // A POST's version is checked once its body tells which revision it speaks.
  const unsupported = request.method === 'POST' ? undefined : unsupportedVersion(request);
  if (unsupported) return unsupported;
  const accept = request.headers.get('accept') ?? '';
  if (request.method === 'POST') {
    const contentType = request.headers.get('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      return jsonError(415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    }
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      return jsonError(406, -32000, 'Not Acceptable: Accept must include application/json and text/event-stream');
    }
    return undefined;
  }
  if (request.method === 'GET') {
    if (!accept.includes('text/event-stream')) {
      return jsonError(406, -32000, 'Not Acceptable: Accept must include text/event-stream');
    }
    return undefined;
  }
  if (request.method === 'DELETE') return undefined;
  return jsonError(405, -32000, `Method ${request.method} not allowed`, { allow: 'GET, POST, DELETE' });
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
