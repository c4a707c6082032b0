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

  it.each(['', 'ABCDEF0123456789ABCDEF0123456789', '0123', '../../etc', 'mcp-task/x/y'])(
    'rejects %p as a task id',
    (value) => {
      expect(isTaskId(value)).toBe(false);
    },
  );
});
