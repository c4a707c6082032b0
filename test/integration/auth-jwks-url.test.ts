import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningProduct } from '../../src/app';
import { INITIALIZE_BODY, jwksOf, makeKey, postMcp, signToken, type TestKey } from '../helpers/auth';
import { startTestProduct, testConfig } from '../helpers/product';

// Unique per run: a principal (iss + sub) owns its tasks across every test that uses it.
const ISSUER = `https://id.example.test/${randomUUID()}`;

describe('authentication with keys from a JWKS URL', () => {
  let product: RunningProduct;
  let keyServer: Server;
  let served: TestKey[];
  let fetches = 0;
  let first: TestKey;
  let rotated: TestKey;

  const initializeWith = async (key: TestKey): Promise<number> => {
    const token = await signToken(key, { issuer: ISSUER, audience: product.mcpUrl!, subject: 'carol' });
    const response = await postMcp(product.mcpUrl!, INITIALIZE_BODY, { authorization: `Bearer ${token}` });
    await response.body?.cancel();
    return response.status;
  };

  beforeAll(async () => {
    [first, rotated] = await Promise.all([makeKey('2026-01', 'ES256'), makeKey('2026-02', 'RS256')]);
    served = [first];
    keyServer = createServer((_request, response) => {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(served)));
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    const { port } = keyServer.address() as AddressInfo;
    product = await startTestProduct(
      testConfig({ MCP_AUTH_ISSUER: ISSUER, MCP_AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` }),
      { worker: false },
    );
  });

  afterAll(async () => {
    await product?.close();
    keyServer?.closeAllConnections();
    await new Promise((resolve) => keyServer?.close(resolve));
  });

  it('fetches the key set once and serves later tokens from its cache', async () => {
    for (let i = 0; i < 3; i++) expect(await initializeWith(first)).toBe(200);
    expect(fetches).toBe(1);
  });

  it('picks up a rotated key by its kid, and then refuses tokens of the retired key', async () => {
    served = [rotated];
    // jose fetches again for an unknown kid, at most once every 30 s after the last fetch.
    const deadline = Date.now() + 60_000;
    let status = await initializeWith(rotated);
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      status = await initializeWith(rotated);
    }
    expect(status).toBe(200);
    expect(fetches).toBe(2);
    expect(await initializeWith(first)).toBe(401);
  }, 90_000);

  it('answers 503 while the key set cannot be fetched, and logs why for the operator', async () => {
    const broken = createServer((_request, response) => response.writeHead(500).end('down'));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const logged: string[] = [];
    const { port } = broken.address() as AddressInfo;
    const unlucky = await startTestProduct(
      testConfig({ MCP_AUTH_ISSUER: ISSUER, MCP_AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` }),
      { worker: false, log: (message) => logged.push(message) },
    );
    try {
      const token = await signToken(first, { issuer: ISSUER, audience: unlucky.mcpUrl!, subject: 'carol' });
      const response = await postMcp(unlucky.mcpUrl!, INITIALIZE_BODY, { authorization: `Bearer ${token}` });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
        "The issuer's signing keys could not be read; retry later",
      );
      expect(logged).toEqual([expect.stringMatching(/^Token verification failed: .*200 OK/)]);
    } finally {
      await unlucky.close();
      broken.closeAllConnections();
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});
