import type { ColumnReport } from '../../workflows/tools/analyze-dataset';
import { DEFAULT_DATA_LIMITS } from '../common/data-limits';
/**
 * Most distinct values counted exactly per column by default (`DATASET_MAX_DISTINCT_VALUES`). Past it, `distinct` reports the cap with
 * `distinctCapped: true`, values already seen keep being counted, and values first seen afterwards
 * are not counted at all, so `top` is exact only while the column is not capped. The cap is what keeps
 * memory (and checkpoints) bounded on high-cardinality columns such as ids.
 */
export const DISTINCT_CAP = DEFAULT_DATA_LIMITS.maxDistinctValues;

/** How many of the most frequent values a column report lists. */
export const TOP_VALUES = 5;

/** Statistics of one column, as the tool's output schema declares them. */
export type { ColumnReport };

/** JSON form of a {@link ColumnStats}, stored in checkpoints. */
export interface ColumnCheckpoint {
  count: number;
  numeric: boolean;
  mean: number;
  m2: number;
  min: number | null;
  max: number | null;
  capped: boolean;
  /** Distinct values with their counts, in first-seen order. */
  values: [string, number][];
}

/** Strict decimal number with optional exponent; surrounding white space is allowed (CSV text is trimmed). */
const NUMBER_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * One column's running statistics, updated one value at a time in constant time: counts, a capped
 * frequency map, and min/max/mean/variance by Welford's algorithm, which stays numerically stable and
 * whose whole state fits in a checkpoint. Nulls are not recorded here: every valid row has either a
 * value or a null in each column, so `nulls = rows - count`.
 */
export class ColumnStats {
  private count = 0;
  private numeric = true;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private capped = false;
  private readonly values = new Map<string, number>();

  /** @param maxDistinct Distinct values counted exactly; see {@link DISTINCT_CAP}. */
  constructor(private readonly maxDistinct: number = DISTINCT_CAP) {}

  /** Adds a non-empty CSV field; it is numeric when its trimmed text is a finite decimal number. */
  addText(text: string): void {
    if (this.numeric) {
      const x = NUMBER_TEXT.test(text) ? Number(text) : NaN;
      if (Number.isFinite(x)) this.addNumber(x);
      else this.numeric = false;
    }
    this.addValue(text);
  }

  /**
   * Adds a non-null JSON value. Only JSON numbers are numeric (a string such as `"12"` is not). Values
   * are compared as text: strings as they are, anything else as its JSON text.
   */
  addJson(value: unknown): void {
    if (typeof value === 'number') {
      if (this.numeric) this.addNumber(value);
      this.addValue(String(value));
      return;
    }
    this.numeric = false;
    this.addValue(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** The column's report, given the number of valid rows so far. */
  report(rows: number): ColumnReport {
    const numeric =
      this.numeric && this.count > 0
        ? { min: this.min, max: this.max, mean: this.mean, stddev: Math.sqrt(Math.max(0, this.m2) / this.count) }
        : {};
    return {
      count: this.count,
      nulls: rows - this.count,
      distinct: this.values.size,
      distinctCapped: this.capped,
      ...numeric,
      top: topValues(this.values),
    };
  }

  /** A JSON-serialisable snapshot, independent of later updates. */
  toCheckpoint(): ColumnCheckpoint {
    return {
      count: this.count,
      numeric: this.numeric,
      mean: this.mean,
      m2: this.m2,
      min: this.count > 0 && this.numeric ? this.min : null,
      max: this.count > 0 && this.numeric ? this.max : null,
      capped: this.capped,
      values: [...this.values],
    };
  }

  /** Rebuilds the statistics from {@link toCheckpoint}'s output. */
  static fromCheckpoint(saved: ColumnCheckpoint, maxDistinct: number = DISTINCT_CAP): ColumnStats {
    const stats = new ColumnStats(maxDistinct);
    stats.count = saved.count;
    stats.numeric = saved.numeric;
    stats.mean = saved.mean;
    stats.m2 = saved.m2;
    stats.min = saved.min ?? Infinity;
    stats.max = saved.max ?? -Infinity;
    stats.capped = saved.capped;
    for (const [value, count] of saved.values) stats.values.set(value, count);
    return stats;
  }

  private addNumber(value: number): void {
    // `+ 0` turns -0 into 0, which JSON cannot tell apart: a resumed run must see the same numbers.
    const x = value + 0;
    const n = this.count + 1;
    const delta = x - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  private addValue(key: string): void {
    this.count++;
    const seen = this.values.get(key);
    if (seen !== undefined) this.values.set(key, seen + 1);
    else if (this.values.size < this.maxDistinct) this.values.set(key, 1);
    else this.capped = true;
  }
}

/** The most frequent values, by count descending and then value ascending (code-unit order). */
function topValues(values: Map<string, number>): { value: string; count: number }[] {
  const top: { value: string; count: number }[] = [];
  for (const [value, count] of values) {
    const last = top[top.length - 1];
    if (top.length === TOP_VALUES && last !== undefined && !ranksBefore(value, count, last)) continue;
    let at = top.length;
    while (at > 0 && ranksBefore(value, count, top[at - 1]!)) at--;
    top.splice(at, 0, { value, count });
    if (top.length > TOP_VALUES) top.pop();
  }
  return top;
}

function ranksBefore(value: string, count: number, other: { value: string; count: number }): boolean {
  return count > other.count || (count === other.count && value < other.value);
}
