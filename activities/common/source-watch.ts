import { ApplicationFailure } from '@temporalio/common';
import { RetryableSourceFailureType } from '../../common/task-types';

/**
 * Failure type of a source that stopped sending data. Retryable on the first attempts: a stall is
 * most often a dropped connection or a server that hung on one request, and a new attempt reconnects
 * and resumes from the last checkpoint (an HTTP range) without losing any work.
 */
export const SOURCE_STALLED_FAILURE_TYPE = RetryableSourceFailureType.SourceStalled;

/** How long a source may send nothing before the attempt gives up on it. */
export const DEFAULT_SOURCE_STALL_TIMEOUT_MS = 5 * 60_000;

/**
 * From this attempt on, a stall fails the task for good. Without a bound, a source that always
 * stalls would be retried until the task's time limit, which would then hide the real reason.
 */
export const LAST_STALL_RETRY_ATTEMPT = 3;

/** Shortest pause between two keep-alive heartbeats, so a zero checkpoint interval does not spin. */
const MIN_KEEP_ALIVE_MS = 50;

/** How a {@link SourceWatch} waits on one source. */
export interface SourceWatchOptions {
  /** The source as failure messages name it (a path or a URL). */
  name: string;
  /** The activity's cancellation signal. */
  cancellation: AbortSignal;
  /** How long one wait (the response headers, or the next chunk) may last before the source counts as stalled. */
  stallTimeoutMs: number;
  /** Pause between two heartbeats while waiting. */
  keepAliveMs: number;
  /** The activity's attempt number (1-based); decides whether a stall is retried. */
  attempt: number;
  /** Heartbeats the activity's current progress and checkpoint; called while waiting for data. */
  keepAlive: () => void;
}

/**
 * Watches an activity's waits on its source. Temporal delivers a cancellation only in answer to a
 * heartbeat, and fails an activity whose heartbeats stop; an activity that heartbeats only when data
 * arrives would therefore neither see a `tasks/cancel` nor say why it stopped when its source stalls.
 * While a wait lasts, this heartbeats on a timer (the caller's last checkpoint, so resuming is
 * unchanged), rejects with the activity's `CancelledFailure` as soon as the cancellation arrives, and
 * rejects with a {@link SOURCE_STALLED_FAILURE_TYPE} failure naming the source when nothing came for
 * `stallTimeoutMs`. The caller closes the source (its `finally`), which ends the abandoned read.
 */
export class SourceWatch {
  private readonly stall = new AbortController();
  /** Aborted when the activity is cancelled or the source stalls: give it to the request that opens the source. */
  readonly signal: AbortSignal;

  constructor(private readonly options: SourceWatchOptions) {
    this.signal = AbortSignal.any([options.cancellation, this.stall.signal]);
  }

  /** Waits for `pending` (opening the source, or its next chunk), heartbeating meanwhile. */
  wait<T>(pending: Promise<T>): Promise<T> {
    const { cancellation, stallTimeoutMs, keepAliveMs } = this.options;
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        clearInterval(keepAlive);
        clearTimeout(giveUp);
        cancellation.removeEventListener('abort', onCancel);
      };
      const fail = (err: unknown): void => {
        settle();
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes the read's error or the CancelledFailure on unchanged
        reject(err);
      };
      const onCancel = (): void => fail(cancellation.reason);
      const keepAlive = setInterval(
        () => {
          try {
            this.options.keepAlive();
          } catch (err) {
            fail(err);
          }
        },
        Math.max(keepAliveMs, MIN_KEEP_ALIVE_MS),
      );
      const giveUp = setTimeout(() => {
        const failure = this.stalledFailure();
        this.stall.abort(failure);
        fail(failure);
      }, stallTimeoutMs);
      if (cancellation.aborted) onCancel();
      else cancellation.addEventListener('abort', onCancel, { once: true });
      // Also handles a rejection that comes after giving up (the read aborted by the caller's close).
      pending.then((value) => {
        settle();
        resolve(value);
      }, fail);
    });
  }

  /** The chunks of `source`, each waited for with {@link wait}. */
  async *chunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const iterator = source[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.wait(iterator.next());
      if (next.done === true) return;
      yield next.value;
    }
  }

  private stalledFailure(): ApplicationFailure {
    const { name, stallTimeoutMs, attempt } = this.options;
    const last = attempt >= LAST_STALL_RETRY_ATTEMPT;
    const message =
      `${name} sent no data for ${describeDuration(stallTimeoutMs)} (the source stalled)` +
      (last ? `; gave up after ${attempt} attempts` : '; retrying from the last checkpoint');
    return ApplicationFailure.create({ type: SOURCE_STALLED_FAILURE_TYPE, message, nonRetryable: last });
  }
}

function describeDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  return seconds < 120 ? `${Number(seconds.toFixed(1))} s` : `${Number((seconds / 60).toFixed(1))} min`;
}
