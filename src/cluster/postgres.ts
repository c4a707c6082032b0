import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isExecutable } from '../temporal/cli-path';
import { Client } from 'pg';

const run = promisify(execFile);

/** Where the Debian package puts the server binaries. */
const DEBIAN_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** The superuser role created by initdb; also the OS user that runs the server when we are root. */
const SUPERUSER = 'postgres';

/** Settings the product owns, rewritten on every start (postgresql.conf includes it). */
const SETTINGS_FILE = 'mcp-cluster.conf';

/** The superuser's password, kept with the data so that a restarted instance keeps its URL. */
const PASSWORD_FILE = 'mcp-superuser-password';

/** The server's own log, inside the data directory so that the server's user can write it. */
const LOG_FILE = 'postgres.log';

export interface PostgresOptions {
  /** Data directory; created (initdb) when empty or missing, reused otherwise. */
  dataDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Databases to create when missing; the returned `url` names the first. @default [] (url names `postgres`) */
  databases?: string[];
  /** How long to wait for the server to accept connections. @default 60_000 */
  startTimeoutMs?: number;
  /**
   * False trades crash safety for speed (no fsync), for throw-away instances such as a test run's.
   * @default true
   */
  durable?: boolean;
}

export interface RunningPostgres {
  /** `postgresql://` URL of the first database of `databases` (or `postgres`), with the superuser's password. */
  url: string;
  /** The same server, another database. */
  urlFor(database: string): string;
  dataDir: string;
  port: number;
  /** Stops the server (fast shutdown: open sessions are ended) and waits for it to exit. */
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl: the Debian package's, else the one on PATH; undefined when none. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [DEBIAN_BIN_DIR, ...(env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  return candidates.find((dir) => isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl')));
}

/**
 * Returns the PostgreSQL binary directory, installing the Debian `postgresql` package with apt-get when
 * no binaries are found (refreshing the package lists first when the install fails on stale ones).
 */
export async function ensurePostgresInstalled(): Promise<string> {
  const found = findPostgresBinDir();
  if (found) return found;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<unknown> =>
    run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { env, maxBuffer: 64 << 20 });
  try {
    await install();
  } catch {
    // A fresh machine has no package lists yet.
    await run('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    await install();
  }
  const installed = findPostgresBinDir();
  if (!installed) throw new Error(`apt-get installed postgresql, but no initdb and pg_ctl are in ${DEBIAN_BIN_DIR}`);
  return installed;
}

/**
 * Starts a PostgreSQL instance on 127.0.0.1:`port` from `dataDir` (initialised on first use), detached
 * with pg_ctl so that it outlives this process; `stopPostgres(dataDir)` stops it from any process.
 * PostgreSQL refuses to run as root, so as root the data directory is given to the `postgres` user of
 * the Debian package and the server runs as that user. TCP connections need the superuser's password
 * (scram-sha-256, generated once and kept in the data directory); the unix socket lives inside the
 * data directory, where only its owner can reach it. An instance already running from `dataDir` on the
 * same port is reused.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const binDir = findPostgresBinDir();
  if (!binDir)
    throw new Error(
      `No PostgreSQL binaries (initdb, pg_ctl) in ${DEBIAN_BIN_DIR} or on PATH: install the postgresql package`,
    );
  const dataDir = path.resolve(options.dataDir);
  const owner = serverUser();
  prepareDataDir(dataDir, owner);
  const asOwner = { ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), env: serverEnv(owner) };
  const pgCtl = path.join(binDir, 'pg_ctl');

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const password = randomBytes(24).toString('hex');
    const pwFile = path.join(dataDir, PASSWORD_FILE);
    // initdb wants an empty data directory, so it reads the password from a private file elsewhere.
    const initDir = mkdtempSync(path.join(tmpdir(), 'postgres-init-'));
    try {
      const initPwFile = path.join(initDir, 'password');
      writeFileSync(initPwFile, password, { mode: 0o600 });
      if (owner) {
        chownSync(initDir, owner.uid, owner.gid);
        chownSync(initPwFile, owner.uid, owner.gid);
      }
      await run(
        path.join(binDir, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          SUPERUSER,
          '-E',
          'UTF8',
          '--locale=C',
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          `--pwfile=${initPwFile}`,
          ...(options.durable === false ? ['--no-sync'] : []),
        ],
        asOwner,
      ).catch((err: unknown) => {
        throw new Error(`initdb could not create a PostgreSQL data directory in ${dataDir}: ${errorText(err)}`);
      });
    } finally {
      rmSync(initDir, { recursive: true, force: true });
    }
    writeFileSync(pwFile, password, { mode: 0o600 });
    if (owner) chownSync(pwFile, owner.uid, owner.gid);
    const conf = path.join(dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\ninclude_if_exists = '${SETTINGS_FILE}'\n`);
  }
  const password = readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8').trim();

  const runningPort = await runningOn(pgCtl, dataDir, asOwner);
  if (runningPort !== undefined && runningPort !== options.port) {
    throw new Error(
      `PostgreSQL is already running from ${dataDir} on port ${runningPort}, not ${options.port}: stop it first (pg_ctl stop -D ${dataDir})`,
    );
  }
  if (runningPort === undefined) {
    writeFileSync(
      path.join(dataDir, SETTINGS_FILE),
      [
        `listen_addresses = '127.0.0.1'`,
        `port = ${options.port}`,
        `unix_socket_directories = '${dataDir.replace(/'/g, "''")}'`,
        `max_connections = 200`,
        ...(options.durable === false ? ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'] : []),
        '',
      ].join('\n'),
    );
    if (owner) chownSync(path.join(dataDir, SETTINGS_FILE), owner.uid, owner.gid);
    const timeoutS = Math.ceil((options.startTimeoutMs ?? 60_000) / 1000);
    try {
      await run(
        pgCtl,
        ['start', '-D', dataDir, '-w', '-t', String(timeoutS), '-l', path.join(dataDir, LOG_FILE)],
        asOwner,
      );
    } catch (err) {
      throw new Error(
        `PostgreSQL did not start from ${dataDir} on 127.0.0.1:${options.port} (${errorText(err)}). ` +
          `Its log:\n${tail(path.join(dataDir, LOG_FILE))}`,
      );
    }
  }

  const urlFor = (database: string): string =>
    `postgresql://${SUPERUSER}:${password}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;
  const databases = options.databases ?? [];
  await createDatabases(urlFor('postgres'), databases);
  return {
    url: urlFor(databases[0] ?? 'postgres'),
    urlFor,
    dataDir,
    port: options.port,
    stop: () => stopPostgres(dataDir),
  };
}

/** Stops the instance running from `dataDir`, if any (fast shutdown), and waits until it has exited. */
export async function stopPostgres(dataDir: string): Promise<void> {
  const binDir = findPostgresBinDir();
  if (!binDir) return;
  const resolved = path.resolve(dataDir);
  if (!existsSync(path.join(resolved, 'postmaster.pid'))) return;
  const owner = serverUser();
  const asOwner = { ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), env: serverEnv(owner) };
  const pgCtl = path.join(binDir, 'pg_ctl');
  if ((await runningOn(pgCtl, resolved, asOwner)) === undefined) return;
  await run(pgCtl, ['stop', '-D', resolved, '-m', 'fast', '-w', '-t', '60'], asOwner);
}

