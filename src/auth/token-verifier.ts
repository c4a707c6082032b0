import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { AuthConfig, JwksSource } from '../config';
import { errorMessage } from '../../common/error-message';
import type { Principal } from './principal';

/**
 * Tolerance on `exp`, `nbf` and `iat`, in seconds: the issuer's clock and ours may differ a little, and
 * a token should not be refused for a drift that small.
 */
export const CLOCK_SKEW_SECONDS = 30;

/** Asymmetric signature algorithms accepted; shared-secret (HS*) and `none` never are. */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Why a request was not authenticated. */
export type AuthFailure =
  /** No bearer token: 401 with the metadata pointer only. */
  | { kind: 'missing_token' }
  /** A token that is malformed, not signed by the issuer's keys, or has wrong claims: 401 invalid_token. */
  | { kind: 'invalid_token'; description: string }
  /** A valid token without the required scopes: 403 insufficient_scope. */
  | { kind: 'insufficient_scope'; description: string }
  /** The issuer's key set could not be fetched or read: 503, the client may retry. */
  | { kind: 'keys_unavailable'; description: string; cause: string };

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

/**
 * The key set of `source`. A JWKS URL is fetched on first use, cached (re-fetched after 10 minutes),
 * and fetched again when a token names a `kid` it does not hold (at most every 30 s), so a key rotation
 * at the issuer is picked up without a restart. A JWKS file is read once, now: a missing or malformed
 * file stops the start with its name.
 */
export function loadKeySet(source: JwksSource): JWTVerifyGetKey {
  if (source.kind === 'url') return createRemoteJWKSet(new URL(source.url), { timeoutDuration: 5000 });
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(source.file, 'utf8')) as JSONWebKeySet;
  } catch (err) {
    throw new Error(`MCP_AUTH_JWKS_FILE ${source.file} cannot be read as JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(jwks?.keys)) throw new Error(`MCP_AUTH_JWKS_FILE ${source.file} is not a JWKS: no "keys" array`);
  return createLocalJWKSet(jwks);
}

export interface TokenVerifierOptions extends Pick<AuthConfig, 'issuer' | 'requiredScopes' | 'tenantClaim'> {
  keys: JWTVerifyGetKey;
  /** A value the token's `aud` must contain. */
  audience: string;
}

/**
 * Verifies `Authorization: Bearer <JWT>` headers: the signature against the issuer's keys, `iss`,
 * `aud`, `exp` and `nbf` (with {@link CLOCK_SKEW_SECONDS}), a `sub`, and the required scopes.
 */
export class TokenVerifier {
  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(authorization: string | null): Promise<AuthOutcome> {
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? '');
    if (!authorization) return { ok: false, failure: { kind: 'missing_token' } };
    if (!match) return invalid('The Authorization header is not "Bearer <token>"');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(match[1]!, this.options.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      return { ok: false, failure: classify(err) };
    }
    const scopes = scopesOf(payload);
    const missing = this.options.requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      return {
        ok: false,
        failure: { kind: 'insufficient_scope', description: `The token lacks the scope ${missing.join(' ')}` },
      };
    }
    const tenant = payload[this.options.tenantClaim];
    if ((typeof tenant !== 'string' && typeof tenant !== 'number') || tenant === '') {
      return invalid(
        `The token has no ${this.options.tenantClaim} claim, which names its tenant (MCP_AUTH_TENANT_CLAIM)`,
      );
    }
    return { ok: true, principal: { issuer: payload.iss!, subject: payload.sub!, scopes, tenant: String(tenant) } };
  }
}

function invalid(description: string): AuthOutcome {
  return { ok: false, failure: { kind: 'invalid_token', description } };
}

/** Messages for the client by jose error code; they name the failed check, never a key or the token. */
const TOKEN_FAILURES: Record<string, string> = {
  ERR_JWT_EXPIRED: 'The token has expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The token signature is invalid',
  ERR_JWKS_NO_MATCHING_KEY: "No key of the issuer matches the token's signature",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "Several keys of the issuer match the token's header: it needs a kid",
  ERR_JOSE_ALG_NOT_ALLOWED: 'The token is signed with an algorithm that is not accepted',
  ERR_JWS_INVALID: 'The token is malformed',
  ERR_JWT_INVALID: 'The token is malformed',
  ERR_JOSE_NOT_SUPPORTED: 'The token uses an unsupported algorithm or key type',
};

const CLAIM_FAILURES: Record<string, string> = {
  nbf: 'The token is not valid yet',
  iss: 'The token was issued by another issuer',
  aud: 'The token is meant for another audience',
};

/**
 * What a verification error means. Codes are compared rather than classes, so that errors keep their
 * meaning across realms. An error that is not about the token (the issuer's key set cannot be fetched
 * or parsed) is the server's problem, not the client's: it is reported as such.
 */
function classify(err: unknown): AuthFailure {
  const { code, claim } = (err ?? {}) as { code?: unknown; claim?: unknown };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const description =
      typeof claim === 'string'
        ? (CLAIM_FAILURES[claim] ?? `The token's ${claim} claim is missing or invalid`)
        : 'The token has an invalid claim';
    return { kind: 'invalid_token', description };
  }
  const description = typeof code === 'string' ? TOKEN_FAILURES[code] : undefined;
  if (description) return { kind: 'invalid_token', description };
  return {
    kind: 'keys_unavailable',
    description: "The issuer's signing keys could not be read; retry later",
    cause: errorMessage(err),
  };
}

/** OAuth's `scope` (space-separated) or the `scp` claim some providers use (string or array). */
function scopesOf(payload: JWTPayload): string[] {
  const scopes: string[] = [];
  for (const claim of [payload.scope, payload.scp]) {
    if (typeof claim === 'string') scopes.push(...claim.split(' ').filter((s) => s !== ''));
    if (Array.isArray(claim)) scopes.push(...claim.filter((s): s is string => typeof s === 'string'));
  }
  return scopes;
}
