import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SessionStore } from '../../../src/cli/session-store';
import { UsageError, toolArguments } from '../../../src/cli/tool-arguments';

const schema: Tool['inputSchema'] = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    limit: { type: 'integer' },
    ratio: { type: 'number' },
    dryRun: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

describe('toolArguments', () => {
  it('types each --arg value as the input schema declares it', () => {
    expect(
      toolArguments(['title=42', 'limit=5', 'ratio=0.5', 'dryRun=true', 'tags=["a","b"]'], undefined, schema),
    ).toEqual({ title: '42', limit: 5, ratio: 0.5, dryRun: true, tags: ['a', 'b'] });
  });

  it('reads undeclared values as JSON when they parse, else as text, and keeps "=" inside a value', () => {
    expect(toolArguments(['n=3', 'word=hello', 'expr=a=b'], undefined, undefined)).toEqual({
      n: 3,
      word: 'hello',
      expr: 'a=b',
    });
  });

  it('lets --arg override --args-json', () => {
    expect(toolArguments(['limit=9'], '{"limit": 1, "title": "x"}', schema)).toEqual({ limit: 9, title: 'x' });
  });

  it.each([
    [['limit=soon'], undefined, '--arg limit must be a number, got "soon"'],
    [['dryRun=yes'], undefined, '--arg dryRun must be true or false, got "yes"'],
    [['tags=a,b'], undefined, '--arg tags must be JSON (array), got "a,b"'],
    [['novalue'], undefined, '--arg takes key=value, got "novalue"'],
    [[], '{not json', '--args-json is not JSON'],
    [[], '[1, 2]', '--args-json must be a JSON object'],
  ])('refuses %j / %j with a usage error', (pairs, json, message) => {
    expect(() => toolArguments(pairs, json, schema)).toThrow(UsageError);
    expect(() => toolArguments(pairs, json, schema)).toThrow(message);
  });
});

describe('SessionStore', () => {
  it('keeps one session per URL and token, never writing the token itself', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mcp-tasks-sessions-')), 'state', 'sessions.json');
    const store = new SessionStore(file);
    store.set('http://a/mcp', undefined, 'session-1');
    store.set('http://a/mcp', 'secret-token', 'session-2');
    expect(store.get('http://a/mcp', undefined)).toBe('session-1');
    expect(store.get('http://a/mcp', 'secret-token')).toBe('session-2');
    expect(store.get('http://a/mcp', 'other-token')).toBeUndefined();
    expect(readFileSync(file, 'utf8')).not.toContain('secret-token');
    store.set('http://a/mcp', undefined, undefined);
    expect(store.get('http://a/mcp', undefined)).toBeUndefined();
  });
});
