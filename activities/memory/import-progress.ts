import type { SourceFingerprint } from '../common/source';
import type { ImportRunSave, MemoryStore } from './memory-store';
import type { ImportSummary, InvalidLine } from './types';

/** How many invalid lines a summary (and a checkpoint) keeps. */
export const MAX_KEPT_INVALID = 100;

/** Import runs not touched for this long are forgotten. */
const RUN_RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * An import's position and counters. Heartbeated after each batch, and committed in `import_runs`
 * in the same transaction as the batch. Every field describes exactly the bytes before `offset`.
 */
export interface ImportCheckpoint extends ImportSummary {
  version: 1;
  /** The source this was taken on; a checkpoint is only reused while the source is unchanged. */
  fingerprint: SourceFingerprint;
  /** Byte offset of the next unread record. */
  offset: number;
  /** Physical line number at `offset` (1-based), so that line numbers stay right after a resume. */
  line: number;
  /** The CSV header once read (normalised names); `null` for JSONL or before it is read. */
  header: string[] | null;
}

/** A checkpoint at the start of `fingerprint`'s source. */
export function initialCheckpoint(fingerprint: SourceFingerprint): ImportCheckpoint {
  return {
    version: 1,
    fingerprint,
    offset: 0,
    line: 1,
    header: null,
    imported: 0,
    updated: 0,
    unchanged: 0,
    invalid: [],
    invalidCount: 0,
  };
}

/** The summary part of a checkpoint, as a fresh object. */
export function summaryOf(checkpoint: ImportCheckpoint): ImportSummary {
  const { imported, updated, unchanged, invalid, invalidCount } = checkpoint;
  return { imported, updated, unchanged, invalid: invalid.map((entry) => ({ ...entry })), invalidCount };
}

/**
 * Reads a checkpoint from heartbeat details or a stored row, or returns `undefined` for anything of
 * another shape (for example written by a different version of this code).
 */
export function parseCheckpoint(value: unknown): ImportCheckpoint | undefined {
  if (!isRecord(value) || value.version !== 1 || !isRecord(value.fingerprint)) return undefined;
  const counters = [value.offset, value.imported, value.updated, value.unchanged, value.invalidCount];
  if (!counters.every(isCount) || !isCount(value.line) || (value.line as number) < 1) return undefined;
  const header = value.header;
  if (header !== null && !(Array.isArray(header) && header.every((name) => typeof name === 'string'))) return undefined;
  if (!Array.isArray(value.invalid) || !value.invalid.every(isInvalidLine)) return undefined;
  return value as unknown as ImportCheckpoint;
}

/** The checkpoint inside heartbeat details `{ progress, checkpoint }`. */
export function checkpointFromHeartbeat(details: unknown): ImportCheckpoint | undefined {
  return isRecord(details) ? parseCheckpoint(details.checkpoint) : undefined;
}

/** What the database remembers about an import execution. */
export interface StoredRun {
  checkpoint: ImportCheckpoint | undefined;
  finished: boolean;
}

/**
 * The `import_runs` table: each batch commits its checkpoint here together with its rows, so a retry
 * resumes from the last committed batch even when the heartbeat carrying it was lost, and its counters
 * stay exact. Rows are fenced by attempt: an older attempt still running (a "zombie" after a heartbeat
 * timeout) fails its next batch instead of interleaving with the retry.
 */
export class ImportRuns {
  constructor(private readonly store: MemoryStore) {}

  /** Takes the run over for `attempt` and returns what earlier attempts committed (for the same source and format). */
  async claim(key: string, source: string, format: string, attempt: number): Promise<StoredRun> {
    const now = new Date();
    const pruneBefore = new Date(now.getTime() - RUN_RETENTION_MS).toISOString();
    const row = await this.store.claimImportRun({ key, source, format, attempt, now: now.toISOString(), pruneBefore });
    if (row === undefined) return { checkpoint: undefined, finished: false };
    return { checkpoint: parseCheckpoint(row.checkpoint), finished: row.finished };
  }

  /** The progress a batch commits with its rows (see `MemoryStore.applyImportBatch`). */
  static save(key: string, attempt: number, checkpoint: ImportCheckpoint, finished: boolean): ImportRunSave {
    return { key, attempt, checkpoint, finished };
  }
}

/** Appends invalid lines to a checkpoint's counters, keeping at most {@link MAX_KEPT_INVALID}. */
export function addInvalid(checkpoint: ImportCheckpoint, entries: readonly InvalidLine[]): void {
  checkpoint.invalidCount += entries.length;
  for (const entry of entries) {
    if (checkpoint.invalid.length >= MAX_KEPT_INVALID) break;
    checkpoint.invalid.push(entry);
  }
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isInvalidLine(value: unknown): boolean {
  return isRecord(value) && isCount(value.line) && typeof value.error === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
