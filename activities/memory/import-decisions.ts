import { activityInfo, log } from '@temporalio/activity';
import { reportProgress } from '../common/progress-report';
import { TaskFailureType, type HeartbeatDetails, type ProgressDetails } from '../../common/task-types';
import { toolFailure } from '../common/failures';
import {
  inferFormat,
  openFromCheckpoint,
  openSource,
  resolveSource,
  sourceName,
  type OpenedSource,
  type SourcePolicy,
} from '../common/source';
import type { ActivityObserver } from '../observer';
import { activityExecutionKey, reportCancellation, throwIfCancelled } from '../common/activity-context';
import type { KeyedDecision, MemoryStore, WriteOutcome } from './memory-store';
import { tenantOf } from './tenant';
import { CsvColumns, parseJsonRecord, readCsvHeader, type LineResult } from './import-lines';
import {
  addInvalid,
  checkpointFromHeartbeat,
  ImportRuns,
  initialCheckpoint,
  summaryOf,
  type ImportCheckpoint,
} from './import-progress';
import { RecordSplitter, type RawRecord } from '../common/record-splitter';
import { DEFAULT_SOURCE_STALL_TIMEOUT_MS, SourceWatch } from '../common/source-watch';
import type { InvalidLine, ProjectMemoryActivities } from './types';
import { errorMessage } from '../../common/error-message';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../common/data-limits';

/** Records (valid or not) written per transaction and per checkpoint. */
export const IMPORT_BATCH_LINES = 1000;

/** What the import needs besides the store. */
export interface ImportDeps extends SourcePolicy {
  observer: ActivityObserver;
  /** Longest time between two heartbeats while reading, also while waiting for data. @default 1000 */
  checkpointIntervalMs?: number;
  /** How long the source may send nothing before the attempt fails (`SourceStalled`). @default DEFAULT_SOURCE_STALL_TIMEOUT_MS */
  sourceStallTimeoutMs?: number;
  /** Caps on the header's columns and on stored text. @default DEFAULT_DATA_LIMITS */
  limits?: DataLimits;
}

/**
 * Builds `importDecisions`: streams a JSONL or CSV source (file inside the dataset roots, or URL) into
 * the scope's tenant's memory in transactions of {@link IMPORT_BATCH_LINES} records, in memory that
 * does not grow with the source. Invalid lines are counted and the first 100 reported; they never fail the import.
 *
 * Idempotency: each record is written under its `import:` identity (see `importExternalId`), unique
 * per tenant (two tenants importing one file get their own decisions), so re-importing a source, or
 * re-applying a batch after a crash, creates no duplicates. Resuming: each batch commits its checkpoint (offset of the next record, counters, kept invalid lines) with its rows
 * in `import_runs`, keyed by the activity execution, then heartbeats it. A retry resumes from the
 * furthest of the two, so the counters stay exact even when a crash lost the last heartbeat. Without
 * a workflow context only the heartbeat is kept; a re-applied batch then counts as `unchanged`.
 *
 * A batch that throws is rolled back whole. Source problems throw the dataset activity's non-retryable
 * failures; a constraint violation throws a non-retryable `ToolError` naming the lines. Cancellation
 * is reported to the observer and rethrown; batches committed before it stay. While waiting for data
 * the import keeps heartbeating its last committed checkpoint, so a cancellation also reaches it when
 * the source stalls; a source that sends nothing for `sourceStallTimeoutMs` fails the attempt with
 * `SourceStalled` (see {@link SourceWatch}).
 */
