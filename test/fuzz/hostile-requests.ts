import fc from 'fast-check';
import { TOOL_CATALOG } from '../../src/tools/catalog';

/**
 * Requests a hostile client sends: malformed, oversized, mis-typed, out of order, and aimed at
 * another owner's tasks. None of them is a valid call, so every answer must be an error (or, for a
 * notification or a stray response, nothing), and none may read or change another owner's data.
 */

/** What the generators aim at: the victim's task ids, which the attacker must never reach. */
export interface HostileTargets {
  victimTaskIds: readonly string[];
}

/** A JSON-RPC message (or something pretending to be one) sent on the attacker's own session. */
export interface RpcAttack {
  kind: 'rpc';
  /** What it tries, for the counts. */
  label: string;
  body: unknown;
}

/** A raw HTTP request with headers and a body of the attacker's choosing. */
export interface HttpAttack {
  kind: 'http';
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Send the attacker's valid session id (else whatever `headers` says). */
  withSession: boolean;
  /** Which `Authorization` to send when the server wants tokens: the attacker's own, none, or a bad one. */
  auth: 'own' | 'none' | 'garbage' | 'forged';
  body?: string | Oversized;
}

export type Attack = RpcAttack | HttpAttack;

const TOOL_NAMES = TOOL_CATALOG.map((tool) => tool.name);

/** Whether `arguments` would be a valid call of tool `name`: such calls are not hostile, and are dropped. */
function isValidToolCall(name: unknown, args: unknown): boolean {
  const tool = TOOL_CATALOG.find((candidate) => candidate.name === name);
  return tool !== undefined && tool.inputSchema.safeParse(args ?? {}).success;
}

const hex32 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 32, maxLength: 32 });
const oddString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '../../etc/passwd', '%00', '${jndi:x}', '<script>', '\ud800'),
);
/**
 * A long string, written out only when sent (as JSON, or as a raw body through `String()`), so that a
 * failing case prints as `Oversized(1100000)` rather than a megabyte of text.
 */
export class Oversized {
  constructor(readonly size: number) {}
  toJSON(): string {
    return 'x'.repeat(this.size);
  }
  toString(): string {
    return this.toJSON();
  }
  [fc.toStringMethod](): string {
    return `Oversized(${this.size})`;
  }
}

/** Sizes around and above the server's limits (a 1 MiB body, Temporal's 2 MB payloads). */
const bigString = fc.constantFrom(5_000, 200_000, 1_100_000, 3_000_000).map((size) => new Oversized(size));
const junk = fc.oneof({ weight: 6, arbitrary: fc.anything({ maxDepth: 3 }) }, { weight: 1, arbitrary: bigString });
const rpcId = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.double(),
  fc.object({ maxDepth: 1 }),
);

function taskId(targets: HostileTargets) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...targets.victimTaskIds) },
    { weight: 2, arbitrary: hex32 },
    { weight: 1, arbitrary: oddString },
    { weight: 1, arbitrary: junk },
  );
}

function taskRequest(targets: HostileTargets): fc.Arbitrary<RpcAttack> {
  return fc
    .record({
      method: fc.constantFrom('tasks/get', 'tasks/result', 'tasks/cancel'),
      id: rpcId,
      taskId: taskId(targets),
      extra: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), junk, { maxKeys: 3 }), { nil: undefined }),
    })
    .map(({ method, id, taskId: target, extra }) => ({
      kind: 'rpc' as const,
      label: `${method} ${targets.victimTaskIds.includes(target as string) ? 'cross-owner' : 'malformed'}`,
      body: { jsonrpc: '2.0', id, method, params: { ...extra, taskId: target } },
    }));
}

const listRequest: fc.Arbitrary<RpcAttack> = fc
  .record({
    id: rpcId,
    cursor: fc.oneof(
      oddString.filter((s) => s.length > 0),
      junk,
    ),
  })
  .map(({ id, cursor }) => ({
    kind: 'rpc' as const,
    label: 'tasks/list bad cursor',
    body: { jsonrpc: '2.0', id, method: 'tasks/list', params: { cursor } },
  }));

const toolCall: fc.Arbitrary<RpcAttack> = fc
  .record({
    id: rpcId,
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TOOL_NAMES) }, { weight: 1, arbitrary: oddString }),
    args: fc.oneof(junk, fc.dictionary(fc.string({ maxLength: 10 }), junk, { maxKeys: 4 })),
    task: fc.option(fc.oneof(fc.constant({}), fc.record({ ttl: junk }), junk), { nil: undefined }),
  })
  .filter(({ name, args }) => !isValidToolCall(name, args))
  .map(({ id, name, args, task }) => ({
    kind: 'rpc' as const,
    label: `tools/call ${task === undefined ? 'plain' : 'task'} invalid`,
    body: {
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: args, ...(task !== undefined && { task }) },
    },
  }));

