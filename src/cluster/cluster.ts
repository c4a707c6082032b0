import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSessionSecret } from '../session-secret';
import { findTemporalCli, PROJECT_ROOT } from '../temporal/cli-path';
import { component, isLive, logTail, runningPid, spawnDetached, stopComponent, type Component } from './detached';
import { ensurePostgresInstalled, startPostgres, stopPostgres } from './postgres';
import { TEMPORAL_PORT_SPAN, type ClusterSettings } from './settings';
import { ensureTemporalBinaries } from './temporal-binaries';
import {
  namespaceRegistration,
  registerNamespace,
  setupTemporalSchemas,
  sqlEndpointFromUrl,
  TEMPORAL_DATABASES,
  waitForTemporal,
  writeTemporalConfig,
} from './temporal-server';

/** The database of the project memory, beside Temporal's two on the same PostgreSQL. */
export const MEMORY_DATABASE = 'mcp_memory';

/** Where a running cluster is reached; also written to `DATA_DIR/cluster/cluster.json`. */
export interface ClusterEndpoints {
  mcpUrls: [string, string];
  temporalAddress: string;
  postgresPort: number;
}

/** The processes of the cluster besides PostgreSQL, in start order. */
export interface ClusterComponents {
  temporal: Component;
  servers: [Component, Component];
  workers: [Component, Component];
}

const SERVER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'server.js');
const WORKER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'src', 'worker.js');

export function clusterComponents(settings: ClusterSettings): ClusterComponents {
  const dir = settings.clusterDir;
  return {
    // The config path is unique to this cluster, so another Temporal server is never taken for ours.
    temporal: component(dir, 'temporal', path.join(dir, 'temporal', 'temporal.yaml')),
    servers: [component(dir, 'mcp-a', SERVER_ENTRY), component(dir, 'mcp-b', SERVER_ENTRY)],
    workers: [component(dir, 'worker-1', WORKER_ENTRY), component(dir, 'worker-2', WORKER_ENTRY)],
  };
}

export function clusterEndpoints(settings: ClusterSettings): ClusterEndpoints {
  return {
    mcpUrls: [`http://127.0.0.1:${settings.mcpPort}/mcp`, `http://127.0.0.1:${settings.mcpPort + 1}/mcp`],
    temporalAddress: `127.0.0.1:${settings.temporalPort}`,
    postgresPort: settings.postgresPort,
  };
}

/** The line `cluster:up` prints once everything answers. */
export function readyLine(endpoints: ClusterEndpoints): string {
  return `Ready: mcp=${endpoints.mcpUrls.join(',')} temporal=${endpoints.temporalAddress}`;
}

export function postgresDataDir(settings: ClusterSettings): string {
  const inside = path.join(settings.clusterDir, 'postgres');
  if (process.getuid?.() !== 0 || othersCanPassThrough(path.dirname(path.resolve(settings.dataDir)))) return inside;
  // As root under a directory others cannot pass through (a 0700 home or temporary directory),
  // PostgreSQL's user could not reach DATA_DIR: its data lives in that user's home instead, one
  // folder per cluster, deleted with the rest by `cluster:down --purge`.
  const key = createHash('sha256').update(path.resolve(settings.clusterDir)).digest('hex').slice(0, 16);
  return path.join(POSTGRES_HOME_CLUSTERS, key);
}

/** Where PostgreSQL's data goes when its user cannot reach DATA_DIR (see {@link postgresDataDir}). */
const POSTGRES_HOME_CLUSTERS = '/var/lib/postgresql/mcp-tasks-clusters';

/** Whether every directory from `dir` up to the root has the search bit for others. */
function othersCanPassThrough(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (current === path.dirname(current)) return true;
  }
}

