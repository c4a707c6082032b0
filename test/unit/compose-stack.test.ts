import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

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
  environment?: Record<string, string>;
  ports?: string[];
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
});