/**
 * Stops the instance of `dataDir` (immediate shutdown) when this process exits without having stopped
 * it, so that a throw-away instance, such as a test run's, never outlives its owner. Returns the undo.
 */
export function stopPostgresOnExit(dataDir: string): () => void {
  const resolved = path.resolve(dataDir);
  const stop = (): void => {
    const binDir = findPostgresBinDir();
    if (!binDir || !existsSync(path.join(resolved, 'postmaster.pid'))) return;
    const owner = serverUser();
    try {
      execFileSync(path.join(binDir, 'pg_ctl'), ['stop', '-D', resolved, '-m', 'immediate', '-w', '-t', '10'], {
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
        env: serverEnv(owner),
        stdio: 'ignore',
      });
    } catch {
      // Already stopped.
    }
  };
  process.once('exit', stop);
  return () => void process.off('exit', stop);
}

interface OsUser {
  uid: number;
  gid: number;
  home: string;
}

/** The user the server runs as: `postgres` when we are root, else ourselves (undefined). */
function serverUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${SUPERUSER}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 6) {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no '${SUPERUSER}' user: install the postgresql package, which creates it`,
    );
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
}

function serverEnv(owner: OsUser | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' };
  if (owner) env.HOME = owner.home;
  else env.HOME = process.env.HOME;
  return env;
}

/** Creates the data directory (mode 0700, as PostgreSQL demands) owned by the server's user. */
function prepareDataDir(dataDir: string, owner: OsUser | undefined): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!owner) return;
  chownSync(dataDir, owner.uid, owner.gid);
  // The server's user must be able to reach the directory through every parent.
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    try {
      accessSync(dir, constants.X_OK);
    } catch {
      break;
    }
    const stat = statSync(dir);
    const searchable =
      stat.uid === owner.uid
        ? (stat.mode & 0o100) !== 0
        : stat.gid === owner.gid
          ? (stat.mode & 0o010) !== 0
          : (stat.mode & 0o001) !== 0;
    if (!searchable) {
      throw new Error(
        `PostgreSQL runs as the '${SUPERUSER}' user, which cannot reach ${dataDir}: ${dir} is not searchable by others ` +
          `(chmod o+x ${dir}), or choose a data directory elsewhere`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

/** The port of the server running from `dataDir`, or undefined when none runs. */
async function runningOn(pgCtl: string, dataDir: string, asOwner: object): Promise<number | undefined> {
  try {
    await run(pgCtl, ['status', '-D', dataDir], asOwner);
  } catch {
    return undefined;
  }
  // postmaster.pid: pid, data directory, start time, port, ...
  const port = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[3]);
  return Number.isInteger(port) ? port : undefined;
}

async function createDatabases(adminUrl: string, databases: string[]): Promise<void> {
  if (databases.length === 0) return;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const database of databases) {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    }
  } finally {
    await client.end();
  }
}

function errorText(err: unknown): string {
  const stderr = (err as { stderr?: unknown }).stderr;
  return typeof stderr === 'string' && stderr.trim() ? stderr.trim() : err instanceof Error ? err.message : String(err);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-3000).trim() || '(empty)';
  } catch {
    return '(none)';
  }
}
