import { InvalidCursorError } from './errors';

/**
 * Position after which the next `tasks/list` page starts: keyset on the start time as visibility
 * reports it, to the nanosecond, then the workflow id. Keeping the full precision matters: many
 * tasks start within one millisecond, and a cursor rounded to milliseconds would skip some of them.
 */
export interface ListCursor {
  /** Start time in nanoseconds since the epoch. */
  startedAtNs: bigint;
  workflowId: string;
}

const NANOSECONDS_PATTERN = /^\d{1,25}$/;

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAtNs.toString(), cursor.workflowId])).toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; throws `InvalidCursorError` for anything else. */
export function decodeCursor(text: string): ListCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      NANOSECONDS_PATTERN.test(value[0]) &&
      typeof value[1] === 'string' &&
      value[1].startsWith('mcp-task/')
    ) {
      return { startedAtNs: BigInt(value[0]), workflowId: value[1] };
    }
  } catch {
    // Falls through to the error below: a cursor that is not ours.
  }
  throw new InvalidCursorError(text);
}

/** Milliseconds of a nanosecond time, rounded down (what a visibility query can compare with). */
export function floorToMs(nanoseconds: bigint): number {
  return Number(nanoseconds / 1_000_000n);
}
