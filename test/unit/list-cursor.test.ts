import { InvalidCursorError } from '../../src/tasks/errors';
import { decodeCursor, encodeCursor } from '../../src/tasks/list-cursor';

describe('tasks/list cursors', () => {
  const token = Buffer.from('{"CloseTime":"9999-12-31T23:59:59Z","StartTime":"2026-12-02T09:00:00Z","RunID":"r"}');

  it("round-trips visibility's page token for the same owner", () => {
    expect(Buffer.from(decodeCursor('owner-a', encodeCursor('owner-a', token)))).toEqual(token);
  });

  it("rejects another owner's cursor", () => {
    expect(() => decodeCursor('owner-b', encodeCursor('owner-a', token))).toThrow(InvalidCursorError);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['JSON of another shape', Buffer.from('{"a":1}').toString('base64url')],
    ['an empty token', Buffer.from('[2,"x",""]').toString('base64url')],
    ['a keyset cursor of an older release', Buffer.from('["1763900000123000000","mcp-task/x"]').toString('base64url')],
    ['an oversized token', encodeCursor('owner-a', Buffer.alloc(5000, 1))],
  ])('rejects %s with InvalidCursorError', (_label, text) => {
    expect(() => decodeCursor('owner-a', text)).toThrow(InvalidCursorError);
  });
});
