import { Writes } from '../persistence/writes';
import { Injectable } from '@nestjs/common';
import { parse } from 'csv-parse/sync';
import { AuditRepository } from '../audit/audit.repository';
import { CURRENCY_MESSAGE, isCurrencyCode } from '../common/currency';
import { keyset, Page, toPage } from '../common/pagination';
import { Database, Tx } from '../database/database.service';
import { onConstraintViolation } from '../database/pg-errors';
import { AlreadyExists, FieldError, ValidationFailed } from '../errors/domain-errors';
import { minusCents, sign, sumCents, withinTolerance } from '../fx/fx-math';
import { describe } from '../fx/fx.service';
import { parseCanonicalCidr } from '../ip';
import type { MonthlyCostQuery } from '../reports/dto/report-query.dto';
import { MONTH_PATTERN } from '../reports/dto/report-query.dto';
import { ReportsService } from '../reports/reports.service';
import {
  AMOUNT_MESSAGE,
  AMOUNT_PATTERN,
  CreateInvoiceDto,
  IMPORT_COLUMNS,
  INVOICE_NUMBER_PATTERN,
  InvoiceDto,
  InvoiceImportResultDto,
  InvoiceQuery,
  ReconciliationQuery,
  ReconciliationReportDto,
  ReconciliationRowDto,
  ReconciliationStatus,
} from './dto/invoice.dto';
import { InvoiceLineRow, InvoiceRow, InvoicesRepository } from './invoices.repository';

type NewInvoice = Pick<CreateInvoiceDto, 'lessorId' | 'invoiceNumber' | 'month' | 'currency' | 'lines'>;

function toInvoiceDto(row: InvoiceRow, lines: InvoiceLineRow[]): InvoiceDto {
  return {
    id: row.id,
    lessorId: row.lessor_id,
    invoiceNumber: row.invoice_number,
    month: row.month,
    currency: row.currency,
    total: sumCents(lines.map((l) => l.amount)),
    lines: lines.map((l) => ({ prefix: l.prefix, amount: l.amount })),
    version: row.version,
    createdAt: row.created_at.toISOString(),
  };
}

/** a.b.c.d/n → a sortable number (network address, then length). */
function prefixOrder(prefix: string): number {
  const [address, length] = prefix.split('/');
  const network = address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  return network * 64 + Number(length ?? 32);
}

@Injectable()
export class InvoicesService {
  constructor(
    private readonly invoices: InvoicesRepository,
    private readonly reports: ReportsService,
    private readonly db: Database,
    private readonly writes: Writes,
    private readonly audit: AuditRepository,
  ) {}

  async create(dto: CreateInvoiceDto): Promise<InvoiceDto> {
    const duplicates = this.duplicatePrefixes(dto.lines.map((l) => l.prefix));
    if (duplicates.length)
      throw new ValidationFailed(
        duplicates.map(({ index, first }) => ({
          field: `lines.${index}.prefix`,
          message: `${dto.lines[index].prefix} is already invoiced by lines.${first}; one line per prefix`,
        })),
      );
    return this.uniqueNumber(dto.invoiceNumber, () =>
      this.writes.transaction(async (tx) => {
        if (!(await this.invoices.isCurrentLessor(tx, dto.lessorId)))
          throw ValidationFailed.field('lessorId', 'lessorId does not name an existing lessor');
        return onConstraintViolation(
          {
            invoices_lessor_id_fkey: () =>
              ValidationFailed.field('lessorId', 'lessorId does not name an existing lessor'),
          },
          () => this.insert(tx, dto),
        );
      }),
    );
  }

  async list(query: InvoiceQuery): Promise<Page<InvoiceDto>> {
    const page = keyset(query);
    const rows = await this.invoices.search(this.db, page, query);
    const lines = await this.invoices.linesOf(
      this.db,
      rows.map((r) => r.id),
    );
    const byInvoice = new Map<string, InvoiceLineRow[]>();
    for (const line of lines) byInvoice.set(line.invoice_id, [...(byInvoice.get(line.invoice_id) ?? []), line]);
    return toPage(rows, page.limit, (row) => toInvoiceDto(row, byInvoice.get(row.id) ?? []));
  }

