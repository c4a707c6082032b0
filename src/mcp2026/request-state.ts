import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { InputAnswer } from '../../common/elicitation';

/**
 * `requestState` of a 2026-07-28 `tools/call` answered `input_required` before its task exists (MRTR).
 * The client echoes it on the next round, so it comes back attacker-controlled: it is sealed with an
 * HMAC under a key derived from the server's secret (every replica shares it), and bound to the owner,
 * the tool and a digest of the arguments, with an expiry. It carries the answers already given, so a
 * round that answers only some questions keeps them for the next one.
 *
 * Form: `v1.<base64url JSON payload>.<base64url HMAC-SHA256>`; the owner enters the MAC, not the payload.
 */

const VERSION = 'v1';
/** How long a client may take between two rounds of one call. */
export const REQUEST_STATE_TTL_MS = 10 * 60_000;
/** An echoed state is at most this long: anything longer was not issued here. */
const MAX_STATE_LENGTH = 64 * 1024;

/** What a `requestState` binds: who called which tool with which arguments. */
export interface RequestStateBinding {
  /** The owner's scope key (its principal, or the local owner). */
  owner: string;
  tool: string;
  arguments: unknown;
}

interface Payload {
  /** Tool name. */
  t: string;
  /** SHA-256 of the canonical JSON of the arguments. */
  a: string;
  /** Expiry, ms since the epoch. */
  e: number;
  /** Answers already accepted, by question key. */
  r: Record<string, InputAnswer>;
}

/** Why an echoed `requestState` is refused; each message is for the client. */
export class RequestStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestStateError';
  }
}

export class RequestStateSealer {
  private readonly key: Buffer;

  constructor(serverSecret: string) {
    // A key of its own, so that a MAC made here is never a valid signature elsewhere (session ids).
    this.key = createHmac('sha256', serverSecret).update('mcp-2026-request-state').digest();
  }

  /** Seals the answers gathered so far for the next round of this call. */
  seal(binding: RequestStateBinding, answers: Record<string, InputAnswer>, now = Date.now()): string {
    const payload: Payload = {
      t: binding.tool,
      a: argumentsDigest(binding.arguments),
      e: now + REQUEST_STATE_TTL_MS,
      r: answers,
    };
    const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${VERSION}.${encoded}.${this.mac(binding.owner, encoded).toString('base64url')}`;
  }

  /**
   * The answers an echoed state carries. Throws {@link RequestStateError} when it was not issued by
   * this server for this owner, tool and arguments, or when it expired.
   */
  open(state: string, binding: RequestStateBinding, now = Date.now()): Record<string, InputAnswer> {
    const parts = state.length <= MAX_STATE_LENGTH ? state.split('.') : [];
    if (parts.length !== 3 || parts[0] !== VERSION) {
      throw new RequestStateError('requestState is not one this server issued');
    }
    const [, encoded, mac] = parts as [string, string, string];
    const expected = this.mac(binding.owner, encoded);
    const given = Buffer.from(mac, 'base64url');
    // Another owner's state fails here too: the owner is part of the MAC.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new RequestStateError('requestState is not one this server issued to this caller (integrity check failed)');
    }
    const payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Payload;
    if (payload.t !== binding.tool || payload.a !== argumentsDigest(binding.arguments)) {
      throw new RequestStateError(
        'requestState belongs to another call: echo it with the same tool name and arguments as the round that issued it',
      );
    }
    if (now > payload.e) {
      throw new RequestStateError('requestState expired; call the tool again without inputResponses and requestState');
    }
    return payload.r;
  }

  private mac(owner: string, encodedPayload: string): Buffer {
    return createHmac('sha256', this.key).update(`${VERSION}\n${owner}\n${encodedPayload}`).digest();
  }
}

/** SHA-256 of `value` as canonical JSON (object keys sorted), so that key order does not matter. */
function argumentsDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
