/**
 * Inputs and outputs of the project-memory activities. Everything here is a plain JSON value: Temporal
 * serialises activity arguments and results as JSON.
 */

/** One stored decision, as every read activity returns it. */
export interface DecisionRecord {
  /** Store-local id, assigned in insertion order and never reused (purged ids stay retired). */
  id: number;
  title: string;
  decision: string;
  /** `null` when no rationale was given (an empty rationale is stored as `null` too). */
  rationale: string | null;
  /** Trimmed, lower-cased, deduplicated tags in the order first given; never contain `;`. */
  tags: string[];
  /** ISO 8601 UTC timestamp with milliseconds (`2026-01-31T12:00:00.000Z`). */
  createdAt: string;
}

/** Arguments of `recordDecision`. */
export interface RecordDecisionOptions {
  title: string;
  decision: string;
  rationale?: string;
  tags: string[];
}

/** Arguments of `getRecentDecisions`. */
export interface RecentDecisionsOptions {
  /** How many decisions to return, 1..1000. */
  limit: number;
  /** Only decisions carrying exactly this tag (compared after trimming and lower-casing). */
  tag?: string;
}

/** Result of `getRecentDecisions`. */
export interface RecentDecisions {
  /** Newest first: `createdAt` descending, then `id` descending. */
  decisions: DecisionRecord[];
  /** Present (true) when fewer than `limit` rows were returned to keep the result under ~1 MB. */
  truncated?: true;
}

/** Arguments of `importDecisions`. */
export interface ImportDecisionsOptions {
  /** A path (relative paths start at the first dataset root) or an `http(s)://` URL. */
  source: string;
  /** Inferred from the extension (`.jsonl`, `.ndjson`, `.csv`) when omitted. */
  format?: 'jsonl' | 'csv';
}

/** A line the import skipped, with the reason. */
export interface InvalidLine {
  /** 1-based physical line number where the record starts (the CSV header is line 1). */
  line: number;
  /** A message naming the line and the problem, e.g. `line 17: title is missing`. */
  error: string;
}

/** Result of `importDecisions`. */
export interface ImportSummary {
  /** Records that created a new decision. */
  imported: number;
  /** Records whose decision already existed with different content, now overwritten. */
  updated: number;
  /** Records whose decision already existed with identical content (nothing written). */
  unchanged: number;
  /** The first 100 invalid lines, in file order. */
  invalid: InvalidLine[];
  /** All invalid lines. */
  invalidCount: number;
}

/** Arguments of `analyzeDecisionPatterns`. */
export interface AnalyzePatternsOptions {
  /** Inclusive lower bound on `createdAt` (ISO date or date-time); unbounded when omitted. */
  since?: string;
  /** Exclusive upper bound on `createdAt`; unbounded when omitted. */
  until?: string;
  bucket: 'week' | 'month';
}

/** Decisions counted in one time bucket. */
export interface BucketCount {
  /** Start of the bucket in ISO UTC: a Monday 00:00 for weeks, the 1st 00:00 for months. */
  start: string;
  count: number;
}

/** A decision that the heuristic reads as reversing an earlier one (see `reversals.ts`). */
export interface DecisionReversal {
  decisionId: number;
  title: string;
  reversesId: number;
  reversesTitle: string;
  /** Why it matched, e.g. `cue "revert"; titles 67% similar`. */
  reason: string;
}

/** Result of `analyzeDecisionPatterns`. */
export interface DecisionPatterns {
  /** The bounds applied, normalised to ISO UTC; `null` when unbounded. */
  range: { since: string | null; until: string | null };
  bucket: 'week' | 'month';
  /** Decisions in the range. */
  total: number;
  /** Ascending, contiguous from the first to the last non-empty bucket (empty ones included). */
  buckets: BucketCount[];
  /** The 20 most used tags in the range, by count descending then tag ascending. */
  topTags: { tag: string; count: number }[];
  /** For the 5 most used tags: a count for every bucket of `buckets`, in the same order. */
  tagTrends: { tag: string; counts: BucketCount[] }[];
  /** The latest 200 reversals found, in chronological order of the reversing decision. */
  reversals: DecisionReversal[];
  /** All reversals found (may exceed `reversals.length`). */
  reversalCount: number;
}

/** Arguments of `exportMemory`. */
export interface ExportMemoryOptions {
  format: 'jsonl' | 'json' | 'csv';
}

/** Result of `exportMemory`. */
export interface MemoryExport {
  /** Absolute path of the finished file. */
  path: string;
  /** Decisions written. */
  count: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** Which decisions a purge targets; at least one field must be given. */
export interface PurgeFilterOptions {
  /** Decisions carrying exactly this tag. */
  tag?: string;
  /** Decisions created strictly before this ISO date or date-time. */
  before?: string;
}

/** Arguments of `purgeDecisions`: the filter plus the snapshot bound from `countPurgeMatches`. */
export interface PurgeDecisionsOptions extends PurgeFilterOptions {
  /** Only ids up to this one are deleted, so that decisions added after the count survive. */
  maxId: number;
}

/** Result of `countPurgeMatches`. */
export interface PurgeCount {
  count: number;
  /** The largest id existing at the time of the count (0 when the store is empty). */
  maxId: number;
}
