import { ByteRecordParser } from './byte-records';

/**
 * Longest record buffered. A valid decision is far smaller (about 82 KB of UTF-8 at most); anything
 * longer is almost surely an unterminated quote that would otherwise swallow the rest of the file.
 */
export const MAX_DECISION_RECORD_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** One record of the source with its position. */
export interface RawRecord {
  /** The record decoded as UTF-8, without its line break. */
  text: string;
  /** 1-based physical line the record starts on. */
  line: number;
  /** Byte offset just past the record's line break: where the next record starts. */
  end: number;
  /** The physical line number at `end`. */
  nextLine: number;
  /** A CSV record whose quote is still open at the end of the source. */
  unterminated: boolean;
}

/** Where a splitter starts: a record boundary and its line number. */
export interface SplitterStart {
  offset: number;
  line: number;
}

/**
 * Splits JSONL into lines, or CSV into RFC 4180 records (a line break inside a quoted field belongs to
 * the field), reporting each record's line number and the exact byte offset after it. The dataset
 * parsers only expose offsets at chunk boundaries; the import needs one after every record, so that a
 * batch of 1000 lines can be checkpointed wherever it ends. Blank lines are skipped but counted. The
 * quote rules match the dataset's `CsvParser`: a quote opens a field only at its start, and inside
 * quotes `""` is a quote. Bytes are scanned, not text, so a multi-byte character split between two
 * chunks is decoded whole.
 */
export class RecordSplitter extends ByteRecordParser {
  /** Line number of the first byte not yet consumed. */
  private line: number;
  /** Records completed by the current `push`. */
  private out: RawRecord[] = [];
  // CSV state at `scan`: inside quotes, at the start of a field, just after a closing quote, line breaks in quotes.
  private inQuotes = false;
  private fieldStart = true;
  private closedQuote = false;
  private quotedBreaks = 0;

  constructor(
    private readonly format: 'csv' | 'jsonl',
    start: SplitterStart,
    maxRecordBytes = MAX_DECISION_RECORD_BYTES,
  ) {
    super(start.offset, maxRecordBytes, format.toUpperCase());
    this.line = start.line;
  }

  /** Feeds the next bytes; returns the records they complete, in order. */
  override push(chunk: Buffer): RawRecord[] {
    super.push(chunk);
    return this.take();
  }

  /** Marks the end of the source; returns a last record that has no line break after it. */
  override end(): RawRecord[] {
    super.end();
    // The base class ends the source with a line break of its own; the record really ends at the last byte.
    for (const record of this.out) record.end = Math.min(record.end, this.offset);
    return this.take();
  }

  protected parse(buf: Buffer): number {
    return this.format === 'jsonl' ? this.splitLines(buf, this.out) : this.splitCsv(buf, this.out);
  }

  protected unterminated(): void {
    // A CSV quote still open at the end: deliver the rest (without the line break `end()` added) as one invalid record.
    const text = this.pending.toString('utf8', 0, this.pending.length - 1);
    this.out.push({
      text,
      line: this.line,
      end: this.offset,
      nextLine: this.line + this.quotedBreaks,
      unterminated: true,
    });
  }

  private take(): RawRecord[] {
    const records = this.out;
    this.out = [];
    return records;
  }

  private splitLines(buf: Buffer, out: RawRecord[]): number {
    let start = 0;
    let newline = buf.indexOf(LF, this.scan);
    while (newline !== -1) {
      this.emit(buf, start, newline, 1, out);
      start = newline + 1;
      newline = buf.indexOf(LF, start);
    }
    this.scan = buf.length - start;
    return start;
  }

  private splitCsv(buf: Buffer, out: RawRecord[]): number {
    let start = 0;
    let { inQuotes, fieldStart, closedQuote, quotedBreaks } = this;
    let i = this.scan;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (inQuotes) {
        if (c === QUOTE) {
          inQuotes = false;
          closedQuote = true;
        } else if (c === LF) {
          quotedBreaks++;
        }
      } else if (c === QUOTE) {
        // Opens a quoted field, or (right after a closing quote) continues it: `""` is a quote.
        if (fieldStart || closedQuote) inQuotes = true;
        fieldStart = closedQuote = false;
      } else if (c === COMMA) {
        fieldStart = true;
        closedQuote = false;
      } else if (c === LF) {
        this.emit(buf, start, i, quotedBreaks + 1, out);
        start = i + 1;
        quotedBreaks = 0;
        fieldStart = true;
        closedQuote = false;
      } else {
        fieldStart = closedQuote = false;
      }
    }
    Object.assign(this, { inQuotes, fieldStart, closedQuote, quotedBreaks });
    this.scan = i - start;
    return start;
  }

  /** Delivers the record `buf[start, newline)` spanning `lines` physical lines; blank ones only advance the count. */
  private emit(buf: Buffer, start: number, newline: number, lines: number, out: RawRecord[]): void {
    const endByte = newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
    this.checkLength(start, endByte);
    const text = buf.toString('utf8', start, endByte);
    const line = this.line;
    this.line += lines;
    if (text.trim() === '') return;
    out.push({ text, line, end: this.offset + newline + 1, nextLine: this.line, unterminated: false });
  }
}

/**
 * Splits one complete CSV record into fields with the splitter's quote rules. Text after a closing
 * quote is kept as data rather than rejecting the row, as the dataset's parser does.
 */
export function parseCsvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let value = '';
    if (text.charCodeAt(i) === QUOTE) {
      i++;
      for (;;) {
        const quote = text.indexOf('"', i);
        if (quote === -1) {
          value += text.slice(i);
          i = text.length;
          break;
        }
        value += text.slice(i, quote);
        i = quote + 1;
        if (text.charCodeAt(i) !== QUOTE) break;
        value += '"';
        i++;
      }
    }
    const comma = text.indexOf(',', i);
    const stop = comma === -1 ? text.length : comma;
    fields.push(value + text.slice(i, stop));
    if (comma === -1) return fields;
    i = comma + 1;
  }
}
