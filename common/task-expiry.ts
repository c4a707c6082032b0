/**
 * When a task stops being readable. Sandbox-safe and shared by the task engine (which answers "not
 * found" for expired tasks) and the clean-up activity (which deletes them).
 */

/**
 * How long the result of a task that outlived its TTL (counted from creation) stays readable after
 * the task closes, so that a client always gets to fetch what it waited for.
 */
export const MIN_RESULT_RETENTION_MS = 60_000;

/** What expiry depends on: the creation time and TTL kept in the task's memo. */
export interface ExpiryFacts {
  createdAt: string;
  ttlMs: number;
}

/**
 * The task's TTL from creation; a task still running when its TTL ran out is never cut short, and
 * once it closes its result stays for {@link MIN_RESULT_RETENTION_MS}. Infinity while it runs.
 */
export function expiresAtMs(facts: ExpiryFacts, closedAtMs: number | undefined): number {
  const byTtl = Date.parse(facts.createdAt) + facts.ttlMs;
  if (closedAtMs === undefined) return Infinity;
  return closedAtMs < byTtl ? byTtl : closedAtMs + MIN_RESULT_RETENTION_MS;
}

/** A running task is never expired; a closed one is once {@link expiresAtMs} has passed. */
export function isExpired(facts: ExpiryFacts, closedAtMs: number | undefined, now = Date.now()): boolean {
  return expiresAtMs(facts, closedAtMs) <= now;
}

/** The TTL to report: as applied at creation, or longer when the result is kept past it. */
export function appliedTtl(facts: ExpiryFacts, closedAtMs: number | undefined): number {
  const expiresAt = expiresAtMs(facts, closedAtMs);
  return Number.isFinite(expiresAt) ? expiresAt - Date.parse(facts.createdAt) : facts.ttlMs;
}
