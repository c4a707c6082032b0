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
    expect(config.urlSources).toEqual({ hosts: [], maxBytes: 1024 ** 3, timeoutMs: 30_000 });
    expect(config.dataLimits).toEqual({
      maxColumns: 1000,
      maxRecordBytes: 4 * 1024 * 1024,
      maxDistinctValues: 10_000,
      maxResultBytes: 800_000,
      maxStoredTextChars: 10_000,
    });
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
      maxArgumentBytes: 524_288,
      maxProgressTokenChars: 256,
      maxAnswerBytes: 65_536,
      maxWatchedTasks: 100,
      maxNotifyIntervalMs: 30_000,
    });
    expect(config.exportRetentionDays).toBe(7);
  });

  it('reads the tenant claim and the export retention', () => {
    const auth = { MCP_AUTH_ISSUER: 'https://id', MCP_AUTH_JWKS_FILE: 'jwks.json' };
    expect(loadConfig(auth).auth?.tenantClaim).toBe('sub');
    const config = loadConfig({ ...auth, MCP_AUTH_TENANT_CLAIM: 'org_id', EXPORT_RETENTION_DAYS: '30' });
    expect(config.auth?.tenantClaim).toBe('org_id');
    expect(config.exportRetentionDays).toBe(30);
  });

  it('keeps the memory in SQLite unless DATABASE_URL names a PostgreSQL database', () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    const url = 'postgresql://mcp:secret@db.internal:5432/mcp_memory?sslmode=verify-full';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/mcp_memory' }).databaseUrl).toBe('postgres://db/mcp_memory');
  });

  it('never repeats DATABASE_URL, with its password, in the error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://mcp:hunter2@db/memory' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('connects to an existing cluster when TEMPORAL_ADDRESS is set', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod' }).temporal).toEqual({
      kind: 'external',
      address: 'temporal:7233',
      namespace: 'prod',
    });
  });

  it('reads the hosts URL sources may reach, their size cap and their timeout', () => {
    const config = loadConfig({
      DATASET_URL_HOSTS: 'data.example.com, http://10.0.0.5:8080 *.files.example.org',
      DATASET_URL_MAX_BYTES: '1000',
      DATASET_URL_TIMEOUT_SECONDS: '5',
    });
    expect(config.urlSources).toEqual({
      hosts: [
        { match: 'exact', host: 'data.example.com', http: false },
        { match: 'exact', host: '10.0.0.5', port: 8080, http: true },
        { match: 'suffix', host: 'files.example.org', http: false },
      ],
      maxBytes: 1000,
      timeoutMs: 5000,
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
    [{ ALLOW_URL_SOURCES: 'true' }, /ALLOW_URL_SOURCES was replaced by DATASET_URL_HOSTS/],
    [{ DATASET_URL_HOSTS: 'data.example.com, ftp://files.example.com' }, /DATASET_URL_HOSTS: "ftp:\/\/files/],
    [{ DATASET_URL_MAX_BYTES: '0' }, /DATASET_URL_MAX_BYTES/],
    [{ DATASET_MAX_COLUMNS: '0' }, /DATASET_MAX_COLUMNS/],
    [{ TOOL_ARGUMENTS_MAX_BYTES: '5000000' }, /TOOL_ARGUMENTS_MAX_BYTES must be at most 1000000/],
    [{ PROGRESS_TOKEN_MAX_CHARS: '0' }, /PROGRESS_TOKEN_MAX_CHARS/],
    [{ ELICITATION_ANSWER_MAX_BYTES: '10' }, /ELICITATION_ANSWER_MAX_BYTES must be an integer >= 1024/],
    [{ DATASET_MAX_RECORD_BYTES: '100' }, /DATASET_MAX_RECORD_BYTES must be an integer >= 1024/],
    [{ DATASET_MAX_DISTINCT_VALUES: 'many' }, /DATASET_MAX_DISTINCT_VALUES/],
    [{ TOOL_RESULT_MAX_BYTES: '2000000' }, /TOOL_RESULT_MAX_BYTES must be at most 1000000/],
    [{ MEMORY_VALUE_MAX_CHARS: '20000' }, /MEMORY_VALUE_MAX_CHARS must be at most 10000/],
    [{ DATASET_URL_TIMEOUT_SECONDS: 'soon' }, /DATASET_URL_TIMEOUT_SECONDS/],
    [{ SOURCE_STALL_TIMEOUT_SECONDS: '0' }, /SOURCE_STALL_TIMEOUT_SECONDS/],
    [{ EXPORT_RETENTION_DAYS: '0' }, /EXPORT_RETENTION_DAYS/],
    [{ EXPORT_RETENTION_DAYS: 'a week' }, /EXPORT_RETENTION_DAYS/],
    [{ DATABASE_URL: 'mysql://u:p@db/memory' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ DATABASE_URL: 'memory.db' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ DATABASE_URL: 'postgresql://u:p@db:5432/' }, /DATABASE_URL must name a host and a database/],
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
      tenantClaim: 'sub',
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
