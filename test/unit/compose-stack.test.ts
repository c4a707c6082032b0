import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';

/**
 * The compose stack is what an organisation deploys first, so its security properties are checked
 * here even though no container runs in the tests: no default secret, nothing but the MCP server
 * published beyond loopback, and every setting it passes is one the product documents.
 */
const ROOT = path.resolve(__dirname, '../..');
const composeText = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
/** The file without its comment lines (which show optional settings, such as the UI's login). */
const activeText = composeText
  .split('\n')
  .filter((line) => !line.trimStart().startsWith('#'))
  .join('\n');
interface Service {
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(composeText) as { services: Record<string, Service> };
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const REQUIRED_SECRETS = [
  'POSTGRES_PASSWORD',
  'MCP_SESSION_SECRET',
  'MCP_AUTH_ISSUER',
  'MCP_AUTH_JWKS_URL',
  'MCP_PUBLIC_URL',
];

describe('docker-compose.yml', () => {
  it.each(REQUIRED_SECRETS)('requires %s and gives it no default', (name) => {
    const uses = [...activeText.matchAll(new RegExp(`\\$\\{${name}(:?[-?][^}]*)?\\}`, 'g'))].map((match) => match[0]);
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
  });

  it('turns authentication on for the MCP server', () => {
    const env = compose.services['mcp-server']!.environment!;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['MCP_AUTH_ISSUER', 'MCP_AUTH_JWKS_URL', 'MCP_PUBLIC_URL']),
    );
    expect(env.MCP_ALLOW_UNAUTHENTICATED).toBeUndefined();
  });

  it('publishes only the MCP server beyond loopback', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port: String(port) })),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const { name, port } of published) {
      if (name === 'mcp-server') continue;
      expect(`${name} ${port}`).toMatch(new RegExp(`^${name} 127\\.0\\.0\\.1:`));
    }
    expect(compose.services.postgresql!.ports).toBeUndefined();
  });

  it('passes the product only settings the README documents', () => {
    for (const serviceName of ['mcp-server', 'worker']) {
      for (const name of Object.keys(compose.services[serviceName]!.environment ?? {})) {
        expect(`${serviceName}: ${name} ${readme.includes(`\`${name}\``) ? 'documented' : 'undocumented'}`).toBe(
          `${serviceName}: ${name} documented`,
        );
      }
    }
  });

  it('keeps the project memory of every worker in the PostgreSQL of the stack, in the database its setup creates', () => {
    const worker = compose.services.worker!;
    const raw = worker.environment!.DATABASE_URL!;
    expect(raw).toMatch(/^postgresql:\/\/temporal:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgresql:5432\/mcp_memory$/);
    // What the worker receives once compose has put the password in, the product accepts.
    const url = raw.replace(/\$\{POSTGRES_PASSWORD:\?[^}]*\}/, 'secret');
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    const { hostname, username, pathname } = new URL(url);
    expect(compose.services[hostname]?.image).toMatch(/^postgres:/);
    expect(compose.services.postgresql!.environment!.POSTGRES_USER).toBe(username);
    // The database exists before a worker starts.
    const setup = compose.services['memory-db-setup']!;
    expect(worker.depends_on?.['memory-db-setup']).toEqual({ condition: 'service_completed_successfully' });
    expect(setup.environment!.PGHOST).toBe(hostname);
    expect(setup.command!.join(' ')).toContain(`CREATE DATABASE ${pathname.slice(1)}`);
  });
});
