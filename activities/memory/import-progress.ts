import type { SourceFingerprint } from '../common/source';
import type { DecisionStore } from './decision-store';
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

const SQL = {
  get: 'SELECT source, format, attempt, checkpoint, finished FROM import_runs WHERE run_key = ?',
  upsert: `INSERT INTO import_runs (run_key, source, format, attempt, checkpoint, finished, updated_at)
           VALUES (?, ?, ?, ?, 'null', 0, ?)
           ON CONFLICT(run_key) DO UPDATE SET attempt = excluded.attempt, updated_at = excluded.updated_at`,
  reset: `UPDATE import_runs SET source = ?, format = ?, checkpoint = 'null', finished = 0 WHERE run_key = ?`,
  save: `UPDATE import_runs SET checkpoint = ?, finished = ?, updated_at = ? WHERE run_key = ? AND attempt = ?`,
  prune: 'DELETE FROM import_runs WHERE updated_at < ?',
} as const;

/**
 * The `import_runs` table: each batch commits its checkpoint here together with its rows, so a retry
 * resumes from the last committed batch even when the heartbeat carrying it was lost, and its counters
 * stay exact. Rows are fenced by attempt: an older attempt still running (a "zombie" after a heartbeat
 * timeout) fails its next batch instead of interleaving with the retry.
 */
export class ImportRuns {
  constructor(private readonly store: DecisionStore) {}

  /** Takes the run over for `attempt` and returns what earlier attempts committed (for the same source and format). */
  claim(key: string, source: string, format: string, attempt: number): StoredRun {
    return this.store.transaction(() => {
      const now = new Date();
      this.store.sql(SQL.prune).run(new Date(now.getTime() - RUN_RETENTION_MS).toISOString());
      const row = this.store.sql(SQL.get).get(key) as
        { source: string; format: string; attempt: number; checkpoint: string; finished: number } | undefined;
      if (row !== undefined && row.attempt > attempt) {
        throw new Error(`import ${key} is already run by attempt ${row.attempt}; attempt ${attempt} stops`);
      }
      this.store.sql(SQL.upsert).run(key, source, format, attempt, now.toISOString());
      if (row === undefined) return { checkpoint: undefined, finished: false };
      if (row.source !== source || row.format !== format) {
        this.store.sql(SQL.reset).run(source, format, key);
        return { checkpoint: undefined, finished: false };
      }
      return { checkpoint: parseCheckpoint(JSON.parse(row.checkpoint)), finished: row.finished === 1 };
    });
  }

  /** Records progress; call inside the batch's transaction. Throws when a newer attempt has taken over. */
  save(key: string, attempt: number, checkpoint: ImportCheckpoint, finished: boolean): void {
    const { changes } = this.store
      .sql(SQL.save)
      .run(JSON.stringify(checkpoint), finished ? 1 : 0, new Date().toISOString(), key, attempt);
    if (changes !== 1) throw new Error(`import ${key} was taken over by a newer attempt; attempt ${attempt} stops`);
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
