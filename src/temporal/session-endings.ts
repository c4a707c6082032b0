import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';

/** Where the product records that a session was ended (DELETE), for every replica to see. */
export interface SessionEndings {
  /** Records, durably, that `sessionId` has ended; the record lasts at least until `expiresAt` (ms). */
  end(sessionId: string, expiresAt: number): Promise<void>;
  /**
   * Whether `sessionId` was ended, by any replica, before or after a restart; and since when (a
   * `performance.now()` time) an open answer holds: an implementation may answer from a look taken a
   * moment before the call.
   */
  checkEnded(sessionId: string): Promise<{ ended: boolean; asOf: number }>;
}

/** The workflow type of an end record. No worker implements it: the execution is never run. */
export const SESSION_ENDED_WORKFLOW_TYPE = 'mcpSessionEnded';

/** Ended ids this process already knows of, so that repeated requests cost no round trip. */
const KNOWN_ENDED_LIMIT = 10_000;

/** The workflow type of the endings counter: signalled once per end, never run. */
export const SESSION_ENDINGS_COUNTER_TYPE = 'mcpSessionEndings';
const ENDED_SIGNAL = 'ended';
/** One counter an hour, so that no history grows without bound. */
const COUNTER_PERIOD_MS = 3_600_000;
/**
 * For this long into an hour a look reads the last hour's counter too, and for this long before its
 * end the next hour's: a replica whose clock lags or leads by less than this may count its ends there.
 * In between, one `describe()` per look instead of two.
 */
const COUNTER_OVERLAP_MS = 300_000;
/**
 * How long one look at the counters answers for every session. Each `describe()` costs the Temporal
 * server a read, so a busy replica looks twice a second; a session found open by a look stays so until
 * 1 s after that look began (a DELETE's delay), so a later look is needed within it either way.
 */
const COUNTER_LOOK_SHARED_MS = 500;
/** Sessions whose last confirmed count this process keeps; past it, the oldest are checked afresh. */
const CONFIRMED_KEPT = 10_000;

/**
 * Ended sessions kept in Temporal, the one store every MCP server replica already reads with strong
 * consistency: an end is a workflow execution `mcp-session-ended/<hash of the id>` that is started and
 * never run. It sits on a task queue of its own that no worker polls, with an execution timeout that
 * closes it when the session would have expired anyway, so end records clean themselves up (Temporal
 * keeps the closed execution for the namespace retention after that). Checking is one `describe()` by
 * workflow id, read from the history store rather than eventually consistent visibility. The
 * alternatives were worse: a file under DATA_DIR is not seen by replicas on other hosts, a list kept
 * in one long-lived workflow needs a worker to answer every query, and a search attribute lags.
 * Session ids are secrets, so only their hash reaches Temporal.
 */
export class TemporalSessionEndings implements SessionEndings {
  private readonly knownEnded = new Set<string>();
  private readonly now: () => number;
  /** The last look at the endings counters: when it started and what it found. */
  private counterLook: { startedAt: number; value: Promise<string> } | undefined;
  /** Per session: the counters' value when a look of its own last found it open. */
  private readonly confirmedOpenAt = new Map<string, string>();

  constructor(private readonly options: { client: Client; taskQueue: string; now?: () => number }) {
    this.now = options.now ?? Date.now;
  }

