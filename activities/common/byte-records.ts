import { TaskFailureType } from '../../common/task-types';
import { DEFAULT_DATA_LIMITS } from './data-limits';
import { toolFailure } from './failures';

/**
 * Longest record (CSV row or JSONL line) the parsers buffer by default (`DATASET_MAX_RECORD_BYTES`).
 * Without a bound, one unterminated quote near the start of a large file would make the rest of the
 * file a single record held in memory.
 */
export const MAX_RECORD_BYTES = DEFAULT_DATA_LIMITS.maxRecordBytes;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What both parsers share: the bytes of an unfinished record, and the offset where that record starts. */
export abstract class ByteRecordParser {
  /** Bytes of the record that is not finished yet, from its first byte. */
  protected pending: Buffer = Buffer.alloc(0);
  /** Memory this parser allocated for a long record; bytes after `pending` in it are free to write. */
  private store: Buffer | undefined;
  /** Where to continue scanning inside `pending`, so a long record is not rescanned on every chunk. */
  protected scan = 0;
  private base: number;
  private bomChecked: boolean;

  /**
   * @param maxRecordBytes Longest record buffered; a longer one fails the source with `SourceUnreadable`.
   * @param formatName How the failure message names the format (`CSV`, `JSONL`).
   */
  protected constructor(
    startOffset: number,
    private readonly maxRecordBytes: number,
    private readonly formatName: string,
  ) {
    this.base = startOffset;
    // A byte-order mark can only stand at the very start of the file.
    this.bomChecked = startOffset > 0;
  }

  /**
   * Byte offset of the first record not yet delivered: everything before it has been passed to the
   * callbacks, so a checkpoint taken between two `push` calls can resume exactly here.
   */
  get offset(): number {
    return this.base;
  }

  /** Feeds the next bytes of the source; complete records are delivered before this returns. */
  push(chunk: Buffer): void {
    this.feed(chunk);
  }

  /** Marks the end of the source: delivers a final record that has no line break after it. */
  end(): void {
    if (this.pending.length === 0) return;
    const before = this.base + this.pending.length;
    this.feed(Buffer.from('\n'));
    if (this.pending.length > 0) this.unterminated();
    this.pending = Buffer.alloc(0);
    this.store = undefined;
    this.scan = 0;
    this.base = before;
  }

  // Not `push`: subclasses may override `push`, and `end` must not go through their override.
  private feed(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : this.append(chunk);
    let skip = 0;
    if (!this.bomChecked) {
      if (buf.length < UTF8_BOM.length && UTF8_BOM.subarray(0, buf.length).equals(buf)) {
        this.pending = buf;
        return;
      }
      this.bomChecked = true;
      if (buf.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) skip = UTF8_BOM.length;
    }
    if (skip > 0) {
      buf = buf.subarray(skip);
      this.base += skip;
    }
    const consumed = this.parse(buf);
    this.base += consumed;
    const rest = buf.subarray(consumed);
    if (rest.length < 4096) {
      // Copy a small remainder so that it does not keep the whole chunk (or a large store) alive.
      this.pending = Buffer.from(rest);
      this.store = undefined;
    } else {
      this.pending = rest;
    }
    if (this.pending.length > this.maxRecordBytes) throw this.tooLong(this.base);
  }

  /**
   * Throws the record-length failure when the complete record `buf[start, end)` of the buffer being
   * parsed is too long. Parsers call it for every record, so the cap does not depend on how the source
   * happened to be split into chunks (a resumed run reads other chunks than the first).
   */
  protected checkLength(start: number, end: number): void {
    if (end - start > this.maxRecordBytes) throw this.tooLong(this.base + start);
  }

  private tooLong(at: number): Error {
    return toolFailure(
      TaskFailureType.SourceUnreadable,
      `the record at byte ${at} is longer than ${this.maxRecordBytes} bytes, the longest a record may be ` +
        `(an unterminated quote, or not a ${this.formatName} file)`,
    );
  }

  /**
   * `pending` followed by `chunk`. Appended in place when `pending` lies in this parser's own store
   * and there is room after it; otherwise into a new store twice the size. A long record therefore
   * costs linear time, not a copy of everything buffered so far on every chunk.
   */
  private append(chunk: Buffer): Buffer {
    const length = this.pending.length + chunk.length;
    const store = this.store;
    if (store !== undefined && this.pending.buffer === store.buffer) {
      const start = this.pending.byteOffset - store.byteOffset;
      if (start + length <= store.length) {
        chunk.copy(store, start + this.pending.length);
        return store.subarray(start, start + length);
      }
    }
    // Never from the shared pool: the identity of the ArrayBuffer tells that `pending` lies in this store.
    const grown = Buffer.allocUnsafeSlow(Math.max(length, Math.min(2 * length, this.maxRecordBytes + chunk.length)));
    this.pending.copy(grown, 0);
    chunk.copy(grown, this.pending.length);
    this.store = grown;
    return grown.subarray(0, length);
  }

  /**
   * Parses as many complete records of `buf` as possible (resuming at `this.scan`; `buf` starts at a
   * record boundary) and returns the number of bytes they take. Leaves `this.scan` and any other saved
   * position relative to the unconsumed remainder.
   */
  protected abstract parse(buf: Buffer): number;

  /** Called by `end()` when the final record can never be completed (an unterminated quote). */
  protected abstract unterminated(): void;
}
