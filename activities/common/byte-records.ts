import { TaskFailureType } from '../../common/task-types';
import { toolFailure } from './failures';

/**
 * Longest record (CSV row or JSONL line) the parsers buffer. Without a bound, one unterminated quote
 * near the start of a large file would make the rest of the file a single record held in memory.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** What both parsers share: the bytes of an unfinished record, and the offset where that record starts. */
export abstract class ByteRecordParser {
  /** Bytes of the record that is not finished yet, from its first byte. */
  protected pending: Buffer = Buffer.alloc(0);
  /** Where to continue scanning inside `pending`, so a long record is not rescanned on every chunk. */
  protected scan = 0;
  private base: number;
  private bomChecked: boolean;

  protected constructor(
    startOffset: number,
    private readonly maxRecordBytes: number,
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
    this.scan = 0;
    this.base = before;
  }

  // Not `push`: subclasses may override `push`, and `end` must not go through their override.
  private feed(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
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
    // Copy a small remainder so that it does not keep the whole chunk alive until the next push.
    const rest = buf.subarray(consumed);
    this.pending = rest.length < 4096 ? Buffer.from(rest) : rest;
    if (this.pending.length > this.maxRecordBytes) {
      throw toolFailure(
        TaskFailureType.SourceUnreadable,
        `record at byte ${this.base} is longer than ${this.maxRecordBytes} bytes (an unterminated quote?)`,
      );
    }
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
