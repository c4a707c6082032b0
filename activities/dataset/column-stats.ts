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

/** Longest value, in bytes, that {@link ColumnStats.addBytes} looks up without decoding it. */
const MAX_INDEXED_BYTES = 128;

/**
 * One column's running statistics, updated one value at a time in constant time: counts, a capped
 * frequency table, and min/max/mean/variance by Welford's algorithm, which stays numerically stable and
 * whose whole state fits in a checkpoint. Nulls are not recorded here: every valid row has either a
 * value or a null in each column, so `nulls = rows - count`.
 *
 * Distinct values are kept in first-seen order (`keys`, `counts`), found by text through `index`. CSV
 * fields can also be found by their bytes ({@link addBytes}): most values repeat, and finding a
 * repeated value without decoding it, hashing a new string and parsing its number again is what keeps
 * a CSV pass fast.
 */
export class ColumnStats {
  private count = 0;
  private numeric = true;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private capped = false;
  /** Distinct values in first-seen order, and how often each was seen. */
  private readonly keys: string[] = [];
  private readonly counts: number[] = [];
  /** Position of each distinct value in `keys`. */
  private readonly index = new Map<string, number>();
  /** Position in `keys` of JSON numbers seen, by value; filled by {@link addJson}. */
  private numbers: Map<number, number> | undefined;
  /** The ASCII values by their bytes; built on the first {@link addBytes}. */
  private bytes: AsciiIndex | undefined;

  /** @param maxDistinct Distinct values counted exactly; see {@link DISTINCT_CAP}. */
  constructor(private readonly maxDistinct: number = DISTINCT_CAP) {}

  /** Adds a non-empty CSV field; it is numeric when its trimmed text is a finite decimal number. */
  addText(text: string): void {
    let x = NaN;
    if (this.numeric) {
      x = numberOfText(text);
      if (Number.isFinite(x)) this.addNumber(x);
      else this.numeric = false;
    }
    this.addValue(text, x);
  }

  /**
   * Adds the non-empty CSV field `buf[start, end)`, exactly as `addText` of its UTF-8 text would.
   * Short ASCII values are found by their bytes; anything else is decoded and goes through `addText`.
   */
  addBytes(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length > MAX_INDEXED_BYTES) return this.addText(buf.toString('utf8', start, end));
    let hash = FNV_OFFSET;
    let high = 0;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      high |= c;
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    if (high >= 0x80) return this.addText(buf.toString('utf8', start, end));
    const bytes = this.bytes ?? this.indexBytes();
    const at = bytes.find(buf, start, length, hash);
    if (at >= 0) {
      if (this.numeric) {
        const x = bytes.numbers[at]!;
        if (x === x) this.addNumber(x);
        else this.numeric = false;
      }
      this.count++;
      this.counts[at]!++;
      return;
    }
    // Every ASCII value seen is in `bytes`: this one is new.
    let x = NaN;
    if (this.numeric) {
      x = numberOfAscii(buf, start, end);
      if (x === x) this.addNumber(x);
      else this.numeric = false;
    }
    this.count++;
    if (this.keys.length < this.maxDistinct) {
      const key = buf.toString('latin1', start, end);
      bytes.add(this.keys.length, buf, start, length, hash, x);
      this.append(key);
    } else {
      this.capped = true;
    }
  }

  /**
   * Adds a non-null JSON value. Only JSON numbers are numeric (a string such as `"12"` is not). Values
   * are compared as text: strings as they are, anything else as its JSON text.
   */
  addJson(value: unknown): void {
    if (typeof value === 'number') {
      if (this.numeric) this.addNumber(value);
      // A number seen before is found without turning it into text again (0 and -0 are one key, as in text).
      const numbers = (this.numbers ??= new Map<number, number>());
      const at = numbers.get(value);
      if (at !== undefined) {
        this.count++;
        this.counts[at]!++;
        return;
      }
      const key = String(value);
      this.addValue(key, NaN);
      const added = this.index.get(key);
      if (added !== undefined) numbers.set(value, added);
      return;
    }
    this.numeric = false;
    this.addValue(typeof value === 'string' ? value : JSON.stringify(value), NaN);
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
      distinct: this.keys.length,
      distinctCapped: this.capped,
      ...numeric,
      top: topValues(this.keys, this.counts),
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
      values: this.keys.map((key, k): [string, number] => [key, this.counts[k]!]),
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
    for (const [value, count] of saved.values) {
      // As a Map would: a repeated key keeps its first position and its last count.
      const at = stats.index.get(value);
      if (at === undefined) {
        stats.append(value);
        stats.counts[stats.counts.length - 1] = count;
      } else {
        stats.counts[at] = count;
      }
    }
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

  /** Counts `key`; `x` is its number (NaN when not numeric), kept for finding it by its bytes later. */
  private addValue(key: string, x: number): void {
    this.count++;
    const seen = this.index.get(key);
    if (seen !== undefined) {
      this.counts[seen]!++;
    } else if (this.keys.length < this.maxDistinct) {
      if (this.bytes !== undefined && isIndexable(key)) this.bytes.addText(this.keys.length, key, x);
      this.append(key);
    } else {
      this.capped = true;
    }
  }

  /** Appends a new distinct value seen once. */
  private append(key: string): void {
    this.index.set(key, this.keys.length);
    this.keys.push(key);
    this.counts.push(1);
  }

  /** Builds the byte index from the values so far (those restored from a checkpoint, or added as text). */
  private indexBytes(): AsciiIndex {
    const bytes = new AsciiIndex();
    this.keys.forEach((key, k) => {
      if (isIndexable(key)) bytes.addText(k, key, this.numeric ? numberOfText(key) : NaN);
    });
    this.bytes = bytes;
    return bytes;
  }
}

