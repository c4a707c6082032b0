import { toRecord, type DecisionRow } from '../../../activities/memory/memory-store';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  closeMemoryDatabases,
  createMemoryActivities,
  type DecisionRecord,
  type ImportCheckpoint,
  type MemoryActivities,
  type MemoryDeps,
} from '../../../activities/memory';
import type { CancellationReport } from '../../../activities/observer';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import type { HeartbeatDetails } from '../../../common/task-types';

export type ImportHeartbeat = HeartbeatDetails<ImportCheckpoint>;

/** A temp directory holding one memory database, its exports dir and a dataset root. */
export interface Harness {
  dir: string;
  /** The dataset root; relative import sources resolve here. */
  root: string;
  dbFile: string;
  exportsDir: string;
  cancellations: CancellationReport[];
  memory: MemoryActivities;
  /** Writes `content` to `root/name` and returns `name`. */
  writeSource(name: string, content: string): string;
  /** Runs `fn` against a second, raw connection to the database file. */
  withRawDb<T>(fn: (db: Database.Database) => T): T;
  /** Every stored decision as a record, by id, whatever its tenant. */
  allDecisions(): DecisionRecord[];
  /** The file an export wrote: its result's path is relative to the exports directory. */
  exportFile(exported: { path: string }): string;
  cleanup(): void;
}

export function makeHarness(deps: Partial<MemoryDeps> = {}): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-'));
  const root = path.join(dir, 'datasets');
  fs.mkdirSync(root);
  const cancellations: CancellationReport[] = [];
  const dbFile = path.join(dir, 'db', 'memory.db');
  const exportsDir = path.join(dir, 'exports');
  const memory = createMemoryActivities({
    dbFile,
    exportsDir,
    datasetRoots: [root],
    urlSources: NO_URL_SOURCES,
    observer: { onCancelled: (report) => cancellations.push(report) },
    ...deps,
  });
  const withRawDb = <T>(fn: (db: Database.Database) => T): T => {
    const db = new Database(dbFile);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    dir,
    root,
    dbFile,
    exportsDir,
    cancellations,
    memory,
    writeSource(name, content) {
      fs.writeFileSync(path.join(root, name), content);
      return name;
    },
    withRawDb,
    allDecisions: () =>
      // Validation failures happen before the lazy open: no file means no decisions.
      !fs.existsSync(dbFile)
        ? []
        : withRawDb((db) =>
            (
              db
                .prepare('SELECT id, title, decision, rationale, tags, created_at FROM decisions ORDER BY id')
                .all() as DecisionRow[]
            ).map(toRecord),
          ),
    exportFile: (exported) => path.join(exportsDir, exported.path),
    cleanup() {
      closeMemoryDatabases(dbFile);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let workflowCounter = 0;

/** A fresh workflow execution, so that runs do not share idempotency keys unless a test wants them to. */
export function newWorkflow(): { workflowId: string; runId: string } {
  workflowCounter += 1;
  return { workflowId: `wf-${process.pid}-${workflowCounter}`, runId: `run-${workflowCounter}` };
}

/** Activity info of a standalone call: no workflow, no activity run id. */
export const NO_WORKFLOW: Partial<Info> = { workflowExecution: undefined, workflowType: undefined, inWorkflow: false };

export interface RunSetup<H> {
  /** Activity info overrides; a fresh workflow execution unless given. */
  info?: Partial<Info>;
  /** Called on every heartbeat with its details after a JSON round trip (as the server stores them). */
  onHeartbeat?: (details: H, env: ActivityEnv, index: number) => void;
}

/** Runs an activity in a MockActivityEnvironment, recording its heartbeats (JSON round-tripped). */
export async function runActivity<Args extends unknown[], R, H = ImportHeartbeat>(
  fn: (...args: Args) => Promise<R>,
  args: Args,
  setup: RunSetup<H> = {},
): Promise<{ result: R; heartbeats: H[] }> {
  const heartbeats: H[] = [];
  const env = makeEnv(setup.info);
  env.on('heartbeat', (details: unknown) => {
    const stored = JSON.parse(JSON.stringify(details)) as H;
    heartbeats.push(stored);
    setup.onHeartbeat?.(stored, env, heartbeats.length - 1);
  });
  const result = await env.run(fn, ...args);
  return { result, heartbeats };
}

/** A MockActivityEnvironment whose `run` keeps the activity's argument and result types. */
export type ActivityEnv = Omit<MockActivityEnvironment, 'run'> & {
  run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R>;
};

/** A MockActivityEnvironment with quiet logs and, unless `info` says otherwise, its own workflow. */
export function makeEnv(info: Partial<Info> = {}): ActivityEnv {
  // The SDK types `run` as returning `unknown` unless given explicit type arguments; ActivityEnv keeps inference.
  return new MockActivityEnvironment(
    { workflowExecution: newWorkflow(), ...info },
    { logger: new DefaultLogger('ERROR') },
  );
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject');
}

/** JSONL of `count` valid decisions with ids `d1..dN`, one day apart from 2024-01-01, cycling tags. */
export function decisionLines(count: number, from = 1): string[] {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) {
    lines.push(
      JSON.stringify({
        id: `d${i}`,
        title: `Decision number ${i}`,
        decision: `We decided thing ${i}, with "quotes", commas and ünïcödé.`,
        rationale: i % 3 === 0 ? null : `because ${i}`,
        tags: [`t${i % 7}`, i % 2 === 0 ? 'even' : 'odd'],
        createdAt: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
      }),
    );
  }
  return lines;
}
