import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { optionalTsToMs } from '@temporalio/common/lib/time';

/** Most running tasks one replica watches at once; past it, the least recently read is dropped. */
export const RUNNING_VIEW_MAX_WATCHED = 200;

/** A watch with no read for this long stops (its long poll costs Temporal a call per history event). */
export const RUNNING_VIEW_IDLE_MS = 30_000;

/** Oldest a kept read may be and still be served, whatever the watch says. */
export const RUNNING_VIEW_MAX_ENTRY_AGE_MS = 30_000;

/**
 * The product's worker sends an activity's heartbeats to the server at most this often
 * (`maxHeartbeatThrottleInterval` in `src/temporal/create-worker.ts`).
 */
export const WORKER_HEARTBEAT_THROTTLE_MS = 1000;

/**
 * Taken off every heartbeat window: the heartbeat's time is the server's clock and the window is
 * checked on this process's, and two heartbeats may reach the server with different delays.
 */
export const HEARTBEAT_CLOCK_MARGIN_MS = 200;

type PendingActivityInfo = temporal.api.workflow.v1.IPendingActivityInfo;

const ACTIVITY_STARTED = 2;
const ACTIVITY_CANCEL_REQUESTED = 3;

/** What one `describe()` of a running task saw, to tell later whether anything could have changed. */
export interface ReadSnapshot {
  runId: string;
  /** The id of the last history event the read saw (`describe()`'s history length). */
  historyLength: number;
  /** Until when (this process's clock) no pending activity's heartbeat details can change. */
  progressFixedUntilMs: number;
}

/** A fresh read; without `snapshot` (a closed task, a state asked of a worker) it is not kept. */
export interface FreshRead<T> {
  value: T;
  snapshot?: ReadSnapshot;
}

/** A kept read. */
export interface ViewEntry<T> extends ReadSnapshot {
  value: T;
  readAtMs: number;
}

/** What a history watch knows of its execution. */
export interface WatchState {
  runId: string;
  /** Whether it has read the history once and is still waiting for more. */
  armed: boolean;
  /** The id of the last history event it has read. */
  lastEventId: number;
}

/**
 * Until when the heartbeat details of `pending` activities cannot change: each one's last heartbeat
 * plus the worker's throttle (80% of a shorter heartbeat timeout, which the worker throttles to),
 * less the clock margin; the soonest of these. An activity that has not heartbeated in its current
 * attempt, or is not running, may heartbeat any moment: 0. No pending activity: unbounded.
 */
export function progressFixedUntilMs(
  pending: readonly PendingActivityInfo[],
  options: { throttleMs?: number; marginMs?: number } = {},
): number {
  const throttleMs = options.throttleMs ?? WORKER_HEARTBEAT_THROTTLE_MS;
  const marginMs = options.marginMs ?? HEARTBEAT_CLOCK_MARGIN_MS;
  let until = Number.POSITIVE_INFINITY;
  for (const activity of pending) {
    const state = activity.state as number | null | undefined;
    const heartbeatAt = optionalTsToMs(activity.lastHeartbeatTime);
    const startedAt = optionalTsToMs(activity.lastStartedTime);
    const running = state === ACTIVITY_STARTED || state === ACTIVITY_CANCEL_REQUESTED;
    if (!running || heartbeatAt === undefined || (startedAt !== undefined && heartbeatAt < startedAt)) return 0;
    const timeoutMs = optionalTsToMs(activity.activityOptions?.heartbeatTimeout);
    const windowMs = timeoutMs ? Math.min(throttleMs, timeoutMs * 0.8) : throttleMs;
    until = Math.min(until, heartbeatAt + windowMs - marginMs);
  }
  return until;
}

/**
 * Whether a kept read still is what Temporal would answer: the watch has read exactly the events the
 * read saw and waits for the next one (no event since), no heartbeat can have changed, and the entry
 * is within its age limit.
 */
export function isServable(
  entry: ReadSnapshot & { readAtMs: number },
  watch: WatchState | undefined,
  nowMs: number,
  maxAgeMs: number = RUNNING_VIEW_MAX_ENTRY_AGE_MS,
): boolean {
  return (
    watch !== undefined &&
    watch.armed &&
    watch.runId === entry.runId &&
    watch.lastEventId === entry.historyLength &&
    nowMs < entry.progressFixedUntilMs &&
    nowMs - entry.readAtMs < maxAgeMs
  );
}

