import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a session id remembers about its client, so that a restarted server can resume the session. */
export interface SessionFacts {
  /** The client declared the elicitation capability at `initialize`. */
  elicitation: boolean;
  /** The principal the session belongs to (see `principalTag`); undefined without authentication. */
  principalTag?: string;
}

/** What a verified session id tells: its facts and when it was issued. */
export interface IssuedSession extends SessionFacts {
  /** When the id was issued, ms since the epoch (to the second). */
  issuedAt: number;
}

const TAG_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Issues and checks `Mcp-Session-Id` values of the form `<random>.<flags>.<principal>.<issued>.<mac>`.
 * The MAC (HMAC-SHA256 under the server's secret) lets any replica, or a restarted process, accept a
 * session id that this product issued, and refuse one a client made up, without storing sessions
 * anywhere. The principal part binds the session to whoever opened it (`-` without authentication);
 * the issue time (seconds, base 36) lets every replica expire it at the same moment.
 */
export class SessionIdSigner {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 16) throw new Error('The session secret must be at least 16 characters long');
  }

  /** A new session id for `facts`, and what verifying it will tell. */
  issue(facts: SessionFacts): { id: string; facts: IssuedSession } {
    if (facts.principalTag !== undefined && !TAG_PATTERN.test(facts.principalTag)) {
      throw new Error('A principal tag is 22 base64url characters');
    }
    const flags = facts.elicitation ? 'e' : '-';
    const issuedSeconds = Math.floor(this.now() / 1000);
    const body = `${randomBytes(16).toString('base64url')}.${flags}.${facts.principalTag ?? '-'}.${issuedSeconds.toString(36)}`;
    return { id: `${body}.${this.mac(body)}`, facts: { ...facts, issuedAt: issuedSeconds * 1000 } };
  }

  /** The facts of a session id this product issued, or undefined for anything else. */
  verify(sessionId: string): IssuedSession | undefined {
    const parts = sessionId.split('.');
    if (parts.length !== 5 || parts[0]!.length !== 22 || !/^[e-]$/.test(parts[1]!)) return undefined;
    if (parts[2] !== '-' && !TAG_PATTERN.test(parts[2]!)) return undefined;
    if (!/^[0-9a-z]{1,10}$/.test(parts[3]!)) return undefined;
    const body = parts.slice(0, 4).join('.');
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(parts[4]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    return {
      elicitation: parts[1] === 'e',
      ...(parts[2] !== '-' && { principalTag: parts[2] }),
      issuedAt: parseInt(parts[3]!, 36) * 1000,
    };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url').slice(0, 32);
  }
}
