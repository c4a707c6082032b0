/**
 * CSV formula neutralisation. A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-`
 * or `@` (and, in some, a tab or CR before one) as a formula, so decision text written by one person
 * could run in another's spreadsheet. The export prefixes such cells with `'`, which spreadsheets
 * show as text, and the CSV import removes that prefix again, so an export reads back unchanged.
 *
 * A cell that already starts with apostrophes before one of those characters gets one more, so that
 * the import's removal of one apostrophe gives back exactly what was exported: `'=x` is written
 * `''=x` and read back as `'=x`.
 */

/** Leading apostrophes, then a character a spreadsheet reads as the start of a formula. */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const NEUTRALISED_START = /^'+[=+\-@\t\r]/;

/** The cell text to write: `'` in front of a cell a spreadsheet would read as a formula. */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** The inverse of {@link neutraliseFormula}, for a cell read from a CSV file. */
export function restoreFormula(cell: string): string {
  return NEUTRALISED_START.test(cell) ? cell.slice(1) : cell;
}