/** Whether PostgreSQL runs from the cluster's data directory (its postmaster.pid names a live postgres). */
function postgresRunning(settings: ClusterSettings): boolean {
  try {
    const pid = Number(readFileSync(path.join(postgresDataDir(settings), 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && isLive(pid, 'postgres');
  } catch {
    return false;
  }
}

/**
 * As root, PostgreSQL runs as its own user, which must be able to pass through DATA_DIR and
 * DATA_DIR/cluster to reach its data: they get the search bit for others (never read or write).
 */
function letPostgresReach(settings: ClusterSettings, say: (line: string) => void): void {
  mkdirSync(settings.clusterDir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  // Its parent must be passable by PostgreSQL's user, whose own home it is not.
  if (postgresDataDir(settings).startsWith(POSTGRES_HOME_CLUSTERS)) {
    mkdirSync(POSTGRES_HOME_CLUSTERS, { recursive: true, mode: 0o755 });
    return;
  }
  for (const dir of [settings.dataDir, settings.clusterDir]) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) !== 0) continue;
    chmodSync(dir, (mode & 0o7777) | 0o001);
    say(`${dir} made searchable by others (o+x), so that PostgreSQL's user reaches its data`);
  }
}

/** Names of the components that are not running. */
export function missingComponents(settings: ClusterSettings): string[] {
  const { temporal, servers, workers } = clusterComponents(settings);
  const missing = [temporal, ...servers, ...workers].filter((c) => runningPid(c) === undefined).map((c) => c.name);
  return postgresRunning(settings) ? missing : ['postgres', ...missing];
}

/** Whether something listens on `port` of 127.0.0.1 (a listen there fails with EADDRINUSE). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** The ports of 127.0.0.1 the cluster component `name` listens on (none for a worker). */
export function componentPorts(settings: ClusterSettings, name: string): number[] {
  if (name === 'temporal') return Array.from({ length: TEMPORAL_PORT_SPAN }, (_, i) => settings.temporalPort + i);
  const replica = clusterComponents(settings).servers.findIndex((server) => server.name === name);
  return replica >= 0 ? [settings.mcpPort + replica] : [];
}

/** Fails, naming the setting to change, when a port a component needs is taken by something else. */
async function refuseTakenPorts(ports: { port: number; setting: string; what: string }[]): Promise<void> {
  for (const { port, setting, what } of ports) {
    const taken = await portTaken(port);
    if (taken) {
      throw new Error(
        `Port ${port} on 127.0.0.1 (${what}) is already in use: stop what listens there, or set ${setting}`,
      );
    }
  }
}

/** Waits for a line starting with `Ready:` that `target` logged after byte `from` of its log. */
async function waitForReadyLine(target: Component, pid: number, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (/^Ready:/m.test(readFrom(target.logFile, from))) return;
    if (!isLive(pid, target.marker)) {
      throw new Error(`${target.name} exited while starting. Its log (${target.logFile}):\n${logTail(target.logFile)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${target.name} was not ready within ${timeoutMs} ms. Its log (${target.logFile}):\n${logTail(target.logFile)}`,
      );
    }
    await sleep(200);
  }
}

function readFrom(file: string, from: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(file).size;
    const buffer = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buffer, 0, buffer.length, from);
    return buffer.toString();
  } finally {
    closeSync(fd);
  }
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Starts whatever part of the cluster is not running: PostgreSQL, the Temporal server (schemas set up
 * or migrated, namespace and search attributes registered), two MCP replicas and two workers. Returns
 * the endpoints and whether everything was already running (then nothing was started).
 */