export function createImportDecisions(
  store: () => MemoryStore,
  deps: ImportDeps,
): ProjectMemoryActivities['importDecisions'] {
  const intervalMs = deps.checkpointIntervalMs ?? 1000;
  const stallTimeoutMs = deps.sourceStallTimeoutMs ?? DEFAULT_SOURCE_STALL_TIMEOUT_MS;
  const limits = deps.limits ?? DEFAULT_DATA_LIMITS;

  return async function importDecisions(options, scope) {
    const tenant = tenantOf(scope);
    const info = activityInfo();
    const { source: sourceText, format: explicitFormat } = options;
    const source = await resolveSource(sourceText, deps);
    const format = inferFormat(source, explicitFormat);
    const db = store();
    const runs = new ImportRuns(db);
    const key = activityExecutionKey(info);
    const stored = key === undefined ? undefined : await runs.claim(key, sourceText, format, info.attempt);
    if (stored?.finished === true && stored.checkpoint !== undefined) return summaryOf(stored.checkpoint);

    let resume = [stored?.checkpoint, checkpointFromHeartbeat(info.heartbeatDetails)]
      .filter((c): c is ImportCheckpoint => c?.fingerprint.source === sourceText && c.fingerprint.format === format)
      .reduce<ImportCheckpoint | undefined>(
        (best, c) => (best === undefined || c.offset > best.offset ? c : best),
        undefined,
      );
    let state: ImportCheckpoint | undefined;
    const progress = (): ProgressDetails => describeProgress(state ?? resume);

    return reportCancellation(deps.observer, progress, async (signal) => {
      // `state` is the last committed checkpoint; before the source is open, the one this attempt resumes from.
      const sendHeartbeat = () => {
        reportProgress({
          progress: progress(),
          checkpoint: state ?? resume,
        } satisfies HeartbeatDetails<ImportCheckpoint>);
      };
      const watch = new SourceWatch({
        name: sourceName(source),
        cancellation: signal,
        stallTimeoutMs,
        keepAliveMs: intervalMs,
        attempt: info.attempt,
        keepAlive: sendHeartbeat,
      });
      const open = (offset: number) => watch.wait(openSource(source, offset, watch.signal));
      let opened: OpenedSource | undefined;
      try {
        const start = await openFromCheckpoint({
          request: { source: sourceText, format },
          checkpoint: resume,
          open,
          onStale: () => {
            log.warn('Import checkpoint does not match the source any more; starting over', { source: sourceText });
          },
        });
        opened = start.opened;
        const { fingerprint } = start;
        if (!start.resumed) resume = undefined;
        let current: ImportCheckpoint = resume === undefined ? initialCheckpoint(fingerprint) : resume;
        state = current;
        sendHeartbeat();
        let nextHeartbeatAt = Date.now() + intervalMs;

        const splitter = new RecordSplitter(format, { offset: current.offset, line: current.line });
        let columns = current.header === null ? undefined : new CsvColumns(current.header, limits.maxStoredTextChars);
        let batch: RawRecord[] = [];
        let cursor = { end: current.offset, nextLine: current.line };

        const commit = async (finished: boolean) => {
          const results = batch.map((record) => parse(record, columns, limits.maxStoredTextChars));
          const decisions: KeyedDecision[] = [];
          const invalid: InvalidLine[] = [];
          results.forEach((result, i) => {
            if (result.ok) decisions.push(result.decision);
            else invalid.push({ line: batch[i]!.line, error: result.error });
          });
          let next = current;
          // Built inside the batch's transaction, from scratch each time (a store may run it again).
          const progressOf = (outcomes: WriteOutcome[]) => {
            // A fresh object: the SDK may serialise heartbeat details after this call returns.
            next = {
              ...current,
              invalid: [...current.invalid],
              header: columns?.header.slice() ?? null,
              offset: cursor.end,
              line: cursor.nextLine,
            };
            for (const outcome of outcomes) next[outcome] += 1;
            addInvalid(next, invalid);
            return key === undefined ? undefined : ImportRuns.save(key, info.attempt, next, finished);
          };
          try {
            await db.applyImportBatch(tenant, decisions, new Date().toISOString(), progressOf);
          } catch (err) {
            throw batchFailure(err, batch, db);
          }
          current = state = next;
          batch = [];
          sendHeartbeat();
          nextHeartbeatAt = Date.now() + intervalMs;
        };
        const handle = async (record: RawRecord) => {
          cursor = record;
          if (format === 'csv' && columns === undefined) {
            columns = new CsvColumns(readCsvHeader(record, limits.maxColumns), limits.maxStoredTextChars);
            return;
          }
          batch.push(record);
          if (batch.length >= IMPORT_BATCH_LINES) {
            await commit(false);
            throwIfCancelled(signal);
          }
        };

        for await (const chunk of watch.chunks(opened.chunks)) {
          throwIfCancelled(signal);
          for (const record of splitter.push(chunk)) await handle(record);
          if (Date.now() >= nextHeartbeatAt) {
            sendHeartbeat();
            nextHeartbeatAt = Date.now() + intervalMs;
          }
        }
        throwIfCancelled(signal);
        for (const record of splitter.end()) await handle(record);
        await commit(true);
        return summaryOf(current);
      } finally {
        opened?.close();
      }
    });
  };
}

function parse(record: RawRecord, columns: CsvColumns | undefined, maxTextChars: number): LineResult {
  return columns === undefined ? parseJsonRecord(record, maxTextChars) : columns.parse(record);
}

/** Constraint violations cannot pass on a retry: fail for good, naming the lines. Anything else (busy, I/O, connection) is retried. */
function batchFailure(err: unknown, batch: readonly RawRecord[], store: MemoryStore): unknown {
  if (!store.isConstraintViolation(err)) return err;
  const lines = batch.length === 0 ? '' : ` (lines ${batch[0]!.line}-${batch[batch.length - 1]!.line})`;
  const message = errorMessage(err);
  return toolFailure(TaskFailureType.ToolError, `a batch of the import was rolled back${lines}: ${message}`);
}

function describeProgress(checkpoint: ImportCheckpoint | undefined): ProgressDetails {
  const lines = (checkpoint?.line ?? 1) - 1;
  const records = checkpoint === undefined ? 0 : checkpoint.imported + checkpoint.updated + checkpoint.unchanged;
  return { current: lines, message: `Imported ${records} records (line ${lines})` };
}
