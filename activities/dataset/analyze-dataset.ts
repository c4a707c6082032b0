import { activityInfo, log } from '@temporalio/activity';
import { reportProgress } from '../common/progress-report';
import type { HeartbeatDetails, ProgressDetails } from '../../common/task-types';
import type { ActivityObserver } from '../observer';
import { parseCheckpoint, type DatasetAnalyzer, type DatasetCheckpoint } from './checkpoint';
import { CsvAnalyzer } from './csv-analyzer';
import { reportCancellation, throwIfCancelled } from '../common/activity-context';
import { JsonlAnalyzer } from './jsonl-analyzer';
import { fitReport } from './report-size';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../common/data-limits';
import {
  inferFormat,
  openFromCheckpoint,
  openSource,
  resolveSource,
  sourceName,
  type DatasetFormat,
  type OpenedSource,
  type SourcePolicy,
} from '../common/source';
import { DEFAULT_SOURCE_STALL_TIMEOUT_MS, SourceWatch } from '../common/source-watch';
import type {
  AnalyzeDatasetActivities,
  AnalyzeDatasetArgs,
  DatasetRunInfo,
} from '../../workflows/tools/analyze-dataset';

export type { ColumnReport } from './column-stats';
export { DISTINCT_CAP } from './column-stats';
export type { DatasetCheckpoint, DatasetReport } from './checkpoint';
export type { DatasetAnalysis, DatasetRunInfo } from '../../workflows/tools/analyze-dataset';

/** Arguments of the `analyze_dataset` tool, as its input schema parses them. */
export type AnalyzeDatasetOptions = AnalyzeDatasetArgs;

/** Where datasets may come from. */
export type DatasetSourceOptions = SourcePolicy;

/** What the activity needs from the worker. */
export interface AnalyzeDatasetDeps extends DatasetSourceOptions {
  observer: ActivityObserver;
  /** Longest time between two checkpoints (heartbeats), also while waiting for data. @default 1000 */
  checkpointIntervalMs?: number;
  /** How long the source may send nothing before the attempt fails (`SourceStalled`). @default DEFAULT_SOURCE_STALL_TIMEOUT_MS */
  sourceStallTimeoutMs?: number;
  /** @internal Read size for files; tests make it small to split records between chunks. @default 65536 */
  readChunkBytes?: number;
  /** @internal Largest checkpoint sent, in bytes of JSON. @default MAX_CHECKPOINT_BYTES */
  maxCheckpointBytes?: number;
  /** Caps on columns, record length, distinct values and the result's size. @default DEFAULT_DATA_LIMITS */
  limits?: DataLimits;
}

/**
 * Largest checkpoint sent with a heartbeat. Temporal rejects payloads over 2 MB; past this size the
 * activity keeps heartbeating its last checkpoint that fitted, which stays valid but gets older.
 */
export const MAX_CHECKPOINT_BYTES = 1_000_000;

/** Most bytes parsed between two looks at the clock and at the cancellation signal. */
const MAX_SLICE_BYTES = 256 * 1024;

/**
 * Builds the `analyzeDataset` activity: one streaming pass over a CSV or JSONL file or URL computing
 * per-column statistics in memory that does not grow with the data (only the distinct-value maps
 * grow, up to `limits.maxDistinctValues` entries per column). A source past a cap of `limits` (columns,
 * record length) fails with a message naming it; a report past `limits.maxResultBytes` has its long
 * `top` values shortened (`truncated: true`), or fails when that is not enough.
 *
 * Durability: after every `checkpointIntervalMs` of work, and at the end, it heartbeats
 * `{ progress, checkpoint }`, the checkpoint holding the offset of the next unread record and all
 * statistics so far. A retried attempt restores it and reads on from that offset (a file position or
 * an HTTP range), and its report is identical to the one an uninterrupted run gives.
 *
 * Cancellation arrives through the heartbeat: the open stream or download is closed, the observer is
 * told, and the `CancelledFailure` is rethrown. While it waits for data the activity keeps
 * heartbeating its last checkpoint, so a cancellation also reaches it when the source stalls; a source
 * that sends nothing for `sourceStallTimeoutMs` fails the attempt with `SourceStalled` (see
 * {@link SourceWatch}). Bad input, forbidden, missing or unreadable sources throw non-retryable
 * `ApplicationFailure`s typed with `TaskFailureType`; network errors are retried.
 */
