import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { loadConfig } from './config';
import { installRuntime } from './runtime';
import { connectClient, externalEndpoint } from './temporal/connect';
import { WORKFLOWS_PATH } from './temporal/create-worker';

const USAGE = `Usage: npm run replay -- [--query "<visibility query>"] [--limit N] [--save DIR]
Replays closed task workflows from TEMPORAL_ADDRESS against the current workflow code and exits 1 on
any determinism error. --save writes each history as JSON (fixtures for test/workflows/histories).`;

interface ReplayOptions {
  query: string;
  limit: number;
  saveDir?: string;
}

function parseArgs(argv: string[]): ReplayOptions {
  const options: ReplayOptions = { query: 'McpScope IS NOT NULL AND ExecutionStatus != "Running"', limit: 100 };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--query':
        options.query = value ?? '';
        i++;
        break;
      case '--limit':
        options.limit = Number(value);
        i++;
        break;
      case '--save':
        options.saveDir = value;
        i++;
        break;
      default:
        throw new Error(`Unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  if (!Number.isInteger(options.limit) || options.limit < 1)
    throw new Error(`--limit must be a positive integer\n${USAGE}`);
  return options;
}

/** `npm run replay`: replay-tests today's workflow code against histories recorded by a cluster. */
async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  if (config.temporal.kind !== 'external')
    throw new Error(`Set TEMPORAL_ADDRESS to the cluster to read histories from\n${USAGE}`);
  installRuntime({ LOG_LEVEL: 'WARN', ...process.env });
  const client = await connectClient(externalEndpoint(config.temporal.address, config.temporal.namespace));
  try {
    const histories = [];
    for await (const info of client.workflow.list({ query: options.query })) {
      const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
      histories.push({ workflowId: info.workflowId, history });
      if (options.saveDir) {
        mkdirSync(options.saveDir, { recursive: true });
        const file = path.join(options.saveDir, `${info.type}-${info.runId}.json`);
        writeFileSync(file, historyToJSON(history));
      }
      if (histories.length >= options.limit) break;
    }
    let failures = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      if (result.error) failures++;
      process.stdout.write(
        `${result.error ? 'FAIL' : 'ok  '} ${result.workflowId}${result.error ? `: ${result.error.message}` : ''}\n`,
      );
    }
    process.stdout.write(
      `replayed ${histories.length} histories: ${histories.length - failures} ok, ${failures} failed\n`,
    );
    if (failures > 0) process.exitCode = 1;
  } finally {
    await client.connection.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
