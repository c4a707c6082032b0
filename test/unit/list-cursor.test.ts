import { InvalidCursorError } from '../../src/tasks/errors';
import { decodeCursor, encodeCursor } from '../../src/tasks/list-cursor';

describe('tasks/list cursors', () => {
  it('round-trips a position', () => {
    const cursor = { startedAtMs: 1_763_900_000_123, workflowId: 'mcp-task/abc/0123' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON of another shape', Buffer.from('{"a":1}').toString('base64url')],
    ['a foreign workflow id', Buffer.from('[1,"other/x"]').toString('base64url')],
    ['a fractional time', Buffer.from('[1.5,"mcp-task/x"]').toString('base64url')],
  ])('rejects %s with InvalidCursorError', (_label, text) => {
    expect(() => decodeCursor(text)).toThrow(InvalidCursorError);
  });
});
