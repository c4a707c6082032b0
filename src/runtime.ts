import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Installs Temporal's runtime once per process: its logger (stderr, level from `LOG_LEVEL`, default
 * INFO) and no signal handling of its own, so that the entry point's shutdown stops the parts in order.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env): void {
  const level = (env.LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel;
  if (!LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
}
