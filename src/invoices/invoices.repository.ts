import { Injectable } from '@nestjs/common';
import type { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../persistence/table.repository';
import type { Queryable } from '../database/database.service';

export interface InvoiceRow extends VersionedRow {
  lessor_id: string;
  invoice_number: string;
  /** 'YYYY-MM' */
  month: string;
  currency: string;
}

export interface InvoiceLineRow {
  invoice_id: string;
  prefix: string;
  amount: string;
}

/** What one lessor invoiced for one prefix in one currency in a month, over all its invoices. */
export interface InvoicedPrefixRow {
  lessor_id: string;
  prefix: string;
  currency: string;
  amount: string;
  invoice_numbers: string[];
  first_invoice_id: string;
}

const SELECT_INVOICE = `id, seq, lessor_id, invoice_number, to_char(month, 'YYYY-MM') AS month, currency, version, created_at, updated_at`;

@Injectable()
export class InvoicesRepository extends TableRepository<InvoiceRow> {
  constructor() {
    super('invoices', SELECT_INVOICE);
  }

  insertInvoice(
    tx: Queryable,
    invoice: { lessorId: string; invoiceNumber: string; month: string; currency: string },
  ): Promise<InvoiceRow> {
    return this.insert(tx, {
      lessor_id: invoice.lessorId,
      invoice_number: invoice.invoiceNumber,
      month: `${invoice.month}-01`,
      currency: invoice.currency,
    });
  }

  async insertLines(tx: Queryable, invoiceId: string, lines: readonly { prefix: string; amount: string }[]) {
    await tx.query(
      `INSERT INTO invoice_lines (invoice_id, line_no, prefix, amount)
       SELECT $1, n, prefix, amount FROM unnest($2::cidr[], $3::numeric[]) WITH ORDINALITY AS l(prefix, amount, n)`,
      [invoiceId, lines.map((l) => l.prefix), lines.map((l) => l.amount)],
    );
  }

  search(q: Queryable, page: Keyset, query: { lessorId?: string; month?: string }): Promise<InvoiceRow[]> {
    const filters: Filter[] = [];
    if (query.lessorId) filters.push({ sql: 'lessor_id = $1', params: [query.lessorId] });
    if (query.month) filters.push({ sql: 'month = $1::date', params: [`${query.month}-01`] });
    return this.list(q, page, filters);
  }

  linesOf(q: Queryable, invoiceIds: readonly string[]): Promise<InvoiceLineRow[]> {
    return q.query<InvoiceLineRow[]>(
      `SELECT invoice_id, prefix::text AS prefix, amount::text AS amount
         FROM invoice_lines WHERE invoice_id = ANY($1::uuid[]) ORDER BY invoice_id, line_no`,
      [invoiceIds],
    );
  }

  /** Ids of current (not archived) lessors by name, case-insensitively (unique among them, as the lessors table enforces). */
  async lessorIdsByName(q: Queryable, names: readonly string[]): Promise<Map<string, string>> {
    const rows = await q.query<{ name: string; id: string }[]>(
      `SELECT n.name, l.id FROM unnest($1::text[]) AS n(name)
         JOIN lessors l ON lower(l.name) = lower(n.name) AND l.archived_at IS NULL`,
      [names],
    );
    return new Map(rows.map((r) => [r.name, r.id]));
  }

  /** A lessor that exists and is not archived (archived ones are refused as new references). */
  async isCurrentLessor(q: Queryable, id: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM lessors WHERE id = $1 AND archived_at IS NULL FOR KEY SHARE`, [
      id,
    ]);
    return rows.length > 0;
  }

  /** Invoice numbers of these lessors that already exist, as "lessorId\tnumber". */
  async existingNumbers(
    q: Queryable,
    keys: readonly { lessorId: string; invoiceNumber: string }[],
  ): Promise<Set<string>> {
    const rows = await q.query<{ key: string }[]>(
      `SELECT i.lessor_id || E'\\t' || i.invoice_number AS key
         FROM unnest($1::uuid[], $2::text[]) AS k(lessor_id, invoice_number)
         JOIN invoices i ON i.lessor_id = k.lessor_id AND i.invoice_number = k.invoice_number`,
      [keys.map((k) => k.lessorId), keys.map((k) => k.invoiceNumber)],
    );
    return new Set(rows.map((r) => r.key));
  }

  /** Invoice lines of a month, summed per lessor, prefix and currency. */
  invoicedInMonth(q: Queryable, monthStart: string, lessorId?: string): Promise<InvoicedPrefixRow[]> {
    return q.query<InvoicedPrefixRow[]>(
      `SELECT i.lessor_id, l.prefix::text AS prefix, i.currency, sum(l.amount)::text AS amount,
              array_agg(DISTINCT i.invoice_number ORDER BY i.invoice_number) AS invoice_numbers,
              (array_agg(i.id ORDER BY i.seq))[1] AS first_invoice_id
         FROM invoices i
         JOIN invoice_lines l ON l.invoice_id = i.id
        WHERE i.month = $1::date AND ($2::uuid IS NULL OR i.lessor_id = $2::uuid)
        GROUP BY i.lessor_id, l.prefix, i.currency`,
      [monthStart, lessorId ?? null],
    );
  }

  /** Lessor id and name of each lease. */
  async leaseLessors(
    q: Queryable,
    leaseIds: readonly string[],
  ): Promise<Map<string, { lessorId: string; lessor: string }>> {
    const rows = await q.query<{ id: string; lessor_id: string; name: string }[]>(
      `SELECT l.id, l.lessor_id, r.name FROM leases l JOIN lessors r ON r.id = l.lessor_id WHERE l.id = ANY($1::uuid[])`,
      [leaseIds],
    );
    return new Map(rows.map((r) => [r.id, { lessorId: r.lessor_id, lessor: r.name }]));
  }

  async lessorNames(q: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await q.query<{ id: string; name: string }[]>(
      `SELECT id, name FROM lessors WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
