import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { startProduct, type ProductParts, type RunningProduct } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { ActivityObserver, CancellationReport } from '../../activities';
import { createLogger } from '../../src/ops/logger';

/** A fresh data directory under the run's temporary root, with its `datasets/` folder. */
export function makeDataDir(): string {
  const root = process.env.TEST_TMP_ROOT ?? path.join(tmpdir(), 'mcp-tasks-test');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, 'data-'));
  mkdirSync(path.join(dir, 'datasets'), { recursive: true });
  return dir;
}

/** A config that uses the run's Temporal server, a task queue of its own, and a free MCP port. */
export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: the jest global setup did not run');
  return loadConfig({
    TEMPORAL_ADDRESS: address,
    TASK_QUEUE: `test-${randomUUID()}`,
    MCP_PORT: '0',
    DATA_DIR: makeDataDir(),
    MCP_SESSION_SECRET: 'test-secret-0123456789abcdef',
    TASK_POLL_INTERVAL_MS: '200',
    AUDIT_LOG: 'off',
    // Tests poll hard and share sessions across many calls; the rate limits have tests of their own.
    TASK_CREATE_RATE_PER_MINUTE: '100000',
    TASK_REQUEST_RATE_PER_MINUTE: '100000',
    ...overrides,
  });
}

/** Records what activities report, so tests can see that a cancellation reached the activity. */
export class RecordingObserver implements ActivityObserver {
  readonly cancellations: CancellationReport[] = [];
  onCancelled(report: CancellationReport): void {
    this.cancellations.push(report);
  }
}

/** Starts the product in this process against the run's Temporal server. */
export async function startTestProduct(config: Config, parts: Partial<ProductParts> = {}): Promise<RunningProduct> {
  // Request lines would bury the test report; warnings still show.
  return startProduct(config, { worker: true, http: true, logger: createLogger({ LOG_LEVEL: 'WARN' }), ...parts });
}

/** Whether the server handed the workflow's first workflow task to a worker in its start's answer (eager start). */
export async function startedEagerly(client: Client, workflowId: string): Promise<boolean> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  return events?.[0]?.workflowExecutionStartedEventAttributes?.eagerExecutionAccepted === true;
}
