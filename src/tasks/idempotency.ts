import { createHash, createHmac } from 'node:crypto';
import { InvalidTaskRequestError } from './errors';
import { scopeKey, type TaskId, type TaskOwner } from './owner';

/**
 * The `_meta` key of a `tools/call` that names the call, so that sending it again (after a cut stream,
 * a time-out, a replica that died before it answered) finds the task the first attempt created instead
 * of starting the work a second time. Neither MCP wire has such a key; this one is the product's own.
 */
export const IDEMPOTENCY_KEY_META = 'durable-mcp-tasks/idempotencyKey';

/** Longest key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 128;

const KEY_PATTERN = /^[A-Za-z0-9._:-]+$/;

/**
 * The idempotency key of a request's `_meta`, or undefined when it names none. Throws
 * {@link InvalidTaskRequestError} (−32602) for a key that is not 1 to 128 characters of `A-Z a-z 0-9 . _ : -`.
 */
export function idempotencyKeyOf(meta: Record<string, unknown> | undefined): string | undefined {
  const key = meta?.[IDEMPOTENCY_KEY_META];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS || !KEY_PATTERN.test(key)) {
    throw new InvalidTaskRequestError(
      `_meta["${IDEMPOTENCY_KEY_META}"] must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters of A-Z, a-z, 0-9, ".", "_", ":" and "-"`,
    );
  }
  return key;
}

/**
 * The task id a key names for an owner: every replica derives the same one from the shared server
 * secret, so a retry on any replica reaches the same workflow. Keyed by the secret, so that the id
 * stays as unguessable as a random one even when the key is guessable; bound to the owner, so two
 * owners with the same key get two tasks.
 */
export function keyedTaskId(secret: string, owner: TaskOwner, key: string): TaskId {
  return createHmac('sha256', secret)
    .update(`task-id\0${scopeKey(owner)}\0${key}`)
    .digest('hex')
    .slice(0, 32) as TaskId;
}

/** A digest of what a call asks for: a key sent again with another tool or other arguments is refused. */
export function callDigest(tool: string, args: unknown): string {
  return createHash('sha256')
    .update(`${tool}\0${JSON.stringify(args) ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}
