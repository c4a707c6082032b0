import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import {
  initializeSdkTransport,
  isInitializeMessage,
  resumedInitializeMessage,
} from '../../src/mcp/sdk-session-resumption';

const URL_ = 'http://127.0.0.1:3000/mcp';
const HOST = '127.0.0.1:3000';
const SESSION_ID = 'session-under-test';

/** A real SDK transport with a real SDK server connected to it, as the session registry builds them. */
async function freshChannel(options: { allowedHosts?: string[]; json?: boolean } = {}) {
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => SESSION_ID,
    enableJsonResponse: options.json ?? true,
    enableDnsRebindingProtection: options.allowedHosts !== undefined,
    allowedHosts: options.allowedHosts,
  });
  const server = new Server({ name: 'test', version: '1' }, { capabilities: {} });
  await server.connect(transport);
  return { transport, server };
}

function ping(transport: WebStandardStreamableHTTPServerTransport): Promise<Response> {
  const body = { jsonrpc: '2.0', id: 7, method: 'ping' };
  return transport.handleRequest(
    new Request(URL_, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        host: HOST,
        'mcp-session-id': SESSION_ID,
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      },
      body: JSON.stringify(body),
    }),
    { parsedBody: body },
  );
}

describe('SDK session resumption', () => {
  it('a fresh SDK transport refuses requests of a session it did not initialize itself', async () => {
    const { transport, server } = await freshChannel();
    const response = await ping(transport);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Server not initialized');
    await server.close();
  });

  it('brings a fresh SDK transport into the session, which then serves its requests', async () => {
    const { transport, server } = await freshChannel();
    await initializeSdkTransport(transport, {
      sessionId: SESSION_ID,
      url: URL_,
      host: HOST,
      message: resumedInitializeMessage({ protocolVersion: '2025-11-25', facts: { elicitation: false } }),
    });
    const response = await ping(transport);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
    expect(transport.sessionId).toBe(SESSION_ID);
    await server.close();
  });

  it.each([
    [true, { elicitation: expect.any(Object) }],
    [false, {}],
  ])('tells the server the capabilities the session id remembers (elicitation %s)', async (elicitation, expected) => {
    const { transport, server } = await freshChannel({ json: false });
    await initializeSdkTransport(transport, {
      sessionId: SESSION_ID,
      url: URL_,
      host: HOST,
      message: resumedInitializeMessage({ protocolVersion: null, facts: { elicitation } }),
    });
    expect(server.getClientCapabilities()).toEqual(expected);
    expect(server.getClientVersion()).toEqual({ name: 'resumed-session', version: '0' });
    await server.close();
  });

  it("replays the client's own initialize as it is", async () => {
    const { transport, server } = await freshChannel();
    await initializeSdkTransport(transport, {
      sessionId: SESSION_ID,
      url: URL_,
      host: HOST,
      message: {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: { elicitation: { form: {} } },
          clientInfo: { name: 'c', version: '2' },
        },
      },
    });
    expect(server.getClientVersion()).toEqual({ name: 'c', version: '2' });
    expect(server.getClientCapabilities()).toEqual({ elicitation: { form: {} } });
    await server.close();
  });

  it('fails with the HTTP status when the transport refuses the replayed initialize', async () => {
    const { transport, server } = await freshChannel({ allowedHosts: ['localhost:1'] });
    await expect(
      initializeSdkTransport(transport, {
        sessionId: SESSION_ID,
        url: URL_,
        host: HOST,
        message: resumedInitializeMessage({ facts: { elicitation: false } }),
      }),
    ).rejects.toThrow(/Could not initialize the session: HTTP 403/);
    await server.close();
  });

  it('builds the resumed initialize with the given protocol version, else the latest', () => {
    expect(
      resumedInitializeMessage({ protocolVersion: '2025-06-18', facts: { elicitation: false } }).params,
    ).toMatchObject({
      protocolVersion: '2025-06-18',
      capabilities: {},
    });
    expect(resumedInitializeMessage({ facts: { elicitation: true } }).params).toMatchObject({
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: { elicitation: {} },
    });
  });

  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }, true],
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, false],
    [[{ jsonrpc: '2.0', id: 1, method: 'initialize' }], false],
    [null, false],
  ])('recognises an initialize request: %j → %s', (body, expected) => {
    expect(isInitializeMessage(body)).toBe(expected);
  });
});
