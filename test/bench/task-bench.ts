/**
 * The task engine side by side with its baselines, in one run on one Temporal server: the product
 * over Streamable HTTP, the raw Temporal client with a minimal worker of its own on its own task
 * queue, and the MCP SDK's in-memory task store (no durability).
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { startProduct, type RunningProduct } from '../../src/app';
import type { Config } from '../../src/config';
import { newTaskId, scopeKey } from '../../src/tasks/owner';
import { taskStartOptions } from '../../src/tasks/temporal-task-backend';
import { ScopeSearchAttribute } from '../../workflows/definitions';
import { startInMemoryMcpServer, type InMemoryMcpServer } from './in-memory-sdk';
import { finishSignal, rawInstantWorkflow, type RawActivities } from './raw-workflows';
import { McpClients, NO_WORK, type RemoteSession } from './mcp-clients';
import { latencyRow, mb, ms, percentile, throughput, timed, timeEach, timeTakingTurns } from './stats';

const LONG_WORK = { name: 'long_running_operation', arguments: { duration: 3600, steps: 1 } };
/** The pause before each sequential create → result (see `timeTakingTurns`). */
const CLOSE_SETTLE_MS = 50;

/** The raw baseline: the product's Temporal client, a minimal worker of its own on its own queue. */
class RawTemporal {
  private constructor(
    private readonly product: RunningProduct,
    readonly taskQueue: string,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
  ) {}

  static async start(product: RunningProduct): Promise<RawTemporal> {
    const taskQueue = `bench-raw-${randomUUID()}`;
    const connection = await NativeConnection.connect({ address: product.temporal.address });
    const activities: RawActivities = { returnAtOnce: () => Promise.resolve('done') };
    // SDK defaults, like the product's worker: the two differ only in the workflows they run.
    const worker = await Worker.create({
      connection,
      namespace: product.temporal.namespace,
      taskQueue,
      workflowsPath: require.resolve('./raw-workflows'),
      activities,
    });
    const running = worker.run().finally(() => connection.close());
    return new RawTemporal(product, taskQueue, worker, running);
  }

  start(workflowType: string): Promise<WorkflowHandle> {
    return this.product.client.workflow.start(workflowType, {
      taskQueue: this.taskQueue,
      workflowId: `bench-raw/${randomUUID()}`,
      args: [],
    });
  }

  async startToResult(): Promise<void> {
    await (await this.start('rawToolWorkflow')).result();
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.running;
  }
}

export interface TaskBenchOptions {
  config: Config;
  scale: number;
  /** Only the sequential latency rows (`BENCH_ONLY=latency`): no load, listing or notification runs. */
  latencyOnly?: boolean;
}

export async function benchTasks({ config, scale, latencyOnly = false }: TaskBenchOptions): Promise<void> {
  const product = await startProduct(config, { worker: true, http: true });
  const raw = await RawTemporal.start(product);
  const memory: InMemoryMcpServer = await startInMemoryMcpServer();
  const clients = McpClients.start();
  const sessions: RemoteSession[] = [];
  const connect = async (url: string): Promise<RemoteSession> => {
    const session = await clients.connect(url);
    sessions.push(session);
    return session;
  };
  try {
    const mine = await connect(product.mcpUrl!);
    const inMemory = await connect(memory.url);
    const where = config.temporal.kind === 'external' ? 'external cluster' : 'embedded dev server';
    console.log(`\nTemporal: ${where} at ${product.temporal.address}`);
    // Warm-up: connections, the workers' caches and the JIT, so that the first measured call is typical.
    for (let i = 0; i < 10; i++) {
      await mine.createToResult();
      await raw.startToResult();
      await inMemory.createToResult();
    }
    await latency(mine, inMemory, raw, 40 * scale);
    if (latencyOnly) return;
    for (const concurrency of [8, 32]) {
      await load(product, memory, raw, clients, connect, concurrency, Math.max(64, 4 * concurrency) * scale);
    }
    await listing(product, connect, scale, config.limits);
  } finally {
    for (const session of sessions) await session.close().catch(() => undefined);
    await clients.stop();
    await memory.close();
    await raw.stop();
    await product.close();
  }
  if (!latencyOnly) await notifications(config, scale);
}

