import { toRecord, type DecisionRow } from '../../../activities/memory/memory-store';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Client } from 'pg';
import { PostgresMemoryStore } from '../../../activities/memory/postgres-memory-store';
import {
  closeMemoryStore,
  createMemoryActivities,
  memoryStore,
  type MemoryStore,
  type DecisionRecord,
  type ImportCheckpoint,
  type MemoryActivities,
  type MemoryDeps,
} from '../../../activities/memory';
import type { CancellationReport } from '../../../activities/observer';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import type { HeartbeatDetails } from '../../../common/task-types';

export type ImportHeartbeat = HeartbeatDetails<ImportCheckpoint>;

/** The stores every memory test runs against. */
export const MEMORY_STORES = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof MEMORY_STORES)[number];

/** A temp directory holding one memory store (a SQLite file, or a PostgreSQL schema of its own), its exports dir and a dataset root. */
export interface Harness {
  kind: StoreKind;
  dir: string;
  /** The dataset root; relative import sources resolve here. */
  root: string;
  exportsDir: string;
  cancellations: CancellationReport[];
  memory: MemoryActivities;
  /** Writes `content` to `root/name` and returns `name`. */
  writeSource(name: string, content: string): string;
  /**
   * Runs `sql` (portable between SQLite and PostgreSQL) on a connection of its own and returns the rows.
   * The activities' next store call waits for it, so a test may start it from a heartbeat callback.
   */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** The first column of each row of `query(sql)`, as numbers when they are counts. */
  column(sql: string): Promise<unknown[]>;
  /** Makes each insert (or delete) of a decision titled `title` fail with `message`, until `allowAll()`. */
  failWrites(op: 'insert' | 'delete', title: string, message: string): Promise<void>;
  allowAll(): Promise<void>;
  /** Every stored decision as a record, by id, whatever its tenant. */
  allDecisions(): Promise<DecisionRecord[]>;
  /** The file an export wrote: its result's path is relative to the exports directory. */
  exportFile(exported: { path: string }): string;
  cleanup(): Promise<void>;
}

/** The raw side of a harness: one store's SQL dialect. */
interface RawStore {
  query(sql: string): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
  failWrites(op: 'insert' | 'delete', title: string, message: string): Promise<void>;
  allowAll(): Promise<void>;
  store: MemoryStore;
  close(): Promise<void>;
}

let schemaCounter = 0;

