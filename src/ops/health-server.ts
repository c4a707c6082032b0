import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { ProductMetrics } from './metrics';
import { readinessResponse, type ReadinessCheck } from './readiness';

export interface HealthServerOptions {
  host: string;
  port: number;
  ready: ReadinessCheck;
  /** Served at `/metrics` when given. */
  metrics?: ProductMetrics;
}

export interface RunningHealthServer {
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

/**
 * The operator's port: `/healthz` (the process is up), `/readyz` (it can do its work) and `/metrics`
 * (Prometheus). Meant for the operator's network only, so it asks for no credentials.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const listener = getRequestListener((request) => operatorRoute(request, options) ?? notFound());
  const server: Server = createServer((incoming, outgoing) => void listener(incoming, outgoing));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The answer to an operator's route (`/healthz`, `/readyz`, `/metrics`), or undefined for another path. */
export function operatorRoute(
  request: Request,
  options: { ready: ReadinessCheck; metrics?: ProductMetrics },
): Promise<Response> | Response | undefined {
  const { pathname } = new URL(request.url);
  if (pathname === '/healthz') return Response.json({ status: 'ok' });
  if (pathname === '/readyz') return readinessResponse(options.ready);
  if (pathname === '/metrics' && options.metrics) {
    const metrics = options.metrics;
    return metrics
      .scrape()
      .then(({ contentType, body }) => new Response(body, { headers: { 'content-type': contentType } }));
  }
  return undefined;
}

function notFound(): Response {
  return Response.json({ error: 'Not found: use /healthz, /readyz or /metrics' }, { status: 404 });
}
