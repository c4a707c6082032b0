import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../helpers/ports';
import { spawnEntryPoint } from '../helpers/processes';
import { makeDataDir } from '../helpers/product';

/** A fake Temporal CLI that prints `line` on `stream` and exits 1, as a crashing dev server does. */
function fakeCli(dir: string, line: string, stream: 'stdout' | 'stderr'): string {
  const file = path.join(dir, `temporal-${stream}`);
  writeFileSync(file, `#!/bin/sh\necho '${line}'${stream === 'stderr' ? ' >&2' : ''}\nexit 1\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Listens on a free port of 127.0.0.1, as another program would. */
async function takePort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

describe('embedded Temporal dev server start-up', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(makeDataDir(), 'dev-server-'));
  });

  it.each([
    ['gRPC', 'TEMPORAL_PORT'],
    ['UI', 'TEMPORAL_UI_PORT'],
  ])('reports a %s port already in use, naming %s, without starting anything', async (what, setting) => {
    const { port, server } = await takePort();
    try {
      const grpcPort = what === 'gRPC' ? port : await freePort();
      const uiPort = what === 'UI' ? port : await freePort();
      // A CLI that would fail differently if it were run at all.
      const cliPath = fakeCli(dir, 'the CLI was run', 'stderr');
      const start = startDevServer({
        cliPath,
        dbFile: path.join(dir, 'temporal.db'),
        grpcPort,
        uiPort,
        namespace: 'default',
      });
      await expect(start).rejects.toThrow(
        `Port ${port} on 127.0.0.1, the embedded Temporal server's ${what} port, is already in use`,
      );
      await expect(start).rejects.toThrow(`set ${setting} to a free port`);
      await expect(start).rejects.not.toThrow('the CLI was run');
    } finally {
      server.close();
    }
  });

  it.each(['stdout', 'stderr'] as const)(
    "reports the server's own error output when it exits during start-up (printed on %s)",
    async (stream) => {
      const cliPath = fakeCli(dir, 'Error: failed starting server: something specific went wrong', stream);
      await expect(
        startDevServer({
          cliPath,
          dbFile: path.join(dir, 'temporal.db'),
          grpcPort: await freePort(),
          namespace: 'default',
        }),
      ).rejects.toThrow(
        /exited with code 1\. Its output:\nError: failed starting server: something specific went wrong\n.*TEMPORAL_PORT/,
      );
    },
  );

  it('reports why the real dev server could not open its database, and where it was', async () => {
    // A directory where the database file should be: SQLite cannot open it.
    const dbFile = path.join(dir, 'not-a-file.db');
    mkdirSync(dbFile);
    const start = startDevServer({
      cliPath: findTemporalCli(),
      dbFile,
      grpcPort: await freePort(),
      namespace: 'default',
    });
    await expect(start).rejects.toThrow(/exited with code 1\. Its output:\n.*unable to open database file/);
    await expect(start).rejects.toThrow(`the database ${dbFile} (under DATA_DIR)`);
  });

  it('runs the dev server with one partition per task queue and task updates on', async () => {
    // A CLI that records its arguments, one per line, and exits as a failing server would.
    const argsFile = path.join(dir, 'args');
    const cliPath = path.join(dir, 'temporal-args');
    writeFileSync(cliPath, `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nexit 1\n`);
    chmodSync(cliPath, 0o755);
    const start = startDevServer({
      cliPath,
      dbFile: path.join(dir, 'temporal.db'),
      grpcPort: await freePort(),
      namespace: 'default',
    });
    await expect(start).rejects.toThrow('exited with code 1');
    const args = readFileSync(argsFile, 'utf8').split('\n');
    const values = args.flatMap((arg, i) => (args[i - 1] === '--dynamic-config-value' ? [arg] : []));
    expect(values).toEqual(
      expect.arrayContaining([
        'frontend.enableUpdateWorkflowExecution=true',
        'matching.numTaskqueueReadPartitions=1',
        'matching.numTaskqueueWritePartitions=1',
      ]),
    );
  });

  it('names TEMPORAL_CLI_PATH when the CLI cannot be run', async () => {
    await expect(
      startDevServer({
        cliPath: path.join(dir, 'no-such-cli'),
        dbFile: path.join(dir, 'temporal.db'),
        grpcPort: await freePort(),
        namespace: 'default',
      }),
    ).rejects.toThrow(/could not be run \(spawn .*ENOENT\); set TEMPORAL_CLI_PATH/);
  });

  it('`npm start` says which port is taken and which setting to change, and exits 1', async () => {
    const { port, server } = await takePort();
    try {
      const main = spawnEntryPoint('main', {
        TEMPORAL_ADDRESS: '',
        TEMPORAL_PORT: String(port),
        TEMPORAL_UI_PORT: String(await freePort()),
        DATA_DIR: makeDataDir(),
        MCP_PORT: '0',
      });
      main.ready.catch(() => undefined);
      expect(await main.exited).toBe(1);
      expect(main.output()).toContain(
        `Port ${port} on 127.0.0.1, the embedded Temporal server's gRPC port, is already in use`,
      );
      expect(main.output()).toContain('set TEMPORAL_PORT to a free port');
    } finally {
      server.close();
    }
  });
});
