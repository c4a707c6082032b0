import { REQUEST_STATE_TTL_MS, RequestStateError, RequestStateSealer } from '../../src/mcp2026/request-state';

describe('requestState of a call asked before its task exists', () => {
  const sealer = new RequestStateSealer('server-secret-0123456789abcdef');
  const binding = { owner: 'principal-a', tool: 'purge', arguments: { tag: 'x', limit: 3 } };
  const answers = { confirm: { action: 'accept' as const, content: { confirm: true } } };
  const now = Date.parse('2026-11-24T09:15:00Z');

  it('§5 #37: opens with the answers it carries for the same owner, tool and arguments (in any key order)', () => {
    const state = sealer.seal(binding, answers, now);
    expect(state).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(sealer.open(state, { ...binding, arguments: { limit: 3, tag: 'x' } }, now + 1000)).toEqual(answers);
  });

  it.each([
    ['another owner', { ...binding, owner: 'principal-b' }, 'integrity check failed'],
    ['another tool', { ...binding, tool: 'export' }, 'belongs to another call'],
    ['other arguments', { ...binding, arguments: { tag: 'y', limit: 3 } }, 'belongs to another call'],
  ])('§5 #37: is refused for %s', (_, other, reason) => {
    const state = sealer.seal(binding, answers, now);
    expect(() => sealer.open(state, other, now)).toThrow(reason);
  });

  it('§5 #37: is refused once tampered with: payload, MAC, version or shape', () => {
    const state = sealer.seal(binding, answers, now);
    const [version, payload, mac] = state.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), e: now + 1e12 }),
    ).toString('base64url');
    for (const bad of [
      `${version}.${forged}.${mac}`,
      `${version}.${payload}.${mac.slice(0, -2)}AA`,
      `v2.${payload}.${mac}`,
      'garbage',
      `${state}.extra`,
    ]) {
      expect(() => sealer.open(bad, binding, now)).toThrow(RequestStateError);
    }
  });

  it('§5 #37: is refused by a server with another secret', () => {
    const state = new RequestStateSealer('another-secret-0123456789abcdef').seal(binding, answers, now);
    expect(() => sealer.open(state, binding, now)).toThrow('integrity check failed');
  });

  it('§5 #37: expires after its time to live', () => {
    const state = sealer.seal(binding, answers, now);
    expect(sealer.open(state, binding, now + REQUEST_STATE_TTL_MS)).toEqual(answers);
    expect(() => sealer.open(state, binding, now + REQUEST_STATE_TTL_MS + 1)).toThrow('expired');
  });
});
