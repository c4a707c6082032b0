import { connect, createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import type { GrpcRetryOptions } from '@temporalio/client';
import { closableGrpcRetryInterceptor } from '../../src/temporal/closable-grpc-retry';
import { freePort } from '../helpers/ports';

/** gRPC status UNAVAILABLE: what a call to a port nobody listens on fails with (retryable). */
const UNAVAILABLE = 14;

/**
 * Retry options that retry every failure after `delayMs`, and resolve `waiting` the first time a
 * call starts waiting for its next attempt.
 */
function retryOptions(delayMs: number): { options: GrpcRetryOptions; waiting: Promise<void> } {
  let markWaiting: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (markWaiting = resolve));
  return {
    waiting,
    options: {
      retryableDecider: (attempt) => attempt < 10,
      delayFunction: () => {
        markWaiting();
        return delayMs;
      },
    },
  };
}

/** A connection to a port nobody listens on, so that every attempt fails with UNAVAILABLE. */
async function unreachableConnection(options: GrpcRetryOptions): Promise<Connection> {
  return Connection.lazy({
    address: `127.0.0.1:${await freePort()}`,
    interceptors: [closableGrpcRetryInterceptor(options)],
  });
}

describe('closableGrpcRetryInterceptor', () => {
  it('ends a call that waits for its next attempt with its last status when the connection closes', async () => {
    const { options, waiting } = retryOptions(300);
    const connection = await unreachableConnection(options);
    const call = connection.workflowService.getSystemInfo({});
    const outcome = call.then(
      () => 'resolved',
      (err: { code?: number }) => err.code,
    );
    await waiting;
    await connection.close();
    // The next attempt comes due on a closed channel: the call fails, nothing is thrown from the timer.
    expect(await outcome).toBe(UNAVAILABLE);
  });

  it('ends an aborted call at once instead of after its next attempt', async () => {
    const { options, waiting } = retryOptions(60_000);
    const connection = await unreachableConnection(options);
    const abort = new AbortController();
    const call = connection.withAbortSignal(abort.signal, () => connection.workflowService.getSystemInfo({}));
    const outcome = call.then(
      () => 'resolved',
      () => 'rejected',
    );
    await waiting;
    const abortedAt = Date.now();
    abort.abort();
    expect(await outcome).toBe('rejected');
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    await connection.close();
  });

  it('retries until the server answers, then passes the answer on', async () => {
    const temporal = process.env.TEST_TEMPORAL_ADDRESS;
    if (!temporal) throw new Error('TEST_TEMPORAL_ADDRESS is not set: the jest global setup did not run');
    const [temporalHost, temporalPort] = temporal.split(':');
    const port = await freePort();
    const { options, waiting } = retryOptions(200);
    const connection = Connection.lazy({
      address: `127.0.0.1:${port}`,
      interceptors: [closableGrpcRetryInterceptor(options)],
    });
    const call = connection.workflowService.getSystemInfo({});
    // The first attempt failed; from now on the port leads to the Temporal server.
    await waiting;
    const proxy = createServer((socket) => {
      const upstream = connect(Number(temporalPort), temporalHost);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      const info = await call;
      expect(info.capabilities).toBeDefined();
    } finally {
      await connection.close();
      proxy.close();
    }
  });
});
