import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../temporal/cli-path';

const run = promisify(execFile);

/** The Temporal server release the cluster runs, built from its Go module. */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
/** v1.32.2's go.mod asks for a newer Go than many machines have; the go command fetches this one. */
export const GO_TOOLCHAIN = 'go1.27.3';

export interface TemporalBinaries {
  /** `cmd/server`. */
  server: string;
  /** `cmd/tools/sql`, which creates and migrates the schemas. */
  sqlTool: string;
  /**
   * The module's PostgreSQL schemas (`schema/postgresql/v12`) in the Go module cache. Asked for only when
   * the server starts: finding them runs the go command, which a restart of a replica need not wait for.
   */
  postgresSchemaDir: () => Promise<string>;
}

/** Where the built binaries are kept, so that only the first `cluster:up` of a checkout builds them. */
export const BINARY_DIR = path.join(PROJECT_ROOT, '.tools', 'temporal-server', TEMPORAL_SERVER_VERSION);

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, ...extra };
}

function goMissing(err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new Error(
      'The Temporal server is built from its Go module, and no `go` command is on PATH: install Go ' +
        `(any version; ${GO_TOOLCHAIN} is fetched from the module proxy), e.g. apt-get install golang-go`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Returns the Temporal server and its SQL tool, building both with `go install` from the module proxy
 * when they are not under `.tools/` yet (minutes on a small machine; `say` reports it). The build goes
 * to a scratch directory first, so that an interrupted build never leaves half a binary in the cache.
 */
export async function ensureTemporalBinaries(say: (line: string) => void): Promise<TemporalBinaries> {
  const server = path.join(BINARY_DIR, 'temporal-server');
  const sqlTool = path.join(BINARY_DIR, 'temporal-sql-tool');
  if (!isExecutable(server) || !isExecutable(sqlTool)) {
    say(
      `Building the Temporal server ${TEMPORAL_SERVER_VERSION} from ${TEMPORAL_SERVER_MODULE} with ${GO_TOOLCHAIN} ` +
        `(once; several minutes) into ${path.relative(PROJECT_ROOT, BINARY_DIR)}/`,
    );
    const started = Date.now();
    const scratch = `${BINARY_DIR}.build-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      await goInstall(scratch, [
        `${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
        `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      ]);
      mkdirSync(BINARY_DIR, { recursive: true });
      renameSync(path.join(scratch, 'server'), server);
      renameSync(path.join(scratch, 'sql'), sqlTool);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    say(`Built the Temporal server in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return {
    server,
    sqlTool,
    postgresSchemaDir: async () => path.join(await moduleDir(), 'schema', 'postgresql', 'v12'),
  };
}

function goInstall(gobin: string, packages: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // Run outside the project, so that no go.mod up the tree takes part.
    const child = spawn('go', ['install', ...packages], {
      cwd: gobin,
      env: goEnv({ GOBIN: gobin }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6000)));
    child.once('error', (err) => reject(goMissing(err)));
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`go install ${packages.join(' ')} failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** The Temporal server module's directory in the Go module cache, downloading it when it is missing. */
async function moduleDir(): Promise<string> {
  try {
    const { stdout } = await run(
      'go',
      ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`],
      {
        cwd: BINARY_DIR,
        env: goEnv(),
        maxBuffer: 1 << 20,
      },
    );
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? 'no directory reported');
    return info.Dir;
  } catch (err) {
    const wrapped = goMissing(err);
    if (wrapped !== err) throw wrapped;
    throw new Error(
      `Could not locate ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} in the Go module cache: ${wrapped.message}`,
    );
  }
}
