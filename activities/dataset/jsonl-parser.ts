import { ByteRecordParser, MAX_RECORD_BYTES } from '../common/byte-records';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Incremental splitter of JSON Lines into decoded lines (without the LF or CRLF). Empty lines are not
 * delivered; whether a line is valid JSON is the caller's business. Lines are split on bytes and
 * decoded whole, so a multi-byte character split between two chunks is decoded correctly. `offset` is
 * the byte offset of the next undelivered line.
 */
export class JsonlParser extends ByteRecordParser {
  constructor(
    private readonly onLine: (line: string) => void,
    options: { startOffset: number; maxRecordBytes?: number },
  ) {
    super(options.startOffset, options.maxRecordBytes ?? MAX_RECORD_BYTES, 'JSONL');
  }

  protected parse(buf: Buffer): number {
    let start = 0;
    let newline = buf.indexOf(LF, this.scan);
    while (newline !== -1) {
      const end = newline > start && buf[newline - 1] === CR ? newline - 1 : newline;
      this.checkLength(start, end);
      if (end > start) this.onLine(buf.toString('utf8', start, end));
      start = newline + 1;
      newline = buf.indexOf(LF, start);
    }
    this.scan = buf.length - start;
    return start;
  }

  protected unterminated(): void {
    // `end()` appends a line break, so every line is complete; nothing can remain.
  }
}
