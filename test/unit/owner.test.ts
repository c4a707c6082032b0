import { createHash } from 'node:crypto';
import { isTaskId, newTaskId, scopeKey, workflowIdFor } from '../../src/tasks/owner';

describe('task ids and owner scopes', () => {
  it('§1.16 #9 #14: makes 128-bit hex task ids from a secure source that do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newTaskId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isTaskId(id)).toBe(true);
  });

  it('namespaces workflow ids by the owner scope', () => {
    const id = newTaskId();
    const alice = workflowIdFor({ scope: 'session:alice' }, id);
    const bob = workflowIdFor({ scope: 'session:bob' }, id);
    expect(alice).not.toBe(bob);
    expect(alice).toBe(`mcp-task/${scopeKey({ scope: 'session:alice' })}/${id}`);
    expect(scopeKey({ scope: 'session:alice' })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('keys a scope by the first 128 bits of its SHA-256, the same however many scopes came between', () => {
    const expected = (scope: string) => createHash('sha256').update(scope).digest('hex').slice(0, 32);
    expect(scopeKey({ scope: 'session:alice' })).toBe(expected('session:alice'));
    // More scopes than the process remembers keys of, so that the remembered ones are dropped on the way.
    for (let i = 0; i < 10_050; i++) expect(scopeKey({ scope: `session:${i}` })).toBe(expected(`session:${i}`));
    expect(scopeKey({ scope: 'session:alice' })).toBe(expected('session:alice'));
  });

  it.each(['', 'ABCDEF0123456789ABCDEF0123456789', '0123', '../../etc', 'mcp-task/x/y'])(
    'rejects %p as a task id',
    (value) => {
      expect(isTaskId(value)).toBe(false);
    },
  );
});
