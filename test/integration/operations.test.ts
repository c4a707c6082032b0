import { Writable } from 'node:stream';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import type { AuditEvent } from '../../src/mcp/audit-log';
import { startHttpServer } from '../../src/mcp/http-server';
import { createLogger } from '../../src/ops/logger';
import { temporalReachable } from '../../src/ops/readiness';
import { makeDataDir, startTestProduct, testConfig } from '../helpers/product';
import { callToolAsTask, connectMcp, errorCodeOf, getTask, getTaskResult } from '../helpers/mcp-client';
import { ModernClient, isTerminal } from '../helpers/modern-client';
import { freePort } from '../helpers/ports';
import { spawnEntryPoint } from '../helpers/processes';

/** The base URL (`http://host:port`) of an MCP URL. */
const baseOf = (mcpUrl: string): string => new URL(mcpUrl).origin;

/** Fetches `url` until `accept` holds for its text (metrics move when the server sees things happen). */
async function fetchUntil(url: string, accept: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await fetch(url).then(
      (response) => response.text(),
      () => '',
    );
    if (accept(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer as expected within ${timeoutMs} ms; last answer:\n${text}`);
}

/** The value of the sample `line` (a metric name with its labels) in a Prometheus exposition, or 0. */
function sample(exposition: string, line: string): number {
  const found = exposition.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return found === undefined ? 0 : Number(found.slice(line.length + 1));
}

describe('operator endpoints', () => {
  it('answers /healthz and /readyz when Temporal is reachable and the worker polls', async () => {
    const product = await startTestProduct(testConfig());
    try {
      const base = baseOf(product.mcpUrl!);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready' } });
    } finally {
      await product.close();
    }
  }, 120_000);

  it('answers /readyz with 503 and the reason when Temporal cannot be reached', async () => {
    const deadPort = await freePort();
    const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
    const client = new TemporalClient({ connection });
    const http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      sessionSecret: 'test-secret-0123456789abcdef',
      sessionIdleMs: 60_000,
      maxSessions: 10,
      createSessionServer: () => {
        throw new Error('no session is opened in this test');
      },
      ready: temporalReachable(client, 500),
    });
    try {
      const response = await fetch(`${baseOf(http.url)}/readyz`);
      expect(response.status).toBe(503);
      const body = (await response.json()) as { status: string; reason: string };
      expect(body.status).toBe('not ready');
      expect(body.reason).toMatch(/^Temporal is not reachable: /);
      // The process itself is up all the same.
      expect((await fetch(`${baseOf(http.url)}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
      await connection.close();
    }
  }, 60_000);

  it('counts requests by method and outcome, and tasks by tool and final status, at /metrics', async () => {
    const product = await startTestProduct(testConfig());
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const metricsUrl = `${baseOf(product.mcpUrl!)}/metrics`;
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
      await getTaskResult(mcp.client, task.taskId);
      expect(await errorCodeOf(getTask(mcp.client, 'no-such-task'))).toBe(-32602);

      const tool = 'tool="long_running_operation"';
      const text = await fetchUntil(
        metricsUrl,
        (exposition) => sample(exposition, `mcp_tasks_finished_total{${tool},status="completed"}`) === 1,
      );
      expect(sample(text, 'mcp_requests_total{method="tools/call",outcome="ok",code=""}')).toBe(1);
      expect(sample(text, 'mcp_requests_total{method="tasks/result",outcome="ok",code=""}')).toBe(1);
      expect(sample(text, 'mcp_requests_total{method="tasks/get",outcome="error",code="-32602"}')).toBe(1);
      expect(sample(text, `mcp_tasks_created_total{${tool}}`)).toBe(1);
      expect(sample(text, `mcp_task_duration_seconds_count{${tool},status="completed"}`)).toBe(1);
      expect(sample(text, 'mcp_notification_lag_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(text).toContain('mcp_questions_pending 0');
      expect(text).toContain('process_cpu_user_seconds_total');
    } finally {
      await mcp.close();
      await product.close();
    }
  }, 120_000);

  it("counts the 2026-07-28 wire's requests and created tasks at /metrics too", async () => {
    const product = await startTestProduct(testConfig());
    try {
      const client = new ModernClient(product.mcpUrl!);
      const created = await client.call('long_running_operation', { duration: 1, steps: 1 });
      await client.waitForTask(created.taskId as string, isTerminal);
      expect((await client.request('tasks/get', { taskId: 'no-such-task' })).error?.code).toBe(-32602);

      const text = await fetchUntil(`${baseOf(product.mcpUrl!)}/metrics`, (exposition) =>
        exposition.includes('mcp_requests_total{method="tasks/get",outcome="error"'),
      );
      expect(sample(text, 'mcp_requests_total{method="tools/call",outcome="ok",code=""}')).toBe(1);
      expect(sample(text, 'mcp_requests_total{method="tasks/get",outcome="ok",code=""}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'mcp_requests_total{method="tasks/get",outcome="error",code="-32602"}')).toBe(1);
      expect(sample(text, 'mcp_tasks_created_total{tool="long_running_operation"}')).toBe(1);
    } finally {
      await product.close();
    }
  }, 120_000);

  it('serves /healthz, /readyz and /metrics on the operator port (HEALTH_PORT)', async () => {
    const config = testConfig({ HEALTH_PORT: '0' });
    const product = await startTestProduct(config);
    try {
      expect(product.healthUrl).toBeDefined();
      const text = await fetchUntil(`${product.healthUrl!}/metrics`, (body) => body.includes('mcp_requests_total'));
      expect(text).toContain('# TYPE mcp_tasks_finished_total counter');
      expect((await fetch(`${product.healthUrl!}/readyz`)).status).toBe(200);
      expect((await fetch(`${product.healthUrl!}/mcp`)).status).toBe(404);
    } finally {
      await product.close();
    }
  }, 120_000);

  it('writes one JSON line per request, with the correlation id of the audit events it caused', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    const audit: AuditEvent[] = [];
    const product = await startTestProduct(testConfig(), {
      logger: createLogger({ LOG_LEVEL: 'debug' }, { destination }),
      auditSink: (event) => audit.push(event),
    });
    const mcp = await connectMcp(product.mcpUrl!);
    try {
      const task = await callToolAsTask(mcp.client, 'long_running_operation', { duration: 0, steps: 1 });
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const created = audit.find((event) => event.event === 'task.created' && event.taskId === task.taskId);
      expect(created?.correlationId).toEqual(expect.any(String));
      const requestLine = parsed.find((line) => line.event === 'mcp.request' && line.method === 'tools/call');
      expect(requestLine).toMatchObject({ level: 'info', correlationId: created!.correlationId });
      expect(requestLine!.time).toEqual(expect.any(String));
    } finally {
      await mcp.close();
      await product.close();
    }
  }, 120_000);
});

describe('worker process health', () => {
  it('serves /readyz on HEALTH_PORT and the Temporal SDK metrics at TEMPORAL_METRICS_ADDRESS', async () => {
    const [healthPort, sdkMetricsPort] = [await freePort(), await freePort()];
    const worker = spawnEntryPoint('worker', {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
      TASK_QUEUE: `test-worker-health-${healthPort}`,
      DATA_DIR: makeDataDir(),
      HEALTH_PORT: String(healthPort),
      TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkMetricsPort}`,
    });
    try {
      expect(await worker.ready).toContain(`health at http://127.0.0.1:${healthPort}`);
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready' } });
      const sdkMetrics = await fetchUntil(`http://127.0.0.1:${sdkMetricsPort}/metrics`, (text) =>
        text.includes('temporal_'),
      );
      expect(sdkMetrics).toMatch(/^temporal_\w+/m);
      // Its log lines are JSON, one per line.
      for (const line of worker.output().split('\n')) {
        if (line === '' || line.startsWith('Ready:')) continue;
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      }
    } finally {
      await worker.kill('SIGTERM');
    }
  }, 120_000);
});
