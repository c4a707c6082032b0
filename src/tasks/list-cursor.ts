import type { WorkflowExecutionInfo } from '@temporalio/client';
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

/** A listed execution with its start time to the nanosecond (the `Date` of the listing keeps ms). */
export interface ListedExecution {
  info: WorkflowExecutionInfo;
  startedAtNs: bigint;
}

/** The start time of a listed execution in nanoseconds since the epoch. */
export function startTimeNs(info: WorkflowExecutionInfo): bigint {
  const { seconds, nanos } = info.raw.startTime ?? {};
  if (seconds === undefined || seconds === null) return BigInt(info.startTime.getTime()) * 1_000_000n;
  return BigInt(seconds.toString()) * 1_000_000_000n + BigInt(nanos ?? 0);
}

/** Sort order of `tasks/list`: newest first, then by workflow id (descending). */
export function compareNewestFirst(a: ListedExecution, b: ListedExecution): number {
  if (a.startedAtNs !== b.startedAtNs) return a.startedAtNs < b.startedAtNs ? 1 : -1;
  return compareText(b.info.workflowId, a.info.workflowId);
}

/** Whether `listed` comes after the cursor in newest-first order. */
export function isAfterCursor(listed: ListedExecution, cursor: ListCursor): boolean {
  return (
    listed.startedAtNs < cursor.startedAtNs ||
    (listed.startedAtNs === cursor.startedAtNs && compareText(listed.info.workflowId, cursor.workflowId) < 0)
  );
}

/** Code-unit order: the same on every machine, unlike `localeCompare`. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
