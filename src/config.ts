import path from 'node:path';
import { parseUrlHostRules, type UrlSourcePolicy } from '../activities/common/url-policy';
import { DEFAULT_DATA_LIMITS, MAX_RESULT_BYTES_LIMIT, type DataLimits } from '../activities/common/data-limits';

/** Port of the MCP HTTP server when `MCP_PORT` is not set; the `mcp-tasks` command's default too. */
export const DEFAULT_MCP_PORT = 3000;

/** Where the product finds its Temporal server. */
export type TemporalTarget =
  | { kind: 'embedded'; grpcPort: number; uiPort: number; dbFile: string; namespace: string }
  | { kind: 'external'; address: string; namespace: string };

/** Limits and defaults that apply to every task. All durations are milliseconds unless named otherwise. */
export interface TaskLimits {
  /** TTL applied when the client asks for none. @default 3_600_000 (1 hour) */
  defaultTtlMs: number;
  /** Largest TTL a client may ask for; larger requests are clamped to it. @default 86_400_000 (24 hours) */
  maxTtlMs: number;
  /** Suggested delay between two `tasks/get` polls. @default 1000 */
  pollIntervalMs: number;
  /** Page size of `tasks/list`. @default 20 */
  listPageSize: number;
  /** Tasks one owner may have running at once; more are refused with -32603. @default 100 */
  maxRunningTasksPerOwner: number;
  /** Tasks all owners together may have running at once (cluster-wide); more are refused with -32603. @default 10_000 */
  maxRunningTasks: number;
  /** Tasks one owner may create per minute (per MCP server process); more are refused with -32603. @default 120 */
  createRatePerMinute: number;
  /** Task requests (get, result, list, cancel) one owner may make per minute (per process). @default 1200 */
  requestRatePerMinute: number;
  /**
   * How long one `elicitation/create` waits for the client's answer before the same question is asked
   * again on the same stream. A slow human never fails the task or the request. @default 600_000
   */
  elicitationTimeoutMs: number;
  /** Largest validated arguments of one tool call, in bytes of JSON; larger calls get −32602. @default 524_288 */
  maxArgumentBytes: number;
  /** Longest string `progressToken` accepted on a tool call; longer calls get −32602. @default 256 */
  maxProgressTokenChars: number;
  /** Largest content of an answer to a task's question, in bytes of JSON; a larger one is refused and the question asked again. @default 65_536 */
  maxAnswerBytes: number;
  /** Tasks one session's notifier watches at once; past it the quietest stops being watched. @default 100 */
  maxWatchedTasks: number;
  /** Longest wait between two notifier reads of a task that keeps not changing. @default 30_000 */
  maxNotifyIntervalMs: number;
}

/** Where the keys that sign access tokens are found. */
export type JwksSource = { kind: 'url'; url: string } | { kind: 'file'; file: string };

/**
 * OAuth 2.1 resource-server settings: the MCP endpoint accepts only bearer JWTs that this issuer
 * signed for this server. Present only when `MCP_AUTH_ISSUER` is set.
 */
export interface AuthConfig {
  /** The `iss` every token must carry, exactly. */
  issuer: string;
  /** The issuer's signing keys (`MCP_AUTH_JWKS_URL` or `MCP_AUTH_JWKS_FILE`). */
  jwks: JwksSource;
  /** A value the token's `aud` must contain. @default the server's public URL */
  audience: string | undefined;
  /** Authorization servers named in the protected-resource metadata. @default [issuer] */
  authorizationServers: string[];
  /** Scopes every token must carry (`scope` or `scp` claim); a token without them gets 403. @default [] */
  requiredScopes: string[];
  /**
   * The claim that names a principal's tenant, whose project memory it shares; a token without it is
   * refused. @default 'sub' (every principal its own tenant)
   */
  tenantClaim: string;
}

