import { loadConfig } from './config';
import { installRuntime } from './runtime';
import { connectClient, externalEndpoint } from './temporal/connect';
import { WORKFLOWS_PATH } from './temporal/create-worker';
import { workflowBundlerOptions } from './temporal/workflow-bundle';
import {
  EXECUTION_STATUS_FILTERS,
  executionsQuery,
  replayExecutions,
  type ExecutionStatusFilter,
} from './temporal/replay-executions';

const USAGE = `Usage: npm run replay -- [--status running|closed|all] [--query "<visibility query>"] [--limit N] [--save DIR]
Replays executions from TEMPORAL_ADDRESS against the current workflow code and exits 1 on any
determinism error. --status (default all) picks running executions (their partial histories: what a
deploy must replay), closed ones, or both. --query replaces the default selection (every execution on
TASK_QUEUE); the status filter still applies. --save writes each history as JSON.`;

/** What `npm run replay` was asked to do. */
export interface ReplayArgs {
  status: ExecutionStatusFilter;
  query?: string;
  limit: number;
  saveDir?: string;
}

/** Parses `npm run replay` arguments; throws with the usage on a bad one. */
export function parseReplayArgs(argv: string[]): ReplayArgs {
  const args: ReplayArgs = { status: 'all', limit: 100 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${argv[i]} needs a value\n${USAGE}`);
    switch (argv[i]) {
      case '--status':
        if (!EXECUTION_STATUS_FILTERS.includes(value as ExecutionStatusFilter)) {
          throw new Error(`--status must be one of ${EXECUTION_STATUS_FILTERS.join(', ')}, got "${value}"\n${USAGE}`);
        }
        args.status = value as ExecutionStatusFilter;
        break;
      case '--query':
        args.query = value;
        break;
      case '--limit':
        args.limit = Number(value);
        if (!Number.isInteger(args.limit) || args.limit < 1) {
          throw new Error(`--limit must be a positive integer\n${USAGE}`);
        }
        break;
      case '--save':
        args.saveDir = value;
        break;
      default:
        throw new Error(`Unknown argument ${argv[i]}\n${USAGE}`);
    }
    i++;
  }
  return args;
}

/** `npm run replay`: replay-tests today's workflow code against the executions of a cluster. */
async function main(): Promise<void> {
  const args = parseReplayArgs(process.argv.slice(2));
  const config = loadConfig();
  if (config.temporal.kind !== 'external') {
    throw new Error(`Set TEMPORAL_ADDRESS to the cluster to read histories from\n${USAGE}`);
  }
  installRuntime({ LOG_LEVEL: 'WARN', ...process.env });
  const client = await connectClient(externalEndpoint(config.temporal.address, config.temporal.namespace));
  try {
    const replays = await replayExecutions({
      client,
      query: executionsQuery({ query: args.query, taskQueue: config.taskQueue, status: args.status }),
      limit: args.limit,
      workflows: { workflowsPath: WORKFLOWS_PATH, bundlerOptions: workflowBundlerOptions(WORKFLOWS_PATH) },
      saveDir: args.saveDir,
      onResult: (replay) =>
        process.stdout.write(
          `${replay.error ? 'FAIL' : 'ok  '} ${replay.running ? 'running' : 'closed '} ${replay.workflowType} ` +
            `${replay.workflowId}${replay.error ? `: ${replay.error.message}` : ''}\n`,
        ),
    });
    const failures = replays.filter((replay) => replay.error).length;
    process.stdout.write(
      `replayed ${replays.length} executions: ${replays.length - failures} ok, ${failures} failed\n`,
    );
    if (failures > 0) process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