const malformedEnvelope: fc.Arbitrary<RpcAttack> = fc
  .oneof(
    fc.record({ jsonrpc: fc.constantFrom('1.0', '2', 2, undefined), id: rpcId, method: fc.constant('tasks/list') }),
    fc.record({ jsonrpc: fc.constant('2.0'), id: rpcId, method: oddString, params: junk }),
    fc.record({ jsonrpc: fc.constant('2.0'), id: rpcId, method: junk }),
    fc.array(fc.record({ jsonrpc: fc.constant('2.0'), id: fc.integer(), method: fc.constant('tasks/list') }), {
      minLength: 1,
      maxLength: 3,
    }),
    junk,
  )
  .map((body) => ({ kind: 'rpc' as const, label: 'malformed envelope', body }));

/** Out of order: a second initialize, answers to questions never asked, cancellations of nothing. */
function outOfOrder(targets: HostileTargets): fc.Arbitrary<RpcAttack> {
  return fc
    .oneof(
      fc.record({
        jsonrpc: fc.constant('2.0'),
        id: rpcId,
        method: fc.constant('initialize'),
        params: fc.oneof(junk, fc.record({ protocolVersion: oddString, capabilities: junk, clientInfo: junk })),
      }),
      fc.record({
        jsonrpc: fc.constant('2.0'),
        id: rpcId,
        result: fc.oneof(junk, fc.record({ action: fc.constantFrom('accept', 'decline', 'cancel'), content: junk })),
      }),
      fc.record({
        jsonrpc: fc.constant('2.0'),
        method: fc.constantFrom('notifications/cancelled', 'notifications/initialized', 'notifications/progress'),
        params: fc.oneof(junk, fc.record({ requestId: fc.oneof(rpcId, fc.constantFrom(...targets.victimTaskIds)) })),
      }),
    )
    .map((body) => ({ kind: 'rpc' as const, label: 'out of order', body }));
}

const httpAttack: fc.Arbitrary<HttpAttack> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'),
    path: fc.oneof(
      { weight: 5, arbitrary: fc.constant('/mcp') },
      { weight: 1, arbitrary: fc.constantFrom('/mcp/', '/mcp/../healthz', '/MCP', '/mcp?x=1', '/', '/.well-known/x') },
    ),
    contentType: fc.option(
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data', ''),
      { nil: undefined },
    ),
    accept: fc.option(
      fc.constantFrom('application/json', 'text/event-stream', '*/*', 'application/json, text/event-stream', ''),
      {
        nil: undefined,
      },
    ),
    auth: fc.constantFrom<HttpAttack['auth']>('own', 'own', 'none', 'garbage', 'forged'),
    session: fc.oneof(
      fc.constant<'own' | undefined>('own'),
      fc.constant(undefined),
      oddString.filter((s) => /^[\x21-\x7e]*$/.test(s)),
    ),
    protocolVersion: fc.option(fc.constantFrom('2025-11-25', '2024-11-05', '1999-01-01', 'x'), { nil: undefined }),
    origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1'), { nil: undefined }),
    body: fc.option(
      fc.oneof(
        fc.json({ maxDepth: 3 }),
        fc.string({ maxLength: 200 }),
        fc.constantFrom('{', '{"jsonrpc":"2.0",', '[]', 'null', '"', '\u0000\u0001'),
        fc.integer({ min: 1_000, max: 50_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        bigString,
      ),
      { nil: undefined },
    ),
  })
  .map(({ method, path, contentType, accept, auth, session, protocolVersion, origin, body }) => {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (accept !== undefined) headers.accept = accept;
    if (typeof session === 'string' && session !== 'own') headers['mcp-session-id'] = session;
    if (protocolVersion !== undefined) headers['mcp-protocol-version'] = protocolVersion;
    if (origin !== undefined) headers.origin = origin;
    return {
      kind: 'http' as const,
      label: `http ${method}`,
      method,
      path,
      headers,
      withSession: session === 'own',
      auth,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    };
  });

/** Every kind of hostile request, weighted towards the ones that aim at another owner. */
export function hostileRequest(targets: HostileTargets): fc.Arbitrary<Attack> {
  return fc.oneof(
    { weight: 5, arbitrary: taskRequest(targets) },
    { weight: 1, arbitrary: listRequest },
    { weight: 3, arbitrary: toolCall },
    { weight: 2, arbitrary: malformedEnvelope },
    { weight: 1, arbitrary: outOfOrder(targets) },
    { weight: 3, arbitrary: httpAttack },
  );
}
