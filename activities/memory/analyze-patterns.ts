import { reportProgress } from '../common/progress-report';
import type { HeartbeatDetails, ProgressDetails } from '../../common/task-types';
import { invalidInput } from '../common/failures';
import type { ActivityObserver } from '../observer';
import { reportCancellation, yieldAndCheck } from '../common/activity-context';
import { isoArgument } from './decision-fields';
import type { MemoryStore } from './memory-store';
import { ReversalDetector } from './reversals';
import { tenantOf } from './tenant';
import type { AnalyzePatternsOptions, BucketCount, ProjectMemoryActivities } from './types';

/** Rows read per query; between pages the event loop runs (heartbeats, cancellation). */
const PAGE_ROWS = 2000;

/** Most buckets a report may span; beyond it the caller must narrow the range or use months. */
export const MAX_BUCKETS = 2000;

const TOP_TAGS = 20;
const TRENDING_TAGS = 5;

/** Sorts after every canonical ISO timestamp: the upper bound when `until` is omitted. */
const AFTER_ALL_DATES = '~';

type BucketKind = AnalyzePatternsOptions['bucket'];

/** Start of the UTC week (Monday 00:00) or month (the 1st, 00:00) holding `iso`, as epoch milliseconds. */
export function bucketStart(iso: string, kind: BucketKind): number {
  const date = new Date(iso);
  if (kind === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return day - ((date.getUTCDay() + 6) % 7) * 86_400_000;
}

/** The start of the bucket after the one starting at `start`. */
function nextBucket(start: number, kind: BucketKind): number {
  if (kind === 'week') return start + 7 * 86_400_000;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * Builds `analyzeDecisionPatterns`: over the scope's tenant's decisions with
 * `since <= createdAt < until`, counts per week or month (contiguous, empty buckets included), the top
 * 20 tags, per-bucket counts for the top 5, and reversals (see `ReversalDetector` for the heuristic).
 *
 * Decisions are streamed in pages of 2000 in chronological order, heartbeating progress between pages;
 * memory holds only the counters and the reversal index (titles and their words). Pages are separate
 * reads, so writes made during the analysis may or may not be seen. Not checkpointed: a retry starts
 * over. A range spanning more than {@link MAX_BUCKETS} buckets throws `InvalidInput`.
 */
export function createAnalyzeDecisionPatterns(
  store: () => MemoryStore,
  observer: ActivityObserver,
): ProjectMemoryActivities['analyzeDecisionPatterns'] {
  return async function analyzeDecisionPatterns(options, scope) {
    const tenant = tenantOf(scope);
    const kind = options.bucket;
    // The schema checked the dates; this brings them to the stored form, which sorts chronologically.
    const since = isoArgument(options.since, 'since');
    const until = isoArgument(options.until, 'until');
    const lower = since ?? '';
    const upper = until ?? AFTER_ALL_DATES;
    const db = store();
    let scanned = 0;
    const progress = (): ProgressDetails => ({ current: scanned, message: `Analysed ${scanned} decisions` });

    return reportCancellation(observer, progress, async (signal) => {
      const counts = new Map<number, number>();
      const detector = new ReversalDetector();
      let bucket = -1;
      let bucketEnd = '';
      let after: [string, number] = ['', 0];
      for (;;) {
        const rows = await db.pageChronological(tenant, { lower, upper, after }, PAGE_ROWS);
        for (const row of rows) {
          // Rows come in time order, so the bucket only changes when a row passes its end.
          if (row.created_at >= bucketEnd) {
            bucket = bucketStart(row.created_at, kind);
            bucketEnd = new Date(nextBucket(bucket, kind)).toISOString();
          }
          counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
          detector.add(row);
        }
        scanned += rows.length;
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < PAGE_ROWS) break;
        after = [last.created_at, last.id];
        reportProgress({ progress: progress() } satisfies HeartbeatDetails);
        await yieldAndCheck(signal);
      }

      const starts = bucketStarts([...counts.keys()], kind);
      const topTags = await db.topTags(tenant, { lower, upper }, TOP_TAGS);
      const tagTrends = [];
      for (const { tag } of topTags.slice(0, TRENDING_TAGS)) {
        const perBucket = new Map<number, number>();
        for (const createdAt of await db.tagDates(tenant, tag, { lower, upper })) {
          const start = bucketStart(createdAt, kind);
          perBucket.set(start, (perBucket.get(start) ?? 0) + 1);
        }
        tagTrends.push({ tag, counts: toBucketCounts(starts, perBucket) });
      }
      reportProgress({ progress: progress() } satisfies HeartbeatDetails);
      return {
        range: { since: since ?? null, until: until ?? null },
        bucket: kind,
        total: scanned,
        buckets: toBucketCounts(starts, counts),
        topTags: topTags.map(({ tag, count }) => ({ tag, count })),
        tagTrends,
        ...detector.result(),
      };
    });
  };
}

/** Every bucket start from the earliest to the latest of `used`, ascending. */
function bucketStarts(used: number[], kind: BucketKind): number[] {
  if (used.length === 0) return [];
  const first = used.reduce((a, b) => Math.min(a, b));
  const last = used.reduce((a, b) => Math.max(a, b));
  const starts: number[] = [];
  for (let start = first; start <= last; start = nextBucket(start, kind)) {
    if (starts.length >= MAX_BUCKETS) {
      throw invalidInput(
        `the decisions span more than ${MAX_BUCKETS} ${kind}s; narrow the range with since/until` +
          (kind === 'week' ? ' or use bucket "month"' : ''),
      );
    }
    starts.push(start);
  }
  return starts;
}

function toBucketCounts(starts: number[], counts: Map<number, number>): BucketCount[] {
  return starts.map((start) => ({ start: new Date(start).toISOString(), count: counts.get(start) ?? 0 }));
}
