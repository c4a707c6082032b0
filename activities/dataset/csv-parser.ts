import { ByteRecordParser, MAX_RECORD_BYTES } from '../common/byte-records';

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Receives the parser's output. */
export interface CsvRecordHandler {
  /**
   * One record. `fields` is reused between calls: read its first `min(fieldCount, maxFields)` entries
   * before returning and copy them if they must be kept. An empty string stands for an empty (null)
   * field. `fieldCount` counts every field, also those past `maxFields`, which are not decoded.
   */
  onRecord(fields: readonly string[], fieldCount: number): void;
  /** A record that can never be completed: a quote still open at the end of the source. */
  onInvalidRecord(): void;
}

/**
 * Incremental RFC 4180 parser over bytes. Fields may be quoted; inside quotes, commas and line breaks
 * are data and `""` is a quote. Records end with LF or CRLF; blank lines are skipped. A quote that does
 * not open a field is kept as data, and text after a closing quote is appended, rather than rejecting
 * the row. An empty field and a quoted empty field (`""`) both come out as `''`.
 *
 * It scans bytes rather than text: the four syntax bytes are ASCII, which never occurs inside a
 * multi-byte UTF-8 sequence, so fields are decoded whole and a character split between two chunks is
 * never decoded in halves. `offset` is the byte offset of the next undelivered record.
 */
export class CsvParser extends ByteRecordParser {
  private readonly fields: string[] = [];
  private fieldCount = 0;
  private fieldStart = 0;
  private inQuotes = false;
  /** Index of the closing quote of the current field, or -1 while the field is unquoted. */
  private quoteEnd = -1;
  /** Whether the current quoted field contains an escaped `""`. */
  private escaped = false;

  private readonly maxFields: number;

  /** `maxFields`: fields of a record decoded at most; the rest are only counted. @default Infinity */
  constructor(
    private readonly handler: CsvRecordHandler,
    options: { startOffset: number; maxRecordBytes?: number; maxFields?: number },
  ) {
    super(options.startOffset, options.maxRecordBytes ?? MAX_RECORD_BYTES, 'CSV');
    this.maxFields = options.maxFields ?? Infinity;
  }

  protected parse(buf: Buffer): number {
    const len = buf.length;
    let i = this.scan;
    let recordStart = 0;
    let fieldStart = this.fieldStart;
    let inQuotes = this.inQuotes;
    let quoteEnd = this.quoteEnd;
    while (i < len) {
      if (inQuotes) {
        const q = buf.indexOf(QUOTE, i);
        if (q === -1) {
          i = len;
        } else if (q + 1 === len) {
          // Whether this quote closes the field or starts a `""` depends on the next chunk.
          i = q;
          break;
        } else if (buf[q + 1] === QUOTE) {
          this.escaped = true;
          i = q + 2;
        } else {
          inQuotes = false;
          quoteEnd = q;
          i = q + 1;
        }
        continue;
      }
      const c = buf[i];
      if (c === COMMA) {
        if (this.fieldCount < this.maxFields)
          this.fields[this.fieldCount] = this.fieldValue(buf, fieldStart, i, quoteEnd);
        this.fieldCount++;
        fieldStart = i + 1;
        quoteEnd = -1;
      } else if (c === LF) {
        const end = i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
        this.checkLength(recordStart, end);
        if (this.fieldCount === 0 && end === fieldStart && quoteEnd === -1) {
          // A blank line: not a record.
        } else {
          if (this.fieldCount < this.maxFields)
            this.fields[this.fieldCount] = this.fieldValue(buf, fieldStart, end, quoteEnd);
          this.fieldCount++;
          this.handler.onRecord(this.fields, this.fieldCount);
        }
        this.fieldCount = 0;
        recordStart = fieldStart = i + 1;
        quoteEnd = -1;
      } else if (c === QUOTE && i === fieldStart) {
        inQuotes = true;
        this.escaped = false;
      }
      i++;
    }
    // Keep every saved position relative to the start of the unfinished record.
    this.scan = i - recordStart;
    this.fieldStart = fieldStart - recordStart;
    this.quoteEnd = quoteEnd === -1 ? -1 : quoteEnd - recordStart;
    this.inQuotes = inQuotes;
    return recordStart;
  }

  protected unterminated(): void {
    this.handler.onInvalidRecord();
    this.fieldCount = 0;
    this.fieldStart = 0;
    this.inQuotes = false;
    this.quoteEnd = -1;
    this.scan = 0;
  }

  private fieldValue(buf: Buffer, start: number, end: number, quoteEnd: number): string {
    if (quoteEnd === -1) return start === end ? '' : buf.toString('utf8', start, end);
    let value = buf.toString('utf8', start + 1, quoteEnd);
    if (this.escaped) value = value.replaceAll('""', '"');
    return quoteEnd + 1 < end ? value + buf.toString('utf8', quoteEnd + 1, end) : value;
  }
}