async function latency(mine: RemoteSession, inMemory: RemoteSession, raw: RawTemporal, n: number): Promise<void> {
  const time = async (fns: Array<() => Promise<number>>, settleMs?: number) => {
    const [product, raw, memory] = await timeTakingTurns(n, fns, { settleMs });
    return { product: product!, raw: raw!, memory: memory! };
  };
  // Each task starts on a quiet server: the close of the task before (another system's, in turn)
  // would otherwise weigh on this one, by up to 40% of a p50, depending only on the order of turns.
  const createToResult = await time(
    [
      () => mine.timed('createToResult'),
      () => timed(() => raw.startToResult()),
      () => inMemory.timed('createToResult'),
    ],
    CLOSE_SETTLE_MS,
  );
  const myRunning = await mine.create(LONG_WORK);
  const rawRunning = await raw.start('rawWaitingWorkflow');
  const memoryRunning = await inMemory.create(LONG_WORK);
  const getRunning = await time([
    () => mine.timed('get', myRunning.taskId),
    () => timed(() => rawRunning.describe()),
    () => inMemory.timed('get', memoryRunning.taskId),
  ]);
  await mine.cancel(myRunning.taskId);
  await rawRunning.signal(finishSignal);
  const myDone = await mine.create(NO_WORK);
  await mine.result(myDone.taskId);
  const rawDone = await raw.start('rawToolWorkflow');
  await rawDone.result();
  const memoryDone = await inMemory.create(NO_WORK);
  await inMemory.result(memoryDone.taskId);
  const getDone = await time([
    () => mine.timed('get', myDone.taskId),
    () => timed(() => rawDone.describe()),
    () => inMemory.timed('get', memoryDone.taskId),
  ]);
  console.log('\n## Latency, one client, sequential (p50 / p95)');
  console.log('| operation | n | product | raw Temporal | SDK in-memory store | product ÷ raw (p50) |');
  console.log('|---|---|---|---|---|---|');
  const label = (what: string, rawWhat: string): string => `${what} (raw: ${rawWhat})`;
  console.log(
    latencyRow(
      label('tools/call task → tasks/result, no work', 'start → result'),
      createToResult.product,
      createToResult.raw,
      createToResult.memory,
    ),
  );
  console.log(
    latencyRow(label('tasks/get, running task', 'describe()'), getRunning.product, getRunning.raw, getRunning.memory),
  );
  console.log(
    latencyRow(label('tasks/get, completed task', 'describe()'), getDone.product, getDone.raw, getDone.memory),
  );
}

type Run = { times: number[]; perSecond: number };

/** Runs of one system as one: every operation's time, and operations over the time they took together. */
function combineRuns(runs: Run[]): Run {
  const times = runs.flatMap((run) => run.times);
  const seconds = runs.reduce((sum, run) => sum + run.times.length / run.perSecond, 0);
  return { times, perSecond: times.length / seconds };
}

async function load(
  product: RunningProduct,
  memory: InMemoryMcpServer,
  raw: RawTemporal,
  clients: McpClients,
  connect: (url: string) => Promise<RemoteSession>,
  concurrency: number,
  perRound: number,
): Promise<void> {
  const mine = await Promise.all(Array.from({ length: concurrency }, () => connect(product.mcpUrl!)));
  const theirs = await Promise.all(Array.from({ length: concurrency }, () => connect(memory.url)));
  // Rounds of a few seconds each, taking turns, so that a drift in the machine's load weighs on all
  // alike; one round of one system moves by ±15% from the next on a 2-core machine.
  const rounds = 4;
  const total = rounds * perRound;
  const runs: Array<Array<{ times: number[]; perSecond: number }>> = [[], [], []];
  for (let round = 0; round < rounds; round++) {
    runs[0]!.push(await clients.throughput(mine, perRound));
    runs[1]!.push(await throughput(concurrency, perRound, () => raw.startToResult()));
    runs[2]!.push(await clients.throughput(theirs, perRound));
  }
  const [productRun, rawRun, memoryRun] = runs.map(combineRuns) as [Run, Run, Run];
  console.log(`\n## Sustained create → result, ${concurrency} concurrent clients, ${total} tasks in all`);
  console.log('| system | tasks/s | p50 | p95 | ÷ raw (tasks/s) |');
  console.log('|---|---|---|---|---|');
  for (const [name, run] of [
    ['product', productRun],
    ['raw Temporal', rawRun],
    ['SDK in-memory store', memoryRun],
  ] as const) {
    console.log(
      `| ${name} | ${run.perSecond.toFixed(1)} | ${ms(percentile(run.times, 50))} | ${ms(percentile(run.times, 95))} | ` +
        `${(run.perSecond / rawRun.perSecond).toFixed(2)}× |`,
    );
  }
}

