import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import type { Config } from '../../src/config';
import { testConfig } from './product';

/** A signing key of a test issuer, with its public JWK as a JWKS lists it. */
export interface TestKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg: 'RS256' | 'ES256'): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export function jwksOf(keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.publicJwk) };
}

/** A test configuration with authentication on: tokens of `issuer`, verified against `keys` (a JWKS file in its data dir). */
export function authTestConfig(issuer: string, keys: TestKey[], overrides: NodeJS.ProcessEnv = {}): Config {
  const { dataDir } = testConfig();
  return testConfig({
    DATA_DIR: dataDir,
    MCP_AUTH_ISSUER: issuer,
    MCP_AUTH_JWKS_FILE: writeJwksFile(dataDir, keys),
    ...overrides,
  });
}

/** Writes the public keys as a JWKS file in `dir` and returns its path. */
export function writeJwksFile(dir: string, keys: TestKey[]): string {
  const file = path.join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify(jwksOf(keys)));
  return file;
}

export interface TokenOptions {
  issuer: string;
  audience: string | string[];
  subject?: string;
  scope?: string;
  /** Seconds from now; negative is in the past. @default 300 */
  expiresIn?: number;
  /** Seconds from now the token becomes valid. */
  notBefore?: number;
  /** The `kid` in the header. @default key.kid */
  kid?: string;
  claims?: Record<string, unknown>;
}

/** A JWT signed with `key`, as an identity provider issues access tokens. */
export async function signToken(key: TestKey, options: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(options.scope !== undefined && { scope: options.scope }), ...options.claims })
    .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 300));
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(key.privateKey);
}

/** An `initialize` request body, for raw HTTP requests. */
export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** POSTs `body` to `url` the way a Streamable HTTP client does, with `headers` added. */
export function postMcp(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
  });
}
