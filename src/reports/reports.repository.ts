import { Injectable } from '@nestjs/common';
import { ReadDatabase } from '../database/read-database.service';
import type { CostGroup } from './dto/report-query.dto';

/** Address count of a prefix, as SQL over the column `c`. */
const size = (c: string) => `(1::bigint << (32 - masklen(${c})))`;
/** The UTC calendar day of a timestamptz (independent of the session's TimeZone). */
const utcDay = (c: string) => `((${c}) AT TIME ZONE 'UTC')::date`;

/** Per grouping: the table that names the group and the column that labels it. */
const GROUP_TABLES: Record<CostGroup, { table: string; label: string }> = {
  lessor: { table: 'lessors', label: 'name' },
  provider: { table: 'providers', label: 'code' },
  region: { table: 'regions', label: 'code' },
  lease: { table: 'leases', label: 'prefix::text' },
};

/** '2026-05-01' → '2026-06-01'. */
export function nextMonthStart(monthStart: string): string {
  const [year, month] = monthStart.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

export interface MonthlyCostRow {
  key: string;
  label: string;
  currency: string;
  addresses: string;
  cost: string;
  allocated_addresses: string;
  allocated_cost: string;
  idle_addresses: string;
  idle_cost: string;
}

export interface RenewalRow {
  id: string;
  prefix: string;
  lessor_id: string;
  lessor: string;
  currency: string;
  auto_renew: boolean;
  notice_period_days: number;
  notice_deadline: string;
  current_term_end: string;
  days_to_notice_deadline: number;
  days_to_term_end: number;
  monthly_cost: string;
}

export interface UtilizationRow {
  key: string;
  label: string;
  currency: string;
  leased: string;
  allocated: string;
  free: string;
  utilization: string;
  share: string;
  monthly_cost: string;
  idle_monthly_cost: string;
}

export interface ForecastRow {
  month: string;
  currency: string;
  leases: number;
  addresses: string;
  cost: string;
}

/**
 * The report queries. Every figure is aggregated in PostgreSQL: no lease or allocation row is
 * loaded into Node. Money is numeric throughout; each output figure is divided by the days of its
 * month once and rounded to cents once (round() on numeric: half away from zero).
 *
 * Day rules (documented in docs/reports.md):
 * - a lease occupies the days of its `term` column (start_date .. terminated_on / end_date,
 *   unbounded while auto-renewing or open-ended);
 * - an allocation counts from the UTC day of created_at through the day before the UTC day of
 *   released_at (open-ended while active), clipped to its lease's days.
 */
@Injectable()
export class ReportsRepository {
  /** Every report is a read: it may come from a replica (ReadDatabase). */
  constructor(private readonly db: ReadDatabase) {}

  async today(): Promise<string> {
    const rows = await this.db.query<{ today: string }[]>(`SELECT current_date AS today`);
    return rows[0].today;
  }

  /**
   * One pass over the allocations (parallel seq scan, hash join to the month's leases, hash
   * aggregate straight into the report's groups); leases are aggregated separately and the two
   * are joined per group and currency. $1 is the month's first day, $2 the next month's.
   */
  monthlyCost(monthStart: string, groupBy: CostGroup): Promise<MonthlyCostRow[]> {
    const byAllocation = groupBy === 'provider' || groupBy === 'region';
    const group = GROUP_TABLES[groupBy];
    const allocationGroup = {
      provider: 'a.provider_id',
      region: 'a.region_id',
      lessor: 'ld.lessor_id',
      lease: 'ld.id',
    }[groupBy];
    const leaseGroup = { provider: 'NULL::uuid', region: 'NULL::uuid', lessor: 'lessor_id', lease: 'id' }[groupBy];
    const grouped = byAllocation
      ? `SELECT group_id, currency, 0 AS sort, address_days, cost_num, address_days AS allocated_address_days, cost_num AS allocated_cost_num
           FROM alloc
         UNION ALL
         -- The rest of every lease's cost: what no provider (or region) held.
         SELECT NULL, l.currency, 1, l.address_days - coalesce(t.address_days, 0), l.cost_num - coalesce(t.cost_num, 0), 0, 0
           FROM leased l
           LEFT JOIN (SELECT currency, sum(address_days) AS address_days, sum(cost_num) AS cost_num FROM alloc GROUP BY currency) t ON t.currency = l.currency`
      : `SELECT l.group_id, l.currency, 0 AS sort, l.address_days, l.cost_num,
                coalesce(a.address_days, 0) AS allocated_address_days, coalesce(a.cost_num, 0) AS allocated_cost_num
           FROM leased l
           LEFT JOIN alloc a ON a.group_id = l.group_id AND a.currency = l.currency`;
    return this.db.query<MonthlyCostRow[]>(
      `WITH lease_days AS NOT MATERIALIZED (
         -- [first, next): the lease's days inside the month.
         SELECT l.id, l.lessor_id, l.currency, l.price_per_ip_monthly AS price, ${size('l.prefix')} AS size,
                greatest(lower(l.term), $1::date) AS first,
                least(coalesce(upper(l.term), 'infinity'::date), $2::date) AS next
           FROM leases l
          WHERE l.term && daterange($1::date, $2::date)
       ),
       alloc AS (
         -- Address-days of each allocation inside its lease's days of the month; money per group.
         SELECT ${allocationGroup} AS group_id, ld.currency,
                sum(x.address_days) AS address_days, sum(ld.price * x.address_days) AS cost_num
           FROM allocations a
           JOIN lease_days ld ON ld.id = a.lease_id
          CROSS JOIN LATERAL (
                SELECT ${size('a.prefix')} * greatest(0, least(coalesce(${utcDay('a.released_at')}, 'infinity'::date), ld.next)
                                                         - greatest(${utcDay('a.created_at')}, ld.first)) AS address_days) x
          GROUP BY 1, 2
         HAVING sum(x.address_days) > 0
       ),
       leased AS (
         SELECT ${leaseGroup} AS group_id, currency,
                sum(size * (next - first)) AS address_days, sum(price * (size * (next - first))) AS cost_num
           FROM lease_days
          GROUP BY 1, 2
       ),
       grouped AS (${grouped}),
       rounded AS (
         SELECT group_id, currency, sort,
                round(address_days / d.days, 2) AS addresses, round(cost_num / d.days, 2) AS cost,
                round(allocated_address_days / d.days, 2) AS allocated_addresses, round(allocated_cost_num / d.days, 2) AS allocated_cost
           FROM grouped CROSS JOIN (SELECT ($2::date - $1::date)::numeric AS days) d
       )
       SELECT coalesce(g.id::text, 'unallocated') AS key, coalesce(g.${group.label}, 'unallocated') AS label, r.currency,
              r.addresses::text AS addresses, r.cost::text AS cost,
              r.allocated_addresses::text AS allocated_addresses, r.allocated_cost::text AS allocated_cost,
              (r.addresses - r.allocated_addresses)::text AS idle_addresses, (r.cost - r.allocated_cost)::text AS idle_cost
         FROM rounded r
         LEFT JOIN ${group.table} g ON g.id = r.group_id
        ORDER BY r.sort, label, r.currency, key`,
      [monthStart, nextMonthStart(monthStart)],
    );
  }

  /** Leases not terminated whose current term end or notice deadline falls in [today, today + withinDays]. */
  renewals(today: string, withinDays: number): Promise<RenewalRow[]> {
    return this.db.query<RenewalRow[]>(
      `SELECT l.id, l.prefix::text AS prefix, l.lessor_id, lessor.name AS lessor, l.currency, l.auto_renew, l.notice_period_days,
              t.term_end - l.notice_period_days AS notice_deadline, t.term_end AS current_term_end,
              (t.term_end - l.notice_period_days) - $1::date AS days_to_notice_deadline, t.term_end - $1::date AS days_to_term_end,
              round(l.price_per_ip_monthly * ${size('l.prefix')}, 2)::text AS monthly_cost
         FROM leases l
         JOIN lessors lessor ON lessor.id = l.lessor_id
         CROSS JOIN LATERAL (SELECT lease_term_end_on(l.end_date, l.auto_renew, l.renewal_term_months, l.terminated_on, $1::date) AS term_end) t
        WHERE l.terminated_on IS NULL
          AND t.term_end IS NOT NULL
          AND (t.term_end BETWEEN $1::date AND $1::date + $2::int
               OR t.term_end - l.notice_period_days BETWEEN $1::date AND $1::date + $2::int)
        ORDER BY notice_deadline, current_term_end, l.prefix, l.id`,
      [today, withinDays],
    );
  }

  /** Leases active on `today` and their active allocations, as whole addresses; same shape as monthlyCost. */
  utilization(today: string, groupBy: CostGroup): Promise<UtilizationRow[]> {
    const byAllocation = groupBy === 'provider' || groupBy === 'region';
    const group = GROUP_TABLES[groupBy];
    const allocationGroup = {
      provider: 'a.provider_id',
      region: 'a.region_id',
      lessor: 'al.lessor_id',
      lease: 'al.id',
    }[groupBy];
    const leaseGroup = { provider: 'NULL::uuid', region: 'NULL::uuid', lessor: 'lessor_id', lease: 'id' }[groupBy];
    const grouped = byAllocation
      ? `SELECT group_id, currency, 0 AS sort, addresses AS leased, addresses AS allocated, cost, 0 AS idle_cost
           FROM alloc
         UNION ALL
         SELECT NULL, l.currency, 1, l.addresses - coalesce(t.addresses, 0), 0, l.cost - coalesce(t.cost, 0), l.cost - coalesce(t.cost, 0)
           FROM leased l
           LEFT JOIN (SELECT currency, sum(addresses) AS addresses, sum(cost) AS cost FROM alloc GROUP BY currency) t ON t.currency = l.currency`
      : `SELECT l.group_id, l.currency, 0 AS sort, l.addresses AS leased, coalesce(a.addresses, 0) AS allocated, l.cost, l.cost - coalesce(a.cost, 0) AS idle_cost
           FROM leased l
           LEFT JOIN alloc a ON a.group_id = l.group_id AND a.currency = l.currency`;
    return this.db.query<UtilizationRow[]>(
      `WITH active_leases AS NOT MATERIALIZED (
         SELECT l.id, l.lessor_id, l.currency, l.price_per_ip_monthly AS price, ${size('l.prefix')} AS size
           FROM leases l
          WHERE l.term @> $1::date
       ),
       alloc AS (
         SELECT ${allocationGroup} AS group_id, al.currency, sum(${size('a.prefix')}) AS addresses, sum(al.price * ${size('a.prefix')}) AS cost
           FROM allocations a
           JOIN active_leases al ON al.id = a.lease_id
          WHERE a.status = 'active'
          GROUP BY 1, 2
       ),
       leased AS (
         SELECT ${leaseGroup} AS group_id, currency, sum(size) AS addresses, sum(price * size) AS cost
           FROM active_leases
          GROUP BY 1, 2
       ),
       grouped AS (${grouped})
       SELECT coalesce(g.id::text, 'unallocated') AS key, coalesce(g.${group.label}, 'unallocated') AS label, r.currency,
              r.leased::text AS leased, r.allocated::text AS allocated, (r.leased - r.allocated)::text AS free,
              coalesce(round(r.allocated / nullif(r.leased, 0), 4), 0.0000)::text AS utilization,
              coalesce(round(r.leased / nullif(sum(r.leased) OVER (PARTITION BY r.currency), 0), 4), 0.0000)::text AS share,
              round(r.cost, 2)::text AS monthly_cost, round(r.idle_cost, 2)::text AS idle_monthly_cost
         FROM grouped r
         LEFT JOIN ${group.table} g ON g.id = r.group_id
        ORDER BY r.sort, label, r.currency, key`,
      [today],
    );
  }

  /** Committed cost per month and currency: every lease's term, pro rata by days, for `months` months from `fromMonthStart`. */
  forecast(fromMonthStart: string, months: number): Promise<ForecastRow[]> {
    return this.db.query<ForecastRow[]>(
      `WITH months AS (
         SELECT m::date AS first, (m + interval '1 month')::date AS next
           FROM generate_series($1::date::timestamp, $1::date::timestamp + make_interval(months => $2::int - 1), interval '1 month') AS m
       ),
       lease_months AS (
         SELECT m.first, l.currency, l.price_per_ip_monthly AS price, ${size('l.prefix')} AS size,
                least(coalesce(upper(l.term), 'infinity'::date), m.next) - greatest(lower(l.term), m.first) AS days
           FROM months m JOIN leases l ON l.term && daterange(m.first, m.next)
       ),
       currencies AS (SELECT DISTINCT currency FROM lease_months)
       SELECT to_char(m.first, 'YYYY-MM') AS month, c.currency, count(lm.days)::int AS leases,
              round(coalesce(sum(lm.size * lm.days), 0) / (m.next - m.first)::numeric, 2)::text AS addresses,
              round(coalesce(sum(lm.price * lm.size * lm.days), 0) / (m.next - m.first)::numeric, 2)::text AS cost
         FROM months m
        CROSS JOIN currencies c
         LEFT JOIN lease_months lm ON lm.first = m.first AND lm.currency = c.currency
        GROUP BY m.first, m.next, c.currency
        ORDER BY m.first, c.currency`,
      [fromMonthStart, months],
    );
  }
}
