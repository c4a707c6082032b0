import { createHash } from 'node:crypto';
import { InvalidCursorError } from './errors';

/**
 * A `tasks/list` cursor: the page token Temporal's visibility returned for the owner's query, bound to
 * that owner. Visibility pages by keyset (close time, start time, run id), so a page costs the same
 * however many tasks the owner has, and tasks created while a client pages sort before the first page
 * and never shift the later ones. The owner binding makes a cursor of another owner invalid rather
 * than meaningless (the query filters by owner either way, so it could never show their tasks).
 */
const CURSOR_VERSION = 2;

/** Longest page token accepted back (visibility's own are a few hundred bytes). */
const MAX_TOKEN_BYTES = 4096;

/** Encodes visibility's page token for `scope` as opaque base64url text. */
export function encodeCursor(scope: string, pageToken: Uint8Array): string {
  const payload = [CURSOR_VERSION, ownerTag(scope), Buffer.from(pageToken).toString('base64url')];
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/**
 * The page token of a cursor that {@link encodeCursor} made for `scope`; throws `InvalidCursorError`
 * for anything else (garbage, a cursor of another owner or of an older release).
 */
export function decodeCursor(scope: string, text: string): Uint8Array {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === CURSOR_VERSION &&
      value[1] === ownerTag(scope) &&
      typeof value[2] === 'string' &&
      value[2].length > 0
    ) {
      const token = Buffer.from(value[2], 'base64url');
      if (token.length > 0 && token.length <= MAX_TOKEN_BYTES) return token;
    }
  } catch {
    // Falls through to the error below: a cursor that is not ours.
  }
  throw new InvalidCursorError(text);
}

function ownerTag(scope: string): string {
  return createHash('sha256').update(`tasks/list:${scope}`).digest('base64url').slice(0, 16);
}