/**
 * Seeds `count` open tasks for the owner of `session`, started with the same options as `tools/call`
 * gives them, on a task queue no worker polls (seeding finished ones would time the worker, not the
 * listing). An open entry is the costliest to list: each is read like `tasks/get`.
 */
async function seedOpenTasks(product: RunningProduct, session: RemoteSession, count: number): Promise<void> {
  const owner = { scope: `session:${session.sessionId}` };
  const spec = { tool: 'bench_seed', workflow: rawInstantWorkflow, arguments: {}, timeLimitSeconds: 3600 };
  const taskQueue = `bench-unpolled-${randomUUID()}`;
  await throughput(32, count, () =>
    product.client.workflow.start(
      rawInstantWorkflow,
      taskStartOptions({ owner, spec, taskId: newTaskId(), createdAt: new Date(), ttlMs: 86_400_000, taskQueue }),
    ),
  );
  const query = `${ScopeSearchAttribute.name} = "${scopeKey(owner)}"`;
  while ((await product.client.workflow.count(query)).count < count) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function listing(
  product: RunningProduct,
  connect: (url: string) => Promise<RemoteSession>,
  scale: number,
  limits: Config['limits'],
): Promise<void> {
  const sizes = [100, 10_000 * scale];
  const rows: string[] = [];
  const firstPages: number[][] = [];
  for (const size of sizes) {
    const owner = await connect(product.mcpUrl!);
    const seeding = performance.now();
    await seedOpenTasks(product, owner, size);
    const seeded = performance.now() - seeding;
    const first = await timeEach(30, () => owner.list());
    // Deeper pages: follow the cursor from the first page on.
    const deep: number[] = [];
    let cursor = (await owner.list()).nextCursor;
    for (let page = 0; page < 30 && cursor; page++) {
      const start = performance.now();
      cursor = (await owner.list(cursor)).nextCursor;
      deep.push(performance.now() - start);
    }
    firstPages.push(first);
    rows.push(
      `| ${size.toLocaleString('en')} | ${(seeded / 1000).toFixed(0)} s | ${ms(percentile(first, 50))} / ${ms(percentile(first, 95))} | ` +
        `${ms(percentile(deep, 50))} / ${ms(percentile(deep, 95))} (${deep.length} pages) |`,
    );
  }
  console.log(`\n## tasks/list, a page of ${limits.listPageSize} open tasks (p50 / p95)`);
  console.log('| tasks of the owner | seeding | first page | following pages |');
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(row);
  const ratio = percentile(firstPages[1]!, 50) / percentile(firstPages[0]!, 50);
  console.log(`first page at ${sizes[1]!.toLocaleString('en')} ÷ at 100 (p50): ${ratio.toFixed(2)}×`);
}

/** Heap after a full collection. */
function settledHeap(): number {
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * One session with many open tasks, on an MCP server of its own (no worker: its tasks stay open and
 * nothing else runs in it), so that the Temporal reads counted and the heap measured are its own.
 */
async function notifications(config: Config, scale: number): Promise<void> {
  const server = await startProduct(
    { ...config, taskQueue: `${config.taskQueue}-open` },
    { worker: false, http: true },
  );
  const service = server.client.workflowService;
  let describes = 0;
  const describe = service.describeWorkflowExecution.bind(service);
  service.describeWorkflowExecution = ((request: Parameters<typeof describe>[0]) => {
    describes++;
    return describe(request);
  }) as typeof service.describeWorkflowExecution;
  const clients = McpClients.start();
  const session = await clients.connect(server.mcpUrl!);
  const rows: string[] = [];
  const open: string[] = [];
  const base = settledHeap();
  try {
    for (const target of [0, 100, 1000 * scale]) {
      await throughput(8, target - open.length, async (_, i) =>
        open.push((await session.create(LONG_WORK, `p${i}`)).taskId),
      );
      // Let the notifier settle into its rhythm, then count its reads over a fixed window.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const before = describes;
      const windowMs = 10_000;
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const readsPerSecond = (describes - before) / (windowMs / 1000);
      rows.push(
        `| ${target.toLocaleString('en')} | ${readsPerSecond.toFixed(1)} | ${mb(settledHeap() - base)} | ${mb(process.memoryUsage().rss)} |`,
      );
    }
  } finally {
    await session.close();
    await clients.stop();
    await server.close();
  }
  console.log('\n## Notifications: one session with many open tasks (each created with a progressToken)');
  console.log(
    `| open tasks | Temporal reads/s by the notifier (watches at most ${config.limits.maxWatchedTasks}) | heap growth | process RSS |`,
  );
  console.log('|---|---|---|---|');
  for (const row of rows) console.log(row);
}