  async end(sessionId: string, expiresAt: number): Promise<void> {
    const workflowId = endWorkflowId(sessionId);
    try {
      await this.options.client.workflow.start(SESSION_ENDED_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: `${this.options.taskQueue}-session-endings`,
        workflowExecutionTimeout: Math.max(1000, expiresAt - this.now()),
        memo: { endedAt: new Date(this.now()).toISOString() },
        args: [],
      });
    } catch (err) {
      // Ended twice (two DELETEs, two replicas): the first record stands.
      if ((err as { name?: unknown } | null)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
    // After the record: whoever sees the counter move then finds the record.
    await this.options.client.workflow.signalWithStart(SESSION_ENDINGS_COUNTER_TYPE, {
      workflowId: this.counterId(this.now()),
      taskQueue: `${this.options.taskQueue}-session-endings`,
      workflowExecutionTimeout: 3 * COUNTER_PERIOD_MS,
      args: [],
      signal: ENDED_SIGNAL,
      signalArgs: [],
    });
    this.remember(workflowId);
  }

  /**
   * One look at this hour's endings counter, and near either end of the hour the neighbouring hour's
   * too (their history lengths: a history is read with strong consistency), answers for every session
   * of this process for a moment: when no session anywhere has ended since a session's own record was
   * last found missing, it is still open. Otherwise its record is looked up (one `describe()`). So a
   * busy replica asks Temporal twice a second in all, instead of once a second per session.
   */
  async checkEnded(sessionId: string): Promise<{ ended: boolean; asOf: number }> {
    const workflowId = endWorkflowId(sessionId);
    if (this.knownEnded.has(workflowId)) return { ended: true, asOf: performance.now() };
    const look = this.lookAtCounters();
    const counters = await look.value;
    if (this.confirmedOpenAt.get(workflowId) === counters) return { ended: false, asOf: look.startedAt };
    // The record is looked up after the counters were read: an end counted later is not missed.
    const recordLookStartedAt = performance.now();
    try {
      await this.options.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name !== 'WorkflowNotFoundError') throw err;
      this.confirmedOpenAt.delete(workflowId);
      this.confirmedOpenAt.set(workflowId, counters);
      for (const oldest of this.confirmedOpenAt.keys()) {
        if (this.confirmedOpenAt.size <= CONFIRMED_KEPT) break;
        this.confirmedOpenAt.delete(oldest);
      }
      return { ended: false, asOf: recordLookStartedAt };
    }
    this.remember(workflowId);
    return { ended: true, asOf: recordLookStartedAt };
  }

  private lookAtCounters(): { startedAt: number; value: Promise<string> } {
    const startedAt = performance.now();
    const last = this.counterLook;
    if (last && startedAt - last.startedAt < COUNTER_LOOK_SHARED_MS) return last;
    const now = this.now();
    const counters = [this.counterId(now)];
    const intoHour = now % COUNTER_PERIOD_MS;
    if (intoHour < COUNTER_OVERLAP_MS) counters.unshift(this.counterId(now - COUNTER_PERIOD_MS));
    if (intoHour >= COUNTER_PERIOD_MS - COUNTER_OVERLAP_MS) counters.push(this.counterId(now + COUNTER_PERIOD_MS));
    // The ids are part of the value: a look at other counters never matches a session's last one.
    const look = {
      startedAt,
      value: Promise.all(counters.map(async (id) => `${id}=${await this.count(id)}`)).then((counts) =>
        counts.join(' '),
      ),
    };
    // A failed look is not kept: the next check looks again.
    look.value.catch(() => {
      if (this.counterLook === look) this.counterLook = undefined;
    });
    this.counterLook = look;
    return look;
  }

  /** A counter's run and history length; '-' when there is none. */
  private async count(workflowId: string): Promise<string> {
    try {
      const { runId, historyLength } = await this.options.client.workflow.getHandle(workflowId).describe();
      return `${runId}:${historyLength}`;
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'WorkflowNotFoundError') return '-';
      throw err;
    }
  }

  private counterId(atMs: number): string {
    return `mcp-session-endings/${this.options.taskQueue}/${Math.floor(atMs / COUNTER_PERIOD_MS)}`;
  }

  private remember(workflowId: string): void {
    if (this.knownEnded.size >= KNOWN_ENDED_LIMIT) this.knownEnded.clear();
    this.knownEnded.add(workflowId);
  }
}

function endWorkflowId(sessionId: string): string {
  return `mcp-session-ended/${createHash('sha256').update(sessionId).digest('hex').slice(0, 32)}`;
}
