/**
 * The message of anything thrown. Reads `message` rather than testing `instanceof Error`: errors made
 * by native modules or in another realm (a VM context, Jest's sandbox) are not instances of this
 * realm's `Error`, and `String(err)` would prefix their name.
 */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** Whether `err` looks like an Error (has a string `name`), whatever realm made it. */
export function isErrorLike(err: unknown): err is Error {
  return typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string';
}
