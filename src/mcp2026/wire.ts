/**
 * The 2026-07-28 wire: how a request of that revision is recognised, the `_meta` keys and headers it
 * carries, and its error codes. Stateless: everything a request means is in the request itself.
 */

/** The protocol revision this adapter speaks. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The Tasks extension's identifier, declared per request by the client and advertised by discover. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

export const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_CAPABILITIES_META = 'io.modelcontextprotocol/clientCapabilities';
export const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';

/** JSON-RPC error codes of the 2026-07-28 revision (and the standard ones it uses). */
export const ModernErrorCode = {
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** A routing header is missing or disagrees with the body. */
  HeaderMismatch: -32020,
  /** The request lacks a capability (here: the Tasks extension) that the operation needs. */
  MissingCapability: -32021,
  /** The claimed protocol version is not one this server speaks. */
  UnsupportedVersion: -32022,
} as const;

/** A JSON-RPC error of this wire, with the HTTP status the transport answers it with. */
export class ModernWireError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus: number = 200,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ModernWireError';
  }
}

/** −32021 for an operation that needs the Tasks extension on a request that did not declare it. */
export function missingTasksExtension(what: string): ModernWireError {
  return new ModernWireError(
    ModernErrorCode.MissingCapability,
    `${what} needs the ${TASKS_EXTENSION} extension: declare it in this request's ` +
      `_meta["${CLIENT_CAPABILITIES_META}"].extensions`,
    400,
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  );
}

/** −32021 for a request that did not declare form elicitation, which `what` needs. */
export function missingFormElicitation(what: string): ModernWireError {
  return new ModernWireError(
    ModernErrorCode.MissingCapability,
    `${what}: declare elicitation (form mode) in this request's _meta["${CLIENT_CAPABILITIES_META}"]`,
    400,
    { requiredCapabilities: { elicitation: { form: {} } } },
  );
}

/**
 * Whether a POST body claims the 2026-07-28 era: a single request or notification whose
 * `params._meta` names a protocol version (whatever version it names; an unknown one is then the
 * client's −32022). Batches, `initialize` and everything else belong to 2025-11-25.
 */
export function claimsModernEra(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const meta = (body as { params?: { _meta?: unknown } }).params?._meta;
  return typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META in meta;
}

/**
 * The value of an `Mcp-Name`-style header: plain, or `=?base64?…?=` for values that are not plain
 * ASCII. Undefined when absent.
 */
export function decodeHeaderValue(value: string | null): string | undefined {
  if (value === null) return undefined;
  const encoded = /^=\?base64\?(.*)\?=$/i.exec(value.trim());
  return encoded ? Buffer.from(encoded[1] ?? '', 'base64').toString('utf8') : value.trim();
}

/** The body value that `Mcp-Name` must repeat for a method, or undefined when the method has none. */
export function routingName(method: string, params: Record<string, unknown>): unknown {
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return params.name;
    case 'resources/read':
      return params.uri;
    case 'tasks/get':
    case 'tasks/update':
    case 'tasks/cancel':
      return params.taskId;
    default:
      return undefined;
  }
}

/**
 * Checks the routing headers against the body (−32020, HTTP 400): `MCP-Protocol-Version` repeats the
 * `_meta` version, `Mcp-Method` the method, and `Mcp-Name` the name, URI or task id the method names.
 * Intermediaries route on the headers, so a request whose headers say something else is refused.
 */
export function checkRoutingHeaders(
  headers: Headers,
  message: { method: string; params: Record<string, unknown>; version: string },
): void {
  const mismatch = (text: string): ModernWireError => new ModernWireError(ModernErrorCode.HeaderMismatch, text, 400);
  const version = headers.get('mcp-protocol-version');
  if (version === null) throw mismatch('Header mismatch: MCP-Protocol-Version is required');
  if (version.trim() !== message.version) {
    throw mismatch(`Header mismatch: MCP-Protocol-Version ${version} but _meta names ${message.version}`);
  }
  const method = headers.get('mcp-method');
  if (method === null) throw mismatch('Header mismatch: Mcp-Method is required');
  if (method.trim() !== message.method) {
    throw mismatch(`Header mismatch: Mcp-Method ${method} but the body's method is ${message.method}`);
  }
  const expected = routingName(message.method, message.params);
  if (expected === undefined) return;
  const name = decodeHeaderValue(headers.get('mcp-name'));
  if (name === undefined) throw mismatch(`Header mismatch: Mcp-Name is required for ${message.method}`);
  if (name !== expected) throw mismatch(`Header mismatch: Mcp-Name does not match the body of ${message.method}`);
}
