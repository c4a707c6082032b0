import { TaskEngineError } from '../tasks/errors';

/**
 * One audited event. Who acted is the principal (`<sub> at <iss>`, with authentication) and the client
 * address; the owner also appears as its scope key. Never a token or a session id: both are secrets.
 */
export interface AuditEvent {
  event:
    | 'task.created'
    | 'task.reused'
    | 'task.read'
    | 'task.listed'
    | 'task.result'
    | 'task.cancelled'
    | 'task.input'
    | 'task.input.rejected'
    | 'task.completed'
    | 'task.failed'
    | 'task.expired'
    | 'request.refused';
  taskId?: string;
  /** `scopeKey(owner)`, the same value as the `McpScope` search attribute. */
  scope?: string;
  /** The authenticated principal, `<sub> at <iss>`; absent without authentication. */
  principal?: string;
  /** The client's address as the server saw it. */
  clientAddress?: string;
  tool?: string;
  status?: string | number;
  /** For `task.listed`: how many tasks the page held. */
  count?: number;
  /** For `task.input`: the client's action (accept, decline, cancel). */
  action?: string;
  /** Why: for `task.input.rejected` and `request.refused` (auth, not-found, limit, …). */
  reason?: string;
  /** The MCP request that caused the event; the server's log line of that request carries the same id. */
  correlationId?: string;
}

/** Who acts in a session, as audit events name it. */
export type AuditActor = Pick<AuditEvent, 'principal' | 'clientAddress'>;

/** Records an event of one owner's request: the owner's scope and who acts are added to it. */
export type AuditFn = (event: Omit<AuditEvent, 'scope' | 'principal' | 'clientAddress'>) => void;

/**
 * Records the refusal in `err` when the engine refused the request (a task not found, a limit); any
 * other failure is not a refusal and records nothing. `params` are the request's, for its `taskId`.
 */
export function auditEngineRefusal(audit: AuditFn, method: string, err: unknown, params: unknown): void {
  if (!(err instanceof TaskEngineError) || (err.kind !== 'not-found' && err.kind !== 'limit')) return;
  const taskId = (params as { taskId?: unknown } | undefined)?.taskId;
  audit({ event: 'request.refused', reason: `${method}: ${err.kind}`, ...(typeof taskId === 'string' && { taskId }) });
}

/** Where audit events go. */
export type AuditSink = (event: AuditEvent & { time: string }) => void;

/** Writes one JSON line per event to stderr, where log collectors pick it up. */
export const stderrAuditSink: AuditSink = (event) => {
  process.stderr.write(`${JSON.stringify({ audit: true, ...event })}\n`);
};

/** Drops every event (`AUDIT_LOG=off`). */
export const noAuditSink: AuditSink = () => undefined;

/** How audit events name an authenticated principal. */
export function auditPrincipal(principal: { issuer: string; subject: string } | undefined): string | undefined {
  return principal && `${principal.subject} at ${principal.issuer}`;
}
