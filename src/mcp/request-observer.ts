import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../ops/logger';
import type { ProductMetrics } from '../ops/metrics';
import type { CreatedTask } from '../tasks/task-backend';
import type { AuditFn } from './audit-log';

/** Where handled requests are counted and logged; the same for both wires. */
export interface RequestObserver {
  metrics?: ProductMetrics;
  /** Receives a line per handled request (info for tool calls and errors, debug for the rest). */
  logger?: Logger;
}

/** One handled request: its method, the correlation id its audit events carry, and when it began. */
export interface ObservedRequest {
  method: string;
  /** `scopeKey` of the owner, as audit events and the `McpScope` search attribute name it. */
  scope: string;
  correlationId: string;
  /** `performance.now()` when the request was taken. */
  started: number;
}

/**
 * Counts a handled request and writes its log line: `err` is what it was answered with, if it failed
 * (its JSON-RPC code, else −32603).
 */
export function observeRequest(observer: RequestObserver, request: ObservedRequest, err?: unknown): void {
  const { method, scope, correlationId } = request;
  const errorCode = (err as { code?: unknown } | undefined)?.code;
  const code = err === undefined ? undefined : typeof errorCode === 'number' ? errorCode : ErrorCode.InternalError;
  observer.metrics?.requests.inc({
    method,
    outcome: err === undefined ? 'ok' : 'error',
    code: code === undefined ? '' : String(code),
  });
  const durationMs = Math.round(performance.now() - request.started);
  const line = { event: 'mcp.request', method, scope, correlationId, durationMs };
  if (err === undefined) {
    if (method === 'tools/call') observer.logger?.info(line, 'request handled');
    else observer.logger?.debug(line, 'request handled');
  } else {
    observer.logger?.info({ ...line, code, error: (err as { message?: unknown }).message }, 'request failed');
  }
}

/**
 * Audits the task a `tools/call` created, and counts it; a call sent again under its idempotency key
 * gets the task of its first attempt, which is audited as reused and not counted again.
 */
export function recordTaskCreation(observer: RequestObserver, audit: AuditFn, task: CreatedTask, tool: string): void {
  if (task.existing) {
    audit({ event: 'task.reused', taskId: task.taskId, tool });
  } else {
    audit({ event: 'task.created', taskId: task.taskId, tool });
    observer.metrics?.taskCreated(task.taskId, tool);
  }
}
