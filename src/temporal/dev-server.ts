import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../workflows/definitions';

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

/**
 * Starts `temporal server start-dev` on a persistent SQLite file with the product's search attributes
 * registered, and resolves once its gRPC port accepts connections.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const ip = options.ip ?? '127.0.0.1';
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
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    ...SEARCH_ATTRIBUTE_REGISTRATIONS.flatMap((registration) => ['--search-attribute', registration]),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
  ];
  const child = spawn(options.cliPath, args, { stdio: ['ignore', options.output ?? 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    if (options.output === 'inherit') process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A process that exits without stopping the server (a shutdown past its deadline, a crash) still
  // asks it to stop, rather than leaving it running on the ports and the database.
  const stopOnExit = (): void => void child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`The Temporal dev server exited with code ${child.exitCode}: ${stderr.trim()}`);
    }
    if (await canConnect(ip, options.grpcPort)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `The Temporal dev server did not accept connections on ${ip}:${options.grpcPort}: ${stderr.trim()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  await setRetention(options.cliPath, `${ip}:${options.grpcPort}`, options.namespace);
  return {
    address: `${ip}:${options.grpcPort}`,
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
