import { setTimeout as sleep } from 'node:timers/promises';

/** Longest a start waits to be listed; past it the task is answered anyway (it shows once visibility catches up). */
export const LISTED_WAIT_MS = 5_000;
/** Visibility usually lists a start at the first look; when not, looks again soon, then less often. */
const FIRST_PAUSE_MS = 2;
const MAX_PAUSE_MS = 25;
/** Most workflow ids one visibility lookup asks for. */
const IDS_PER_LOOKUP = 100;
/** Starts one process remembers for later listings; past it, the oldest are forgotten. */
const STARTS_KEPT = 10_000;

export interface ListedStartsOptions {
  /** Which of `workflowIds` visibility lists now. */
  listed(workflowIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Ends every wait at once (the process is stopping): the tasks are answered, not failed. */
  signal: AbortSignal;
  now?: () => number;
}

interface Waiting {
  deadline: number;
  done: () => void;
}

/**
 * Makes a `tasks/list` find the tasks that `tools/call` just started in this process (the spec wants
 * every task `tasks/get` shows in `tasks/list` too), while visibility, which lists them, lags the start
 * by a moment. A start is only remembered ({@link started}); the first listing of its owner waits until
 * visibility lists it ({@link settle}). So a `tools/call` costs no visibility lookup at all, and a
 * listing right after it waits milliseconds. Waits at the same time share their lookups: one query
 * asks for all of them.
 */
export class ListedStarts {
  private readonly waiting = new Map<string, Waiting>();
  private looking = false;
  /** Starts not yet seen listed, by workflow id, oldest first: their owner's scope and start time. */
  private readonly unsettled = new Map<string, { scope: string; startedAt: number }>();

  constructor(private readonly options: ListedStartsOptions) {}

  /** Remembers a start of `scope` that the next listing of `scope` must find. */
  started(scope: string, workflowId: string): void {
    this.unsettled.set(workflowId, { scope, startedAt: this.now() });
    for (const oldest of this.unsettled.keys()) {
      if (this.unsettled.size <= STARTS_KEPT) break;
      this.unsettled.delete(oldest);
    }
  }

  /**
   * Waits until visibility lists every start of `scope` remembered within {@link LISTED_WAIT_MS}
   * (older ones are past waiting for). Never rejects.
   */
  async settle(scope: string): Promise<void> {
    const pending: string[] = [];
    const oldest = this.now() - LISTED_WAIT_MS;
    for (const [workflowId, start] of this.unsettled) {
      if (start.startedAt <= oldest) this.unsettled.delete(workflowId);
      else if (start.scope === scope) pending.push(workflowId);
    }
    if (pending.length === 0) return;
    await Promise.all(pending.map((workflowId) => this.wait(workflowId)));
    for (const workflowId of pending) this.unsettled.delete(workflowId);
  }

  /** Resolves once `workflowId` is listed, after {@link LISTED_WAIT_MS}, or when stopped; never rejects. */
  wait(workflowId: string): Promise<void> {
    if (this.options.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const earlier = this.waiting.get(workflowId);
      const done = earlier ? () => (earlier.done(), resolve()) : resolve;
      this.waiting.set(workflowId, { deadline: this.now() + LISTED_WAIT_MS, done });
      // Looks on the next microtask, so that waits begun together share the first lookup too.
      if (!this.looking) {
        this.looking = true;
        queueMicrotask(() => void this.look());
      }
    });
  }

  private async look(): Promise<void> {
    let pause = FIRST_PAUSE_MS;
    try {
      while (this.waiting.size > 0 && !this.options.signal.aborted) {
        const asked = [...this.waiting.keys()].slice(0, IDS_PER_LOOKUP);
        const listed = await this.options.listed(asked).catch(() => new Set<string>());
        for (const workflowId of asked) {
          const entry = this.waiting.get(workflowId);
          if (entry && (listed.has(workflowId) || entry.deadline <= this.now())) this.finish(workflowId, entry);
        }
        // Starts that arrived during the lookup have not been looked for yet: no pause for them.
        const unasked = [...this.waiting.keys()].some((workflowId) => !asked.includes(workflowId));
        if (this.waiting.size === 0 || unasked) {
          pause = FIRST_PAUSE_MS;
          continue;
        }
        const stopped = await sleep(pause, false, { signal: this.options.signal }).catch(() => true);
        if (stopped) break;
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    } finally {
      if (this.options.signal.aborted) for (const [workflowId, entry] of this.waiting) this.finish(workflowId, entry);
      if (this.waiting.size > 0) void this.look();
      else this.looking = false;
    }
  }

  private finish(workflowId: string, entry: Waiting): void {
    this.waiting.delete(workflowId);
    entry.done();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