/** Whether read `a` saw at least what `b` saw: as many history events, and heartbeats as late. */
function seesAtLeast(a: ReadSnapshot, b: ReadSnapshot): boolean {
  return (
    a.historyLength > b.historyLength ||
    (a.historyLength === b.historyLength && a.progressFixedUntilMs >= b.progressFixedUntilMs)
  );
}

export interface RunningTaskViewOptions {
  client: Client;
  /** @default RUNNING_VIEW_MAX_WATCHED */
  maxWatched?: number;
  /** @default RUNNING_VIEW_IDLE_MS */
  idleMs?: number;
  /** @default RUNNING_VIEW_MAX_ENTRY_AGE_MS */
  maxEntryAgeMs?: number;
  now?: () => number;
}

interface Watched<T> extends WatchState {
  workflowId: string;
  stop: AbortController;
  lastReadAtMs: number;
  entry?: ViewEntry<T>;
  done: Promise<void>;
}

/**
 * Running tasks as last read, served only while Temporal could answer nothing different. Each kept
 * task has a history watch: a long poll on its execution's history that Temporal answers as soon as
 * an event is written. Every change a read reports (memo, cancel request, close) is such an event;
 * the one exception, an activity's heartbeat details, cannot change within the worker's heartbeat
 * throttle after the last heartbeat. A write of another replica shows once the long poll has
 * delivered its event; a write of this replica is seen at once ({@link forget}).
 */
