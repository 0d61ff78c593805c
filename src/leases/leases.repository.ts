import { Injectable } from '@nestjs/common';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../persistence/table.repository';
import { Queryable } from '../database/database.service';
import type { LeaseQuery, LeaseStatus } from './dto/lease.dto';
import { Listed, LISTED_SQL } from '../reputation/reputation.repository';

export interface LeaseRow extends VersionedRow {
  prefix: string;
  lessor_id: string;
  start_date: string;
  end_date: string | null;
  auto_renew: boolean;
  renewal_term_months: number;
  notice_period_days: number;
  price_per_ip_monthly: string;
  currency: string;
  contract_ref: string | null;
  origin_asn: string | null;
  tags: string[];
  notes: string | null;
  terminated_on: string | null;
  status: LeaseStatus;
  current_term_end: string | null;
  address_count: string;
  allocated_address_count: string;
  active_allocation_count: string;
  monthly_cost: string;
  listed?: Listed[];
}

export interface AmendmentRow {
  id: string;
  lease_id: string;
  effective_date: string;
  price_per_ip_monthly: string;
  currency: string;
  note: string | null;
  created_at: Date;
}

export const LEASE_STATUS_SQL = `lease_status_on(leases.start_date, leases.end_date, leases.auto_renew, leases.terminated_on, current_date)`;

// Computed fields are derived in SQL so the API and the reports share one definition. The price
// and currency are the amendment in force today (lease_price_on/lease_currency_on).
const LEASE_COLUMNS = `
  leases.id, leases.seq, leases.prefix::text AS prefix, leases.lessor_id, leases.start_date, leases.end_date,
  leases.auto_renew, leases.renewal_term_months, leases.notice_period_days,
  coalesce(lease_price_on(leases.id, current_date), leases.price_per_ip_monthly)::text AS price_per_ip_monthly,
  coalesce(lease_currency_on(leases.id, current_date), leases.currency) AS currency,
  leases.contract_ref, leases.origin_asn, leases.tags, leases.notes, leases.terminated_on,
  leases.version, leases.created_at, leases.updated_at,
  ${LEASE_STATUS_SQL} AS status,
  lease_term_end_on(leases.end_date, leases.auto_renew, leases.renewal_term_months, leases.terminated_on, current_date) AS current_term_end,
  (1::bigint << (32 - masklen(leases.prefix))) AS address_count,
  (SELECT coalesce(sum(1::bigint << (32 - masklen(a.prefix))), 0) FROM allocations a WHERE a.lease_id = leases.id AND a.status = 'active') AS allocated_address_count,
  (SELECT count(*) FROM allocations a WHERE a.lease_id = leases.id AND a.status = 'active') AS active_allocation_count,
  round(coalesce(lease_price_on(leases.id, current_date), leases.price_per_ip_monthly) * (1::bigint << (32 - masklen(leases.prefix))), 2)::text AS monthly_cost,
  ${LISTED_SQL('leases.prefix')} AS listed`;

const AMENDMENT_COLUMNS = `id, lease_id, effective_date, price_per_ip_monthly::text AS price_per_ip_monthly, currency, note, created_at`;

export interface Overlapping {
  id: string;
  prefix: string;
  start_date: string;
  term_end: string | null;
}

@Injectable()
export class LeasesRepository extends TableRepository<LeaseRow> {
  constructor() {
    super('leases', LEASE_COLUMNS);
  }

  search(q: Queryable, page: Keyset, query: LeaseQuery): Promise<LeaseRow[]> {
    const filters: Filter[] = [];
    if (query.status) filters.push({ sql: `${LEASE_STATUS_SQL} = $1`, params: [query.status] });
    if (query.lessorId) filters.push({ sql: 'lessor_id = $1', params: [query.lessorId] });
    if (query.tag) filters.push({ sql: 'tags @> ARRAY[$1]::text[]', params: [query.tag] });
    if (query.contains) filters.push({ sql: 'prefix >>= $1::cidr', params: [query.contains] });
    if (query.within) filters.push({ sql: 'prefix <<= $1::cidr', params: [query.within] });
    if (query.activeOn) filters.push({ sql: 'term @> $1::date', params: [query.activeOn] });
    return this.list(q, page, filters);
  }