async function openRaw(kind: StoreKind, dir: string): Promise<RawStore> {
  if (kind === 'sqlite') {
    const dbFile = path.join(dir, 'db', 'memory.db');
    const withDb = <T>(fn: (db: Database.Database) => T): T => {
      fs.mkdirSync(path.dirname(dbFile), { recursive: true });
      const db = new Database(dbFile);
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    // Opened on first use, as the worker opens it.
    const store = new Proxy({} as MemoryStore, {
      get: (_target, name: keyof MemoryStore) => {
        const real = memoryStore({ dbFile });
        const member = Reflect.get(real, name) as unknown;
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(real) : member;
      },
    });
    return {
      // better-sqlite3 is synchronous: the statement has run when the promise is returned.
      query: async (sql) =>
        withDb((db) => {
          const statement = db.prepare(sql);
          if (statement.reader) return statement.all() as Record<string, unknown>[];
          statement.run();
          return [];
        }),
      exec: async (sql) => void withDb((db) => db.exec(sql)),
      failWrites: async (op, title, message) =>
        void withDb((db) =>
          db.exec(`CREATE TRIGGER fail_${op} BEFORE ${op.toUpperCase()} ON decisions
                   WHEN ${op === 'insert' ? 'NEW' : 'OLD'}.title = '${title}'
                   BEGIN SELECT RAISE(ABORT, '${message}'); END`),
        ),
      allowAll: async () =>
        void withDb((db) => db.exec('DROP TRIGGER IF EXISTS fail_insert; DROP TRIGGER IF EXISTS fail_delete;')),
      store,
      close: async () => closeMemoryStore({ dbFile }),
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set: the jest global setup starts PostgreSQL');
  schemaCounter += 1;
  const schema = `memory_test_${process.pid}_${schemaCounter}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path TO ${schema}`);
  const url = `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const real = new PostgresMemoryStore(url, { poolSize: 4 });
  const exec = async (sql: string) => void (await admin.query(sql));
  return {
    query: async (sql) => (await admin.query<Record<string, unknown>>(sql)).rows,
    exec,
    failWrites: async (op, title, message) => {
      await real.maxId(); // creates the schema
      await exec(`CREATE FUNCTION fail_${op}() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN RAISE EXCEPTION '${message}' USING ERRCODE = 'integrity_constraint_violation'; END $$`);
      await exec(`CREATE TRIGGER fail_${op} BEFORE ${op.toUpperCase()} ON decisions FOR EACH ROW
                  WHEN (${op === 'insert' ? 'NEW' : 'OLD'}.title = '${title}') EXECUTE FUNCTION fail_${op}()`);
    },
    allowAll: async () => {
      await exec('DROP FUNCTION IF EXISTS fail_insert CASCADE');
      await exec('DROP FUNCTION IF EXISTS fail_delete CASCADE');
    },
    store: real,
    close: async () => {
      await real.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A store whose every call first waits for the raw statements the test started. */
function waitingFor(pending: Set<Promise<unknown>>, store: MemoryStore): MemoryStore {
  return new Proxy(store, {
    get: (target, name: keyof MemoryStore) => {
      const member = Reflect.get(target, name) as unknown;
      if (typeof member !== 'function' || name === 'isConstraintViolation') {
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
      }
      return async (...args: unknown[]) => {
        await Promise.all(pending);
        return (member as (...args: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

export async function makeHarness(deps: Partial<MemoryDeps> = {}, kind: StoreKind = 'sqlite'): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memory-'));
  const root = path.join(dir, 'datasets');
  fs.mkdirSync(root);
  const cancellations: CancellationReport[] = [];
  const exportsDir = path.join(dir, 'exports');
  const raw = await openRaw(kind, dir);
  const pending = new Set<Promise<unknown>>();
  const query = (sql: string) => {
    const done = raw.query(sql);
    pending.add(done);
    void done.finally(() => pending.delete(done)).catch(() => undefined);
    return done;
  };
  const memory = createMemoryActivities({
    dbFile: path.join(dir, 'unused.db'),
    exportsDir,
    datasetRoots: [root],
    urlSources: NO_URL_SOURCES,
    observer: { onCancelled: (report) => cancellations.push(report) },
    store: waitingFor(pending, raw.store),
    ...deps,
  });
  return {
    kind,
    dir,
    root,
    exportsDir,
    cancellations,
    memory,
    writeSource(name, content) {
      fs.writeFileSync(path.join(root, name), content);
      return name;
    },
    query,
    column: async (sql) =>
      (await query(sql)).map((row) => {
        const value = Object.values(row)[0];
        // PostgreSQL returns counts (bigint) as strings.
        return typeof value === 'string' && /^count/i.test(Object.keys(row)[0] ?? '') ? Number(value) : value;
      }),
    failWrites: (op, title, message) => raw.failWrites(op, title, message),
    allowAll: () => raw.allowAll(),
    allDecisions: async () =>
      (
        (await query(
          'SELECT id, external_id, title, decision, rationale, tags, created_at FROM decisions ORDER BY id',
        ).catch((err: unknown) => {
          // Validation failures happen before the lazy open: no table means no decisions.
          if (/no such table|does not exist/.test(String(err))) return [];
          throw err;
        })) as unknown as DecisionRow[]
      ).map((row) => toRecord({ ...row, id: Number(row.id) })),
    exportFile: (exported) => path.join(exportsDir, exported.path),
    async cleanup() {
      await raw.close();
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
