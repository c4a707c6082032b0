import { appendFileSync } from 'node:fs';
import { formatWithOptions } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry, type TelemetryOptions } from '@temporalio/worker';
import { logLevelFromEnv, type Logger } from './ops/logger';

export interface InstallRuntimeOptions {
  /**
   * Append the log (worker states, workflow bundling, activity messages) to this file instead of
   * writing it to stderr. Tests use it to keep their console readable.
   */
  logFile?: string;
  /** Where the runtime's messages go, as JSON lines, when there is no `logFile`. @default Temporal's plain stderr lines */
  logger?: Logger;
}

/**
 * Installs Temporal's runtime once per process: its logger (level from `LOG_LEVEL`, default INFO), no
 * signal handling of its own, so that the entry point's shutdown stops the parts in order, and the
 * SDK's own Prometheus metrics at `TEMPORAL_METRICS_ADDRESS` (`host:port`, served at `/metrics`) when set.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env, options: InstallRuntimeOptions = {}): void {
  const level = logLevelFromEnv(env);
  const metricsAddress = env.TEMPORAL_METRICS_ADDRESS || undefined;
  const metrics: TelemetryOptions['metrics'] = metricsAddress
    ? { prometheus: { bindAddress: metricsAddress } }
    : undefined;
  if (options.logFile === undefined) {
    const logger = options.logger;
    Runtime.install({
      logger: new DefaultLogger(level, logger && forwardTo(logger)),
      shutdownSignals: [],
      telemetryOptions: {
        ...(metrics && { metrics }),
        // Without forwarding, the native core prints its own lines, which are not JSON.
        ...(logger && {
          logging: { filter: { core: level === 'TRACE' ? 'TRACE' : 'WARN', other: 'ERROR' }, forward: {} },
        }),
      },
    });
    return;
  }
  Runtime.install({
    logger: new DefaultLogger(level, appendTo(options.logFile)),
    shutdownSignals: [],
    // The native core prints its own messages to the console unless they are forwarded to the logger.
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(metrics && { metrics }),
    },
  });
}

/** A log function that writes each runtime entry as one JSON line of `logger`. */
function forwardTo(logger: Logger): (entry: LogEntry) => void {
  return ({ level, message, meta }) => {
    const fields = { event: 'temporal', ...meta };
    if (level === 'ERROR') logger.error(fields, message);
    else if (level === 'WARN') logger.warn(fields, message);
    else if (level === 'INFO') logger.info(fields, message);
    else if (level === 'DEBUG') logger.debug(fields, message);
    else logger.trace(fields, message);
  };
}

/** A log function that appends one line per entry to `file` (synchronously, so no line is lost on exit). */
function appendTo(file: string): (entry: LogEntry) => void {
  return ({ level, timestampNanos, message, meta }) => {
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    const details = meta === undefined ? '' : ` ${formatWithOptions({ breakLength: Infinity, depth: 4 }, meta)}`;
    appendFileSync(file, `${time} [${level}] ${message}${details}\n`);
  };
}
