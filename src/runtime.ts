import { appendFileSync } from 'node:fs';
import { formatWithOptions } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export interface InstallRuntimeOptions {
  /**
   * Append the log (worker states, workflow bundling, activity messages) to this file instead of
   * writing it to stderr. Tests use it to keep their console readable.
   */
  logFile?: string;
}

/**
 * Installs Temporal's runtime once per process: its logger (stderr, level from `LOG_LEVEL`, default
 * INFO) and no signal handling of its own, so that the entry point's shutdown stops the parts in order.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env, options: InstallRuntimeOptions = {}): void {
  const level = (env.LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel;
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  if (options.logFile === undefined) {
    Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
    return;
  }
  Runtime.install({
    logger: new DefaultLogger(level, appendTo(options.logFile)),
    shutdownSignals: [],
    // The native core prints its own messages to the console unless they are forwarded to the logger.
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}

/** A log function that appends one line per entry to `file` (synchronously, so no line is lost on exit). */
function appendTo(file: string): (entry: LogEntry) => void {
  return ({ level, timestampNanos, message, meta }) => {
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    const details = meta === undefined ? '' : ` ${formatWithOptions({ breakLength: Infinity, depth: 4 }, meta)}`;
    appendFileSync(file, `${time} [${level}] ${message}${details}\n`);
  };
}
