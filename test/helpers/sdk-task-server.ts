import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  InMemoryTaskMessageQueue,
  InMemoryTaskStore,
} from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import {
  ElicitResultSchema,
  type CallToolResult,
  type ElicitRequestFormParams,
} from '@modelcontextprotocol/sdk/types.js';

/** A running MCP Tasks server built only from the MCP SDK, with one task tool that asks a form. */
export interface SdkTaskServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the tool `ask` (task required): it asks `form` through `elicitation/create` related to its
 * task (the SDK delivers it on the `tasks/result` stream) and completes with the answer's content as
 * JSON text. Another implementation of 2025-11-25 Tasks than the product's, for clients to be tried on.
 */
export async function startSdkTaskServer(form: ElicitRequestFormParams): Promise<SdkTaskServer> {
  const taskStore = new InMemoryTaskStore();
  const transports = new Map<string, StreamableHTTPServerTransport>();

  const newSession = async (): Promise<StreamableHTTPServerTransport> => {
    const server = new McpServer(
      { name: 'sdk-task-server', version: '1.0.0' },
      {
        capabilities: { tasks: { requests: { tools: { call: {} } }, list: {}, cancel: {} } },
        taskStore,
        taskMessageQueue: new InMemoryTaskMessageQueue(),
      },
    );
    server.experimental.tasks.registerToolTask(
      'ask',
      {
        description: 'Asks a form and answers with what it was told',
        inputSchema: {},
        execution: { taskSupport: 'required' },
      },
      {
        createTask: async (_args, extra) => {
          const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 200 });
          void (async () => {
            await extra.taskStore.updateTaskStatus(task.taskId, 'input_required');
            // Related to the task, the SDK queues the question for the task's `tasks/result` stream.
            const answer = await server.server.request(
              { method: 'elicitation/create', params: form },
              ElicitResultSchema,
              {
                relatedTask: { taskId: task.taskId },
                timeout: 120_000,
              },
            );
            await extra.taskStore.updateTaskStatus(task.taskId, 'working');
            await extra.taskStore.storeTaskResult(task.taskId, 'completed', {
              content: [{ type: 'text', text: `ANSWER ${JSON.stringify(answer.content)}` }],
            });
          })().catch((error: unknown) =>
            extra.taskStore.storeTaskResult(task.taskId, 'failed', {
              content: [{ type: 'text', text: String(error) }],
              isError: true,
            }),
          );
          return { task };
        },
        getTask: (_args, extra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: async (_args, extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
      },
    );
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => void transports.set(sessionId, transport),
    });
    await server.connect(transport);
    return transport;
  };

  const http: Server = createServer((request, response) => {
    void (async () => {
      const sessionId = request.headers['mcp-session-id'];
      const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
      if (typeof sessionId === 'string' && !known) {
        response.writeHead(404).end();
        return;
      }
      await (known ?? (await newSession())).handleRequest(request, response);
    })();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async close() {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