  /** Several leases by id, in creation order. */
  findMany(q: Queryable, ids: string[]): Promise<LeaseRow[]> {
    return q.query<LeaseRow[]>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE id = ANY ($1::uuid[]) ORDER BY seq`, [ids]);
  }

  /** Leases whose prefix and term overlap the given ones (the rows the exclusion constraint hit). */
  overlapping(
    q: Queryable,
    lease: { prefix: string; startDate: string; lastDay: string | null; excludeId?: string },
  ): Promise<Overlapping[]> {
    return q.query<Overlapping[]>(
      `SELECT id, prefix::text AS prefix, start_date, upper(term) - 1 AS term_end
         FROM leases
        WHERE prefix && $1::cidr AND term && daterange($2::date, $3::date, '[]') AND id IS DISTINCT FROM $4::uuid
        ORDER BY seq LIMIT 50`,
      [lease.prefix, lease.startDate, lease.lastDay, lease.excludeId ?? null],
    );
  }

  activeAllocations(q: Queryable, leaseId: string, limit = 100): Promise<{ id: string; prefix: string }[]> {
    return q.query(
      `SELECT id, prefix::text AS prefix FROM allocations WHERE lease_id = $1 AND status = 'active' ORDER BY seq LIMIT $2`,
      [leaseId, limit],
    );
  }

  async exists(q: Queryable, id: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM leases WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** Whether any allocation of the lease still occupies space (active, or released and on hold). */
  async occupiesSpace(q: Queryable, leaseId: string): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM allocations WHERE lease_id = $1 AND occupied LIMIT 1`, [
      leaseId,
    ]);
    return rows.length > 0;
  }

  /**
   * The terms from `effectiveDate` on. One amendment per day: a second one on the same day replaces
   * its terms (a PATCH of the price twice in a day is one change). The lease's own price columns
   * keep the terms in force today.
   */
  async amend(
    q: Queryable,
    leaseId: string,
    terms: { effectiveDate: string; price: string; currency: string; note: string | null },
  ): Promise<AmendmentRow> {
    const rows = await q.query<AmendmentRow[]>(
      `INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ON CONSTRAINT lease_amendments_lease_day_key DO UPDATE
          SET price_per_ip_monthly = EXCLUDED.price_per_ip_monthly, currency = EXCLUDED.currency, note = EXCLUDED.note, created_at = now()
       RETURNING ${AMENDMENT_COLUMNS}`,
      [leaseId, terms.effectiveDate, terms.price, terms.currency, terms.note],
    );
    await q.query(
      `UPDATE leases SET price_per_ip_monthly = lease_price_on(id, current_date), currency = lease_currency_on(id, current_date) WHERE id = $1`,
      [leaseId],
    );
    return rows[0];
  }

  amendments(q: Queryable, leaseId: string): Promise<AmendmentRow[]> {
    return q.query(`SELECT ${AMENDMENT_COLUMNS} FROM lease_amendments WHERE lease_id = $1 ORDER BY effective_date`, [
      leaseId,
    ]);
  }

  /** The terms in force on a day (the latest amendment on or before it, else the original). */
  async termsOn(q: Queryable, leaseId: string, day: string): Promise<{ price: string; currency: string }> {
    const rows = await q.query<{ price: string; currency: string }[]>(
      `SELECT lease_price_on($1, $2::date)::text AS price, lease_currency_on($1, $2::date) AS currency`,
      [leaseId, day],
    );
    return rows[0];
  }

  async today(q: Queryable): Promise<string> {
    const rows = await q.query<{ today: string }[]>(`SELECT current_date AS today`);
    return rows[0].today;
  }

  anyAllocations(
    q: Queryable,
    leaseId: string,
    limit = 100,
  ): Promise<{ id: string; prefix: string; status: string }[]> {
    return q.query(
      `SELECT id, prefix::text AS prefix, status FROM allocations WHERE lease_id = $1 ORDER BY seq LIMIT $2`,
      [leaseId, limit],
    );
  }
}
