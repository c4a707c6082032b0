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
      createRatePerMinute: 120,
      requestRatePerMinute: 1200,
      elicitationTimeoutMs: 600_000,
    });
    expect(config.authTenantClaim).toBe('sub');
    expect(config.exportRetentionDays).toBe(7);
  });

  it('reads the tenant claim and the export retention', () => {
    const config = loadConfig({ MCP_AUTH_TENANT_CLAIM: 'org_id', EXPORT_RETENTION_DAYS: '30' });
    expect(config.authTenantClaim).toBe('org_id');
    expect(config.exportRetentionDays).toBe(30);
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
    [{ EXPORT_RETENTION_DAYS: '0' }, /EXPORT_RETENTION_DAYS/],
    [{ EXPORT_RETENTION_DAYS: 'a week' }, /EXPORT_RETENTION_DAYS/],
  ])('refuses %p naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
