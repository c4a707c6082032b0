import type { DatasetReport } from '../../workflows/tools/analyze-dataset';
import type { ColumnCheckpoint } from './column-stats';
import type { SourceFingerprint } from '../common/source';

/** The analysis result, as the tool's output schema declares it. */
export type { DatasetReport };

/** Everything a format analyser has accumulated, in JSON form. */
export interface AnalyzerState {
  rows: number;
  invalidRows: number;
  /** The CSV header once read (after renaming duplicates); always `null` for JSONL. */
  header: string[] | null;
  /** The tracked columns' statistics, in report order. */
  columns: [string, ColumnCheckpoint][];
}

/** A one-pass analyser of one format, fed with the source's bytes. */
export interface DatasetAnalyzer {
  /** Parses the bytes and folds every complete record into the statistics. */
  push(chunk: Buffer): void;
  /** Folds in a last record without a trailing line break. */
  end(): void;
  /** Byte offset of the next record not yet folded in; the state always covers exactly the bytes before it. */
  readonly offset: number;
  /** Valid plus invalid rows so far. */
  readonly records: number;
  /** A snapshot of the accumulated state, independent of later updates. */
  state(): AnalyzerState;
  /** The report of everything folded in so far. */
  report(): DatasetReport;
}

/** The `checkpoint` of the dataset activity's heartbeat details. */
export interface DatasetCheckpoint extends AnalyzerState {
  version: 1;
  fingerprint: SourceFingerprint;
  /** Byte offset of the next unread record: the state covers exactly the bytes before it. */
  offset: number;
}

/**
 * Reads a checkpoint from heartbeat details received from the server, or returns `undefined` when the
 * details hold none or one of a different shape (for example written by another version of this code).
 */
export function parseCheckpoint(details: unknown): DatasetCheckpoint | undefined {
  const checkpoint = (details as { checkpoint?: unknown } | null | undefined)?.checkpoint;
  if (!isRecord(checkpoint) || checkpoint.version !== 1) return undefined;
  const { offset, rows, invalidRows, header, columns, fingerprint } = checkpoint;
  const counters = [offset, rows, invalidRows].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  const validHeader = header === null || (Array.isArray(header) && header.every((h) => typeof h === 'string'));
  const validColumns = Array.isArray(columns) && columns.every(isColumnEntry);
  if (!counters || !validHeader || !validColumns || !isRecord(fingerprint)) return undefined;
  return checkpoint as unknown as DatasetCheckpoint;
}

function isColumnEntry(entry: unknown): boolean {
  if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return false;
  const stats: unknown = entry[1];
  return (
    isRecord(stats) &&
    typeof stats.count === 'number' &&
    typeof stats.numeric === 'boolean' &&
    typeof stats.mean === 'number' &&
    typeof stats.m2 === 'number' &&
    typeof stats.capped === 'boolean' &&
    Array.isArray(stats.values)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
