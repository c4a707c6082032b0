import path from 'node:path';
import { loadConfig } from '../config';

/** What `npm run cluster:up` and `cluster:down` run with, read once from the environment. */
export interface ClusterSettings {
  /** The product's `DATA_DIR`, shared by every replica and worker. */
  dataDir: string;
  /** `DATA_DIR/cluster`: PostgreSQL's data, the Temporal server's config, pid files and logs. */
  clusterDir: string;
  /** Port of the first MCP replica; the second listens on the next one. @default 3000 (`MCP_PORT`) */
  mcpPort: number;
  /**
   * gRPC port of the Temporal frontend; the server's other services take the next eight ports.
   * @default 17233 (`CLUSTER_TEMPORAL_PORT`)
   */
  temporalPort: number;
  /** Port of PostgreSQL on 127.0.0.1. @default 15432 (`CLUSTER_POSTGRES_PORT`) */
  postgresPort: number;
  /** The Temporal namespace the product uses. @default 'default' (`TEMPORAL_NAMESPACE`) */
  namespace: string;
  /** How long a component may take to stop after SIGTERM before it gets SIGKILL. @default 20_000 */
  stopGraceMs: number;
  /** How long each component may take to come up. @default 180_000 */
  startTimeoutMs: number;
}

/** Ports below Linux's ephemeral range (32768+), so that no test's free port lands on them. */
const DEFAULT_TEMPORAL_PORT = 17233;
const DEFAULT_POSTGRES_PORT = 15432;
/** The frontend gRPC port and the eight after it: three more gRPC, four membership, one HTTP. */
export const TEMPORAL_PORT_SPAN = 9;

function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, span = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value + span - 1 > 65535) {
    throw new Error(`${name} must be a port from 1 to ${65536 - span}, got "${raw}"`);
  }
  return value;
}

function secondsFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number of seconds >= 1, got "${raw}"`);
  return value * 1000;
}

/**
 * Reads the cluster's settings. The product's own settings (`DATA_DIR`, `MCP_PORT`, …) are validated
 * by the product's loader first, so that a value the replicas would refuse stops `cluster:up` at once.
 */
export function loadClusterSettings(env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const product = loadConfig(env);
  if (env.MCP_PORT === '0') throw new Error('MCP_PORT must name a port for the cluster (0 picks none), got "0"');
  if (product.mcpPort + 1 > 65535)
    throw new Error(`MCP_PORT must leave room for the second replica, got "${env.MCP_PORT}"`);
  return {
    dataDir: product.dataDir,
    clusterDir: path.join(product.dataDir, 'cluster'),
    mcpPort: product.mcpPort,
    temporalPort: portFromEnv(env, 'CLUSTER_TEMPORAL_PORT', DEFAULT_TEMPORAL_PORT, TEMPORAL_PORT_SPAN),
    postgresPort: portFromEnv(env, 'CLUSTER_POSTGRES_PORT', DEFAULT_POSTGRES_PORT),
    namespace: product.temporal.namespace,
    stopGraceMs: secondsFromEnv(env, 'CLUSTER_STOP_GRACE_SECONDS', 20),
    startTimeoutMs: secondsFromEnv(env, 'CLUSTER_UP_TIMEOUT_SECONDS', 180),
  };
}
