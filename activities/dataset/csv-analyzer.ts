import type { AnalyzerState, DatasetAnalyzer, DatasetReport } from './checkpoint';
import { ColumnStats } from './column-stats';
import { CsvParser, type CsvFields } from './csv-parser';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../common/data-limits';
import { invalidInput, toolFailure } from '../common/failures';
import { TaskFailureType } from '../../common/task-types';
import { RecordAnalyzer } from './record-analyzer';

/** How many header names an "unknown columns" message lists at most. */
const MAX_NAMES_IN_MESSAGE = 50;

/**
 * Analyses CSV: the first record is the header, and every later record with as many fields as the
 * header is a row. Records with another field count, or an unterminated quote at the end, count as
 * invalid rows. Empty header names become `column_<n>` and repeated ones get a `_2`, `_3`... suffix,
 * because report columns are keyed by name.
 */
export class CsvAnalyzer extends RecordAnalyzer implements DatasetAnalyzer {
  protected readonly parser: CsvParser;
  private header: string[] | null = null;
  /** Header index of each tracked column, aligned with `names` and `stats`. */
  private indexes: number[] = [];
  private names: string[] = [];
  private stats: ColumnStats[] = [];

  /**
   * @param requested Columns to report, in that order; all of them when undefined.
   * @param saved State restored from a checkpoint taken at `startOffset`.
   * @param limits The caps on columns, record length and distinct values.
   */
  constructor(
    private readonly requested: readonly string[] | undefined,
    startOffset: number,
    saved: AnalyzerState | undefined,
    private readonly limits: DataLimits = DEFAULT_DATA_LIMITS,
  ) {
    super(saved);
    this.parser = new CsvParser(
      {
        onFields: (fields, fieldCount) => this.onFields(fields, fieldCount),
        onInvalidRecord: () => this.invalidRows++,
      },
      // A row with more fields than the header is invalid, so fields past the cap are never needed.
      { startOffset, maxRecordBytes: limits.maxRecordBytes, maxFields: limits.maxColumns },
    );
    if (saved?.header) {
      this.useHeader(saved.header);
      const restored = new Map(saved.columns);
      this.stats = this.names.map((name) => {
        const column = restored.get(name);
        return column
          ? ColumnStats.fromCheckpoint(column, limits.maxDistinctValues)
          : new ColumnStats(limits.maxDistinctValues);
      });
    }
  }

  override end(): void {
    super.end();
    if (this.header === null && this.requested !== undefined) {
      throw invalidInput(`unknown columns: ${this.requested.join(', ')} (the CSV has no header)`);
    }
  }

  state(): AnalyzerState {
    return {
      rows: this.rows,
      invalidRows: this.invalidRows,
      header: this.header === null ? null : [...this.header],
      columns: this.names.map((name, k) => [name, this.stats[k]!.toCheckpoint()]),
    };
  }

  report(): DatasetReport {
    return {
      rows: this.rows,
      invalidRows: this.invalidRows,
      columns: Object.fromEntries(this.names.map((name, k) => [name, this.stats[k]!.report(this.rows)])),
    };
  }

  private onFields(fields: CsvFields, fieldCount: number): void {
    if (this.header === null) {
      if (fieldCount > this.limits.maxColumns) {
        throw toolFailure(
          TaskFailureType.SourceUnreadable,
          `the CSV header has ${fieldCount} columns, more than ${this.limits.maxColumns}, the most a dataset may have`,
        );
      }
      this.useHeader(uniqueNames(Array.from({ length: fieldCount }, (_, k) => fields.text(k))));
      this.stats = this.names.map(() => new ColumnStats(this.limits.maxDistinctValues));
      return;
    }
    if (fieldCount !== this.header.length) {
      this.invalidRows++;
      return;
    }
    this.rows++;
    const { indexes, stats } = this;
    const { buf, starts, ends, quoteEnds } = fields;
    for (let k = 0; k < indexes.length; k++) {
      const field = indexes[k]!;
      if (quoteEnds[field] === -1) {
        // Unquoted: the value is the bytes themselves, empty for a null.
        const start = starts[field]!;
        const end = ends[field]!;
        if (start !== end) stats[k]!.addBytes(buf, start, end);
      } else {
        const value = fields.text(field);
        if (value !== '') stats[k]!.addText(value);
      }
    }
  }

  private useHeader(header: string[]): void {
    this.header = header;
    if (this.requested === undefined) {
      this.names = [...header];
      this.indexes = header.map((_, index) => index);
      return;
    }
    const unknown = this.requested.filter((name) => !header.includes(name));
    if (unknown.length > 0) {
      const shown =
        header.slice(0, MAX_NAMES_IN_MESSAGE).join(', ') + (header.length > MAX_NAMES_IN_MESSAGE ? ', ...' : '');
      throw invalidInput(`unknown columns: ${unknown.join(', ')} (the CSV has: ${shown})`);
    }
    this.names = [...this.requested];
    this.indexes = this.requested.map((name) => header.indexOf(name));
  }
}

function uniqueNames(raw: string[]): string[] {
  const used = new Set<string>();
  return raw.map((name, index) => {
    const base = name === '' ? `column_${index + 1}` : name;
    let candidate = base;
    for (let suffix = 2; used.has(candidate); suffix++) candidate = `${base}_${suffix}`;
    used.add(candidate);
    return candidate;
  });
}
