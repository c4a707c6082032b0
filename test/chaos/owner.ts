import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { connectMcpWithElicitation, type TestClient } from '../helpers/mcp-client';

type Client = TestClient['client'];

/** What a request ended with when the server gave a real answer: a JSON-RPC error other than a transient one. */
export class DefinitiveError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Whether `err` is the server's own answer rather than an outage: -32602 (not found, invalid) is what it
 * says of the request itself. Anything else (a refused connection, a cut stream, a time-out, -32603
 * while Temporal is down, a 5xx) says only that a component was away, and the request is tried again.
 */
function definitive(err: unknown): DefinitiveError | undefined {
  if (err instanceof McpError && err.code === (ErrorCode.InvalidParams as number)) {
    return new DefinitiveError(err.code, err.message);
  }
  return undefined;
}

/**
 * One owner of tasks: an MCP session reached through both replicas, under one session id (sessions are
 * stateless across replicas). Each request goes to the next replica in turn and, when a component is
 * away, is tried again on the other one until its deadline. The client declares elicitation and
 * confirms every question, which only `purge_decisions` asks.
 */
export class ChaosOwner {
  private clients: TestClient[] = [];
  private turn = 0;
  /** Requests that had to be sent again because a replica, a worker or Temporal was away. */
  retries = 0;

  private constructor(
    readonly name: string,
    private readonly urls: readonly string[],
  ) {}

  /** Opens the session on whichever replica answers first, then attaches the other replica to it. */
  static async open(name: string, urls: readonly string[], deadline: number): Promise<ChaosOwner> {
    const owner = new ChaosOwner(name, urls);
    const first = await retryUntil(deadline, async (attempt) => owner.connect(urls[attempt % urls.length]!));
    owner.clients.push(first);
    for (const url of urls.slice(1)) {
      owner.clients.push(await retryUntil(deadline, async () => owner.connect(url, first.sessionId())));
    }
    return owner;
  }

  sessionId(): string {
    return this.clients[0]?.sessionId() ?? '';
  }

  private connect(url: string, sessionId?: string): Promise<TestClient> {
    return connectMcpWithElicitation(url, () => ({ action: 'accept', content: { confirmed: true } }), {
      sessionId,
      // Questions then come on `tasks/result` streams only, which the owner opens when it wants to answer.
      standaloneStream: false,
    });
  }

  /**
   * Sends `send` to the replicas in turn until it gets an answer or a definitive error (thrown as a
   * {@link DefinitiveError}), or `deadline` passes (the last outage error is thrown).
   */
  request<T>(deadline: number, send: (client: Client) => Promise<T>): Promise<T> {
    return retryUntil(deadline, async (attempt) => {
      if (attempt > 0) this.retries++;
      const client = this.clients[this.turn++ % this.clients.length]!;
      return send(client.client);
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.clients.map((client) => client.close()));
  }
}

/** Calls `attempt` until it resolves, throws a definitive error, or `deadline` passes; backs off up to 1 s. */
async function retryUntil<T>(deadline: number, attempt: (index: number) => Promise<T>): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (err) {
      const answer = definitive(err);
      if (answer) throw answer;
      if (Date.now() > deadline) throw err;
      // The first retry goes straight to the other replica; later ones wait for a restart.
      if (index > 0) await sleep(Math.min(1000, 100 * index));
    }
  }
}
