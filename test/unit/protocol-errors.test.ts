import { z } from 'zod';
import { ProtocolError, invalidParams, toProtocolError } from '../../src/mcp/protocol-errors';
import {
  InvalidCursorError,
  InvalidTaskRequestError,
  TaskAlreadyTerminalError,
  TaskLimitError,
  TaskNotFoundError,
} from '../../src/tasks/errors';

describe('engine errors to JSON-RPC errors', () => {
  it.each([
    [new TaskNotFoundError('abc'), -32602, 'Failed to retrieve task: Task not found: abc'],
    [new TaskAlreadyTerminalError('abc', 'completed'), -32602, 'Cannot cancel task abc: it is already completed'],
    [new InvalidCursorError('zzz'), -32602, 'Invalid cursor: zzz'],
    [new InvalidTaskRequestError('bad ttl'), -32602, 'bad ttl'],
    [new TaskLimitError('too many'), -32603, 'too many'],
    [new Error('boom'), -32603, 'Internal error: boom'],
  ])('maps %p to code %p', (error, code, message) => {
    expect(toProtocolError(error)).toMatchObject({ code, message });
  });

  it('passes a ProtocolError through unchanged', () => {
    const error = new ProtocolError(-32601, 'nope');
    expect(toProtocolError(error)).toBe(error);
  });

  it('lists every schema problem with its path', () => {
    const result = z.object({ a: z.number(), b: z.object({ c: z.string() }) }).safeParse({ a: 'x', b: { c: 1 } });
    if (result.success) throw new Error('expected a failure');
    const error = invalidParams('arguments', result.error);
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(/^Invalid arguments: a: .+; b\.c: .+$/);
  });
});
