import { stringify } from 'csv-stringify/sync';

/**
 * A spreadsheet would read a cell starting with one of these as a formula (CSV injection), also
 * after leading spaces, NBSP, line breaks, other control characters or a `;` (a separator in many locales).
 */
const FORMULA_START = /^[\s\u00a0\p{Cc};]*[=+\-@]|^[\t\r\n]/u;
/** A plain decimal number cannot be a formula, so "-3" and "-0.50" stay numbers. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV cell as text: null → empty, anything that a spreadsheet would evaluate gets a leading
 * apostrophe (OWASP "CSV injection"), except plain decimal numbers.
 */
export function neutraliseCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

// A bare LF inside a cell is quoted too (csv-stringify only quotes the record delimiter itself), and
// so is a `;`: spreadsheets in locales that split on it would otherwise start a new cell there.
const CSV_OPTIONS = { record_delimiter: 'windows', quoted_match: /[\r\n;]/ } as const;

/** RFC 4180 CSV (CRLF, quoting by csv-stringify): a header row of `columns`, then one row per record. */
export function toCsv<Row extends object>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  return [...csvChunks(columns, rows)].join('');
}

/**
 * The same CSV as toCsv, in pieces of `rowsPerChunk` records: a large report (100k rows by lease)
 * is written to the socket as it is formatted, never held as one string. The rows are already in
 * memory, so no database connection waits on a slow client.
 */
export function* csvChunks<Row extends object>(
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
  rowsPerChunk = 2000,
): Generator<string> {
  yield stringify([[...columns]], CSV_OPTIONS);
  for (let start = 0; start < rows.length; start += rowsPerChunk) {
    let chunk = '';
    for (const row of rows.slice(start, start + rowsPerChunk)) {
      chunk += `${columns.map((column) => quoteCell(neutraliseCell(row[column]))).join(',')}\r\n`;
    }
    yield chunk;
  }
}

/**
 * A cell as csv-stringify writes it with CSV_OPTIONS: in quotes, its quotes doubled, when it holds
 * a quote, a comma, a line break or a `;`; as it is otherwise (the unit tests hold the two to each
 * other). By hand, because csv-stringify's per-cell checks were most of the CSV's cost at 100k rows.
 */
function quoteCell(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

const NEEDS_QUOTES = /[",\r\n;]/;
