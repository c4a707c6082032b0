import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { TaskEngineError } from '../tasks/errors';
import { errorMessage } from '../../common/error-message';

/**
 * A JSON-RPC error to send as is. The SDK keeps `code`, `message` and `data` of any thrown object
 * with a numeric code; unlike `McpError` this does not prefix the message with "MCP error N:".
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** -32602, for arguments that fail their schema; lists every problem with its path. */
export function invalidParams(what: string, error: z.ZodError): ProtocolError {
  const problems = error.issues.map(
    (issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`,
  );
  return new ProtocolError(ErrorCode.InvalidParams, `Invalid ${what}: ${problems.join('; ')}`);
}

/**
 * Maps an engine error to the JSON-RPC error the MCP specification names: not found, terminal,
 * bad cursor and bad request are -32602; a hit limit and anything unexpected are -32603.
 */
export function toProtocolError(err: unknown): Error {
  if (err instanceof ProtocolError) return err;
  if (err instanceof TaskEngineError) {
    switch (err.kind) {
      case 'not-found':
        return new ProtocolError(ErrorCode.InvalidParams, `Failed to retrieve task: ${err.message}`);
      case 'terminal':
      case 'not-cancellable':
      case 'invalid-cursor':
      case 'invalid-request':
      case 'input-rejected':
        return new ProtocolError(ErrorCode.InvalidParams, err.message);
      case 'limit':
        return new ProtocolError(ErrorCode.InternalError, err.message);
    }
  }
  return internalError(err);
}

/** The message of `err` and of each error in its `cause` chain (a gRPC status is often only there). */
function describeWithCauses(err: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = err; current !== undefined && current !== null && parts.length < 5;) {
    const code = (current as { code?: unknown }).code;
    const suffix = typeof code === 'string' || typeof code === 'number' ? ` (code ${code})` : '';
    parts.push(`${errorMessage(current)}${suffix}`);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(' <- ');
}

/** Where the full text of internal errors goes: one JSON line on stderr, where log collectors pick it up. */
export type InternalErrorLog = (entry: { reference: string; error: string; stack?: string }) => void;

const stderrInternalErrorLog: InternalErrorLog = (entry) => {
  process.stderr.write(`${JSON.stringify({ level: 'error', event: 'internal-error', ...entry })}\n`);
};

/**
 * -32603 for an unexpected error. Its message may carry internal details (paths, SQL, addresses), so
 * the client gets only a reference, which is also in the log line that holds the full error.
 */
export function internalError(err: unknown, log: InternalErrorLog = stderrInternalErrorLog): ProtocolError {
  const reference = randomUUID();
  log({ reference, error: describeWithCauses(err), stack: (err as { stack?: string } | null)?.stack });
  return new ProtocolError(ErrorCode.InternalError, `Internal error (reference ${reference})`, { reference });
}
