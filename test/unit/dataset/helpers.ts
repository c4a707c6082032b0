import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import {
  createAnalyzeDataset,
  type AnalyzeDatasetDeps,
  type AnalyzeDatasetOptions,
  type DatasetAnalysis,
  type DatasetCheckpoint,
} from '../../../activities/dataset/analyze-dataset';
import type { CancellationReport } from '../../../activities/observer';
import { NO_URL_SOURCES } from '../../../activities/common/url-policy';
import type { HeartbeatDetails } from '../../../common/task-types';

/** A fresh directory under the OS temp dir; removed by {@link removeTempDir}. */
export function makeTempDir(prefix = 'dataset-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export type DatasetHeartbeat = HeartbeatDetails<DatasetCheckpoint>;

export interface RunOutcome {
  /** Heartbeat details after a JSON round trip, as the server stores them. */
  heartbeats: DatasetHeartbeat[];
  /** The objects the activity passed to `heartbeat()`, to check they are not changed afterwards. */
  rawHeartbeats?: unknown[];
  cancellations: CancellationReport[];
}

export interface RunSetup {
  deps?: Partial<AnalyzeDatasetDeps>;
  /** Activity info overrides, e.g. `{ heartbeatDetails, attempt }`. */
  info?: Partial<Info>;
  /** Called on every heartbeat with the environment, e.g. to cancel mid-run. */
  onHeartbeat?: (details: DatasetHeartbeat, env: MockActivityEnvironment, index: number) => void;
}

/**
 * Runs `analyzeDataset` in a `MockActivityEnvironment` rooted at `root`, recording heartbeats (as the
 * server would store them: after a JSON round trip) and observer cancellations into `outcome`.
 */
export function runAnalysis(
  root: string | string[],
  options: AnalyzeDatasetOptions,
  setup: RunSetup = {},
  outcome: RunOutcome = { heartbeats: [], cancellations: [] },
): Promise<DatasetAnalysis> {
  const env = new MockActivityEnvironment(setup.info, { logger: new DefaultLogger('ERROR') });
  env.on('heartbeat', (details: unknown) => {
    outcome.rawHeartbeats?.push(details);
    const stored = JSON.parse(JSON.stringify(details)) as DatasetHeartbeat;
    outcome.heartbeats.push(stored);
    setup.onHeartbeat?.(stored, env, outcome.heartbeats.length - 1);
  });
  const analyzeDataset = createAnalyzeDataset({
    datasetRoots: Array.isArray(root) ? root : [root],
    urlSources: NO_URL_SOURCES,
    observer: { onCancelled: (report) => outcome.cancellations.push(report) },
    ...setup.deps,
  });
  return env.run(analyzeDataset, options);
}

/** Runs the analysis and returns its result together with what it heartbeated. */
export async function runRecorded(
  root: string | string[],
  options: AnalyzeDatasetOptions,
  setup: RunSetup = {},
): Promise<DatasetAnalysis & RunOutcome> {
  const outcome: RunOutcome = { heartbeats: [], rawHeartbeats: [], cancellations: [] };
  const result = await runAnalysis(root, options, setup, outcome);
  return { ...result, ...outcome };
}

/** Descriptors this process holds open on `file` (Linux only; `undefined` elsewhere). */
export function openDescriptors(file: string): number | undefined {
  if (!fs.existsSync('/proc/self/fd')) return undefined;
  const target = fs.realpathSync(file);
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === target;
    } catch {
      return false;
    }
  }).length;
}

/** Polls `condition` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Checkpoints heartbeated strictly between the start and the end of the source. */
export function midRunCheckpoints(heartbeats: DatasetHeartbeat[], totalBytes: number): DatasetCheckpoint[] {
  const offsets = new Set<number>();
  const checkpoints: DatasetCheckpoint[] = [];
  for (const { checkpoint } of heartbeats) {
    if (checkpoint && checkpoint.offset > 0 && checkpoint.offset < totalBytes && !offsets.has(checkpoint.offset)) {
      offsets.add(checkpoint.offset);
      checkpoints.push(checkpoint);
    }
  }
  return checkpoints;
}

/** Picks a few checkpoints spread over the run: about a quarter, half and three quarters in. */
export function spread<T>(items: T[]): T[] {
  if (items.length < 3) throw new Error(`expected at least 3 mid-run checkpoints, got ${items.length}`);
  const picks = [Math.floor(items.length / 4), Math.floor(items.length / 2), Math.floor((items.length * 3) / 4)];
  return [...new Set(picks)].map((i) => items[i]!);
}

/** A deterministic pseudo-random generator (mulberry32), so generated datasets are the same every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
