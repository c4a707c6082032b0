import type { WorkflowExecutionInfo } from '@temporalio/client';
import { InvalidCursorError } from '../../src/tasks/errors';
import {
  compareNewestFirst,
  decodeCursor,
  encodeCursor,
  floorToMs,
  isAfterCursor,
  type ListedExecution,
} from '../../src/tasks/list-cursor';

describe('tasks/list cursors', () => {
  it('round-trips a position', () => {
    const cursor = { startedAtNs: 1_763_900_000_123_456_789n, workflowId: 'mcp-task/abc/0123' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('keeps the start time to the nanosecond, so tasks of the same millisecond stay apart', () => {
    const first = decodeCursor(encodeCursor({ startedAtNs: 1_763_900_000_123_000_001n, workflowId: 'mcp-task/a/1' }));
    const second = decodeCursor(encodeCursor({ startedAtNs: 1_763_900_000_123_999_999n, workflowId: 'mcp-task/a/1' }));
    expect(second.startedAtNs - first.startedAtNs).toBe(999_998n);
    expect(floorToMs(first.startedAtNs)).toBe(floorToMs(second.startedAtNs));
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON of another shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a foreign workflow id', Buffer.from('["1","other/x"]').toString('base64url')],
    ['a fractional time', Buffer.from('["1.5","mcp-task/x"]').toString('base64url')],
    ['a negative time', Buffer.from('["-1","mcp-task/x"]').toString('base64url')],
    ['a millisecond cursor of an older release', Buffer.from('[1763900000123,"mcp-task/x"]').toString('base64url')],
  ])('rejects %s with InvalidCursorError', (_label, text) => {
    expect(() => decodeCursor(text)).toThrow(InvalidCursorError);
  });
});

describe('tasks/list order', () => {
  const listed = (startedAtNs: bigint, workflowId: string): ListedExecution => ({
    info: { workflowId } as WorkflowExecutionInfo,
    startedAtNs,
  });

  it('sorts newest first to the nanosecond, then by id, and resumes exactly after the cursor', () => {
    const ms = 1_763_900_000_123_000_000n;
    const executions = [
      listed(ms + 1n, 'mcp-task/s/b'),
      listed(ms + 500_000n, 'mcp-task/s/a'),
      listed(ms + 1n, 'mcp-task/s/c'),
      listed(ms, 'mcp-task/s/z'),
      listed(ms + 999_999n, 'mcp-task/s/d'),
    ];
    const sorted = [...executions].sort(compareNewestFirst).map((e) => e.info.workflowId);
    expect(sorted).toEqual(['mcp-task/s/d', 'mcp-task/s/a', 'mcp-task/s/c', 'mcp-task/s/b', 'mcp-task/s/z']);
    const cursor = { startedAtNs: ms + 1n, workflowId: 'mcp-task/s/c' };
    expect(executions.filter((e) => isAfterCursor(e, cursor)).map((e) => e.info.workflowId)).toEqual([
      'mcp-task/s/b',
      'mcp-task/s/z',
    ]);
  });
});
