import type { AnalyzerState, DatasetAnalyzer, DatasetReport } from './checkpoint';
import { ColumnStats } from './column-stats';
import { JsonlParser } from './jsonl-parser';
import { RecordAnalyzer } from './record-analyzer';

/**
 * Most JSONL columns tracked. Keys first seen after that are ignored, so that objects with
 * data-dependent keys (ids as keys, say) cannot grow memory and checkpoints without bound.
 */
export const MAX_JSONL_COLUMNS = 1_000;

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
   */
  constructor(
    private readonly requestedOrder: readonly string[] | undefined,
    startOffset: number,
    saved?: AnalyzerState,
  ) {
    super(saved);
    this.requested = requestedOrder ? new Set(requestedOrder) : undefined;
    this.parser = new JsonlParser((line) => this.onLine(line), { startOffset });
    for (const [name, column] of saved?.columns ?? []) this.columns.set(name, ColumnStats.fromCheckpoint(column));
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
    for (const key in values) {
      let stats = this.columns.get(key);
      if (stats === undefined) {
        if ((this.requested && !this.requested.has(key)) || this.columns.size >= MAX_JSONL_COLUMNS) continue;
        stats = new ColumnStats();
        this.columns.set(key, stats);
      }
      const value = values[key];
      if (value !== null) stats.addJson(value);
    }
    this.rows++;
  }
}
