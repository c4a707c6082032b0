import type { ByteRecordParser } from '../common/byte-records';
import type { AnalyzerState } from './checkpoint';

/**
 * What the CSV and JSONL analysers share: the row counters (restored from a checkpoint) and the
 * byte-level parser the source is fed through, whose offset is the checkpoint's resume point.
 */
export abstract class RecordAnalyzer {
  protected rows: number;
  protected invalidRows: number;
  protected abstract readonly parser: ByteRecordParser;

  protected constructor(saved: AnalyzerState | undefined) {
    this.rows = saved?.rows ?? 0;
    this.invalidRows = saved?.invalidRows ?? 0;
  }

  /** Byte offset of the next record not yet folded in. */
  get offset(): number {
    return this.parser.offset;
  }

  /** Valid plus invalid rows so far. */
  get records(): number {
    return this.rows + this.invalidRows;
  }

  /** Parses the bytes and folds every complete record into the statistics. */
  push(chunk: Buffer): void {
    this.parser.push(chunk);
  }

  /** Folds in a last record without a trailing line break. */
  end(): void {
    this.parser.end();
  }
}
