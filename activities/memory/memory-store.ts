import type { DecisionFields } from './decision-fields';
import type { DecisionRecord } from './types';

/** A `decisions` row, as every read of whole decisions returns it. */
export interface DecisionRow {
  id: number;
  external_id: string | null;
  title: string;
  decision: string;
  rationale: string | null;
  /** JSON array, mirrored in `decision_tags`. */
  tags: string;
  created_at: string;
}

/** The columns every read of whole decisions selects, in `DecisionRow` shape. */
export const ROW_COLUMNS = 'id, external_id, title, decision, rationale, tags, created_at';

/** A decision to write idempotently under `externalId`; `createdAt` undefined means "now, or keep the stored one". */
export interface KeyedDecision extends DecisionFields {
  externalId: string;
  createdAt: string | undefined;
}

/** What an idempotent write did. */
export type WriteOutcome = 'imported' | 'updated' | 'unchanged';

/** The fields of a chronological page: what the analysis reads of each decision. */
export interface PatternRow {
  id: number;
  title: string;
  decision: string;
  created_at: string;
}

/** `lower <= created_at < upper`, as stored (ISO text: `''` and `'~'` bound every date). */
export interface DateRange {
  lower: string;
  upper: string;
}

/** A page of a chronological scan: the range, and the `(created_at, id)` the previous page ended at. */
export interface ChronologicalPage extends DateRange {
  after: readonly [string, number];
}

/** A purge's filter: the tenant, and at least one of `tag` and `before` (null when absent). */
export interface PurgeFilter {
  tenant: string;
  tag: string | null;
  before: string | null;
}

/** The running total of one purge activity execution. */
export interface PurgeRun {
  deleted: number;
  finished: boolean;
}

/** What an import execution committed before, for the same source and format. */
export interface StoredImportRun {
  /** JSON of the last committed checkpoint (`null` before the first batch); parsed by import-progress.ts. */
  checkpoint: unknown;
  finished: boolean;
}

/** Progress an import batch commits together with its rows. */
export interface ImportRunSave {
  key: string;
  attempt: number;
  checkpoint: unknown;
  finished: boolean;
}

/**
 * The project memory's storage: one implementation per database (SQLite, embedded; PostgreSQL, shared by
 * many hosts). Every method is one transaction: it is applied whole or not at all, and another process
 * never sees part of it. Every decision belongs to a tenant; each method that reads or writes decisions
 * takes it and touches only that tenant's rows. Ids are global (shared by tenants) and never reused.
 */
export interface MemoryStore {
  /**
   * Stores `fields` for `tenant` under `key`, created and updated `now`, unless the tenant already has a
   * decision under that key: then returns that one (`existing`) and writes nothing.
   */
  recordOnce(
    tenant: string,
    key: string,
    fields: DecisionFields,
    now: string,
  ): Promise<{ id: number; existing: DecisionRow | undefined }>;

  /** The tenant's newest `limit` decisions (by `created_at`, then id), only those tagged `tag` when given. */
  recent(tenant: string, limit: number, tag: string | undefined): Promise<DecisionRow[]>;

  /**
   * Takes the import execution `key` over for `attempt` and returns what earlier attempts committed for
   * the same source and format (undefined for a new run, or one restarted on another source). Runs not
   * updated since `pruneBefore` are forgotten. Throws when a newer attempt already holds the run.
   */
  claimImportRun(claim: {
    key: string;
    source: string;
    format: string;
    attempt: number;
    now: string;
    pruneBefore: string;
  }): Promise<StoredImportRun | undefined>;

  /**
   * Writes one import batch for `tenant`: each decision inserted, overwritten when its content differs, or
   * left unchanged (see {@link compareStored}), then `progress(outcomes)` saved for its run when it
   * returns one. The batch is one transaction; a batch whose run a newer attempt took over throws.
   */
  applyImportBatch(
    tenant: string,
    decisions: readonly KeyedDecision[],
    now: string,
    progress: (outcomes: WriteOutcome[]) => ImportRunSave | undefined,
  ): Promise<WriteOutcome[]>;

  /** Up to `limit` of the tenant's decisions with `lower <= created_at < upper` after `after` in (created_at, id) order. */
  pageChronological(tenant: string, page: ChronologicalPage, limit: number): Promise<PatternRow[]>;

  /** The tenant's most used tags among decisions with `lower <= created_at < upper`, by count then name. */
  topTags(
    tenant: string,
    range: { lower: string; upper: string },
    limit: number,
  ): Promise<{ tag: string; count: number }[]>;

  /** `created_at` of each of the tenant's decisions tagged `tag` with `lower <= created_at < upper`. */
  tagDates(tenant: string, tag: string, range: DateRange): Promise<string[]>;

  /** The largest id in use, by any tenant (0 when empty). */
  maxId(): Promise<number>;

  /** Up to `limit` of the tenant's decisions with `afterId < id <= maxId`, by id. */
  pageById(tenant: string, afterId: number, maxId: number, limit: number): Promise<DecisionRow[]>;

  /**
   * How many of the tenant's decisions match `filter`, with the `maxId` of the same snapshot: a later
   * decision always gets a larger id, so a purge bounded by it deletes exactly what was counted.
   */
  countPurgeMatches(filter: PurgeFilter): Promise<{ count: number; maxId: number }>;

  /** Creates the running total of purge execution `key` when missing, and returns it. Runs older than `pruneBefore` go. */
  claimPurgeRun(key: string, now: string, pruneBefore: string): Promise<PurgeRun>;

  /**
   * Deletes up to `limit` decisions matching `filter` with `id <= maxId` (their tags with them) and adds
   * them to the running total of `key`, finished when fewer than `limit` were left; one transaction.
   */
  purgeBatch(filter: PurgeFilter & { maxId: number }, limit: number, key: string, now: string): Promise<PurgeRun>;

  /** Whether `err`, thrown by a write, is a constraint violation (which no retry can pass). */
  isConstraintViolation(err: unknown): boolean;

  /** Closes the connections. */
  close(): Promise<void>;
}

/**
 * How a keyed decision compares with the row stored under its identity: `unchanged`, or the values to
 * write. A missing `createdAt` keeps the stored date, so re-importing a source without dates changes nothing.
 */
export function compareStored(
  existing: DecisionRow,
  decision: KeyedDecision,
): { unchanged: true } | { unchanged: false; tags: string; createdAt: string; tagsChanged: boolean } {
  const tags = JSON.stringify(decision.tags);
  const createdAt = decision.createdAt ?? existing.created_at;
  if (
    existing.title === decision.title &&
    existing.decision === decision.decision &&
    existing.rationale === decision.rationale &&
    existing.tags === tags &&
    existing.created_at === createdAt
  ) {
    return { unchanged: true };
  }
  return { unchanged: false, tags, createdAt, tagsChanged: existing.tags !== tags };
}

/** The failure of an import attempt that a newer attempt has replaced. */
export function supersededImport(key: string, attempt: number, newer?: number): Error {
  return new Error(
    newer === undefined
      ? `import ${key} was taken over by a newer attempt; attempt ${attempt} stops`
      : `import ${key} is already run by attempt ${newer}; attempt ${attempt} stops`,
  );
}

/** Maps a row to the public record shape. */
export function toRecord(row: DecisionRow): DecisionRecord {
  return {
    id: row.id,
    title: row.title,
    decision: row.decision,
    rationale: row.rationale,
    tags: JSON.parse(row.tags) as string[],
    createdAt: row.created_at,
  };
}
