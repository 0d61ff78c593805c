import { parse } from 'csv-parse/sync';
import { isCurrencyCode } from '../common/currency';
import { isCalendarDate } from '../common/validators';
import type { FieldError } from '../errors/domain-errors';

/** One reference rate: units of `currency` per 1 EUR on `date`. */
export interface FxRate {
  date: string;
  currency: string;
  perEur: string;
}

export interface ParsedEcbCsv {
  rates: FxRate[];
  /** Columns of currencies no longer (or never) in ISO 4217: ECB's history keeps CYP, SIT, HRK… Their rates cannot apply to any lease. */
  skippedCurrencies: string[];
}

export type ParseResult = { ok: true; value: ParsedEcbCsv } | { ok: false; errors: FieldError[] };

/** A positive rate as ECB writes it: plain digits, a dot, no sign or exponent. Fits numeric(24, 10). */
export const RATE_PATTERN = /^\d{1,14}(\.\d{1,10})?$/;
const NO_RATE = 'N/A';
const CODE = /^[A-Z]{3}$/;
const MAX_ERRORS = 100;

/** Why a rate string cannot be stored, or undefined when it can. */
export function rateProblem(value: string): string | undefined {
  if (!RATE_PATTERN.test(value))
    return `"${value.slice(0, 40)}" is not a rate: a positive decimal like 1.0823 (at most 14 digits before the point and 10 after), or N/A`;
  if (!/[1-9]/.test(value)) return 'a rate must be greater than zero';
  return undefined;
}

/**
 * The ECB reference-rate history CSV exactly as published (eurofxref-hist.csv): a header
 * `Date,USD,JPY,…` (a trailing comma gives an empty last column), one row per business day, ISO
 * dates, rates as units per 1 EUR, `N/A` where a currency had no rate. CRLF or LF, an optional
 * BOM, whitespace around cells ignored. Every problem is reported (up to 100), each naming its
 * row (1 = the first row after the header) and column; any problem means nothing is imported.
 */
export function parseEcbCsv(text: string): ParseResult {
  let records: string[][];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return {
      ok: false,
      errors: [
        {
          field: 'body',
          message: `not readable as CSV${line ? ` near line ${line}` : ''}: ${(error as Error).message.replace(/^Invalid \w+:\s*/, '').slice(0, 200)}`,
        },
      ],
    };
  }
  const errors: FieldError[] = [];
  const [header, ...rows] = records;
  if (!header)
    return { ok: false, errors: [{ field: 'body', message: 'the CSV is empty: expected a header Date,USD,JPY,…' }] };

  // Header: Date, then currency codes; an empty name is allowed only last (ECB's trailing comma).
  if (header[0] !== 'Date')
    errors.push({ field: 'header', message: `the first column must be Date (got "${header[0].slice(0, 40)}")` });
  let columns = header.slice(1);
  if (columns.length && columns[columns.length - 1] === '') columns = columns.slice(0, -1);
  const seen = new Set<string>();
  columns.forEach((code, i) => {
    const message = !CODE.test(code)
      ? `column ${i + 2} must be a currency code of three capital letters (got "${code.slice(0, 40)}")`
      : code === 'EUR'
        ? 'EUR is the base of every rate (1 by definition) and cannot be a column'
        : seen.has(code)
          ? `${code} appears twice in the header`
          : undefined;
    if (message) errors.push({ field: 'header', message });
    seen.add(code);
  });
  if (!columns.length) errors.push({ field: 'header', message: 'no currency columns: expected Date,USD,JPY,…' });
  if (errors.length) return { ok: false, errors };

  const used = columns.map((code) => isCurrencyCode(code));
  const skippedCurrencies = [...new Set(columns.filter((_, i) => !used[i]))].sort();
  const rates: FxRate[] = [];
  const dateRows = new Map<string, number>();
  rows.forEach((cells, index) => {
    if (errors.length >= MAX_ERRORS) return;
    const row = index + 1;
    // ECB ends every line with a comma: a row has the header's cells, its last one empty when the header's is.
    const trailing = header.length === columns.length + 2;
    const fits = cells.length === header.length && (!trailing || cells[cells.length - 1] === '');
    const fitsWithoutTrailing = !trailing && cells.length === header.length + 1 && cells[cells.length - 1] === '';
    if (!fits && !fitsWithoutTrailing) {
      errors.push({
        row,
        field: 'row',
        message: `has ${cells.length} cells; the header has ${header.length} (Date, ${columns.length} currencies${trailing ? ' and the trailing empty one' : ''})`,
      });
      return;
    }
    const values = cells.slice(0, columns.length + 1);
    const date = values[0];
    if (!isCalendarDate(date)) {
      errors.push({ row, field: 'Date', message: `"${values[0].slice(0, 40)}" is not a calendar date YYYY-MM-DD` });
      return;
    }
    const earlier = dateRows.get(date);
    if (earlier !== undefined) {
      errors.push({ row, field: 'Date', message: `${date} already appears on row ${earlier}` });
      return;
    }
    dateRows.set(date, row);
    columns.forEach((currency, i) => {
      const value = values[i + 1];
      if (value === NO_RATE) return;
      if (value === '') {
        if (errors.length < MAX_ERRORS)
          errors.push({ row, field: currency, message: 'is empty: write N/A for no rate' });
        return;
      }
      const problem = rateProblem(value);
      if (problem) {
        if (errors.length < MAX_ERRORS) errors.push({ row, field: currency, message: problem });
        return;
      }
      if (used[i]) rates.push({ date, currency, perEur: value });
    });
  });
  if (errors.length) return { ok: false, errors };
  if (!rates.length)
    return { ok: false, errors: [{ field: 'body', message: 'the file holds no rate (only N/A, or no data rows)' }] };
  return { ok: true, value: { rates, skippedCurrencies } };
}