/** Strict decimal text as a finite number, or NaN: `NUMBER_TEXT` and `Number`, with their results. */
function numberOfText(text: string): number {
  const x = NUMBER_TEXT.test(text) ? Number(text) : NaN;
  return Number.isFinite(x) ? x : NaN;
}

/** Whether `addBytes` looks `key` up by its bytes: short, and ASCII (so one byte per character). */
function isIndexable(key: string): boolean {
  return key.length <= MAX_INDEXED_BYTES && Buffer.byteLength(key, 'utf8') === key.length;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** Exact powers of ten: with an integer below 2^53, one multiplication or division by them rounds correctly. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * `numberOfText` of the ASCII bytes `buf[start, end)`, without decoding them when they are a plain
 * decimal of at most 15 digits with a small exponent: that integer is exact in a double, and scaling
 * it by an exact power of ten rounds once, correctly, as `Number` does. Anything else is decoded.
 */
function numberOfAscii(buf: Buffer, start: number, end: number): number {
  let i = start;
  let stop = end;
  while (i < stop && isSpace(buf[i]!)) i++;
  while (stop > i && isSpace(buf[stop - 1]!)) stop--;
  let negative = false;
  if (i < stop && (buf[i] === 0x2b || buf[i] === 0x2d)) negative = buf[i++] === 0x2d;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  for (; i < stop && isDigit(buf[i]!); i++, digits++) mantissa = mantissa * 10 + buf[i]! - 0x30;
  if (i < stop && buf[i] === 0x2e) {
    for (i++; i < stop && isDigit(buf[i]!); i++, digits++, fraction++) mantissa = mantissa * 10 + buf[i]! - 0x30;
  }
  if (digits === 0) return NaN;
  let exponent = 0;
  if (i < stop && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let negativeExponent = false;
    if (i < stop && (buf[i] === 0x2b || buf[i] === 0x2d)) negativeExponent = buf[i++] === 0x2d;
    const from = i;
    for (; i < stop && isDigit(buf[i]!) && i - from < 6; i++) exponent = exponent * 10 + buf[i]! - 0x30;
    if (i === from) return NaN;
    if (i < stop && isDigit(buf[i]!)) return numberOfText(buf.toString('latin1', start, end));
    if (negativeExponent) exponent = -exponent;
  }
  if (i !== stop) return NaN;
  if (digits > 15) return numberOfText(buf.toString('latin1', start, end));
  const scale = exponent - fraction;
  let x: number;
  if (mantissa === 0) x = 0;
  else if (scale >= 0 && scale <= 22) x = mantissa * POWERS_OF_TEN[scale]!;
  else if (scale < 0 && scale >= -22) x = mantissa / POWERS_OF_TEN[-scale]!;
  else return numberOfText(buf.toString('latin1', start, end));
  return negative ? -x : x;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The ASCII characters `\s` matches: tab, line feed, vertical tab, form feed, carriage return, space. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/**
 * An open-addressing hash table from the bytes of ASCII values to their position in a column's
 * `keys`, with each value's number (NaN when not numeric) so that a repeated value is not parsed again.
 */
class AsciiIndex {
  /** Position + 1 of the value in each slot, 0 for an empty slot; the length is a power of two. */
  private slots = new Int32Array(64);
  private size = 0;
  private hashes = new Int32Array(16);
  private starts = new Int32Array(16);
  private lengths = new Int32Array(16);
  numbers = new Float64Array(16);
  private arena = Buffer.allocUnsafe(1024);
  private used = 0;

  /** Position of the value `buf[start, start + length)` with this hash, or -1. */
  find(buf: Buffer, start: number, length: number, hash: number): number {
    const { slots, hashes, starts, lengths, arena } = this;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slots[slot]! - 1;
      if (at < 0) return -1;
      if (hashes[at] === hash && lengths[at] === length) {
        const from = starts[at]!;
        let i = 0;
        while (i < length && arena[from + i] === buf[start + i]) i++;
        if (i === length) return at;
      }
    }
  }

  /** Records the value `buf[start, start + length)` at position `at`, which it does not hold yet. */
  add(at: number, buf: Buffer, start: number, length: number, hash: number, x: number): void {
    if (at >= this.hashes.length) this.growEntries(at + 1);
    if (this.used + length > this.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(2 * this.arena.length, this.used + length));
      this.arena.copy(arena, 0, 0, this.used);
      this.arena = arena;
    }
    buf.copy(this.arena, this.used, start, start + length);
    this.hashes[at] = hash;
    this.starts[at] = this.used;
    this.lengths[at] = length;
    this.numbers[at] = x;
    this.used += length;
    if (2 * (this.size + 1) > this.slots.length) this.rehash();
    this.insert(at, hash);
    this.size++;
  }

  /** Records an ASCII value given as text. */
  addText(at: number, key: string, x: number): void {
    const buf = Buffer.from(key, 'latin1');
    let hash = FNV_OFFSET;
    for (const c of buf) hash = Math.imul(hash ^ c, FNV_PRIME);
    this.add(at, buf, 0, buf.length, hash, x);
  }

  private insert(at: number, hash: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = at + 1;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(2 * old.length);
    for (const entry of old) if (entry !== 0) this.insert(entry - 1, this.hashes[entry - 1]!);
  }

  private growEntries(needed: number): void {
    const capacity = Math.max(needed, 2 * this.hashes.length);
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    this.starts = grow(this.starts, (n) => new Int32Array(n));
    this.lengths = grow(this.lengths, (n) => new Int32Array(n));
    this.numbers = grow(this.numbers, (n) => new Float64Array(n));
  }
}

/** The most frequent values, by count descending and then value ascending (code-unit order). */
function topValues(keys: readonly string[], counts: readonly number[]): { value: string; count: number }[] {
  const top: { value: string; count: number }[] = [];
  for (let k = 0; k < keys.length; k++) {
    const value = keys[k]!;
    const count = counts[k]!;
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
