import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { SessionIdSigner } from '../../src/mcp/session-ids';
import type { SessionEndings } from '../../src/temporal/session-endings';
import {
  SessionEndingsUnavailableError,
  SessionLimitError,
  SessionRegistry,
  type ChannelInfo,
  type SessionRegistryOptions,
} from '../../src/mcp/session-registry';

const SECRET = 'registry-test-secret-0123456789';
const URL_ = 'http://127.0.0.1:3000/mcp';
const HOST = '127.0.0.1:3000';
const INITIALIZE = {
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'initialize' as const,
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
};

/** A registry whose servers are plain SDK servers; records every server it was asked for. */
/** Endings whose checks answer with `isEnded`; an open answer holds from the moment it is given. */
function endingsAnswering(
  isEnded: (sessionId: string) => Promise<boolean>,
  end: SessionEndings['end'] = async () => undefined,
): SessionEndings {
  return { end, checkEnded: async (sessionId) => ({ ended: await isEnded(sessionId), asOf: performance.now() }) };
}

function makeRegistry(overrides: Partial<SessionRegistryOptions> = {}) {
  const created: { sessionId: string; info: ChannelInfo; server: Server }[] = [];
  const registry = new SessionRegistry({
    sessionSecret: SECRET,
    sessionIdleMs: 60_000,
    maxSessions: 10,
    createSessionServer: (sessionId, info) => {
      const server = new Server({ name: 'test', version: '1' }, { capabilities: {} });
      created.push({ sessionId, info, server });
      return server;
    },
    ...overrides,
  });
  return { registry, created };
}

async function ping(transport: WebStandardStreamableHTTPServerTransport, sessionId: string): Promise<number> {
  const body = { jsonrpc: '2.0', id: 1, method: 'ping' };
  const response = await transport.handleRequest(
    new Request(URL_, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        host: HOST,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify(body),
    }),
    { parsedBody: body },
  );
  await response.text();
  return response.status;
}

