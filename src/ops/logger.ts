import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** `LOG_LEVEL` values (Temporal's names, any case) and the logger's levels they map to. */
const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/** The `LOG_LEVEL` of `env` (default INFO), checked. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): keyof typeof LEVELS {
  const level = (env.LOG_LEVEL || 'INFO').toUpperCase();
  if (!(level in LEVELS)) {
    throw new Error(`LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  return level as keyof typeof LEVELS;
}

export interface CreateLoggerOptions {
  /** Where the lines go. @default stderr (stdout stays clean for the stdio transport) */
  destination?: NodeJS.WritableStream;
}

/**
 * The product's logger: one JSON line per event on stderr, level from `LOG_LEVEL`. An MCP request's own
 * line carries its `correlationId`, the same id its audit events carry.
 */
export function createLogger(env: NodeJS.ProcessEnv = process.env, options: CreateLoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level: LEVELS[logLevelFromEnv(env)],
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
