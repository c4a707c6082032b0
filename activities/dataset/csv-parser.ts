import { ByteRecordParser, MAX_RECORD_BYTES } from '../common/byte-records';

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Receives the parser's output as decoded text. */
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

/** Receives the parser's output as positions in the bytes, for callers that decode only what they need. */
export interface CsvFieldsHandler {
  /**
   * One record. `fields` is reused between calls and only valid until this returns; its first
   * `min(fieldCount, maxFields)` fields are described. `fieldCount` counts every field.
   */
  onFields(fields: CsvFields, fieldCount: number): void;
  /** A record that can never be completed: a quote still open at the end of the source. */
  onInvalidRecord(): void;
}

/**
 * Where the fields of one record lie in `buf`: field k is `buf[starts[k], ends[k])`. An unquoted
 * field's value is exactly those bytes; a quoted one (`quoteEnds[k] !== -1`) is decoded by `text(k)`.
 */
export class CsvFields {
  buf: Buffer = EMPTY;
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** Index of the closing quote of a quoted field, or -1 for an unquoted field. */
  quoteEnds = new Int32Array(16);
  /** 1 when the quoted field contains an escaped `""`. */
  escaped = new Uint8Array(16);

  /** The value of field `k`; an empty field and a quoted empty field (`""`) are both `''`. */
  text(k: number): string {
    const { buf } = this;
    const start = this.starts[k]!;
    const end = this.ends[k]!;
    const quoteEnd = this.quoteEnds[k]!;
    if (quoteEnd === -1) return start === end ? '' : buf.toString('utf8', start, end);
    let value = buf.toString('utf8', start + 1, quoteEnd);
    if (this.escaped[k] === 1) value = value.replaceAll('""', '"');
    return quoteEnd + 1 < end ? value + buf.toString('utf8', quoteEnd + 1, end) : value;
  }

  /** Makes room for `needed` fields, keeping those recorded. */
  grow(needed: number): void {
    const capacity = Math.max(needed, 2 * this.starts.length);
    const grown = <T extends Int32Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    this.starts = grown(this.starts, new Int32Array(capacity));
    this.ends = grown(this.ends, new Int32Array(capacity));
    this.quoteEnds = grown(this.quoteEnds, new Int32Array(capacity));
    this.escaped = grown(this.escaped, new Uint8Array(capacity));
  }
}

/**
 * Incremental RFC 4180 parser over bytes. Fields may be quoted; inside quotes, commas and line breaks
 * are data and `""` is a quote. Records end with LF or CRLF; blank lines are skipped. A quote that does
 * not open a field is kept as data, and text after a closing quote is appended, rather than rejecting
 * the row. An empty field and a quoted empty field (`""`) both come out as `''`.
 *
 * It scans bytes rather than text: the four syntax bytes are ASCII, which never occurs inside a
 * multi-byte UTF-8 sequence, so fields are decoded whole and a character split between two chunks is
 * never decoded in halves. It only records where fields lie; a {@link CsvRecordHandler} gets them
 * decoded, a {@link CsvFieldsHandler} decodes what it needs. `offset` is the byte offset of the next
 * undelivered record.
 */
export class CsvParser extends ByteRecordParser {
  private readonly fields = new CsvFields();
  /** The decoded fields handed to a {@link CsvRecordHandler}. */
  private readonly texts: string[] = [];
  private fieldCount = 0;
  private fieldStart = 0;
  private inQuotes = false;
  /** Index of the closing quote of the current field, or -1 while the field is unquoted. */
  private quoteEnd = -1;
  /** Whether the current quoted field contains an escaped `""`. */
  private escaped = false;

  private readonly maxFields: number;
  /** The handler, by the form it takes records in. */
  private readonly raw: CsvFieldsHandler | undefined;
  private readonly decoded: CsvRecordHandler | undefined;

  /** `maxFields`: fields of a record recorded (and decoded) at most; the rest are only counted. @default Infinity */
  constructor(
    private readonly handler: CsvRecordHandler | CsvFieldsHandler,
    options: { startOffset: number; maxRecordBytes?: number; maxFields?: number },
  ) {
    super(options.startOffset, options.maxRecordBytes ?? MAX_RECORD_BYTES, 'CSV');
    this.maxFields = options.maxFields ?? Infinity;
    if ('onFields' in handler) this.raw = handler;
    else this.decoded = handler;
  }

  protected parse(buf: Buffer): number {
    const len = buf.length;
    const fields = this.fields;
    const maxFields = this.maxFields;
    let { starts, ends, quoteEnds } = fields;
    let i = this.scan;
    let recordStart = 0;
    let fieldCount = this.fieldCount;
    let fieldStart = this.fieldStart;
    let inQuotes = this.inQuotes;
    let quoteEnd = this.quoteEnd;
    let escaped = this.escaped;
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
          escaped = true;
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
        if (fieldCount < maxFields) {
          if (fieldCount >= starts.length) ({ starts, ends, quoteEnds } = this.grow(fieldCount + 1));
          starts[fieldCount] = fieldStart;
          ends[fieldCount] = i;
          quoteEnds[fieldCount] = quoteEnd;
          if (quoteEnd !== -1) fields.escaped[fieldCount] = escaped ? 1 : 0;
        }
        fieldCount++;
        fieldStart = i + 1;
        quoteEnd = -1;
      } else if (c === LF) {
        const end = i > fieldStart && buf[i - 1] === CR ? i - 1 : i;
        this.checkLength(recordStart, end);
        if (fieldCount === 0 && end === fieldStart && quoteEnd === -1) {
          // A blank line: not a record.
        } else {
          if (fieldCount < maxFields) {
            if (fieldCount >= starts.length) ({ starts, ends, quoteEnds } = this.grow(fieldCount + 1));
            starts[fieldCount] = fieldStart;
            ends[fieldCount] = end;
            quoteEnds[fieldCount] = quoteEnd;
            if (quoteEnd !== -1) fields.escaped[fieldCount] = escaped ? 1 : 0;
          }
          fieldCount++;
          fields.buf = buf;
          this.deliver(fieldCount);
        }
        fieldCount = 0;
        recordStart = fieldStart = i + 1;
        quoteEnd = -1;
      } else if (c === QUOTE && i === fieldStart) {
        inQuotes = true;
        escaped = false;
      }
      i++;
    }
    // Keep every saved position relative to the start of the unfinished record.
    const kept = recordStart === 0 ? 0 : Math.min(fieldCount, maxFields);
    for (let k = 0; k < kept; k++) {
      starts[k] = starts[k]! - recordStart;
      ends[k] = ends[k]! - recordStart;
      if (quoteEnds[k] !== -1) quoteEnds[k] = quoteEnds[k]! - recordStart;
    }
    // Do not keep the chunk alive until the next one.
    fields.buf = EMPTY;
    this.scan = i - recordStart;
    this.fieldCount = fieldCount;
    this.fieldStart = fieldStart - recordStart;
    this.quoteEnd = quoteEnd === -1 ? -1 : quoteEnd - recordStart;
    this.inQuotes = inQuotes;
    this.escaped = escaped;
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

  private grow(needed: number): CsvFields {
    this.fields.grow(needed);
    return this.fields;
  }

  private deliver(fieldCount: number): void {
    const { fields, texts } = this;
    if (this.raw !== undefined) {
      this.raw.onFields(fields, fieldCount);
      return;
    }
    const decoded = Math.min(fieldCount, this.maxFields);
    for (let k = 0; k < decoded; k++) texts[k] = fields.text(k);
    this.decoded!.onRecord(texts, fieldCount);
  }
}
