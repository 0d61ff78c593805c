import type { Request, Response } from 'express';
import { DomainError } from '../errors/domain-errors';
import { toCsv } from './csv';
import type { ReportFormat } from './dto/report-query.dto';

/**
 * JSON or CSV: `?format=` wins, otherwise the Accept header (JSON when absent or `*∕*`).
 * Decided before any query runs, so an Accept the reports cannot serve costs nothing.
 */
export function negotiateFormat(req: Request, format: ReportFormat | undefined): ReportFormat {
  if (format) return format;
  const accepted = req.accepts(['application/json', 'text/csv']);
  if (accepted === 'text/csv') return 'csv';
  if (accepted === 'application/json') return 'json';
  throw new DomainError(
    'NOT_ACCEPTABLE',
    'Reports are available as application/json or text/csv: set Accept accordingly, or pass ?format=csv.',
  );
}

/** Writes the report as CSV (the rows only, columns in a fixed order) or returns it for Nest to send as JSON. */
export function sendReport<Report extends { rows: Row[] }, Row extends object>(
  res: Response,
  format: ReportFormat,
  report: Report,
  csv: { columns: readonly (keyof Row & string)[]; filename: string },
): Report | string {
  res.setHeader('Vary', 'Accept');
  if (format === 'json') return report;
  res.type('text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${csv.filename}"`);
  return toCsv(csv.columns, report.rows);
}
