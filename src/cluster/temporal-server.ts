import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/definitions';
import { OWN_SERVER_DYNAMIC_CONFIG } from '../temporal/server-settings';
import type { Component } from './detached';
import { isLive, logTail } from './detached';

const run = promisify(execFile);

/** How the Temporal server reaches PostgreSQL. */
export interface SqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The two databases Temporal keeps: its persistence and its (SQL) visibility store. */
export const TEMPORAL_DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;

/** Retention of closed workflows, as on the embedded dev server: TTLs, not retention, decide. */
const RETENTION = '168h';

/** `user:password@host:port` of a `postgresql://` URL. */
export function sqlEndpointFromUrl(url: string): SqlEndpoint {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

export interface TemporalConfigFiles {
  configFile: string;
  dynamicConfigFile: string;
}

/**
 * Writes the server's config (PostgreSQL persistence with the `postgres12` plugin, SQL visibility on
 * the same PostgreSQL, every service on loopback from `frontendPort` on, no metrics or pprof ports)
 * and its dynamic config. JSON is valid YAML, which the server reads.
 */
export function writeTemporalConfig(dir: string, frontendPort: number, sql: SqlEndpoint): TemporalConfigFiles {
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'temporal.yaml');
  const dynamicConfigFile = path.join(dir, 'dynamic-config.yaml');
  const datastore = (databaseName: string, maxConns: number): object => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${sql.host}:${sql.port}`,
      connectProtocol: 'tcp',
      user: sql.user,
      password: sql.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, extra: object = {}): object => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  const p = frontendPort;
  const config = {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': datastore(TEMPORAL_DATABASES.persistence, 20),
        'postgres-visibility': datastore(TEMPORAL_DATABASES.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(p, p + 4, { httpPort: p + 8 }),
      history: service(p + 1, p + 5),
      matching: service(p + 2, p + 6),
      worker: service(p + 3, p + 7),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${p}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
  const dynamic = {
    ...Object.fromEntries(Object.entries(OWN_SERVER_DYNAMIC_CONFIG).map(([key, value]) => [key, [{ value }]])),
    // Search attributes and namespaces registered at start-up are usable at once, not after a cache refresh.
    'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }],
    'system.namespaceCacheRefreshInterval': [{ value: '2s' }],
  };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(dynamicConfigFile, `${JSON.stringify(dynamic, null, 2)}\n`);
  return { configFile, dynamicConfigFile };
}

/**
 * Sets up or migrates both Temporal schemas with the SQL tool: `setup-schema -v 0.0` only creates the
 * version tables of a fresh database (it leaves a newer version alone), and `update-schema` applies
 * whatever versions the database lacks, so this is safe on every start.
 */
export async function setupTemporalSchemas(sqlTool: string, schemaDir: string, sql: SqlEndpoint): Promise<void> {
  for (const [database, folder] of [
    [TEMPORAL_DATABASES.persistence, 'temporal'],
    [TEMPORAL_DATABASES.visibility, 'visibility'],
  ] as const) {
    const connection = [
      '--plugin',
      'postgres12',
      '--endpoint',
      sql.host,
      '--port',
      String(sql.port),
      '--user',
      sql.user,
      '--password',
      sql.password,
      '--database',
      database,
    ];
    for (const command of [
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-d', path.join(schemaDir, folder, 'versioned')],
    ]) {
      try {
        await run(sqlTool, [...connection, ...command], { maxBuffer: 16 << 20 });
      } catch (err) {
        const { stdout, stderr } = err as { stdout?: string; stderr?: string };
        throw new Error(
          `temporal-sql-tool ${command[0]} on the ${database} database failed:\n${`${stderr ?? ''}${stdout ?? ''}`.trim().slice(-3000)}`,
        );
      }
    }
  }
}

/**
 * Waits until the frontend answers a health check, failing early (with the tail of its log) when the
 * server process exits.
 */
export async function waitForTemporal(
  cli: string,
  address: string,
  server: { pid: number; target: Component },
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isLive(server.pid, server.target.marker)) {
      throw new Error(
        `The Temporal server exited while starting. Its log (${server.target.logFile}):\n${logTail(server.target.logFile)}`,
      );
    }
    try {
      await run(cli, ['operator', 'cluster', 'health', '--address', address], { timeout: 10_000 });
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(
          `The Temporal server did not answer on ${address} within ${timeoutMs} ms. Its log (${server.target.logFile}):\n${logTail(server.target.logFile)}`,
        );
      }
      await sleep(500);
    }
  }
}

async function temporalCli(cli: string, args: string[]): Promise<string> {
  const { stdout } = await run(cli, args, { maxBuffer: 4 << 20, timeout: 30_000 });
  return stdout;
}

function failureText(err: unknown): string {
  const { stderr, message } = err as { stderr?: string; message?: string };
  return (stderr || message || String(err)).trim();
}

/** What {@link registerNamespace} sets up for `namespace`; a change of it (a product upgrade) registers again. */
export function namespaceRegistration(namespace: string): string {
  return JSON.stringify({ namespace, retention: RETENTION, searchAttributes: SEARCH_ATTRIBUTE_REGISTRATIONS });
}

/**
 * Registers `namespace` with the product's retention (or sets the retention of an existing one), then
 * the product's search attributes that it lacks. Retries while a fresh server is still settling.
 */
export async function registerNamespace(
  cli: string,
  address: string,
  namespace: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const retrying = async (what: string, step: () => Promise<void>): Promise<void> => {
    for (;;) {
      try {
        await step();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${what} on ${address} failed: ${failureText(err)}`);
        await sleep(500);
      }
    }
  };
  const common = ['--address', address, '--namespace', namespace];
  await retrying(`Registering the namespace ${namespace}`, async () => {
    try {
      await temporalCli(cli, ['operator', 'namespace', 'describe', ...common, '--output', 'json']);
    } catch (err) {
      if (!/not found/i.test(failureText(err))) throw err;
      await temporalCli(cli, ['operator', 'namespace', 'create', ...common, '--retention', RETENTION]);
      return;
    }
    await temporalCli(cli, ['operator', 'namespace', 'update', ...common, '--retention', RETENTION]);
  });
  await retrying(`Registering the search attributes in ${namespace}`, async () => {
    const listed = JSON.parse(
      await temporalCli(cli, ['operator', 'search-attribute', 'list', ...common, '--output', 'json']),
    ) as { customAttributes?: Record<string, unknown> };
    const existing = new Set(Object.keys(listed.customAttributes ?? {}));
    for (const registration of SEARCH_ATTRIBUTE_REGISTRATIONS) {
      const [name, type] = registration.split('=') as [string, string];
      if (existing.has(name)) continue;
      await temporalCli(cli, ['operator', 'search-attribute', 'create', ...common, '--name', name, '--type', type]);
    }
  });
}
