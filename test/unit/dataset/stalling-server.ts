import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server whose sources stop sending and keep the connection open. */
export interface StallingServer {
  /**
   * A URL that answers 200 with `body` and then sends nothing more; with `body` undefined, a URL that
   * never even sends its response headers. `name` carries the extension that tells the format.
   */
  urlFor(name: string, body?: string): string;
  /** `http://127.0.0.1:<port>`, for the URL policy that lets the tests reach it. */
  origin: string;
  /** Resolves once the reader has closed its connection to `name`: the download really stopped. */
  closed(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link StallingServer} on a free loopback port. */
export async function startStallingServer(): Promise<StallingServer> {
  const bodies = new Map<string, string | undefined>();
  const closed = new Map<string, Promise<void>>();
  const onClose = new Map<string, () => void>();
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
    if (!bodies.has(name)) {
      res.writeHead(404).end();
      return;
    }
    req.socket.once('close', () => onClose.get(name)?.());
    const body = bodies.get(name);
    if (body === undefined) return;
    // No content-length: the reader cannot tell that the body is over, as with a server that hung.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    urlFor(name, body) {
      bodies.set(name, body);
      closed.set(name, new Promise((resolve) => onClose.set(name, resolve)));
      return `http://127.0.0.1:${port}/${name}`;
    },
    closed: (name) => closed.get(name) ?? Promise.reject(new Error(`no source ${name}`)),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Cancels the way Temporal does: a cancel request is only delivered to the activity in answer to its
 * next heartbeat. Call `onHeartbeat` from the environment's heartbeat listener.
 */
export class HeartbeatDeliveredCancel {
  private requestedAt: number | undefined;
  private delivered = false;

  /** Milliseconds since {@link request}, for asserting that the cancellation arrived promptly. */
  get sinceRequest(): number {
    return this.requestedAt === undefined ? NaN : Date.now() - this.requestedAt;
  }

  /** Asks for the cancellation; it reaches the activity on its next heartbeat. */
  request(): void {
    this.requestedAt = Date.now();
  }

  onHeartbeat(env: { cancel(): void }): void {
    if (this.requestedAt === undefined || this.delivered) return;
    this.delivered = true;
    env.cancel();
  }
}

/** Resolves or rejects like `promise`, or rejects naming `what` when `timeoutMs` passes first. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
