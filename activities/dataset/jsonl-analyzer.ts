import type { AnalyzerState, DatasetAnalyzer, DatasetReport } from './checkpoint';
import { ColumnStats } from './column-stats';
import { JsonlParser } from './jsonl-parser';
import { DEFAULT_DATA_LIMITS, type DataLimits } from '../common/data-limits';
import { toolFailure } from '../common/failures';
import { TaskFailureType } from '../../common/task-types';
import { RecordAnalyzer } from './record-analyzer';

/**
 * Analyses JSON Lines: each non-blank line must be a JSON object, or it is an invalid row. Columns
 * are the union of the keys seen, in first-seen order (the order `JSON.parse` enumerates a row's
 * keys). A missing key or a `null` value is a null; since `nulls = rows - count`, a column first seen
 * at row N has counted nulls for the rows before it, exactly and across resumes.
 */
export class JsonlAnalyzer extends RecordAnalyzer implements DatasetAnalyzer {
  protected readonly parser: JsonlParser;
  private readonly requested: ReadonlySet<string> | undefined;
  private readonly columns = new Map<string, ColumnStats>();

  /**
   * @param requested Columns to report, in that order; a requested column never seen is reported with
   *   no values. All columns when undefined.
   * @param saved State restored from a checkpoint taken at `startOffset`.
   * @param limits The caps on columns (distinct keys), line length and distinct values.
   */
  constructor(
    private readonly requestedOrder: readonly string[] | undefined,
    startOffset: number,
    saved: AnalyzerState | undefined,
    private readonly limits: DataLimits = DEFAULT_DATA_LIMITS,
  ) {
    super(saved);
    this.requested = requestedOrder ? new Set(requestedOrder) : undefined;
    this.parser = new JsonlParser((line) => this.onLine(line), {
      startOffset,
      maxRecordBytes: limits.maxRecordBytes,
    });
    for (const [name, column] of saved?.columns ?? []) {
      this.columns.set(name, ColumnStats.fromCheckpoint(column, limits.maxDistinctValues));
    }
  }

  state(): AnalyzerState {
    return {
      rows: this.rows,
      invalidRows: this.invalidRows,
      header: null,
      columns: [...this.columns].map(([name, stats]) => [name, stats.toCheckpoint()]),
    };
  }

  report(): DatasetReport {
    const names = this.requestedOrder ?? [...this.columns.keys()];
    return {
      rows: this.rows,
      invalidRows: this.invalidRows,
      columns: Object.fromEntries(
        names.map((name) => [name, (this.columns.get(name) ?? new ColumnStats()).report(this.rows)]),
      ),
    };
  }

  private tooManyColumns(): Error {
    return toolFailure(
      TaskFailureType.SourceUnreadable,
      `the JSONL rows have more than ${this.limits.maxColumns} distinct keys, the most a dataset may have ` +
        '(pass `columns` to analyse some of them)',
    );
  }

  private onLine(line: string): void {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      // White space alone is a blank line, not a row; checked only here to keep the common path fast.
      if (line.trim() !== '') this.invalidRows++;
      return;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      this.invalidRows++;
      return;
    }
    const values = row as Record<string, unknown>;
    try {
      for (const key in values) {
        let stats = this.columns.get(key);
        if (stats === undefined) {
          if (this.requested && !this.requested.has(key)) continue;
          if (this.columns.size >= this.limits.maxColumns) throw this.tooManyColumns();
          stats = new ColumnStats(this.limits.maxDistinctValues);
          this.columns.set(key, stats);
        }
        const value = values[key];
        if (value !== null) stats.addJson(value);
      }
    } catch (err) {
      // JSON.parse accepts any depth, but turning a value back into text recurses and overflows the stack.
      if (!(err instanceof RangeError)) throw err;
      throw toolFailure(
        TaskFailureType.SourceUnreadable,
        `row ${this.records + 1} of the JSONL nests its values too deeply to be compared`,
      );
    }
    this.rows++;
  }
}