export function createAnalyzeDataset(deps: AnalyzeDatasetDeps): AnalyzeDatasetActivities['analyzeDataset'] {
  const intervalMs = deps.checkpointIntervalMs ?? 1000;
  const maxCheckpointBytes = deps.maxCheckpointBytes ?? MAX_CHECKPOINT_BYTES;
  const stallTimeoutMs = deps.sourceStallTimeoutMs ?? DEFAULT_SOURCE_STALL_TIMEOUT_MS;
  const limits = deps.limits ?? DEFAULT_DATA_LIMITS;

  return async function analyzeDataset(options) {
    const info = activityInfo();
    const { format: explicitFormat, columns } = requestedColumns(options);
    const source = await resolveSource(options.source, deps);
    const format = inferFormat(source, explicitFormat);
    let saved = parseCheckpoint(info.heartbeatDetails);
    let analyzer: DatasetAnalyzer | undefined;
    let totalBytes: number | undefined;
    const progress = (): ProgressDetails => describeProgress(analyzer, totalBytes);
    return reportCancellation(deps.observer, progress, async (signal) => {
      // Until the source is open, waits heartbeat the checkpoint this attempt started from.
      let sendHeartbeat = (): void => {
        reportProgress({ progress: progress(), checkpoint: saved } satisfies HeartbeatDetails<DatasetCheckpoint>);
      };
      const watch = new SourceWatch({
        name: sourceName(source),
        cancellation: signal,
        stallTimeoutMs,
        keepAliveMs: intervalMs,
        attempt: info.attempt,
        keepAlive: () => sendHeartbeat(),
      });
      const open = (offset: number) => watch.wait(openSource(source, offset, watch.signal, deps.readChunkBytes));
      let opened: OpenedSource | undefined;
      try {
        const start = await openFromCheckpoint({
          request: { source: options.source, format, columns },
          checkpoint: saved,
          open,
          onStale: () => {
            log.warn('Dataset checkpoint does not match the source any more; starting over', {
              source: options.source,
            });
          },
        });
        opened = start.opened;
        const { fingerprint } = start;
        if (!start.resumed) saved = undefined;
        totalBytes = opened.totalBytes;
        const startOffset = saved?.offset ?? 0;
        const active =
          format === 'csv'
            ? new CsvAnalyzer(columns, startOffset, saved, limits)
            : new JsonlAnalyzer(columns, startOffset, saved, limits);
        analyzer = active;

        let lastCheckpoint: DatasetCheckpoint | undefined = saved;
        let tooLarge = false;
        sendHeartbeat = () => {
          // The state only changes with the offset: while waiting for data, the last checkpoint is still exact.
          if (!tooLarge && lastCheckpoint?.offset !== active.offset) {
            const checkpoint: DatasetCheckpoint = { version: 1, fingerprint, offset: active.offset, ...active.state() };
            // Checkpoints only grow, so once one is too large the last one that fitted is kept for good.
            tooLarge = Buffer.byteLength(JSON.stringify(checkpoint)) > maxCheckpointBytes;
            if (tooLarge) log.warn('Dataset checkpoint too large; keeping the last one', { offset: active.offset });
            else lastCheckpoint = checkpoint;
          }
          reportProgress({
            progress: progress(),
            checkpoint: lastCheckpoint,
          } satisfies HeartbeatDetails<DatasetCheckpoint>);
        };

        sendHeartbeat();
        let nextHeartbeatAt = Date.now() + intervalMs;
        let bytesRead = 0;
        for await (const chunk of watch.chunks(opened.chunks)) {
          // Large chunks are parsed in slices so that heartbeats and cancellation keep their pace.
          for (let at = 0; at < chunk.length; at += MAX_SLICE_BYTES) {
            throwIfCancelled(signal);
            const slice = chunk.length <= MAX_SLICE_BYTES ? chunk : chunk.subarray(at, at + MAX_SLICE_BYTES);
            active.push(slice);
            bytesRead += slice.length;
            if (Date.now() >= nextHeartbeatAt) {
              sendHeartbeat();
              nextHeartbeatAt = Date.now() + intervalMs;
            }
          }
        }
        throwIfCancelled(signal);
        active.end();
        sendHeartbeat();
        const run: DatasetRunInfo = { attempt: info.attempt, resumedFromByte: startOffset, bytesRead };
        if (totalBytes !== undefined) run.totalBytes = totalBytes;
        return { report: fitReport(active.report(), limits.maxResultBytes), run };
      } finally {
        opened?.close();
      }
    });
  };
}

/** The explicit format, and the requested columns without repeats (`undefined` for all). */
function requestedColumns(options: AnalyzeDatasetOptions): { format?: DatasetFormat; columns?: string[] } {
  const unique = options.columns === undefined ? [] : [...new Set(options.columns)];
  return { format: options.format, columns: unique.length > 0 ? unique : undefined };
}

function describeProgress(analyzer: DatasetAnalyzer | undefined, totalBytes: number | undefined): ProgressDetails {
  const records = analyzer?.records ?? 0;
  const position = megabytes(analyzer?.offset ?? 0);
  const of = totalBytes === undefined ? `${position} MB read` : `${position} of ${megabytes(totalBytes)} MB`;
  return { current: records, message: `Analysed ${records.toLocaleString('en-US')} rows (${of})` };
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}
