/** How long a replica answers a closed task from memory before reading it from Temporal again. */
export const CLOSED_TASK_CACHE_MS = 30_000;

/** Most closed tasks one replica keeps in memory; the least recently read go first. */
export const CLOSED_TASK_CACHE_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  /** When the entry stops being served: its age limit, or the task's expiry if sooner. */
  staleAtMs: number;
}

/**
 * Closed tasks as last read, by workflow id. A closed workflow no longer changes, so a repeated
 * `tasks/get` or `tasks/result` of a finished task needs no `describe()`. Entries never outlive the
 * task's expiry; what an operator does to a closed workflow by hand (delete, reset) shows once the
 * entry's age limit has passed.
 */
export class ClosedTaskCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly options: { maxAgeMs: number; maxEntries: number; now?: () => number } = {
      maxAgeMs: CLOSED_TASK_CACHE_MS,
      maxEntries: CLOSED_TASK_CACHE_ENTRIES,
    },
  ) {}

  /** The task kept under `workflowId`, unless it is missing or stale. */
  get(workflowId: string): T | undefined {
    const entry = this.entries.get(workflowId);
    if (!entry) return undefined;
    this.entries.delete(workflowId);
    if (entry.staleAtMs <= this.now()) return undefined;
    // Re-inserted so that the map's order stays least recently read first.
    this.entries.set(workflowId, entry);
    return entry.value;
  }

  /** Keeps a closed task until its age limit or `expiresAtMs`, whichever comes first. */
  put(workflowId: string, value: T, expiresAtMs: number): void {
    const staleAtMs = Math.min(this.now() + this.options.maxAgeMs, expiresAtMs);
    this.entries.delete(workflowId);
    if (staleAtMs <= this.now() || this.options.maxEntries <= 0) return;
    this.entries.set(workflowId, { value, staleAtMs });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