  /**
   * CSV `lessor,invoiceNumber,month,prefix,amount,currency`, one line per row; rows with the same
   * lessor and invoice number form one invoice. Every bad row is reported (row 1 = first data
   * row) and nothing is written unless every row is good.
   */
  async import(text: unknown): Promise<InvoiceImportResultDto> {
    if (typeof text !== 'string')
      throw ValidationFailed.field(
        'body',
        'send the invoice lines as text/csv with the header ' + IMPORT_COLUMNS.join(','),
      );
    const rows = this.readCsv(text);
    const names = [...new Set(rows.map((r) => r.cells.lessor).filter((n) => n !== ''))];
    const lessorIds = await this.invoices.lessorIdsByName(this.db, names);
    const byName = new Map([...lessorIds].map(([name, id]) => [name.toLowerCase(), id]));

    const errors: FieldError[] = [];
    const invoices = new Map<string, NewInvoice & { firstRow: number; prefixes: Map<string, number> }>();
    for (const { row, cells } of rows) {
      const problems: FieldError[] = [];
      const lessorId = byName.get(cells.lessor.toLowerCase());
      if (!lessorId)
        problems.push({
          row,
          field: 'lessor',
          message: cells.lessor
            ? `no lessor is named "${cells.lessor.slice(0, 200)}"`
            : 'lessor is required (a lessor name)',
        });
      if (!INVOICE_NUMBER_PATTERN.test(cells.invoiceNumber) || cells.invoiceNumber.length > 100)
        problems.push({ row, field: 'invoiceNumber', message: 'invoiceNumber must be 1 to 100 printable characters' });
      if (!MONTH_PATTERN.test(cells.month))
        problems.push({ row, field: 'month', message: 'month must be a calendar month YYYY-MM, like 2026-05' });
      const prefix = parseCanonicalCidr(cells.prefix);
      if (!prefix.ok) problems.push({ row, field: 'prefix', message: prefix.message });
      if (!AMOUNT_PATTERN.test(cells.amount))
        problems.push({ row, field: 'amount', message: `amount ${AMOUNT_MESSAGE}` });
      if (!isCurrencyCode(cells.currency))
        problems.push({ row, field: 'currency', message: `currency ${CURRENCY_MESSAGE}` });
      if (problems.length || !lessorId) {
        errors.push(...problems);
        continue;
      }
      const key = `${lessorId}\t${cells.invoiceNumber}`;
      let invoice = invoices.get(key);
      if (!invoice) {
        invoice = {
          lessorId,
          invoiceNumber: cells.invoiceNumber,
          month: cells.month,
          currency: cells.currency,
          lines: [],
          firstRow: row,
          prefixes: new Map(),
        };
        invoices.set(key, invoice);
      }
      if (invoice.month !== cells.month)
        errors.push({
          row,
          field: 'month',
          message: `invoice ${cells.invoiceNumber} is for ${invoice.month} (row ${invoice.firstRow}); one month per invoice`,
        });
      else if (invoice.currency !== cells.currency)
        errors.push({
          row,
          field: 'currency',
          message: `invoice ${cells.invoiceNumber} is in ${invoice.currency} (row ${invoice.firstRow}); one currency per invoice`,
        });
      else if (invoice.prefixes.has(cells.prefix))
        errors.push({
          row,
          field: 'prefix',
          message: `${cells.prefix} is already on row ${invoice.prefixes.get(cells.prefix)} of invoice ${cells.invoiceNumber}; one line per prefix`,
        });
      else {
        invoice.prefixes.set(cells.prefix, row);
        invoice.lines.push({ prefix: cells.prefix, amount: cells.amount });
      }
    }
    const existing = await this.invoices.existingNumbers(this.db, [...invoices.values()]);
    for (const [key, invoice] of invoices)
      if (existing.has(key))
        errors.push({
          row: invoice.firstRow,
          field: 'invoiceNumber',
          message: `invoice ${invoice.invoiceNumber} of this lessor already exists`,
        });
    if (errors.length) {
      errors.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
      throw new ValidationFailed(errors, describe(errors));
    }
    const created = await this.uniqueNumber(undefined, () =>
      this.writes.transaction(async (tx) => {
        const out: InvoiceDto[] = [];
        for (const invoice of invoices.values()) out.push(await this.insert(tx, invoice));
        return out;
      }),
    );
    return { invoices: created.length, lines: rows.length, items: created };
  }

