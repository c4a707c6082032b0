import { randomUUID } from 'node:crypto';
import type { RunningProduct } from '../../src/app';
import { INITIALIZE_BODY, makeKey, postMcp, signToken, authTestConfig, type TestKey } from '../helpers/auth';
import { connectMcp, type TestClient } from '../helpers/mcp-client';
import { startTestProduct } from '../helpers/product';

// Unique per run: a principal (iss + sub) owns its tasks across every test that uses it.
const ISSUER = `https://id.example.test/${randomUUID()}`;

/**
 * With authentication the project memory belongs to the tenant the token names
 * (`MCP_AUTH_TENANT_CLAIM`): principals of one organisation share it, another organisation's see
 * none of it, and a token without the claim is refused.
 */
describe('tenants from the token', () => {
  let product: RunningProduct;
  let key: TestKey;
  let url: string;
  const clients: TestClient[] = [];

  const token = (subject: string, org?: string): Promise<string> =>
    signToken(key, { issuer: ISSUER, audience: url, subject, ...(org !== undefined && { claims: { org } }) });
  const connectAs = async (subject: string, org: string): Promise<TestClient> => {
    const client = await connectMcp(url, { token: await token(subject, org) });
    clients.push(client);
    return client;
  };
  const recentTitles = async (client: TestClient): Promise<string[]> => {
    const result = await client.client.callTool({ name: 'get_recent_decisions', arguments: {} });
    return (result.structuredContent as { decisions: { title: string }[] }).decisions.map((d) => d.title);
  };

  beforeAll(async () => {
    key = await makeKey('k1', 'ES256');
    product = await startTestProduct(authTestConfig(ISSUER, [key], { MCP_AUTH_TENANT_CLAIM: 'org' }));
    url = product.mcpUrl!;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await product?.close();
  });

  it("shares the memory within the token's tenant and keeps it from other tenants", async () => {
    const alice = await connectAs('alice', 'acme');
    const bob = await connectAs('bob', 'acme');
    const carol = await connectAs('carol', 'globex');
    await alice.client.callTool({
      name: 'record_decision',
      arguments: { title: 'Acme uses Postgres', decision: 'Postgres 16 for every service.' },
    });
    await carol.client.callTool({
      name: 'record_decision',
      arguments: { title: 'Globex uses MySQL', decision: 'MySQL 8 everywhere.' },
    });
    expect(await recentTitles(bob)).toEqual(['Acme uses Postgres']);
    expect(await recentTitles(alice)).toEqual(['Acme uses Postgres']);
    expect(await recentTitles(carol)).toEqual(['Globex uses MySQL']);
  });

  it('refuses a token without the tenant claim with 401 invalid_token', async () => {
    const response = await postMcp(url, INITIALIZE_BODY, { authorization: `Bearer ${await token('dave')}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token".*no org claim/);
  });
});