/** The product's configuration, read once from the environment by {@link loadConfig}. */
export interface Config {
  /** Interface the MCP HTTP server binds to. @default '127.0.0.1' */
  mcpHost: string;
  /** Port of the MCP HTTP server; 0 picks a free one. @default 3000 */
  mcpPort: number;
  /** The URL clients reach `/mcp` at (behind a proxy, its public address). @default `http://MCP_HOST:MCP_PORT/mcp` */
  publicUrl: string | undefined;
  /** Token verification; undefined serves without authentication (owner = session, loopback only). */
  auth: AuthConfig | undefined;
  /** Serve without authentication on a non-loopback interface all the same. @default false */
  allowUnauthenticated: boolean;
  /** Root of everything the product stores on disk. @default './.data' */
  dataDir: string;
  /** Roots that dataset paths may resolve into; `DATA_DIR/datasets` is always first. */
  datasetRoots: string[];
  /**
   * Which `http(s)://` dataset and import sources may be fetched (`DATASET_URL_HOSTS`; none by default),
   * the most bytes one may send (`DATASET_URL_MAX_BYTES`, default 1 GiB) and how long connecting and
   * receiving its headers may take (`DATASET_URL_TIMEOUT_SECONDS`, default 30).
   */
  urlSources: UrlSourcePolicy;
  /**
   * What one task may consume and return: `DATASET_MAX_COLUMNS`, `DATASET_MAX_RECORD_BYTES`,
   * `DATASET_MAX_DISTINCT_VALUES`, `TOOL_RESULT_MAX_BYTES`, `MEMORY_VALUE_MAX_CHARS`.
   */
  dataLimits: DataLimits;
  /** How long a dataset or import source may send nothing before the attempt fails, in seconds. @default 300 */
  sourceStallTimeoutSeconds: number;
  temporal: TemporalTarget;
  /** Task queue shared by the MCP server (starting workflows) and the worker. @default 'mcp-tasks' */
  taskQueue: string;
  /** Owner scope of tasks created over stdio. @default 'local' */
  stdioScope: string;
  /** Secret that signs session ids so that a restarted server can accept them; generated under DATA_DIR when unset. */
  sessionSecret: string | undefined;
  /** Idle time after which an HTTP session's in-memory transport is dropped (the session can still be resumed). @default 1_800_000 */
  sessionIdleMs: number;
  /** Most MCP sessions held in memory at once. @default 1000 */
  maxSessions: number;
  /** Sessions one principal (or client address without authentication) may hold in one process. @default 50 */
  maxSessionsPerOwner: number;
  /** Age after which a session id is refused (404), in seconds. @default 86400 */
  sessionMaxAgeSeconds: number;
  /** Origins (`scheme://host[:port]`) whose pages may call `/mcp`; a request with another Origin gets 403. @default [] */
  allowedOrigins: string[];
  limits: TaskLimits;
  /** Where audit events (task created, fetched, cancelled, answered) go. @default 'stderr' */
  auditLog: 'stderr' | 'off';
  /** How often the Temporal Schedule deletes expired tasks, in seconds. @default 300 */
  cleanupIntervalSeconds: number;
  /** Per-tool time limits in seconds, overriding each tool's default (`TOOL_TIME_LIMITS=analyze_dataset=600,...`). */
  toolTimeLimitsSeconds: Record<string, number>;
  /** Days an `export_memory` file is kept before the worker deletes it. @default 7 */
  exportRetentionDays: number;
  /**
   * PostgreSQL database of the project memory (`DATABASE_URL`, `postgres://` or `postgresql://`), shared
   * by workers on many hosts. @default undefined (SQLite in `DATA_DIR/memory.db`)
   */
  databaseUrl: string | undefined;
  /**
   * The operator's port (`/healthz`, `/readyz`, `/metrics`, without authentication), for the worker
   * process and for scraping a server that requires tokens. @default undefined (not served)
   */
  healthPort: number | undefined;
  /** Interface of the operator's port. @default '127.0.0.1' */
  healthHost: string;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return value;
}

function boundedInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = intFromEnv(env, name, fallback, min);
  if (value > max) throw new Error(`${name} must be at most ${max}, got "${env[name]}"`);
  return value;
}

function timeLimitsFromEnv(raw: string | undefined): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const entry of (raw ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const [tool, seconds] = entry.split('=').map((part) => part.trim());
    const value = Number(seconds);
    if (!tool || !Number.isInteger(value) || value < 1) {
      throw new Error(`TOOL_TIME_LIMITS entries look like tool_name=seconds, got "${entry}"`);
    }
    limits[tool] = value;
  }
  return limits;
}

function auditLogFromEnv(raw: string | undefined): 'stderr' | 'off' {
  if (raw === undefined || raw === '' || raw === 'stderr') return 'stderr';
  if (raw === 'off') return 'off';
  throw new Error(`AUDIT_LOG must be stderr or off, got "${raw}"`);
}

/** A comma- or space-separated list; empty entries are dropped. */
function listFromEnv(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
}

function boolFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function urlFromEnv(name: string, raw: string, options: { httpOnLoopbackOnly?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  }
  // Keys fetched over plain HTTP could be swapped on the way; only a local key server may skip TLS.
  if (options.httpOnLoopbackOnly && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`${name} must use https (http is accepted for a loopback host only), got "${raw}"`);
  }
  return raw;
}

