import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { FxRate } from './ecb-csv';

export interface FxRateRow {
  currency: string;
  rate_date: string;
  per_eur: string;
}

export interface FxListQuery {
  currency?: string;
  from?: string;
  to?: string;
  /** Keyset position: rows strictly after (date, currency). */
  after?: { date: string; currency: string };
  limit: number;
}

/** Rows per INSERT: keeps each statement's parameter arrays to a few MB for the full ECB history. */
const UPSERT_CHUNK = 20_000;

@Injectable()
export class FxRepository {
  /** Inserts or replaces each (currency, date); returns how many rows were new or changed. */
  async upsert(tx: Queryable, rates: readonly FxRate[]): Promise<number> {
    let changed = 0;
    for (let start = 0; start < rates.length; start += UPSERT_CHUNK) {
      const chunk = rates.slice(start, start + UPSERT_CHUNK);
      const rows = await tx.query<{ n: number }[]>(
        `WITH written AS (
           INSERT INTO fx_rates (currency, rate_date, per_eur)
           SELECT * FROM unnest($1::text[], $2::date[], $3::numeric[])
           ON CONFLICT (currency, rate_date) DO UPDATE SET per_eur = EXCLUDED.per_eur, imported_at = now()
            WHERE fx_rates.per_eur IS DISTINCT FROM EXCLUDED.per_eur
           RETURNING 1)
         SELECT count(*)::int AS n FROM written`,
        [chunk.map((r) => r.currency), chunk.map((r) => r.date), chunk.map((r) => r.perEur)],
      );
      changed += rows[0].n;
    }
    return changed;
  }

  /** Date order, then currency; limit+1 rows so the caller can tell whether more exist. */
  list(q: Queryable, query: FxListQuery): Promise<FxRateRow[]> {
    const params: unknown[] = [];
    const clauses: string[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.currency) clauses.push(`currency = ${param(query.currency)}`);
    if (query.from) clauses.push(`rate_date >= ${param(query.from)}::date`);
    if (query.to) clauses.push(`rate_date <= ${param(query.to)}::date`);
    if (query.after)
      clauses.push(
        `(rate_date, currency) > (${param(query.after.date)}::date, ${param(query.after.currency)}::char(3))`,
      );
    return q.query<FxRateRow[]>(
      `SELECT currency, rate_date::text AS rate_date, per_eur::text AS per_eur
         FROM fx_rates
        ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY rate_date, currency
        LIMIT ${param(query.limit + 1)}`,
      params,
    );
  }

  /**
   * For each currency: the rate of `day`, or of the latest earlier day no more than `maxDaysBefore`
   * days before it (ECB publishes no weekend or holiday rows). Currencies without one are absent.
   */
  latestOnOrBefore(
    q: Queryable,
    currencies: readonly string[],
    day: string,
    maxDaysBefore: number,
  ): Promise<FxRateRow[]> {
    return q.query<FxRateRow[]>(
      `SELECT DISTINCT ON (currency) currency, rate_date::text AS rate_date, per_eur::text AS per_eur
         FROM fx_rates
        WHERE currency = ANY($1::text[]) AND rate_date BETWEEN $2::date - $3::int AND $2::date
        ORDER BY currency, rate_date DESC`,
      [currencies, day, maxDaysBefore],
    );
  }
}