describe('SessionRegistry', () => {
  it('opens a session under a signed id that remembers the elicitation capability, its JSON channel ready', async () => {
    const { registry, created } = makeRegistry();
    const session = await registry.open({
      message: { ...INITIALIZE, params: { ...INITIALIZE.params, capabilities: { elicitation: {} } } },
      url: URL_,
      host: HOST,
    });
    expect(new SessionIdSigner(SECRET).verify(session.id)).toEqual({ elicitation: true, issuedAt: expect.any(Number) });
    expect(created.map((c) => c.info)).toEqual([
      {
        role: 'stream',
        resumed: undefined,
        standaloneStreamOpen: expect.any(Function),
        sessionOpen: expect.any(Function),
      },
      {
        role: 'json',
        resumed: undefined,
        standaloneStreamOpen: expect.any(Function),
        sessionOpen: expect.any(Function),
      },
    ]);
    expect(await ping(session.json.transport, session.id)).toBe(200);
    expect(registry.size).toBe(1);
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBe(session);
    await registry.closeAll();
  });

  it('resumes a session another process issued, both channels initialized, and refuses ids it did not issue', async () => {
    const before = makeRegistry();
    const issued = (await before.registry.open({ message: INITIALIZE, url: URL_, host: HOST })).id;
    await before.registry.closeAll();

    const { registry, created } = makeRegistry();
    expect(await registry.findOrResume('made-up', { url: URL_, host: HOST })).toBeUndefined();
    const resumed = await registry.findOrResume(issued, { url: URL_, host: HOST, protocolVersion: '2025-11-25' });
    expect(resumed?.id).toBe(issued);
    expect(created.map((c) => c.info)).toEqual([
      {
        role: 'stream',
        resumed: { elicitation: false, issuedAt: expect.any(Number) },
        standaloneStreamOpen: expect.any(Function),
        sessionOpen: expect.any(Function),
      },
      {
        role: 'json',
        resumed: { elicitation: false, issuedAt: expect.any(Number) },
        standaloneStreamOpen: expect.any(Function),
        sessionOpen: expect.any(Function),
      },
    ]);
    expect(await ping(resumed!.stream.transport, issued)).toBe(200);
    expect(await ping(resumed!.json.transport, issued)).toBe(200);
    await registry.closeAll();
  });

  it('shares one resumption between concurrent first requests of a session', async () => {
    const issued = new SessionIdSigner(SECRET).issue({ elicitation: false }).id;
    const { registry, created } = makeRegistry();
    const [a, b] = await Promise.all([
      registry.findOrResume(issued, { url: URL_, host: HOST }),
      registry.findOrResume(issued, { url: URL_, host: HOST }),
    ]);
    expect(a).toBe(b);
    expect(created).toHaveLength(2);
    await registry.closeAll();
  });

  it('evicts the least recently seen session when full', async () => {
    let now = 1_000;
    const { registry } = makeRegistry({ maxSessions: 2, now: () => now });
    const first = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    now += 10;
    const second = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    now += 10;
    registry.touch(first);
    await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    expect(registry.size).toBe(2);
    expect(await registry.findOrResume(first.id, { url: URL_, host: HOST })).toBe(first);
    const again = await registry.findOrResume(second.id, { url: URL_, host: HOST });
    expect(again).not.toBe(second);
    await registry.closeAll();
  });

  it('sweeps sessions idle for longer than the idle time, and closes their servers', async () => {
    let now = 1_000;
    const { registry, created } = makeRegistry({ sessionIdleMs: 100, now: () => now });
    const idle = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    now += 60;
    const busy = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    now += 60;
    let closed = 0;
    for (const { sessionId, server } of created) if (sessionId === idle.id) server.onclose = () => closed++;
    await registry.sweep();
    expect(registry.size).toBe(1);
    expect(await registry.findOrResume(busy.id, { url: URL_, host: HOST })).toBe(busy);
    expect(closed).toBe(2);
    await registry.closeAll();
  });

  it('forgets a session closed by DELETE or by its transport', async () => {
    const { registry } = makeRegistry();
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    await registry.close(session);
    expect(registry.size).toBe(0);
    const viaTransport = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    await viaTransport.stream.transport.close();
    expect(registry.size).toBe(0);
  });

  it('keeps no session whose channels cannot be initialized (a Host the transports refuse)', async () => {
    const { registry } = makeRegistry();
    registry.allowHosts(['localhost:1']);
    await expect(registry.open({ message: INITIALIZE, url: URL_, host: HOST })).rejects.toThrow(/HTTP 403/);
    const issued = new SessionIdSigner(SECRET).issue({ elicitation: false }).id;
    await expect(registry.findOrResume(issued, { url: URL_, host: HOST })).rejects.toThrow(/HTTP 403/);
    expect(registry.size).toBe(0);
  });

  it('refuses a session id once it is older than the maximum age, and drops it from memory', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { registry } = makeRegistry({ now: () => now, sessionMaxAgeMs: 60_000 });
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    now += 59_000;
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBe(session);
    now += 1_000;
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBeUndefined();
    expect(registry.size).toBe(0);
    await registry.closeAll();
  });

  it('finds a session before its end check answers, and holds back what a request would start until it does', async () => {
    const endedElsewhere = new Set<string>();
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const endings = endingsAnswering(async (sessionId) => {
      await answered;
      return endedElsewhere.has(sessionId);
    });
    const { registry, created } = makeRegistry({ endings });
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    // Another replica ended the session; this one still holds it in memory.
    endedElsewhere.add(session.id);
    const found = await registry.findDeferringEndCheck(session.id, { url: URL_, host: HOST });
    expect(found?.session).toBe(session);
    let started = false;
    const start = created[0]!.info.sessionOpen().then(() => (started = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toBe(false);
    answer();
    await expect(found!.ended).resolves.toBe(true);
    await expect(start).rejects.toThrow('Session not found');
    expect(started).toBe(false);
    expect(registry.size).toBe(0);
    await registry.closeAll();
  });

  it("checks a live session's MAC only when it opens; an id that differs from it only in the MAC is refused", async () => {
    const { registry } = makeRegistry();
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    const verify = jest.spyOn(SessionIdSigner.prototype, 'verify');
    try {
      for (let i = 0; i < 3; i++) {
        const found = await registry.findDeferringEndCheck(session.id, { url: URL_, host: HOST });
        expect(found?.session).toBe(session);
      }
      expect(verify).not.toHaveBeenCalled();
      const last = session.id.slice(-1);
      const tampered = session.id.slice(0, -1) + (last === 'A' ? 'B' : 'A');
      expect(await registry.findDeferringEndCheck(tampered, { url: URL_, host: HOST })).toBeUndefined();
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
      await registry.closeAll();
    }
  });

  it('asks whether a session was ended at most once per endCheckValidMs, and answers a DELETE only after that long', async () => {
    const asked: string[] = [];
    const endings = endingsAnswering(async (sessionId) => {
      asked.push(sessionId);
      return false;
    });
    const { registry } = makeRegistry({ endings, endCheckValidMs: 300 });
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    for (let i = 0; i < 5; i++)
      expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBe(session);
    expect(asked).toHaveLength(1);
    const started = performance.now();
    await registry.end(session);
    // Any replica that found the session open before the end has to ask again by now.
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBeUndefined();
    await registry.closeAll();
  });

  it('records an end durably, and then refuses the id whether or not it is in memory', async () => {
    const ended: { sessionId: string; expiresAt: number }[] = [];
    const endings = endingsAnswering(
      async (sessionId) => ended.some((e) => e.sessionId === sessionId),
      async (sessionId, expiresAt) => void ended.push({ sessionId, expiresAt }),
    );
    const { registry } = makeRegistry({ endings, sessionMaxAgeMs: 3_600_000 });
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    await registry.end(session);
    expect(ended).toEqual([
      { sessionId: session.id, expiresAt: new SessionIdSigner(SECRET).verify(session.id)!.issuedAt + 3_600_000 },
    ]);
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBeUndefined();
    const elsewhere = makeRegistry({ endings });
    expect(await elsewhere.registry.findOrResume(session.id, { url: URL_, host: HOST })).toBeUndefined();
    expect(elsewhere.created).toHaveLength(0);
  });

  it('keeps a session open when its end cannot be recorded', async () => {
    const endings = endingsAnswering(
      async () => false,
      async () => {
        throw new Error('Temporal is unreachable');
      },
    );
    const { registry } = makeRegistry({ endings });
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST });
    await expect(registry.end(session)).rejects.toThrow(SessionEndingsUnavailableError);
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBe(session);
    await registry.closeAll();
  });

  it('does not guess when ended sessions cannot be checked', async () => {
    const endings = endingsAnswering(async () => {
      throw new Error('Temporal is unreachable');
    });
    const { registry, created } = makeRegistry({ endings });
    const issued = new SessionIdSigner(SECRET).issue({ elicitation: false }).id;
    await expect(registry.findOrResume(issued, { url: URL_, host: HOST })).rejects.toThrow(
      SessionEndingsUnavailableError,
    );
    expect(created).toHaveLength(0);
  });

  it('refuses a new session past the per-owner cap, counting each client address apart', async () => {
    const { registry, created } = makeRegistry({ maxSessionsPerOwner: 2 });
    const from = (clientAddress: string) => ({ message: INITIALIZE, url: URL_, host: HOST, clientAddress });
    await registry.open(from('10.0.0.1'));
    await registry.open(from('10.0.0.1'));
    await expect(registry.open(from('10.0.0.1'))).rejects.toThrow(SessionLimitError);
    expect(created).toHaveLength(4);
    await registry.open(from('10.0.0.2'));
    expect(registry.size).toBe(3);
    await registry.closeAll();
  });

  it("binds a session to its principal: another principal's request does not find it", async () => {
    const alice = { issuer: 'https://id', subject: 'alice', scopes: [], tenant: 'alice' };
    const bob = { issuer: 'https://id', subject: 'bob', scopes: [], tenant: 'bob' };
    const { registry } = makeRegistry();
    const session = await registry.open({ message: INITIALIZE, url: URL_, host: HOST, principal: alice });
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST, principal: bob })).toBeUndefined();
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST })).toBeUndefined();
    expect(await registry.findOrResume(session.id, { url: URL_, host: HOST, principal: alice })).toBe(session);
    await registry.closeAll();
  });
});
