/**
 * How much of a source one task may consume, and how large its result may be. Each is a setting (see
 * the README's Configuration table); every cap fails its task with a message that names it, or, for
 * the result, shortens it and says so, rather than letting one crafted file exhaust the worker.
 */
export interface DataLimits {
  /** Most columns of a CSV header, or distinct keys across JSONL rows (`DATASET_MAX_COLUMNS`). @default 1000 */
  maxColumns: number;
  /** Longest CSV record or JSONL line, in bytes (`DATASET_MAX_RECORD_BYTES`). @default 4 MiB */
  maxRecordBytes: number;
  /** Distinct values counted exactly per column (`DATASET_MAX_DISTINCT_VALUES`). @default 10_000 */
  maxDistinctValues: number;
  /**
   * Largest result of one tool, in bytes of JSON (`TOOL_RESULT_MAX_BYTES`). Temporal refuses payloads
   * over 2 MB, and a result's text repeats parts of its structured content, so at most 1 MB. @default 800_000
   */
  maxResultBytes: number;
  /**
   * Longest text stored in a project-memory field (title, decision, rationale), in characters
   * (`MEMORY_VALUE_MAX_CHARS`); it can only lower each field's own limit (500 for a title, 10,000 for
   * the others). @default 10_000
   */
  maxStoredTextChars: number;
}

/** The defaults of {@link DataLimits}. */
export const DEFAULT_DATA_LIMITS: DataLimits = {
  maxColumns: 1000,
  maxRecordBytes: 4 * 1024 * 1024,
  maxDistinctValues: 10_000,
  maxResultBytes: 800_000,
  maxStoredTextChars: 10_000,
};

/** The largest `maxResultBytes` accepted: twice it, plus a little, still fits Temporal's 2 MB payload limit. */
export const MAX_RESULT_BYTES_LIMIT = 1_000_000;