  /**
   * Expected per lease is the lease's row of GET /reports/monthly-cost?groupBy=lease (the same
   * service call, so the two can never disagree); invoiced is the sum of the month's invoice
   * lines per lessor, prefix and currency.
   */
  async reconciliation(query: ReconciliationQuery): Promise<ReconciliationReportDto> {
    const tolerancePercent = query.tolerancePercent ?? '0';
    const cost = await this.reports.monthlyCost({ month: query.month, groupBy: 'lease' } as MonthlyCostQuery);
    const owners = await this.invoices.leaseLessors(
      this.db,
      cost.rows.map((r) => r.key),
    );
    const invoiced = await this.invoices.invoicedInMonth(this.db, `${query.month}-01`, query.lessorId);
    const names = await this.invoices.lessorNames(this.db, [...new Set(invoiced.map((i) => i.lessor_id))]);

    // Leases of one lessor, prefix and currency in the month (a renewal may start mid-month) share one row.
    const expected = new Map<
      string,
      { keys: string[]; prefix: string; lessorId: string; lessor: string; currency: string; amounts: string[] }
    >();
    for (const row of cost.rows) {
      const owner = owners.get(row.key);
      if (!owner || (query.lessorId && owner.lessorId !== query.lessorId)) continue;
      const id = `${owner.lessorId}\t${row.label}\t${row.currency}`;
      const entry = expected.get(id) ?? { keys: [], prefix: row.label, ...owner, currency: row.currency, amounts: [] };
      entry.keys.push(row.key);
      entry.amounts.push(row.cost);
      expected.set(id, entry);
    }
    const rows: ReconciliationRowDto[] = [];
    const lines = new Map(invoiced.map((i) => [`${i.lessor_id}\t${i.prefix}\t${i.currency}`, i]));
    for (const [id, lease] of expected) {
      const line = lines.get(id);
      lines.delete(id);
      const expectedAmount = sumCents(lease.amounts);
      const invoicedAmount = line ? sumCents([line.amount]) : '0.00';
      const variance = minusCents(invoicedAmount, expectedAmount);
      let status: ReconciliationStatus;
      if (!line) status = sign(expectedAmount) > 0 ? 'not-invoiced' : 'matched';
      else if (withinTolerance(variance, expectedAmount, tolerancePercent)) status = 'matched';
      else status = sign(variance) > 0 ? 'over' : 'under';
      rows.push({
        key: lease.keys.join('+'),
        label: lease.prefix,
        lessorId: lease.lessorId,
        lessor: lease.lessor,
        currency: lease.currency,
        expected: expectedAmount,
        invoiced: invoicedAmount,
        variance,
        status,
        invoiceNumbers: line ? line.invoice_numbers.join('; ') : '',
      });
    }
    for (const line of lines.values()) {
      const amount = sumCents([line.amount]);
      rows.push({
        key: line.first_invoice_id,
        label: line.prefix,
        lessorId: line.lessor_id,
        lessor: names.get(line.lessor_id) ?? line.lessor_id,
        currency: line.currency,
        expected: '0.00',
        invoiced: amount,
        variance: amount,
        status: 'unexpected',
        invoiceNumbers: line.invoice_numbers.join('; '),
      });
    }
    rows.sort(
      (a, b) =>
        a.lessor.localeCompare(b.lessor) ||
        prefixOrder(a.label) - prefixOrder(b.label) ||
        a.currency.localeCompare(b.currency) ||
        a.key.localeCompare(b.key),
    );
    return { month: query.month, tolerancePercent, ...(query.lessorId ? { lessorId: query.lessorId } : {}), rows };
  }

  private async insert(tx: Tx, invoice: NewInvoice): Promise<InvoiceDto> {
    const row = await this.invoices.insertInvoice(tx, invoice);
    await this.invoices.insertLines(tx, row.id, invoice.lines);
    const view = toInvoiceDto(row, await this.invoices.linesOf(tx, [row.id]));
    await this.audit.record(tx, { action: 'create', entityType: 'invoice', entityId: row.id, after: view });
    return view;
  }

  private duplicatePrefixes(prefixes: string[]): { index: number; first: number }[] {
    const seen = new Map<string, number>();
    const out: { index: number; first: number }[] = [];
    prefixes.forEach((prefix, index) => {
      const first = seen.get(prefix);
      if (first === undefined) seen.set(prefix, index);
      else out.push({ index, first });
    });
    return out;
  }

  private uniqueNumber<T>(invoiceNumber: string | undefined, write: () => Promise<T>): Promise<T> {
    return onConstraintViolation(
      {
        invoices_lessor_number_key: () =>
          new AlreadyExists(
            invoiceNumber
              ? `This lessor already has an invoice numbered "${invoiceNumber}".`
              : 'One of these invoice numbers was recorded for its lessor meanwhile; nothing was imported.',
            'invoiceNumber',
          ),
      },
      write,
    );
  }

  private readCsv(text: string): { row: number; cells: Record<(typeof IMPORT_COLUMNS)[number], string> }[] {
    let records: string[][];
    try {
      records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
    } catch (error) {
      throw ValidationFailed.field('body', `not readable as CSV: ${(error as Error).message.slice(0, 200)}`);
    }
    const [header, ...data] = records;
    const expected = IMPORT_COLUMNS.join(',');
    if (!header) throw ValidationFailed.field('header', `the CSV is empty: expected the header ${expected}`);
    const unknown = header.filter((h) => !(IMPORT_COLUMNS as readonly string[]).includes(h));
    const missing = IMPORT_COLUMNS.filter((c) => !header.includes(c));
    const repeated = header.filter((h, i) => header.indexOf(h) !== i);
    if (unknown.length || missing.length || repeated.length)
      throw ValidationFailed.field(
        'header',
        `the header must name the columns ${expected} (any order)` +
          (unknown.length ? `; unknown: ${unknown.map((u) => u.slice(0, 40)).join(', ')}` : '') +
          (missing.length ? `; missing: ${missing.join(', ')}` : '') +
          (repeated.length ? `; repeated: ${repeated.join(', ')}` : ''),
      );
    if (!data.length) throw ValidationFailed.field('body', 'the CSV has a header but no invoice lines');
    const errors: FieldError[] = [];
    const rows = data.map((cells, i) => {
      if (cells.length !== header.length)
        errors.push({
          row: i + 1,
          field: 'row',
          message: `has ${cells.length} cells; the header has ${header.length}`,
        });
      const record = Object.fromEntries(IMPORT_COLUMNS.map((c) => [c, cells[header.indexOf(c)] ?? '']));
      return { row: i + 1, cells: record as Record<(typeof IMPORT_COLUMNS)[number], string> };
    });
    if (errors.length) throw new ValidationFailed(errors, describe(errors));
    return rows;
  }
}
