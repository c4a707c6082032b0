/**
 * The speed of no durability: the MCP TypeScript SDK's own `InMemoryTaskStore` behind its Streamable
 * HTTP server, with a `long_running_operation` tool of the same contract as the product's. Tasks live
 * in this process's memory and die with it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

export interface InMemoryMcpServer {
  url: string;
  close(): Promise<void>;
}

function buildServer(taskStore: InMemoryTaskStore): McpServer {
  const server = new McpServer(
    { name: 'in-memory-baseline', version: '1.0.0' },
    { capabilities: { tasks: { requests: { tools: { call: {} } }, list: {}, cancel: {} } }, taskStore },
  );
  server.experimental.tasks.registerToolTask(
    'long_running_operation',
    {
      inputSchema: { duration: z.number().default(10), steps: z.number().default(5) },
      execution: { taskSupport: 'required' },
    },
    {
      async createTask({ duration }, { taskStore: store, taskRequestedTtl }) {
        const task = await store.createTask({ ttl: taskRequestedTtl });
        const finish = (): void =>
          void store
            .storeTaskResult(task.taskId, 'completed', {
              content: [{ type: 'text', text: `Long running operation completed. Duration: ${duration} seconds.` }],
            })
            .catch(() => undefined);
        if (duration === 0) setImmediate(finish);
        else setTimeout(finish, duration * 1000).unref();
        return { task };
      },
      getTask: (_args, { taskId, taskStore: store }) => store.getTask(taskId),
      getTaskResult: async (_args, { taskId, taskStore: store }) =>
        (await store.getTaskResult(taskId)) as CallToolResult,
    },
  );
  return server;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

export async function startInMemoryMcpServer(): Promise<InMemoryMcpServer> {
  const taskStore = new InMemoryTaskStore();
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: HttpServer = createServer((request, response) => {
    void (async () => {
      const body = request.method === 'POST' ? await readBody(request) : undefined;
      const sessionId = request.headers['mcp-session-id'];
      let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
      if (!transport) {
        const fresh = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void transports.set(id, fresh),
        });
        fresh.onclose = () => void (fresh.sessionId && transports.delete(fresh.sessionId));
        await buildServer(taskStore).connect(fresh);
        transport = fresh;
      }
      await transport.handleRequest(request, response, body);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      for (const transport of transports.values()) await transport.close().catch(() => undefined);
      taskStore.cleanup();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
