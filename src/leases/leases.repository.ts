import { Injectable } from '@nestjs/common';
import { Keyset } from '../common/pagination';
import { Filter, TableRepository, VersionedRow } from '../common/table.repository';
import { Database, Queryable } from '../database/database.service';
import type { LeaseQuery, LeaseStatus } from './dto/lease.dto';
import { Listed, LISTED_SQL } from '../reputation/listed';

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
  monthly_cost: string;
  listed?: Listed[];
}

export const LEASE_STATUS_SQL = `lease_status_on(leases.start_date, leases.end_date, leases.auto_renew, leases.terminated_on, current_date)`;

// Computed fields are derived in SQL so the API and the reports share one definition.
const LEASE_COLUMNS = `
  leases.id, leases.seq, leases.prefix::text AS prefix, leases.lessor_id, leases.start_date, leases.end_date,
  leases.auto_renew, leases.renewal_term_months, leases.notice_period_days, leases.price_per_ip_monthly::text AS price_per_ip_monthly,
  leases.currency, leases.contract_ref, leases.origin_asn, leases.tags, leases.notes, leases.terminated_on,
  leases.version, leases.created_at, leases.updated_at,
  ${LEASE_STATUS_SQL} AS status,
  lease_term_end_on(leases.end_date, leases.auto_renew, leases.renewal_term_months, leases.terminated_on, current_date) AS current_term_end,
  (1::bigint << (32 - masklen(leases.prefix))) AS address_count,
  (SELECT coalesce(sum(1::bigint << (32 - masklen(a.prefix))), 0) FROM allocations a WHERE a.lease_id = leases.id AND a.status = 'active') AS allocated_address_count,
  round(leases.price_per_ip_monthly * (1::bigint << (32 - masklen(leases.prefix))), 2)::text AS monthly_cost,
  ${LISTED_SQL('leases.prefix')} AS listed`;

export interface Overlapping {
  id: string;
  prefix: string;
  start_date: string;
  term_end: string | null;
}

@Injectable()
export class LeasesRepository extends TableRepository<LeaseRow> {
  constructor(private readonly db: Database) {
    super('leases', LEASE_COLUMNS);
  }

  search(page: Keyset, query: LeaseQuery): Promise<LeaseRow[]> {
    const filters: Filter[] = [];
    if (query.status) filters.push({ sql: `${LEASE_STATUS_SQL} = $1`, params: [query.status] });
    if (query.lessorId) filters.push({ sql: 'lessor_id = $1', params: [query.lessorId] });
    if (query.tag) filters.push({ sql: 'tags @> ARRAY[$1]::text[]', params: [query.tag] });
    if (query.contains) filters.push({ sql: 'prefix >>= $1::cidr', params: [query.contains] });
    if (query.within) filters.push({ sql: 'prefix <<= $1::cidr', params: [query.within] });
    if (query.activeOn) filters.push({ sql: 'term @> $1::date', params: [query.activeOn] });
    return this.list(this.db, page, filters);
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