/** Whether `host` (a name or an address, IPv6 with or without brackets) is this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

function originsFromEnv(raw: string | undefined): string[] {
  const origins = listFromEnv(raw);
  for (const origin of origins) {
    let normalized: string | undefined;
    try {
      normalized = new URL(origin).origin;
    } catch {
      normalized = undefined;
    }
    if (normalized !== origin) {
      throw new Error(
        `MCP_ALLOWED_ORIGINS entries are origins like https://app.example.com (no path), got "${origin}"`,
      );
    }
  }
  return origins;
}

const AUTH_VARIABLES = [
  'MCP_AUTH_JWKS_URL',
  'MCP_AUTH_JWKS_FILE',
  'MCP_AUTH_AUDIENCE',
  'MCP_AUTH_AUTHORIZATION_SERVERS',
  'MCP_AUTH_REQUIRED_SCOPES',
] as const;

function authFromEnv(env: NodeJS.ProcessEnv): AuthConfig | undefined {
  const issuer = env.MCP_AUTH_ISSUER;
  if (!issuer) {
    // A half-configured auth would silently serve without it: refuse instead.
    const stray = AUTH_VARIABLES.filter((name) => env[name]);
    if (stray.length > 0) throw new Error(`${stray.join(', ')} set without MCP_AUTH_ISSUER: set the issuer too`);
    return undefined;
  }
  const { MCP_AUTH_JWKS_URL: jwksUrl, MCP_AUTH_JWKS_FILE: jwksFile } = env;
  if (!jwksUrl === !jwksFile) {
    throw new Error('MCP_AUTH_ISSUER needs exactly one of MCP_AUTH_JWKS_URL and MCP_AUTH_JWKS_FILE');
  }
  const jwks: JwksSource = jwksUrl
    ? { kind: 'url', url: urlFromEnv('MCP_AUTH_JWKS_URL', jwksUrl, { httpOnLoopbackOnly: true }) }
    : { kind: 'file', file: path.resolve(jwksFile!) };
  const authorizationServers = listFromEnv(env.MCP_AUTH_AUTHORIZATION_SERVERS);
  for (const server of authorizationServers) urlFromEnv('MCP_AUTH_AUTHORIZATION_SERVERS', server);
  return {
    issuer,
    jwks,
    audience: env.MCP_AUTH_AUDIENCE || undefined,
    authorizationServers: authorizationServers.length > 0 ? authorizationServers : [issuer],
    requiredScopes: listFromEnv(env.MCP_AUTH_REQUIRED_SCOPES),
    tenantClaim: env.MCP_AUTH_TENANT_CLAIM || 'sub',
  };
}

/** `DATABASE_URL`: a PostgreSQL URL with a host and a database, or nothing. */
function databaseUrlFromEnv(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Never echo the value: it usually carries a password.
  if (url === undefined || (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')) {
    throw new Error(
      'DATABASE_URL must be a postgres:// or postgresql:// URL (postgresql://user:password@host:5432/database)',
    );
  }
  if (url.hostname === '' || url.pathname.length <= 1) {
    throw new Error('DATABASE_URL must name a host and a database (postgresql://user:password@host:5432/database)');
  }
  return raw;
}

/**
 * Parses the environment into a {@link Config}. Throws with the variable's name on a bad value, so a
 * misconfigured process stops at start-up rather than misbehaving later.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (env.ALLOW_URL_SOURCES !== undefined) {
    // Silently ignoring it would turn URL sources off (or leave an operator believing they are off).
    throw new Error('ALLOW_URL_SOURCES was replaced by DATASET_URL_HOSTS (the hosts URL sources may reach)');
  }
  const dataDir = path.resolve(env.DATA_DIR || './.data');
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const grpcPort = intFromEnv(env, 'TEMPORAL_PORT', 7233, 1);
  const extraRoots = (env.DATASET_ROOTS ?? '')
    .split(path.delimiter)
    .filter((root) => root.trim() !== '')
    .map((root) => path.resolve(root));
  const defaultTtlMs = intFromEnv(env, 'TASK_DEFAULT_TTL_MS', 3_600_000, 1);
  const maxTtlMs = intFromEnv(env, 'TASK_MAX_TTL_MS', 86_400_000, 1);
  if (defaultTtlMs > maxTtlMs) throw new Error('TASK_DEFAULT_TTL_MS must not exceed TASK_MAX_TTL_MS');
  return {
    mcpHost: env.MCP_HOST || '127.0.0.1',
    mcpPort: intFromEnv(env, 'MCP_PORT', DEFAULT_MCP_PORT),
    publicUrl: env.MCP_PUBLIC_URL ? urlFromEnv('MCP_PUBLIC_URL', env.MCP_PUBLIC_URL) : undefined,
    auth: authFromEnv(env),
    allowUnauthenticated: boolFromEnv(env, 'MCP_ALLOW_UNAUTHENTICATED', false),
    dataDir,
    datasetRoots: [path.join(dataDir, 'datasets'), ...extraRoots],
    urlSources: {
      hosts: parseUrlHostRules(listFromEnv(env.DATASET_URL_HOSTS)),
      maxBytes: intFromEnv(env, 'DATASET_URL_MAX_BYTES', 1024 ** 3, 1),
      timeoutMs: intFromEnv(env, 'DATASET_URL_TIMEOUT_SECONDS', 30, 1) * 1000,
    },
    dataLimits: {
      maxColumns: intFromEnv(env, 'DATASET_MAX_COLUMNS', DEFAULT_DATA_LIMITS.maxColumns, 1),
      maxRecordBytes: intFromEnv(env, 'DATASET_MAX_RECORD_BYTES', DEFAULT_DATA_LIMITS.maxRecordBytes, 1024),
      maxDistinctValues: intFromEnv(env, 'DATASET_MAX_DISTINCT_VALUES', DEFAULT_DATA_LIMITS.maxDistinctValues, 1),
      maxResultBytes: boundedInt(
        env,
        'TOOL_RESULT_MAX_BYTES',
        DEFAULT_DATA_LIMITS.maxResultBytes,
        10_000,
        MAX_RESULT_BYTES_LIMIT,
      ),
      maxStoredTextChars: boundedInt(env, 'MEMORY_VALUE_MAX_CHARS', DEFAULT_DATA_LIMITS.maxStoredTextChars, 1, 10_000),
    },
    sourceStallTimeoutSeconds: intFromEnv(env, 'SOURCE_STALL_TIMEOUT_SECONDS', 300, 1),
    temporal: env.TEMPORAL_ADDRESS
      ? { kind: 'external', address: env.TEMPORAL_ADDRESS, namespace }
      : {
          kind: 'embedded',
          grpcPort,
          uiPort: intFromEnv(env, 'TEMPORAL_UI_PORT', 8233, 1),
          dbFile: path.join(dataDir, 'temporal.db'),
          namespace,
        },
    taskQueue: env.TASK_QUEUE || 'mcp-tasks',
    stdioScope: env.MCP_STDIO_SCOPE || 'local',
    sessionSecret: env.MCP_SESSION_SECRET || undefined,
    sessionIdleMs: intFromEnv(env, 'MCP_SESSION_IDLE_MS', 1_800_000, 1000),
    maxSessions: intFromEnv(env, 'MCP_MAX_SESSIONS', 1000, 1),
    maxSessionsPerOwner: intFromEnv(env, 'MCP_MAX_SESSIONS_PER_OWNER', 50, 1),
    sessionMaxAgeSeconds: intFromEnv(env, 'MCP_SESSION_MAX_AGE_SECONDS', 86_400, 1),
    allowedOrigins: originsFromEnv(env.MCP_ALLOWED_ORIGINS),
    limits: {
      defaultTtlMs,
      maxTtlMs,
      pollIntervalMs: intFromEnv(env, 'TASK_POLL_INTERVAL_MS', 1000, 100),
      listPageSize: intFromEnv(env, 'TASK_LIST_PAGE_SIZE', 20, 1),
      maxRunningTasksPerOwner: intFromEnv(env, 'TASK_MAX_RUNNING_PER_OWNER', 100, 1),
      maxRunningTasks: intFromEnv(env, 'TASK_MAX_RUNNING', 10_000, 1),
      createRatePerMinute: intFromEnv(env, 'TASK_CREATE_RATE_PER_MINUTE', 120, 1),
      requestRatePerMinute: intFromEnv(env, 'TASK_REQUEST_RATE_PER_MINUTE', 1200, 1),
      elicitationTimeoutMs: intFromEnv(env, 'ELICITATION_TIMEOUT_MS', 600_000, 100),
      maxArgumentBytes: boundedInt(env, 'TOOL_ARGUMENTS_MAX_BYTES', 524_288, 1024, 1_000_000),
      maxProgressTokenChars: intFromEnv(env, 'PROGRESS_TOKEN_MAX_CHARS', 256, 1),
      maxAnswerBytes: boundedInt(env, 'ELICITATION_ANSWER_MAX_BYTES', 65_536, 1024, 1_000_000),
      maxWatchedTasks: boundedInt(env, 'TASK_NOTIFY_MAX_WATCHED', 100, 1, 10_000),
      maxNotifyIntervalMs: boundedInt(env, 'TASK_NOTIFY_MAX_INTERVAL_MS', 30_000, 100, 3_600_000),
    },
    toolTimeLimitsSeconds: timeLimitsFromEnv(env.TOOL_TIME_LIMITS),
    cleanupIntervalSeconds: intFromEnv(env, 'TASK_CLEANUP_INTERVAL_SECONDS', 300, 1),
    auditLog: auditLogFromEnv(env.AUDIT_LOG),
    exportRetentionDays: intFromEnv(env, 'EXPORT_RETENTION_DAYS', 7, 1),
    databaseUrl: databaseUrlFromEnv(env.DATABASE_URL),
    healthPort: env.HEALTH_PORT ? intFromEnv(env, 'HEALTH_PORT', 0) : undefined,
    healthHost: env.HEALTH_HOST || '127.0.0.1',
  };
}
