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
  const message = errorMessage(err);
  return new ProtocolError(ErrorCode.InternalError, `Internal error: ${message}`);
}
