import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/definitions';
import { devServerDynamicConfigArgs } from './server-settings';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file that keeps every workflow across restarts. */
  dbFile: string;
  grpcPort: number;
  /** Port of the Temporal UI; undefined runs headless. */
  uiPort?: number;
  namespace: string;
  /** Interface to bind. @default '127.0.0.1' */
  ip?: string;
  /** How long to wait for the server to accept connections. @default 60_000 */
  startTimeoutMs?: number;
  /** Where the server's own output goes. @default 'ignore' */
  output?: 'inherit' | 'ignore';
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Retention of closed workflows; tasks are kept at most their TTL (max 24 h) and deleted by TTL. */
const RETENTION = '168h';

/** How much of the dev server's own output (both streams) is kept to explain a failed start. */
const OUTPUT_TAIL_CHARS = 4000;

/**
 * Starts `temporal server start-dev` on a persistent SQLite file with the product's search attributes
 * registered, and resolves once its gRPC port accepts connections. A port already taken is reported
 * before anything is spawned; a server that exits during start-up is reported with the tail of its own
 * output (both streams) and the settings that decide what it was given.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  await refuseTakenPort(ip, options.grpcPort, 'TEMPORAL_PORT', 'gRPC');
  if (options.uiPort !== undefined) await refuseTakenPort(ip, options.uiPort, 'TEMPORAL_UI_PORT', 'UI');
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    options.dbFile,
    '--ip',
    ip,
    '--port',
    String(options.grpcPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...devServerDynamicConfigArgs(),
    ...SEARCH_ATTRIBUTE_REGISTRATIONS.flatMap((registration) => ['--search-attribute', registration]),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer, echo: NodeJS.WriteStream): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    if (options.output === 'inherit') echo.write(chunk);
  };
  child.stdout?.on('data', (chunk: Buffer) => keep(chunk, process.stdout));
  child.stderr?.on('data', (chunk: Buffer) => keep(chunk, process.stderr));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // 'close' comes after the output streams are drained, so the report holds everything it printed.
  const closed = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`could not be run (${err.message}); set TEMPORAL_CLI_PATH to the CLI`));
    child.once('close', (code, signal) =>
      resolve(`exited with ${code === null ? `signal ${signal}` : `code ${code}`}`),
    );
  });
  // A process that exits without stopping the server (a shutdown past its deadline, a crash) still
  // asks it to stop, rather than leaving it running on the ports and the database.
  const stopOnExit = (): void => void child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));

  const address = `${ip}:${options.grpcPort}`;
  const failure = (what: string): Error =>
    new Error(
      `The Temporal dev server (${options.cliPath}) ${what}. Its output:\n${output.trim() || '(none)'}\n` +
        `It was given ${address} (TEMPORAL_PORT), ${options.uiPort === undefined ? 'no UI' : `UI port ${options.uiPort} (TEMPORAL_UI_PORT)`} ` +
        `and the database ${options.dbFile} (under DATA_DIR); or set TEMPORAL_ADDRESS to use a running Temporal server.`,
    );
  let ended: string | undefined;
  void closed.then((how) => (ended = how));
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (ended !== undefined) throw failure(ended);
    if (await canConnect(ip, options.grpcPort)) break;
    if (ended !== undefined) throw failure(ended);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw failure(`did not accept connections on ${address} within ${options.startTimeoutMs ?? 60_000} ms`);
    }
    await Promise.race([closed, sleep(200)]);
  }

  try {
    await setRetention(options.cliPath, address, options.namespace);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://${ip}:${options.uiPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Fails, naming the setting to change, when something already listens on `host:port`. */
async function refuseTakenPort(host: string, port: number, setting: string, what: string): Promise<void> {
  const taken = await new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
  if (taken) {
    throw new Error(
      `Port ${port} on ${host}, the embedded Temporal server's ${what} port, is already in use: ` +
        `stop what listens there, or set ${setting} to a free port` +
        (setting === 'TEMPORAL_PORT'
          ? ' (or TEMPORAL_ADDRESS to use the Temporal server already running there).'
          : '.'),
    );
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Raises the namespace's retention from the dev server's 24 h default, so TTLs, not retention, decide. */
function setRetention(cliPath: string, address: string, namespace: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      cliPath,
      ['operator', 'namespace', 'update', '--address', address, '--namespace', namespace, '--retention', RETENTION],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`Setting retention failed: ${stderr.trim()}`)),
    );
  });
}
