import { StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import { NotAcceptable } from '../errors/domain-errors';
import { csvChunks } from './csv';
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
  throw new NotAcceptable(
    'Reports are available as application/json or text/csv: set Accept accordingly, or pass ?format=csv.',
  );
}

/** Streams the report as CSV (the rows only, columns in a fixed order) or returns it for Nest to send as JSON. */
export function sendReport<Report extends { rows: Row[] }, Row extends object>(
  res: Response,
  format: ReportFormat,
  report: Report,
  csv: { columns: readonly (keyof Row & string)[]; filename: string },
): Report | StreamableFile {
  res.setHeader('Vary', 'Accept');
  if (format === 'json') return report;
  return new StreamableFile(Readable.from(csvChunks(csv.columns, report.rows)), {
    type: 'text/csv; charset=utf-8',
    disposition: `attachment; filename="${csv.filename}"`,
  });
}
