import { createHash } from 'node:crypto';
import type { TaskOwner } from '../tasks/owner';

/** Who a verified access token speaks for. */
export interface Principal {
  /** The token's `iss`. */
  readonly issuer: string;
  /** The token's `sub`: unique within its issuer. */
  readonly subject: string;
  /** The scopes the token grants (`scope` or `scp` claim). */
  readonly scopes: readonly string[];
  /** The value of the tenant claim (`MCP_AUTH_TENANT_CLAIM`): whose project memory the principal shares. */
  readonly tenant: string;
}

/**
 * The owner of every task a principal creates, whatever session, replica or process it uses. Issuer
 * and subject together name a principal (a `sub` is unique only within its issuer); JSON keeps the two
 * apart whatever characters they hold.
 */
export function principalOwner(principal: Principal): TaskOwner {
  return { scope: `principal:${JSON.stringify([principal.issuer, principal.subject])}`, tenant: principal.tenant };
}

/**
 * A short, stable tag of a principal that a session id can carry: a session presented with another
 * principal's token has another tag and is not found. 132 bits of SHA-256, base64url.
 */
export function principalTag(principal: Principal): string {
  return createHash('sha256').update(principalOwner(principal).scope).digest('base64url').slice(0, 22);
}