export class RunningTaskView<T> {
  /** By workflow id, least recently read first. */
  private readonly watched = new Map<string, Watched<T>>();
  /** The fresh read in flight per workflow id, shared by the reads that arrive meanwhile. */
  private readonly reading = new Map<string, Promise<FreshRead<T>>>();
  private readonly maxWatched: number;
  private readonly idleMs: number;
  private readonly maxEntryAgeMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: RunningTaskViewOptions) {
    this.maxWatched = options.maxWatched ?? RUNNING_VIEW_MAX_WATCHED;
    this.idleMs = options.idleMs ?? RUNNING_VIEW_IDLE_MS;
    this.maxEntryAgeMs = options.maxEntryAgeMs ?? RUNNING_VIEW_MAX_ENTRY_AGE_MS;
  }

  /** The task under `workflowId`: kept if still exact, else `readFresh`'s answer (kept when it can be). */
  async read(workflowId: string, readFresh: () => Promise<FreshRead<T>>): Promise<T> {
    const watch = this.watched.get(workflowId);
    if (watch) {
      watch.lastReadAtMs = this.now();
      // Re-inserted so that the map's order stays least recently read first.
      this.watched.delete(workflowId);
      this.watched.set(workflowId, watch);
      if (watch.entry && isServable(watch.entry, watch, this.now(), this.maxEntryAgeMs)) return watch.entry.value;
    }
    let fresh = this.reading.get(workflowId);
    if (!fresh) {
      const reading = readFresh();
      fresh = reading;
      this.reading.set(workflowId, reading);
      const settle = (): void => {
        if (this.reading.get(workflowId) === reading) this.reading.delete(workflowId);
      };
      reading.then(
        (read) => {
          // A write of this replica since the read started (`forget`) makes it unfit to keep.
          if (this.reading.get(workflowId) === reading) this.keep(workflowId, read);
          settle();
        },
        () => {
          // Gone, or unreadable now: what was kept of it vouches for nothing any more.
          if (this.reading.get(workflowId) === reading) this.forget(workflowId);
          settle();
        },
      );
    }
    return (await fresh).value;
  }

  /**
   * Takes in a read made without the view (the notifier's, a result stream's): a kept read older than
   * it is replaced, so that no `tasks/get` of this replica answers older than another read of it
   * already did. Starts no watch.
   */
  observe(workflowId: string, read: FreshRead<T>): void {
    const watch = this.watched.get(workflowId);
    if (!watch?.entry) return;
    const { snapshot } = read;
    if (!snapshot || snapshot.runId !== watch.runId) watch.entry = undefined;
    else if (seesAtLeast(snapshot, watch.entry)) watch.entry = { ...snapshot, value: read.value, readAtMs: this.now() };
  }

  /** Drops what is kept of `workflowId`: this replica has just changed it. */
  forget(workflowId: string): void {
    this.reading.delete(workflowId);
    const watch = this.watched.get(workflowId);
    if (watch) watch.entry = undefined;
  }

  /** How many executions are watched now. */
  get watchedCount(): number {
    return this.watched.size;
  }

  /** Whether `workflowId` is watched now. */
  isWatched(workflowId: string): boolean {
    return this.watched.has(workflowId);
  }

  /** Stops every watch and waits until their long polls have ended. */
  async close(): Promise<void> {
    this.closed = true;
    this.reading.clear();
    const watches = [...this.watched.values()];
    for (const watch of watches) this.unwatch(watch);
    await Promise.all(watches.map((watch) => watch.done));
  }

  private keep(workflowId: string, read: FreshRead<T>): void {
    let watch = this.watched.get(workflowId);
    if (!read.snapshot || this.closed) {
      // Closed, or not exact enough to keep: nothing to watch any more.
      if (watch) this.unwatch(watch);
      return;
    }
    if (watch && watch.runId !== read.snapshot.runId) {
      this.unwatch(watch);
      watch = undefined;
    }
    watch ??= this.watch(workflowId, read.snapshot.runId);
    // A read made meanwhile without the view (`observe`) may have seen more: the newer one stays.
    if (!watch.entry || seesAtLeast(read.snapshot, watch.entry)) {
      watch.entry = { ...read.snapshot, value: read.value, readAtMs: this.now() };
    }
  }

  private watch(workflowId: string, runId: string): Watched<T> {
    const watch: Watched<T> = {
      workflowId,
      runId,
      armed: false,
      lastEventId: 0,
      stop: new AbortController(),
      lastReadAtMs: this.now(),
      done: Promise.resolve(),
    };
    this.watched.set(workflowId, watch);
    watch.done = this.follow(watch);
    for (const oldest of this.watched.values()) {
      if (this.watched.size <= this.maxWatched) break;
      this.unwatch(oldest);
    }
    this.sweeper ??= setInterval(() => this.sweepIdle(), Math.max(this.idleMs / 4, 10)).unref();
    return watch;
  }

  private unwatch(watch: Watched<T>): void {
    watch.stop.abort();
    watch.armed = false;
    watch.entry = undefined;
    if (this.watched.get(watch.workflowId) === watch) this.watched.delete(watch.workflowId);
    if (this.watched.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private sweepIdle(): void {
    const idleSince = this.now() - this.idleMs;
    for (const watch of [...this.watched.values()]) {
      if (watch.lastReadAtMs <= idleSince) this.unwatch(watch);
    }
  }

  /**
   * Reads the execution's history to its end, then long-polls for each new event, until the history
   * ends (the execution closed), the execution is gone, or the watch is stopped. An empty page means
   * the server's long poll timed out: ask again.
   */
  private async follow(watch: Watched<T>): Promise<void> {
    const { client } = this.options;
    let nextPageToken: Uint8Array | undefined;
    try {
      while (!watch.stop.signal.aborted) {
        // The client adds an abort listener per call and never removes it: each poll gets a signal of its own.
        const poll = new AbortController();
        const stopPoll = (): void => poll.abort();
        watch.stop.signal.addEventListener('abort', stopPoll, { once: true });
        let page: Awaited<ReturnType<Client['workflowService']['getWorkflowExecutionHistory']>>;
        try {
          page = await client.withAbortSignal(poll.signal, () =>
            client.workflowService.getWorkflowExecutionHistory({
              namespace: client.options.namespace,
              execution: { workflowId: watch.workflowId, runId: watch.runId },
              waitNewEvent: true,
              skipArchival: true,
              nextPageToken,
            }),
          );
        } finally {
          watch.stop.signal.removeEventListener('abort', stopPoll);
        }
        const last = page.history?.events?.at(-1);
        if (last?.eventId) watch.lastEventId = Number(last.eventId);
        if (watch.entry && watch.entry.historyLength < watch.lastEventId) watch.entry = undefined;
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
        // No token: the history is complete, the execution has closed.
        if (!nextPageToken) break;
        watch.armed = true;
      }
    } catch {
      // Stopped, gone, or Temporal unreachable: the watch ends either way, and with it what it
      // vouched for; the next read of the task reads afresh and watches again.
    } finally {
      this.unwatch(watch);
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
