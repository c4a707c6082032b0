import { TaskFailureType } from '../../common/task-types';
import { toolFailure } from '../common/failures';
import type { DatasetReport } from './checkpoint';

/** Lengths (in characters) the `top` values are cut to, in turn, until the report fits. */
const SHORTENED_VALUE_CHARS = [1024, 256, 64, 16];

/**
 * The report, made to fit in `maxBytes` of JSON. A report too large (long values in the `top` lists)
 * gets those values cut, each to the longest length from {@link SHORTENED_VALUE_CHARS} that lets the
 * whole fit, ending in `…`, and `truncated: true`. When even the shortest cut does not fit (the column
 * names alone are too long), throws a non-retryable `ToolError` saying so.
 */
export function fitReport(report: DatasetReport, maxBytes: number): DatasetReport {
  const size = jsonBytes(report);
  if (size <= maxBytes) return report;
  for (const chars of SHORTENED_VALUE_CHARS) {
    const shortened: DatasetReport = { ...shortenTopValues(report, chars), truncated: true };
    if (jsonBytes(shortened) <= maxBytes) return shortened;
  }
  throw toolFailure(
    TaskFailureType.ToolError,
    `the report would be ${size} bytes, more than ${maxBytes}, the largest result a tool may return, even with ` +
      'its values shortened; pass `columns` to analyse fewer columns',
  );
}

function shortenTopValues(report: DatasetReport, chars: number): DatasetReport {
  const columns: DatasetReport['columns'] = {};
  for (const [name, column] of Object.entries(report.columns)) {
    columns[name] = { ...column, top: column.top.map(({ value, count }) => ({ value: shorten(value, chars), count })) };
  }
  return { ...report, columns };
}

function shorten(value: string, chars: number): string {
  if (value.length <= chars) return value;
  // Never end on half of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(value.charAt(chars - 1)) ? chars - 1 : chars;
  return `${value.slice(0, end)}…`;
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
