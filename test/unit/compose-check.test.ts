import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * docker-compose.yml is loaded by the loader `docker compose` itself uses (compose-go, run as the small
 * Go program in test/compose-check), so that a typo'd key or a wrong value fails here even though no
 * Docker engine runs on the machines that test the product.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SOURCE_DIR = path.join(ROOT, 'test', 'compose-check');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
/** compose-go needs a newer Go than some machines have; the go command fetches this toolchain once. */
const GO_TOOLCHAIN = 'go1.27.3';

/** Values for the secrets the compose file requires, as an operator's `.env` would give them. */
const SECRETS = {
  POSTGRES_PASSWORD: 'test-postgres-password',
  MCP_SESSION_SECRET: 'test-session-secret-0123456789abcdef0123456789',
  MCP_AUTH_ISSUER: 'https://id.example.com/',
  MCP_AUTH_JWKS_URL: 'https://id.example.com/.well-known/jwks.json',
  MCP_PUBLIC_URL: 'https://mcp.example.com/mcp',
};

/**
 * Builds the checker once per version of its sources into `.tools/compose-check/<hash>/` and returns
 * the binary; later runs reuse it without invoking Go at all.
 */
async function checkerBinary(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(SOURCE_DIR, file)));
  const dir = path.join(ROOT, '.tools', 'compose-check', hash.digest('hex').slice(0, 16));
  const binary = path.join(dir, 'compose-check');
  try {
    accessSync(binary);
    return binary;
  } catch {
    // Not built yet.
  }
  mkdirSync(dir, { recursive: true });
  const scratch = `${binary}.${process.pid}`;
  await run('go', ['build', '-o', scratch, '.'], {
    cwd: SOURCE_DIR,
    env: { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: '-mod=readonly' },
    maxBuffer: 16 << 20,
  });
  renameSync(scratch, binary);
  return binary;
}

interface CheckResult {
  code: number;
  output: string;
}

/** Runs the checker on `file` with only `env` (and PATH) in its environment. */
async function check(binary: string, file: string, env: Record<string, string>): Promise<CheckResult> {
  try {
    const { stdout, stderr } = await run(binary, [file], { env: { PATH: process.env.PATH, ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code?: number; stdout?: string; stderr?: string };
    return { code: code ?? -1, output: `${stdout ?? ''}${stderr ?? ''}` };
  }
}

describe('docker-compose.yml under the compose loader (compose-go)', () => {
  let binary: string;
  let scratchDir: string;

  beforeAll(async () => {
    binary = await checkerBinary();
    scratchDir = mkdtempSync(path.join(tmpdir(), 'compose-check-'));
  }, 600_000);

  afterAll(() => {
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  });

  /** A copy of the compose file with `edit` applied, in a directory without a `.env`. */
  function variant(name: string, edit: (text: string) => string): string {
    const original = readFileSync(COMPOSE_FILE, 'utf8');
    const edited = edit(original);
    expect(edited).not.toBe(original);
    const dir = path.join(scratchDir, name);
    mkdirSync(dir, { recursive: true });
    // `build: .` must find its context, as beside the real file.
    writeFileSync(path.join(dir, 'Dockerfile'), readFileSync(path.join(ROOT, 'Dockerfile')));
    const file = path.join(dir, 'docker-compose.yml');
    writeFileSync(file, edited);
    return file;
  }

  it('loads with the required secrets set, with every service', async () => {
    const result = await check(binary, COMPOSE_FILE, SECRETS);
    expect(result).toMatchObject({ code: 0 });
    for (const service of ['postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'mcp-server', 'worker']) {
      expect(result.output).toContain(service);
    }
  });

  it('fails on a typo in a key, naming it', async () => {
    const file = variant('typo', (text) => text.replace(/^( {2}worker:\n {4})build:/m, '$1biuld:'));
    const result = await check(binary, file, SECRETS);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/services\.worker.*biuld/);
  });

  it('fails on a value of the wrong type', async () => {
    const file = variant('wrong-type', (text) => text.replace("restart: 'no'", 'restart: [no]'));
    const result = await check(binary, file, SECRETS);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/restart/);
  });

  it.each(Object.keys(SECRETS))('refuses to load without %s, with the message the file gives', async (name) => {
    const env: Record<string, string> = { ...SECRETS };
    delete env[name];
    const result = await check(
      binary,
      variant(`without-${name}`, (text) => `${text}\n`),
      env,
    );
    expect(result.code).toBe(1);
    expect(result.output).toContain(`required variable ${name} is missing a value`);
  });
});
