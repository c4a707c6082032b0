import path from 'node:path';
import { loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults and the embedded Temporal server', () => {
    const config = loadConfig({});
    expect(config.mcpHost).toBe('127.0.0.1');
    expect(config.mcpPort).toBe(3000);
    expect(config.dataDir).toBe(path.resolve('.data'));
    expect(config.datasetRoots).toEqual([path.resolve('.data', 'datasets')]);
    expect(config.sourceStallTimeoutSeconds).toBe(300);
    expect(config.temporal).toEqual({
      kind: 'embedded',
      grpcPort: 7233,
      uiPort: 8233,
      dbFile: path.resolve('.data', 'temporal.db'),
      namespace: 'default',
    });
    expect(config.limits).toEqual({
      defaultTtlMs: 3_600_000,
      maxTtlMs: 86_400_000,
      pollIntervalMs: 1000,
      listPageSize: 20,
      maxRunningTasksPerOwner: 100,
      maxRunningTasks: 10_000,
      createRatePerMinute: 120,
      requestRatePerMinute: 1200,
      elicitationTimeoutMs: 600_000,
    });
  });

  it('connects to an existing cluster when TEMPORAL_ADDRESS is set', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod' }).temporal).toEqual({
      kind: 'external',
      address: 'temporal:7233',
      namespace: 'prod',
    });
  });

  it('parses per-tool time limits and extra dataset roots', () => {
    const config = loadConfig({
      TOOL_TIME_LIMITS: 'analyze_dataset=600, long_running_operation=30',
      DATASET_ROOTS: '/srv/a:/srv/b',
    });
    expect(config.toolTimeLimitsSeconds).toEqual({ analyze_dataset: 600, long_running_operation: 30 });
    expect(config.datasetRoots.slice(1)).toEqual(['/srv/a', '/srv/b']);
  });

  it.each([
    [{ MCP_PORT: 'eighty' }, /MCP_PORT/],
    [{ TASK_MAX_TTL_MS: '-1' }, /TASK_MAX_TTL_MS/],
    [{ TASK_DEFAULT_TTL_MS: '5000', TASK_MAX_TTL_MS: '1000' }, /must not exceed/],
    [{ TOOL_TIME_LIMITS: 'analyze_dataset' }, /TOOL_TIME_LIMITS/],
    [{ ALLOW_URL_SOURCES: 'maybe' }, /ALLOW_URL_SOURCES/],
    [{ SOURCE_STALL_TIMEOUT_SECONDS: '0' }, /SOURCE_STALL_TIMEOUT_SECONDS/],
  ])('refuses %p naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('serves without authentication by default, and reads the auth settings when an issuer is set', () => {
    expect(loadConfig({}).auth).toBeUndefined();
    expect(loadConfig({}).allowUnauthenticated).toBe(false);
    expect(
      loadConfig({
        MCP_AUTH_ISSUER: 'https://id.example.com',
        MCP_AUTH_JWKS_URL: 'https://id.example.com/jwks',
        MCP_AUTH_REQUIRED_SCOPES: 'mcp:tools, mcp:admin',
      }).auth,
    ).toEqual({
      issuer: 'https://id.example.com',
      jwks: { kind: 'url', url: 'https://id.example.com/jwks' },
      audience: undefined,
      authorizationServers: ['https://id.example.com'],
      requiredScopes: ['mcp:tools', 'mcp:admin'],
    });
    expect(
      loadConfig({
        MCP_AUTH_ISSUER: 'https://id.example.com',
        MCP_AUTH_JWKS_FILE: 'keys/jwks.json',
        MCP_AUTH_AUDIENCE: 'api://mcp',
        MCP_AUTH_AUTHORIZATION_SERVERS: 'https://a.example.com https://b.example.com',
      }).auth,
    ).toMatchObject({
      jwks: { kind: 'file', file: path.resolve('keys/jwks.json') },
      audience: 'api://mcp',
      authorizationServers: ['https://a.example.com', 'https://b.example.com'],
    });
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    [
      'an issuer without keys',
      { MCP_AUTH_ISSUER: 'https://id' },
      /exactly one of MCP_AUTH_JWKS_URL and MCP_AUTH_JWKS_FILE/,
    ],
    [
      'both a JWKS URL and a file',
      { MCP_AUTH_ISSUER: 'https://id', MCP_AUTH_JWKS_URL: 'https://id/jwks', MCP_AUTH_JWKS_FILE: 'jwks.json' },
      /exactly one of/,
    ],
    [
      'auth settings without an issuer',
      { MCP_AUTH_JWKS_URL: 'https://id/jwks' },
      /MCP_AUTH_JWKS_URL set without MCP_AUTH_ISSUER/,
    ],
    [
      'keys over plain http from another host',
      { MCP_AUTH_ISSUER: 'https://id', MCP_AUTH_JWKS_URL: 'http://id.example.com/jwks' },
      /MCP_AUTH_JWKS_URL must use https/,
    ],
    ['a public URL that is not a URL', { MCP_PUBLIC_URL: 'mcp.example.com' }, /MCP_PUBLIC_URL must be an absolute URL/],
  ])('refuses %s', (_label, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
