/** One audited task operation. The owner appears only as its scope key: session ids are secrets. */
export interface AuditEvent {
  event: 'task.created' | 'task.result' | 'task.cancelled' | 'task.input' | 'task.input.rejected';
  taskId: string;
  /** `scopeKey(owner)`, the same value as the `McpScope` search attribute. */
  scope: string;
  tool?: string;
  status?: string;
  /** For `task.input`: the client's action (accept, decline, cancel). */
  action?: string;
  /** For `task.input.rejected`: why the answer was not applied (it broke the schema, or came second). */
  reason?: string;
}

/** Where audit events go. */
export type AuditSink = (event: AuditEvent & { time: string }) => void;

/** Writes one JSON line per event to stderr, where log collectors pick it up. */
export const stderrAuditSink: AuditSink = (event) => {
  process.stderr.write(`${JSON.stringify({ audit: true, ...event })}\n`);
};

/** Drops every event (`AUDIT_LOG=off`). */
export const noAuditSink: AuditSink = () => undefined;
