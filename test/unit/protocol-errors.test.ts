import { z } from 'zod';
import { ProtocolError, internalError, invalidParams, toProtocolError } from '../../src/mcp/protocol-errors';
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
  ])('maps %p to code %p', (error, code, message) => {
    expect(toProtocolError(error)).toMatchObject({ code, message });
  });

  it('answers an unexpected error with a reference only, and logs the full error under it', () => {
    const logged: { reference: string; error: string }[] = [];
    const error = internalError(new Error('ENOENT: /srv/mcp/data/memory.db'), (entry) => logged.push(entry));
    expect(error.code).toBe(-32603);
    expect(error.message).toMatch(/^Internal error \(reference [0-9a-f-]{36}\)$/);
    expect(error.message).not.toContain('/srv');
    expect(logged).toEqual([expect.objectContaining({ error: 'ENOENT: /srv/mcp/data/memory.db' })]);
    expect(error.message).toContain(logged[0]!.reference);
    expect(error.data).toEqual({ reference: logged[0]!.reference });
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
