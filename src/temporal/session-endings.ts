import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';

/** Where the product records that a session was ended (DELETE), for every replica to see. */
export interface SessionEndings {
  /** Records, durably, that `sessionId` has ended; the record lasts at least until `expiresAt` (ms). */
  end(sessionId: string, expiresAt: number): Promise<void>;
  /** Whether `sessionId` was ended, by any replica, before or after a restart. */
  isEnded(sessionId: string): Promise<boolean>;
}

/** The workflow type of an end record. No worker implements it: the execution is never run. */
export const SESSION_ENDED_WORKFLOW_TYPE = 'mcpSessionEnded';

/** Ended ids this process already knows of, so that repeated requests cost no round trip. */
const KNOWN_ENDED_LIMIT = 10_000;

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
    this.remember(workflowId);
  }

  async isEnded(sessionId: string): Promise<boolean> {
    const workflowId = endWorkflowId(sessionId);
    if (this.knownEnded.has(workflowId)) return true;
    try {
      await this.options.client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if ((err as { name?: unknown } | null)?.name === 'WorkflowNotFoundError') return false;
      throw err;
    }
    this.remember(workflowId);
    return true;
  }

  private remember(workflowId: string): void {
    if (this.knownEnded.size >= KNOWN_ENDED_LIMIT) this.knownEnded.clear();
    this.knownEnded.add(workflowId);
  }
}

function endWorkflowId(sessionId: string): string {
  return `mcp-session-ended/${createHash('sha256').update(sessionId).digest('hex').slice(0, 32)}`;
}