export async function upCluster(
  settings: ClusterSettings,
  say: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ endpoints: ClusterEndpoints; alreadyRunning: boolean }> {
  const endpoints = clusterEndpoints(settings);
  const missing = missingComponents(settings);
  if (missing.length === 0) return { endpoints, alreadyRunning: true };
  const components = clusterComponents(settings);
  const [serverA, serverB] = components.servers;
  await refuseTakenPorts([
    ...(missing.includes('postgres')
      ? [{ port: settings.postgresPort, setting: 'CLUSTER_POSTGRES_PORT', what: 'PostgreSQL' }]
      : []),
    ...missing.flatMap((name) =>
      componentPorts(settings, name).map((port) =>
        name === 'temporal'
          ? { port, setting: 'CLUSTER_TEMPORAL_PORT', what: 'the Temporal server' }
          : { port, setting: 'MCP_PORT', what: `MCP replica ${name}` },
      ),
    ),
  ]);
  if (!existsSync(SERVER_ENTRY) || !existsSync(WORKER_ENTRY)) {
    throw new Error(
      `The product is not built (${path.relative(PROJECT_ROOT, SERVER_ENTRY)} is missing): run npm run build`,
    );
  }

  const binaries = await ensureTemporalBinaries(say);
  const cli = findTemporalCli(env);

  await ensurePostgresInstalled();
  letPostgresReach(settings, say);
  const postgres = await startPostgres({
    dataDir: postgresDataDir(settings),
    port: settings.postgresPort,
    databases: [TEMPORAL_DATABASES.persistence, TEMPORAL_DATABASES.visibility, MEMORY_DATABASE],
    startTimeoutMs: settings.startTimeoutMs,
  });
  say(`PostgreSQL on 127.0.0.1:${settings.postgresPort} (data in ${postgres.dataDir})`);

  const sql = sqlEndpointFromUrl(postgres.url);
  let temporalPid = runningPid(components.temporal);
  const temporalWasRunning = temporalPid !== undefined;
  if (temporalPid === undefined) {
    await setupTemporalSchemas(binaries.sqlTool, await binaries.postgresSchemaDir(), sql);
    const { configFile } = writeTemporalConfig(path.join(settings.clusterDir, 'temporal'), settings.temporalPort, sql);
    temporalPid = spawnDetached(components.temporal, {
      command: binaries.server,
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      env: { PATH: env.PATH, HOME: env.HOME },
      cwd: settings.clusterDir,
    });
  }
  await waitForTemporal(
    cli,
    endpoints.temporalAddress,
    { pid: temporalPid, target: components.temporal },
    settings.startTimeoutMs,
  );
  // The registration lives in the Temporal server's database; restarting a replica or a worker next to
  // a running server that this cluster already registered need not ask again (several CLI calls).
  const registration = namespaceRegistration(settings.namespace);
  const registrationFile = path.join(settings.clusterDir, 'temporal', 'registered.json');
  if (!temporalWasRunning || readTextIfExists(registrationFile) !== registration) {
    await registerNamespace(cli, endpoints.temporalAddress, settings.namespace, settings.startTimeoutMs);
    writeFileSync(registrationFile, registration);
  }
  say(`Temporal server on ${endpoints.temporalAddress} (namespace ${settings.namespace})`);

  // The variables docker-compose.yml gives its MCP server and worker, with this machine's values.
  const productEnv: NodeJS.ProcessEnv = {
    ...env,
    TEMPORAL_ADDRESS: endpoints.temporalAddress,
    TEMPORAL_NAMESPACE: settings.namespace,
    MCP_HOST: '127.0.0.1',
    // Replicas must share it, so that a session opened on one is served by the other.
    MCP_SESSION_SECRET: loadSessionSecret(env.MCP_SESSION_SECRET, settings.clusterDir),
    DATA_DIR: settings.dataDir,
  };
  const started: { target: Component; pid: number; from: number }[] = [];
  const start = (target: Component, entry: string, extraEnv: NodeJS.ProcessEnv = {}): void => {
    if (runningPid(target) !== undefined) return;
    const from = logSize(target.logFile);
    const pid = spawnDetached(target, {
      command: process.execPath,
      args: [entry],
      env: { ...productEnv, ...extraEnv },
      cwd: PROJECT_ROOT,
    });
    started.push({ target, pid, from });
  };
  start(serverA, SERVER_ENTRY, { MCP_PORT: String(settings.mcpPort) });
  start(serverB, SERVER_ENTRY, { MCP_PORT: String(settings.mcpPort + 1) });
  // Only workers touch the project memory, so only they get its URL (and its password).
  for (const worker of components.workers)
    start(worker, WORKER_ENTRY, { DATABASE_URL: postgres.urlFor(MEMORY_DATABASE) });
  await Promise.all(
    started.map(({ target, pid, from }) => waitForReadyLine(target, pid, from, settings.startTimeoutMs)),
  );
  if (started.length > 0) say(`Started ${started.map(({ target }) => target.name).join(', ')}`);

  writeFileSync(path.join(settings.clusterDir, 'cluster.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
  return { endpoints, alreadyRunning: false };
}

/**
 * Stops the cluster: the MCP replicas and workers first (SIGTERM, SIGKILL after the grace period), then
 * the Temporal server, then PostgreSQL. With `purge`, deletes `DATA_DIR/cluster` (every task and the
 * memory database) afterwards.
 */
export async function downCluster(
  settings: ClusterSettings,
  options: { purge: boolean },
  say: (line: string) => void,
): Promise<void> {
  const { temporal, servers, workers } = clusterComponents(settings);
  const report = async (target: Component): Promise<void> => {
    const outcome = await stopComponent(target, settings.stopGraceMs);
    if (outcome !== 'not running')
      say(`${target.name}: ${outcome === 'killed' ? 'killed after the grace period' : 'stopped'}`);
  };
  await Promise.all([...servers, ...workers].map(report));
  await report(temporal);
  const wasRunning = postgresRunning(settings);
  await stopPostgres(postgresDataDir(settings));
  if (wasRunning) say('postgres: stopped');
  if (options.purge) {
    rmSync(settings.clusterDir, { recursive: true, force: true });
    rmSync(postgresDataDir(settings), { recursive: true, force: true });
    say(`Purged ${settings.clusterDir}`);
  }
}
