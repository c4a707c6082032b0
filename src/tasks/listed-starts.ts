import { setTimeout as sleep } from 'node:timers/promises';

/** Longest a start waits to be listed; past it the task is answered anyway (it shows once visibility catches up). */
export const LISTED_WAIT_MS = 5_000;
/** Visibility usually lists a start at the first look; when not, looks again soon, then less often. */
const FIRST_PAUSE_MS = 2;
const MAX_PAUSE_MS = 25;
/** Most workflow ids one visibility lookup asks for. */
const IDS_PER_LOOKUP = 100;

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
 * Waits until visibility lists workflows just started, so that a `tasks/list` right after `tools/call`
 * finds the task (the spec wants every task `tasks/get` shows in `tasks/list` too). Starts that wait
 * at the same time share their lookups: one visibility query asks for all of them, instead of one
 * count per start and per look, which is what the Temporal server pays for under concurrent creates.
 */
export class ListedStarts {
  private readonly waiting = new Map<string, Waiting>();
  private looking = false;

  constructor(private readonly options: ListedStartsOptions) {}

  /** Resolves once `workflowId` is listed, after {@link LISTED_WAIT_MS}, or when stopped; never rejects. */
  wait(workflowId: string): Promise<void> {
    if (this.options.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const earlier = this.waiting.get(workflowId);
      const done = earlier ? () => (earlier.done(), resolve()) : resolve;
      this.waiting.set(workflowId, { deadline: this.now() + LISTED_WAIT_MS, done });
      if (!this.looking) void this.look();
    });
  }

  private async look(): Promise<void> {
    this.looking = true;
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
      this.looking = false;
      if (this.options.signal.aborted) for (const [workflowId, entry] of this.waiting) this.finish(workflowId, entry);
      else if (this.waiting.size > 0) void this.look();
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
