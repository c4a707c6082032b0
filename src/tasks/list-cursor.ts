import { InvalidCursorError } from './errors';

/** Position after which the next `tasks/list` page starts (keyset on start time, then workflow id). */
export interface ListCursor {
  startedAtMs: number;
  workflowId: string;
}

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAtMs, cursor.workflowId])).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; throws `InvalidCursorError` for anything else. */
export function decodeCursor(text: string): ListCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      Number.isSafeInteger(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].startsWith('mcp-task/')
    ) {
      return { startedAtMs: value[0] as number, workflowId: value[1] };
    }
  } catch {
    // Falls through to the error below: a cursor that is not ours.
  }
  throw new InvalidCursorError(text);
}
