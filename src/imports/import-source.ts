import { parse } from 'csv-parse/sync';
import { neutraliseCell } from '../reports/csv';
import { ValidationFailed } from '../errors/domain-errors';

/** A data row as text cells by column name, with its 1-based number (row 1 = first data row). */
export interface SourceRow {
  row: number;
  cells: Record<string, string>;
}

export interface RowError {
  row: number;
  field: string;
  message: string;
}

export type BodyFormat = 'csv' | 'json';

/** The body's format from Content-Type: text/csv (or application/csv) and JSON. */
export function bodyFormat(contentType: string | undefined): BodyFormat | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type)) return 'json';
  return undefined;
}

/**
 * Our own CSV export neutralises formula-like cells with a leading apostrophe; importing that file
 * again must give back the original value, so an apostrophe that the export would have added is
 * taken off. Any other leading apostrophe is kept.
 */
export function unneutraliseCell(cell: string): string {
  if (cell.startsWith("'") && neutraliseCell(cell.slice(1)) === cell) return cell.slice(1);
  return cell;
}

/**
 * Reads a CSV or `{ rows: [...] }` JSON body into text cells. The header must name only known
 * columns (unless told to ignore unknown ones) and must include the required ones.
 */
export function readRows(
  body: Buffer,
  format: BodyFormat,
  columns: { known: readonly string[]; required: readonly string[] },
  ignoreUnknownColumns: boolean,
  errors: RowError[],
): SourceRow[] {
  const text = decodeUtf8(body);
  return format === 'csv'
    ? readCsv(text, columns, ignoreUnknownColumns, errors)
    : readJson(text, columns, ignoreUnknownColumns, errors);
}

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw ValidationFailed.field('body', 'is not valid UTF-8');
  }
}

function checkHeader(
  header: string[],
  columns: { known: readonly string[]; required: readonly string[] },
  ignoreUnknownColumns: boolean,
): void {
  const errors: { field: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) errors.push({ field: name, message: `column ${JSON.stringify(name)} appears twice` });
    seen.add(name);
    if (!columns.known.includes(name) && !ignoreUnknownColumns) {
      errors.push({
        field: name,
        message: `unknown column ${JSON.stringify(name)}; the columns are ${columns.known.join(',')} (or pass ?ignoreUnknownColumns=true)`,
      });
    }
  }
  for (const name of columns.required) {
    if (!seen.has(name)) errors.push({ field: name, message: `required column ${JSON.stringify(name)} is missing` });
  }
  if (errors.length) throw new ValidationFailed(errors, `The header is not usable: ${errors[0].message}.`);
}

function readCsv(
  text: string,
  columns: { known: readonly string[]; required: readonly string[] },
  ignoreUnknownColumns: boolean,
  errors: RowError[],
): SourceRow[] {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: false }) as string[][];
  } catch (error) {
    const e = error as { message?: string; lines?: number };
    throw ValidationFailed.field('body', `is not valid CSV${e.lines ? ` (near line ${e.lines})` : ''}: ${e.message}`);
  }
  if (records.length === 0) throw ValidationFailed.field('body', 'is empty: expected a header row');
  const header = records[0].map((h) => h.trim());
  checkHeader(header, columns, ignoreUnknownColumns);
  const rows: SourceRow[] = [];
  records.slice(1).forEach((record, i) => {
    if (record.length !== header.length) {
      errors.push({
        row: i + 1,
        field: 'row',
        message: `has ${record.length} fields; the header has ${header.length}`,
      });
      return;
    }
    const cells: Record<string, string> = {};
    header.forEach((name, c) => {
      if (columns.known.includes(name)) cells[name] = unneutraliseCell(record[c].trim());
    });
    rows.push({ row: i + 1, cells });
  });
  return rows;
}

function readJson(
  text: string,
  columns: { known: readonly string[]; required: readonly string[] },
  ignoreUnknownColumns: boolean,
  errors: RowError[],
): SourceRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw ValidationFailed.field('body', 'is not valid JSON');
  }
  const rows = (parsed as { rows?: unknown })?.rows;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray(rows)) {
    throw ValidationFailed.field('rows', 'the body must be a JSON object { "rows": [ ... ] }');
  }
  const extra = Object.keys(parsed).filter((k) => k !== 'rows');
  if (extra.length) throw ValidationFailed.field(extra[0], 'unknown field; the body is { "rows": [ ... ] }');
  const out: SourceRow[] = [];
  rows.forEach((value: unknown, i) => {
    const row = i + 1;
    const cells: Record<string, string> = {};
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      errors.push({ row, field: 'row', message: 'must be a JSON object' });
      return;
    }
    const before = errors.length;
    for (const [name, cell] of Object.entries(value as Record<string, unknown>)) {
      if (!columns.known.includes(name)) {
        if (!ignoreUnknownColumns) errors.push({ row, field: name, message: 'unknown field' });
        continue;
      }
      const text = jsonCellText(cell);
      if (text === undefined) errors.push({ row, field: name, message: 'must be a string, number, boolean or null' });
      else cells[name] = text;
    }
    if (errors.length === before) out.push({ row, cells });
  });
  return out;
}

/** JSON values as the text a CSV cell would hold; a list of tags becomes `a;b`. */
function jsonCellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && !v.includes(';'))) return value.join(';');
  return undefined;
}

export function rowErrors(errors: RowError[]): ValidationFailed {
  const sorted = [...errors].sort((a, b) => a.row - b.row || (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  const rows = new Set(sorted.map((e) => e.row));
  const first = sorted[0];
  return new ValidationFailed(
    sorted,
    `${rows.size} row(s) are invalid; nothing was imported. First: row ${first.row}, ${first.field}: ${first.message}.`,
  );
}
