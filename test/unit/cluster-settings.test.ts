import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clusterEndpoints, readyLine } from '../../src/cluster/cluster';
import { loadClusterSettings, TEMPORAL_PORT_SPAN } from '../../src/cluster/settings';
import { sqlEndpointFromUrl, writeTemporalConfig } from '../../src/cluster/temporal-server';

describe('cluster settings', () => {
  it('defaults to ports below the ephemeral range, under DATA_DIR/cluster', () => {
    const settings = loadClusterSettings({ DATA_DIR: '/srv/mcp' });
    expect(settings).toMatchObject({
      dataDir: '/srv/mcp',
      clusterDir: '/srv/mcp/cluster',
      mcpPort: 3000,
      temporalPort: 17233,
      postgresPort: 15432,
      namespace: 'default',
      stopGraceMs: 20_000,
      startTimeoutMs: 180_000,
    });
    expect(readyLine(clusterEndpoints(settings))).toBe(
      'Ready: mcp=http://127.0.0.1:3000/mcp,http://127.0.0.1:3001/mcp temporal=127.0.0.1:17233',
    );
  });

  it('takes its ports, namespace and grace period from the environment', () => {
    const settings = loadClusterSettings({
      MCP_PORT: '4100',
      CLUSTER_TEMPORAL_PORT: '20000',
      CLUSTER_POSTGRES_PORT: '20100',
      TEMPORAL_NAMESPACE: 'tasks',
      CLUSTER_STOP_GRACE_SECONDS: '5',
      CLUSTER_UP_TIMEOUT_SECONDS: '60',
    });
    expect(settings).toMatchObject({
      mcpPort: 4100,
      temporalPort: 20000,
      postgresPort: 20100,
      namespace: 'tasks',
      stopGraceMs: 5000,
      startTimeoutMs: 60_000,
    });
  });

  it.each([
    [{ MCP_PORT: '0' }, /MCP_PORT must name a port for the cluster/],
    [{ MCP_PORT: '65535' }, /MCP_PORT must leave room for the second replica/],
    [{ CLUSTER_TEMPORAL_PORT: 'seven' }, /CLUSTER_TEMPORAL_PORT must be a port from 1 to 65527, got "seven"/],
    [{ CLUSTER_TEMPORAL_PORT: '65530' }, /CLUSTER_TEMPORAL_PORT must be a port from 1 to 65527/],
    [{ CLUSTER_POSTGRES_PORT: '0' }, /CLUSTER_POSTGRES_PORT must be a port from 1 to 65535, got "0"/],
    [{ CLUSTER_STOP_GRACE_SECONDS: '1.5' }, /CLUSTER_STOP_GRACE_SECONDS must be a whole number of seconds >= 1/],
    [{ CLUSTER_UP_TIMEOUT_SECONDS: '-1' }, /CLUSTER_UP_TIMEOUT_SECONDS must be a whole number of seconds >= 1/],
    [{ TASK_LIST_PAGE_SIZE: 'many' }, /TASK_LIST_PAGE_SIZE/],
  ])('refuses %j, naming the setting', (env, message) => {
    expect(() => loadClusterSettings(env)).toThrow(message);
  });
});

describe('the Temporal server config cluster:up writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'temporal-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts every service on loopback in the span from the frontend port, on PostgreSQL with SQL visibility', () => {
    const sql = sqlEndpointFromUrl('postgresql://postgres:p%40ss@127.0.0.1:15432/temporal');
    expect(sql).toEqual({ host: '127.0.0.1', port: 15432, user: 'postgres', password: 'p@ss' });
    const { configFile, dynamicConfigFile } = writeTemporalConfig(dir, 17233, sql);
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
      persistence: {
        defaultStore: string;
        visibilityStore: string;
        datastores: Record<string, { sql: Record<string, unknown> }>;
      };
      services: Record<
        string,
        { rpc: { grpcPort: number; membershipPort: number; httpPort?: number; bindOnLocalHost: boolean } }
      >;
      dynamicConfigClient: { filepath: string };
    };
    const ports = Object.values(config.services).flatMap(({ rpc }) =>
      [rpc.grpcPort, rpc.membershipPort, rpc.httpPort ?? []].flat(),
    );
    expect(new Set(ports).size).toBe(TEMPORAL_PORT_SPAN);
    expect(Math.min(...ports)).toBe(17233);
    expect(Math.max(...ports)).toBe(17233 + TEMPORAL_PORT_SPAN - 1);
    expect(config.services.frontend!.rpc.grpcPort).toBe(17233);
    for (const { rpc } of Object.values(config.services)) expect(rpc.bindOnLocalHost).toBe(true);
    const stores = config.persistence.datastores;
    expect(stores[config.persistence.defaultStore]!.sql).toMatchObject({
      pluginName: 'postgres12',
      databaseName: 'temporal',
      connectAddr: '127.0.0.1:15432',
      password: 'p@ss',
    });
    expect(stores[config.persistence.visibilityStore]!.sql).toMatchObject({
      pluginName: 'postgres12',
      databaseName: 'temporal_visibility',
    });
    expect(config.dynamicConfigClient.filepath).toBe(dynamicConfigFile);
    expect(JSON.parse(readFileSync(dynamicConfigFile, 'utf8'))).toMatchObject({
      'frontend.enableUpdateWorkflowExecution': [{ value: true }],
      // One matching host: one partition per task queue (see src/temporal/server-settings.ts).
      'matching.numTaskqueueReadPartitions': [{ value: 1 }],
      'matching.numTaskqueueWritePartitions': [{ value: 1 }],
    });
  });
});
