import type { Logger } from './ops/logger';

/** How long a shutdown may take before the process exits anyway. @default 15_000 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * `SHUTDOWN_TIMEOUT_MS` from the environment: how long an entry point's orderly shutdown may take
 * before it exits anyway (a worker draining activities it can no longer report, a Temporal server that
 * is already gone). Throws on anything but a positive integer.
 */
export function shutdownTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SHUTDOWN_TIMEOUT_MS;
  if (raw === undefined || raw === '') return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`SHUTDOWN_TIMEOUT_MS must be a positive number of milliseconds, got "${raw}"`);
  }
  return value;
}

export interface ShutdownOptions {
  /** Exit with code 1 when `stop` has not finished after this long. */
  timeoutMs: number;
  /** Where the shutdown's lines go (JSON). @default plain lines on stderr */
  logger?: Logger;
}

/**
 * Runs `stop` once on the first SIGINT or SIGTERM (or when the returned function is called), then
 * exits 0, or 1 if it failed; a second signal exits at once, and so does the deadline: a shutdown that
 * hangs (e.g. on a Temporal server that is gone) never keeps the process alive past `timeoutMs`.
 * Temporal's runtime would otherwise shut the worker down on these signals by itself.
 */
export function onShutdownSignal(stop: () => Promise<void>, options: ShutdownOptions): (reason: string) => void {
  let stopping = false;
  const say = (level: 'info' | 'error', message: string): void => {
    if (options.logger) options.logger[level]({ event: 'shutdown' }, message);
    else process.stderr.write(`${message}\n`);
  };
  const shutdown = (reason: string): void => {
    if (stopping) process.exit(130);
    stopping = true;
    say('info', `${reason}: shutting down`);
    setTimeout(() => {
      say('error', `Shutdown did not finish within ${options.timeoutMs} ms (SHUTDOWN_TIMEOUT_MS): exiting`);
      process.exit(1);
    }, options.timeoutMs);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        say('error', `Shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return shutdown;
}
