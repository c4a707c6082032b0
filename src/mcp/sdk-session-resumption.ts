import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { SessionFacts } from './session-ids';

/**
 * A workaround for the SDK's Streamable HTTP server transport, kept in this one file.
 *
 * The SDK transport only serves a session after it has itself answered that session's `initialize`
 * (it answers anything else with 400 "Server not initialized"), and it has no way to adopt a session
 * that started elsewhere. The product needs exactly that twice: each session has a second transport
 * (the JSON channel) next to the one the client initialized, and a session resumed after a restart or
 * on another replica has fresh transports that never saw the client's `initialize`. Both are brought
 * up by replaying an `initialize` and `notifications/initialized` into the fresh transport and
 * discarding its answers.
 */

/** A JSON-RPC `initialize` request, as a client sends it. */
export interface InitializeMessage {
  jsonrpc: '2.0';
  id: string | number;
  method: 'initialize';
  params?: { protocolVersion?: string; capabilities?: { elicitation?: unknown }; clientInfo?: unknown };
}

/** Where the replayed messages pretend to come from: the URL and Host of the client's own request. */
export interface ReplayTarget {
  url: string;
  /** The transport's DNS-rebinding check reads Host, which a constructed Request does not carry. */
  host: string;
}

export interface InitializeTransportOptions extends ReplayTarget {
  sessionId: string;
  /** The `initialize` to replay: the client's own, or one from {@link resumedInitializeMessage}. */
  message: InitializeMessage;
}

/** True when a parsed request body is a single `initialize` request. */
export function isInitializeMessage(body: unknown): body is InitializeMessage {
  return !Array.isArray(body) && (body as { method?: unknown } | null)?.method === 'initialize';
}

/**
 * The `initialize` a resumed session's fresh transports are fed: the protocol version the client
 * sends on its requests, and the capabilities its signed session id remembers.
 */
export function resumedInitializeMessage(options: {
  protocolVersion?: string | null;
  facts: SessionFacts;
}): InitializeMessage {
  return {
    jsonrpc: '2.0',
    id: 'resume',
    method: 'initialize',
    params: {
      protocolVersion: options.protocolVersion ?? LATEST_PROTOCOL_VERSION,
      capabilities: options.facts.elicitation ? { elicitation: {} } : {},
      clientInfo: { name: 'resumed-session', version: '0' },
    },
  };
}

/**
 * Brings a fresh SDK transport (already connected to its MCP server) into the initialized state of
 * session `sessionId`: replays `message` and `notifications/initialized`, discarding the answers.
 * Afterwards the transport serves requests that carry `Mcp-Session-Id: sessionId`, and its server
 * knows the client's capabilities from `message`. Throws when the transport refuses either message.
 */
export async function initializeSdkTransport(
  transport: WebStandardStreamableHTTPServerTransport,
  options: InitializeTransportOptions,
): Promise<void> {
  const protocolVersion = options.message.params?.protocolVersion ?? LATEST_PROTOCOL_VERSION;
  await replay(transport, options, { message: { ...options.message, id: 'init' } });
  await replay(transport, options, {
    message: { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionId: options.sessionId,
    protocolVersion,
  });
}

async function replay(
  transport: WebStandardStreamableHTTPServerTransport,
  target: ReplayTarget,
  options: { message: object; sessionId?: string; protocolVersion?: string },
): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    host: target.host,
  };
  if (options.sessionId) headers['mcp-session-id'] = options.sessionId;
  if (options.protocolVersion) headers['mcp-protocol-version'] = options.protocolVersion;
  const response = await transport.handleRequest(
    new Request(target.url, { method: 'POST', headers, body: JSON.stringify(options.message) }),
    { parsedBody: options.message },
  );
  const body = await response.text();
  if (!response.ok) throw new Error(`Could not initialize the session: HTTP ${response.status} ${body}`);
}
