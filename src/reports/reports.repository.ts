import { Injectable } from '@nestjs/common';
import { Queryable } from '../database/database.service';
import { COST_GROUPS, CostGroup } from './dto/report-query.dto';
import { LEASE_STATUS_SQL } from '../leases/leases.repository';

/** Address count of a prefix, as SQL over the column `c`. */
const size = (c: string) => `(1::bigint << (32 - masklen(${c})))`;

/** Per grouping: the table that names the group and the column that labels it. */
const GROUP_TABLES: Record<CostGroup, { table: string; label: string }> = {
  lessor: { table: 'lessors', label: 'name' },
  provider: { table: 'providers', label: 'code' },
  region: { table: 'regions', label: 'code' },
  lease: { table: 'leases', label: 'prefix::text' },
};

/**
 * Every lease's terms as day ranges [from_day, until_day): each amendment runs until the next one;
 * the first (the original terms) also covers any earlier day. Read in the order of the
 * (lease_id, effective_date) unique index, so the window needs no sort.
 */
const TERMS_SQL = `
  SELECT am.lease_id, am.currency::text AS currency, am.price_per_ip_monthly AS price,
         CASE WHEN lag(am.effective_date) OVER w IS NULL THEN '-infinity'::date ELSE am.effective_date END AS from_day,
         coalesce(lead(am.effective_date) OVER w, 'infinity'::date) AS until_day
    FROM lease_amendments am
  WINDOW w AS (PARTITION BY am.lease_id ORDER BY am.effective_date)`;

/** '2026-05-01' → '2026-06-01'. */
export function nextMonthStart(monthStart: string): string {
  const [year, month] = monthStart.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

/**
 * The month's lease segments: each lease's days in the month [$1, $2) under each of its terms.
 * Defines the CTEs lease_days, terms and segments. `leases`, when given, is an extra condition on
 * the leases `l` (a subset of them); the terms are then read for those leases only.
 */
function monthSegmentsSql(leases = ''): string {
  return `
       lease_days AS MATERIALIZED (
         -- [first, next): the lease's days inside the month.
         SELECT l.id, l.lessor_id, ${size('l.prefix')} AS size,
                greatest(lower(l.term), $1::date) AS first,
                least(coalesce(upper(l.term), 'infinity'::date), $2::date) AS next
           FROM leases l
          WHERE l.term && daterange($1::date, $2::date) ${leases}
       ),
       terms AS (${leases ? TERMS_SQL.replace('FROM lease_amendments am', 'FROM lease_amendments am WHERE am.lease_id IN (SELECT id FROM lease_days)') : TERMS_SQL}),
       segments AS MATERIALIZED (
         -- The lease's days in the month under each of its terms.
         SELECT ld.id AS lease_id, ld.lessor_id, ld.size, t.currency, t.price,
                greatest(ld.first, t.from_day) AS first, least(ld.next, t.until_day) AS next
           FROM lease_days ld
           JOIN terms t ON t.lease_id = ld.id
          WHERE greatest(ld.first, t.from_day) < least(ld.next, t.until_day)
       )`;
}
const MONTH_SEGMENTS_SQL = monthSegmentsSql();

/**
 * Segments s joined to the address-days h of each allocation period inside them. Driven by the
 * segments: per segment, the lease's periods come from an index-only scan of
 * allocation_history_lease_terms_idx (OFFSET 0 keeps it a per-segment probe, in lease order,
 * rather than a hash join of every period against every segment).
 */
const SEGMENT_PERIODS_SQL = `segments s
          CROSS JOIN LATERAL (
                SELECT h.provider_id, h.region_id,
                       ${size('h.prefix')} * greatest(0, least(coalesce(upper(h.valid), 'infinity'::date), s.next)
                                                      - greatest(lower(h.valid), s.first)) AS address_days
                  FROM allocation_history h
                 WHERE h.lease_id = s.lease_id AND h.valid && daterange(s.first, s.next)
                OFFSET 0) h`;

/** The column of SEGMENT_PERIODS_SQL's rows that each grouping sums by. */
const SEGMENT_PERIOD_GROUP: Record<CostGroup, string> = {
  provider: 'h.provider_id',
  region: 'h.region_id',
  lessor: 's.lessor_id',
  lease: 's.lease_id',
};

/** Leases are rolled up in this many buckets (monthly_cost_bucket). */
const ROLLUP_BUCKETS = 1024;
/** A month is rolled up in this many statements. */
const ROLLUP_BUILD_SLICES = 8;
/** The months a rollup may exist for, as a BETWEEN over the current date. */
const ROLLUP_WINDOW = `(date_trunc('month', current_date) - interval '2 months')::date AND (date_trunc('month', current_date) + interval '1 month')::date`;

const MONTHLY_COST_FIELDS = [
  'key',
  'label',
  'currency',
  'addresses',
  'cost',
  'allocated_addresses',
  'allocated_cost',
  'idle_addresses',
  'idle_cost',
] as const satisfies readonly (keyof MonthlyCostRow)[];
const MONTHLY_COST_COLUMNS = MONTHLY_COST_FIELDS.map((f) => `r.${f}`).join(', ');
const JSON_COLUMNS = MONTHLY_COST_FIELDS.map((f) => `'${f}', r.${f}`).join(', ');

/** The API's name of each field: the JSON report's row (MonthlyCostRowDto), in the same order. */
const MONTHLY_COST_API_FIELDS: Record<(typeof MONTHLY_COST_FIELDS)[number], string> = {
  key: 'key',
  label: 'label',
  currency: 'currency',
  addresses: 'addresses',
  cost: 'cost',
  allocated_addresses: 'allocatedAddresses',
  allocated_cost: 'allocatedCost',
  idle_addresses: 'idleAddresses',
  idle_cost: 'idleCost',
};
/**
 * The row `r` under the API's field names, in the API's order: row_to_json of it is the JSON text
 * JSON.stringify gives the API's row (no spaces; to_json escapes text as JSON.stringify does, the
 * two characters and the control characters of RFC 8259, as \uXXXX with lower-case hex). Every
 * value is text, so every value is a JSON string, as in the API.
 */
const MONTHLY_COST_API_ROW = MONTHLY_COST_FIELDS.map((f) => `r.${f} AS "${MONTHLY_COST_API_FIELDS[f]}"`).join(', ');

/**
 * From a grouping's allocated figures (CTE alloc<suffix>: group_id, currency, address_days,
 * cost_num) and the month's segments: the CTEs leased, grouped and rounded (with the suffix), and
 * a SELECT of the report's rows (plus their sort key) in `r` with the ORDER BY that lists them.
 * Each figure is divided by the month's days and rounded to cents once; idle = total − allocated.
 */
function costRowsSql(
  groupBy: CostGroup,
  suffix: string,
  leasedSql?: string,
): { ctes: string; select: string; orderBy: string } {
  const group = GROUP_TABLES[groupBy];
  const [alloc, leased, grouped, rounded] = ['alloc', 'leased', 'grouped', 'rounded'].map((name) => name + suffix);
  const leaseGroup = { provider: 'NULL::uuid', region: 'NULL::uuid', lessor: 'lessor_id', lease: 'lease_id' }[groupBy];
  const groupedSql =
    groupBy === 'provider' || groupBy === 'region'
      ? `SELECT group_id, currency, 0 AS sort, address_days, cost_num, address_days AS allocated_address_days, cost_num AS allocated_cost_num
           FROM ${alloc}
         UNION ALL
         -- The rest of every lease's cost: what no provider (or region) held.
         SELECT NULL, l.currency, 1, l.address_days - coalesce(t.address_days, 0), l.cost_num - coalesce(t.cost_num, 0), 0, 0
           FROM ${leased} l
           LEFT JOIN (SELECT currency, sum(address_days) AS address_days, sum(cost_num) AS cost_num FROM ${alloc} GROUP BY currency) t ON t.currency = l.currency`
      : `SELECT l.group_id, l.currency, 0 AS sort, l.address_days, l.cost_num,
                coalesce(a.address_days, 0) AS allocated_address_days, coalesce(a.cost_num, 0) AS allocated_cost_num
           FROM ${leased} l
           LEFT JOIN ${alloc} a ON a.group_id = l.group_id AND a.currency = l.currency`;
  return {
    ctes: `${leased} AS (${
      leasedSql ??
      `
         SELECT ${leaseGroup} AS group_id, currency,
                sum(size * (next - first)) AS address_days, sum(price * (size * (next - first))) AS cost_num
           FROM segments
          GROUP BY 1, 2`
    }
       ),
       ${grouped} AS (${groupedSql}),
       ${rounded} AS (
         SELECT group_id, currency, sort,
                round(address_days / d.days, 2) AS addresses, round(cost_num / d.days, 2) AS cost,
                round(allocated_address_days / d.days, 2) AS allocated_addresses, round(allocated_cost_num / d.days, 2) AS allocated_cost
           FROM ${grouped} CROSS JOIN (SELECT ($2::date - $1::date)::numeric AS days) d
       )`,
    select: `SELECT r.sort, coalesce(g.id::text, 'unallocated') AS key, coalesce(g.${group.label}, 'unallocated') AS label, r.currency,
              r.addresses::text AS addresses, r.cost::text AS cost,
              r.allocated_addresses::text AS allocated_addresses, r.allocated_cost::text AS allocated_cost,
              (r.addresses - r.allocated_addresses)::text AS idle_addresses, (r.cost - r.allocated_cost)::text AS idle_cost
         FROM ${rounded} r
         LEFT JOIN ${group.table} g ON g.id = r.group_id`,
    orderBy: 'r.sort, r.label, r.currency, r.key',
  };
}

/**
 * The rollup rows (docs/design.md, "Monthly cost rollup") of the month [$1, $2) for the leases
 * matching `leases`: per lease bucket, the unrounded figures each grouping sums — allocated
 * address-days and money per provider, region, lessor and lease (one pass over the periods, as
 * when closing), and leased ones per lessor and lease (from the segments alone).
 */
function rollupRowsSql(leases: string): string {
  return `WITH ${monthSegmentsSql(leases)},
       parts AS MATERIALIZED (
         SELECT monthly_cost_bucket(s.lease_id) AS bucket, s.lease_id, s.lessor_id, h.provider_id, h.region_id, s.currency,
                grouping(h.provider_id) AS per_lease, sum(h.address_days) AS address_days, sum(s.price * h.address_days) AS cost_num
           FROM ${SEGMENT_PERIODS_SQL}
          GROUP BY GROUPING SETS ((monthly_cost_bucket(s.lease_id), s.lease_id, s.lessor_id, s.currency),
                                  (monthly_cost_bucket(s.lease_id), h.provider_id, h.region_id, s.currency))
       )
       SELECT bucket, 'provider' AS kind, provider_id AS group_id, currency, sum(address_days) AS address_days, sum(cost_num) AS cost_num
         FROM parts WHERE per_lease = 0 GROUP BY bucket, provider_id, currency
       UNION ALL
       SELECT bucket, 'region', region_id, currency, sum(address_days), sum(cost_num)
         FROM parts WHERE per_lease = 0 GROUP BY bucket, region_id, currency
       UNION ALL
       SELECT bucket, 'lessor', lessor_id, currency, sum(address_days), sum(cost_num)
         FROM parts WHERE per_lease = 1 GROUP BY bucket, lessor_id, currency
       UNION ALL
       SELECT bucket, 'lease', lease_id, currency, sum(address_days), sum(cost_num)
         FROM parts WHERE per_lease = 1 GROUP BY bucket, lease_id, currency
       UNION ALL
       SELECT monthly_cost_bucket(lease_id), 'leased_lessor', lessor_id, currency,
              sum(size * (next - first)), sum(price * (size * (next - first)))
         FROM segments GROUP BY 1, lessor_id, currency
       UNION ALL
       SELECT monthly_cost_bucket(lease_id), 'leased_lease', lease_id, currency,
              sum(size * (next - first)), sum(price * (size * (next - first)))
         FROM segments GROUP BY 1, lease_id, currency`;
}

/** A monthly-cost query: its WITH clause, the SELECT of its rows in `r`, and their order. */
interface CostSql {
  with: string;
  select: string;
  orderBy: string;
}

/** A rolled-up month: whether the month may be rolled up now, and whether it is. */
export interface RollupState {
  eligible: boolean;
  built: boolean;
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

export interface StrandedRow {
  id: string;
  prefix: string;
  lease_id: string;
  lease_prefix: string;
  lease_status: string;
  lease_ended_on: string;
  region_id: string;
  provider_id: string;
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
  async today(q: Queryable): Promise<string> {
    const rows = await q.query<{ today: string }[]>(`SELECT current_date AS today`);
    return rows[0].today;
  }

  /**
   * Each day of the month is attributed to the allocation period (lease, region, provider) and the
   * lease terms (price, currency) valid on that day. The month's lease segments (lease days × terms)
   * are computed once; each segment then reads its lease's allocation periods through a covering
   * index (index-only, in lease order), aggregated straight into the report's groups. A hash join
   * of every period against every segment spilled and took seconds at 1M periods (docs/benchmarks.md).
   * Leases are aggregated separately and the two are joined per group and currency.
   * $1 is the month's first day, $2 the next month's.
   */
  monthlyCost(q: Queryable, monthStart: string, groupBy: CostGroup): Promise<MonthlyCostRow[]> {
    return this.costRows(q, monthStart, this.monthlyCostSql(groupBy));
  }

  /**
   * The rows of monthlyCost as the JSON array's content (no brackets), built in PostgreSQL: at 100k
   * rows (by lease) that saves the service parsing 900k fields and serialising them again.
   */
  monthlyCostJson(q: Queryable, monthStart: string, groupBy: CostGroup): Promise<string> {
    return this.costRowsJson(q, monthStart, this.monthlyCostSql(groupBy));
  }

  private monthlyCostSql(groupBy: CostGroup): CostSql {
    const allocationGroup = SEGMENT_PERIOD_GROUP[groupBy];
    const rows = costRowsSql(groupBy, '');
    return {
      with: `WITH ${MONTH_SEGMENTS_SQL},
       alloc AS (
         SELECT ${allocationGroup} AS group_id, s.currency,
                sum(h.address_days) AS address_days, sum(s.price * h.address_days) AS cost_num
           FROM ${SEGMENT_PERIODS_SQL}
          GROUP BY 1, 2
         HAVING sum(h.address_days) > 0
       ),
       ${rows.ctes}`,
      select: rows.select,
      orderBy: rows.orderBy,
    };
  }

  /**
   * The same rows as monthlyCost, summed from the month's rollup: the buckets with a lease in
   * monthly_cost_stale (a change since the rollup was last refreshed that reaches this month), or
   * every bucket when the month is not rolled up in this snapshot, are computed live by the same
   * SQL as monthlyCost and added to the rolled-up rows of the other buckets. Sums of numeric and
   * bigint are exact and keep the largest scale of their terms, so every figure has the value and
   * scale monthlyCost gives it before the one rounding (checked by reports-rollup.e2e-spec.ts).
   */
  monthlyCostRolledUp(q: Queryable, monthStart: string, groupBy: CostGroup): Promise<MonthlyCostRow[]> {
    return this.costRows(q, monthStart, this.monthlyCostRolledUpSql(groupBy));
  }

  /** The rows of monthlyCostRolledUp as JSON text, like monthlyCostJson. */
  monthlyCostRolledUpJson(q: Queryable, monthStart: string, groupBy: CostGroup): Promise<string> {
    return this.costRowsJson(q, monthStart, this.monthlyCostRolledUpSql(groupBy));
  }

  private monthlyCostRolledUpSql(groupBy: CostGroup): CostSql {
    const allocationGroup = SEGMENT_PERIOD_GROUP[groupBy];
    const byAllocation = groupBy === 'provider' || groupBy === 'region';
    const leasedKind = groupBy === 'lease' ? 'leased_lease' : 'leased_lessor';
    const liveLeaseGroup = { provider: 'NULL::uuid', region: 'NULL::uuid', lessor: 'lessor_id', lease: 'lease_id' }[
      groupBy
    ];
    const rolledUp = (kind: string, group: string) => `
           SELECT ${group} AS group_id, currency, address_days, cost_num FROM monthly_cost_rollup
            WHERE month = $1::date AND kind = '${kind}' AND bucket NOT IN (SELECT bucket FROM live_buckets)`;
    // By lease, a rolled-up row is already the lease's figure (a lease lies in one bucket, and a
    // bucket is either rolled up or live): summing it again would only cost a 100k-group aggregate
    // that spills at the default work_mem. The live leases are summed on their own.
    const perLease = groupBy === 'lease';
    const rows = costRowsSql(
      groupBy,
      '',
      perLease
        ? `${rolledUp(leasedKind, 'group_id')}
         UNION ALL
         SELECT lease_id, currency, sum(size * (next - first)), sum(price * (size * (next - first))) FROM segments GROUP BY 1, 2`
        : `
         SELECT group_id, currency, sum(address_days) AS address_days, sum(cost_num) AS cost_num
           FROM (${rolledUp(leasedKind, byAllocation ? 'NULL::uuid' : 'group_id')}
                 UNION ALL
                 SELECT ${liveLeaseGroup}, currency, size * (next - first), price * (size * (next - first)) FROM segments) x
          GROUP BY 1, 2`,
    );
    const alloc = perLease
      ? `${rolledUp(groupBy, 'group_id')} AND address_days > 0
         UNION ALL
         SELECT s.lease_id, s.currency, sum(h.address_days), sum(s.price * h.address_days)
           FROM ${SEGMENT_PERIODS_SQL}
          GROUP BY 1, 2
         HAVING sum(h.address_days) > 0`
      : `
         SELECT group_id, currency, sum(address_days) AS address_days, sum(cost_num) AS cost_num
           FROM (${rolledUp(groupBy, 'group_id')}
                 UNION ALL
                 SELECT ${allocationGroup}, s.currency, h.address_days, s.price * h.address_days
                   FROM ${SEGMENT_PERIODS_SQL}) x
          GROUP BY 1, 2
         HAVING sum(address_days) > 0`;
    return {
      with: `WITH live_buckets AS MATERIALIZED (
         SELECT b AS bucket FROM generate_series(0, ${ROLLUP_BUCKETS - 1}) b
          WHERE NOT EXISTS (SELECT 1 FROM monthly_cost_rollup_months WHERE month = $1::date)
         UNION
         SELECT monthly_cost_bucket(lease_id) FROM monthly_cost_stale WHERE from_day < $2::date
       ),
       ${monthSegmentsSql('AND monthly_cost_bucket(l.id) IN (SELECT bucket FROM live_buckets)')},
       alloc AS (${alloc}
       ),
       ${rows.ctes}`,
      select: rows.select,
      orderBy: rows.orderBy,
    };
  }

  private costRows(q: Queryable, monthStart: string, sql: CostSql): Promise<MonthlyCostRow[]> {
    return q.query<MonthlyCostRow[]>(
      `${sql.with}
       SELECT ${MONTHLY_COST_COLUMNS} FROM (${sql.select}) r ORDER BY ${sql.orderBy}`,
      [monthStart, nextMonthStart(monthStart)],
    );
  }

  private async costRowsJson(q: Queryable, monthStart: string, sql: CostSql): Promise<string> {
    const rows = await q.query<{ rows: string }[]>(
      `${sql.with}
       SELECT coalesce(string_agg(row_to_json(j)::text, ',' ORDER BY ${sql.orderBy}), '') AS rows
         FROM (${sql.select}) r CROSS JOIN LATERAL (SELECT ${MONTHLY_COST_API_ROW}) j`,
      [monthStart, nextMonthStart(monthStart)],
    );
    return rows[0].rows;
  }

  /**
   * One rollup writer at a time (build, refresh, eviction), in the caller's transaction. Without
   * `wait`, answers false at once when another transaction holds it.
   */
  async lockRollup(tx: Queryable, wait: boolean): Promise<boolean> {
    const rows = await tx.query<{ locked: boolean }[]>(
      wait
        ? `SELECT true AS locked FROM pg_advisory_xact_lock(hashtext('monthly_cost_rollup'))`
        : `SELECT pg_try_advisory_xact_lock(hashtext('monthly_cost_rollup')) AS locked`,
    );
    return rows[0].locked;
  }

  /**
   * Rolled up are the open months from two months before the current one through the next one;
   * others (older open months, far future ones) are computed live.
   */
  async rollupState(q: Queryable, monthStart: string): Promise<RollupState> {
    const rows = await q.query<RollupState[]>(
      `SELECT $1::date BETWEEN ${ROLLUP_WINDOW} AND $1::date > coalesce(period_closed_through(), '-infinity') AS eligible,
              EXISTS (SELECT 1 FROM monthly_cost_rollup_months WHERE month = $1::date) AS built`,
      [monthStart],
    );
    return rows[0];
  }

  /** Drops the rollup of months outside the window or closed (a closed month is served frozen). */
  async evictRollupMonths(tx: Queryable): Promise<void> {
    await tx.query(
      `DELETE FROM monthly_cost_rollup_months
        WHERE NOT (month BETWEEN ${ROLLUP_WINDOW}) OR month <= coalesce(period_closed_through(), '-infinity')`,
    );
  }

  /**
   * Empties the stale log (the rows this statement sees; later ones stay for the next refresh)
   * and answers, per rolled-up month, the buckets to recompute. Must run before the recomputation
   * so that it reads every change it consumed.
   */
  consumeStale(tx: Queryable): Promise<{ month: string; buckets: number[] }[]> {
    return tx.query(
      `WITH consumed AS (DELETE FROM monthly_cost_stale RETURNING lease_id, from_day)
       SELECT to_char(m.month, 'YYYY-MM-DD') AS month, array_agg(DISTINCT monthly_cost_bucket(c.lease_id)) AS buckets
         FROM consumed c
         JOIN monthly_cost_rollup_months m ON c.from_day < (m.month + interval '1 month')
        GROUP BY m.month`,
    );
  }

  /**
   * Recomputes the month's rollup rows of these buckets from the live tables, at most a build
   * slice of buckets per statement (a bulk import may name them all).
   */
  async refreshRollup(tx: Queryable, monthStart: string, buckets: number[]): Promise<void> {
    await tx.query(`SET LOCAL work_mem = '64MB'`);
    await tx.query(`DELETE FROM monthly_cost_rollup WHERE month = $1::date AND bucket = ANY($2::int[])`, [
      monthStart,
      buckets,
    ]);
    const slice = ROLLUP_BUCKETS / ROLLUP_BUILD_SLICES;
    for (let at = 0; at < buckets.length; at += slice) {
      await tx.query(
        `INSERT INTO monthly_cost_rollup (month, bucket, kind, group_id, currency, address_days, cost_num)
         SELECT $1::date, r.* FROM (${rollupRowsSql('AND monthly_cost_bucket(l.id) = ANY($3::int[])')}) r`,
        [monthStart, nextMonthStart(monthStart), buckets.slice(at, at + slice)],
      );
    }
  }

  /**
   * Rolls up a whole month, a slice of buckets per statement so that no statement nears the
   * statement timeout at 100k leases (the whole month at once took ~7.7 s there).
   */
  async buildRollup(tx: Queryable, monthStart: string): Promise<void> {
    await tx.query(`SET LOCAL work_mem = '64MB'`);
    await tx.query(`INSERT INTO monthly_cost_rollup_months (month) VALUES ($1::date)`, [monthStart]);
    const slice = ROLLUP_BUCKETS / ROLLUP_BUILD_SLICES;
    for (let first = 0; first < ROLLUP_BUCKETS; first += slice) {
      await tx.query(
        `INSERT INTO monthly_cost_rollup (month, bucket, kind, group_id, currency, address_days, cost_num)
         SELECT $1::date, r.* FROM (${rollupRowsSql('AND monthly_cost_bucket(l.id) BETWEEN $3 AND $4')}) r`,
        [monthStart, nextMonthStart(monthStart), first, first + slice - 1],
      );
    }
  }

  /**
   * Closing a month: the rows of every grouping, computed from one pass over the month's
   * allocation periods and stored in closed_month_reports. The pass keeps the finest grain the
   * four groupings share (lease × provider × region × currency, unrounded address-days and money);
   * each grouping sums those exactly (numeric addition does not round) and then rounds like
   * monthlyCost, so the frozen rows are the ones the live report answers.
   */
  async freezeMonthlyCost(q: Queryable, monthStart: string): Promise<void> {
    const groupings = COST_GROUPS.map((groupBy) => ({ groupBy, ...costRowsSql(groupBy, `_${groupBy}`) }));
    await q.query(
      `WITH ${MONTH_SEGMENTS_SQL},
       alloc_parts AS MATERIALIZED (
         -- One pass over the month's periods, two grains: per lease (for the lessor and lease
         -- groupings) and per provider × region (for the provider and region groupings).
         SELECT s.lease_id, s.lessor_id, h.provider_id, h.region_id, s.currency, grouping(h.provider_id) AS per_lease,
                sum(h.address_days) AS address_days, sum(s.price * h.address_days) AS cost_num
           FROM ${SEGMENT_PERIODS_SQL}
          GROUP BY GROUPING SETS ((s.lease_id, s.lessor_id, s.currency), (h.provider_id, h.region_id, s.currency))
       ),
       ${groupings
         .map(
           ({ groupBy, ctes }) => `alloc_${groupBy} AS (
         SELECT ${groupBy}_id AS group_id, currency,
                sum(address_days) AS address_days, sum(cost_num) AS cost_num
           FROM alloc_parts
          WHERE per_lease = ${groupBy === 'lessor' || groupBy === 'lease' ? 1 : 0}
          GROUP BY 1, 2
         HAVING sum(address_days) > 0
       ),
       ${ctes}`,
         )
         .join(',\n       ')}
       INSERT INTO closed_month_reports (month, group_by, rows)
       ${groupings
         .map(
           ({ groupBy, select, orderBy }) =>
             `SELECT $1::date, '${groupBy}', coalesce((SELECT jsonb_agg(jsonb_build_object(${JSON_COLUMNS}) ORDER BY ${orderBy}) FROM (${select}) r), '[]'::jsonb)`,
         )
         .join('\n       UNION ALL ')}
       ON CONFLICT ON CONSTRAINT closed_month_reports_pkey DO UPDATE SET rows = EXCLUDED.rows, frozen_at = now()`,
      [monthStart, nextMonthStart(monthStart)],
    );
  }

  /** Active allocations whose lease term has ended: space in use that is no longer leased. */
  stranded(q: Queryable): Promise<StrandedRow[]> {
    return q.query<StrandedRow[]>(
      `SELECT a.id, a.prefix::text AS prefix, a.lease_id, l.prefix::text AS lease_prefix, ${LEASE_STATUS_SQL.replace(/leases\./g, 'l.')} AS lease_status,
              upper(l.term) - 1 AS lease_ended_on, a.region_id, a.provider_id
         FROM allocations a
         JOIN leases l ON l.id = a.lease_id
        WHERE a.status = 'active' AND upper(l.term) <= current_date
        ORDER BY upper(l.term), a.prefix, a.id`,
    );
  }

  async strandedCount(q: Queryable): Promise<number> {
    const rows = await q.query<{ count: string }[]>(
      `SELECT count(*) AS count FROM allocations a JOIN leases l ON l.id = a.lease_id
        WHERE a.status = 'active' AND upper(l.term) <= current_date`,
    );
    return Number(rows[0].count);
  }

  /**
   * A closed month's frozen rows: `closed` when the month is closed; `rows` null when nothing was
   * frozen for it (a month before any lease: its live answer is empty and no write can change that).
   */
  async frozenMonthlyCost(
    q: Queryable,
    monthStart: string,
    groupBy: CostGroup,
  ): Promise<{ closed: boolean; rows: MonthlyCostRow[] | null }> {
    const found = await q.query<{ closed: boolean; rows: MonthlyCostRow[] | null }[]>(
      `SELECT coalesce($1::date <= period_closed_through(), false) AS closed,
              (SELECT rows FROM closed_month_reports WHERE month = $1::date AND group_by = $2) AS rows`,
      [monthStart, groupBy],
    );
    return found[0];
  }

  /** Leases not terminated whose current term end or notice deadline falls in [today, today + withinDays]. */
  renewals(q: Queryable, today: string, withinDays: number): Promise<RenewalRow[]> {
    return q.query<RenewalRow[]>(
      `SELECT l.id, l.prefix::text AS prefix, l.lessor_id, lessor.name AS lessor, lease_currency_on(l.id, $1::date) AS currency, l.auto_renew, l.notice_period_days,
              t.term_end - l.notice_period_days AS notice_deadline, t.term_end AS current_term_end,
              (t.term_end - l.notice_period_days) - $1::date AS days_to_notice_deadline, t.term_end - $1::date AS days_to_term_end,
              round(lease_price_on(l.id, $1::date) * ${size('l.prefix')}, 2)::text AS monthly_cost
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
  utilization(q: Queryable, today: string, groupBy: CostGroup): Promise<UtilizationRow[]> {
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
    return q.query<UtilizationRow[]>(
      `WITH terms AS (${TERMS_SQL}),
       active_leases AS MATERIALIZED (
         SELECT l.id, l.lessor_id, t.currency, t.price, ${size('l.prefix')} AS size
           FROM leases l
           JOIN terms t ON t.lease_id = l.id AND t.from_day <= $1::date AND $1::date < t.until_day
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

  /**
   * Committed cost per month and currency: every lease's term, pro rata by days, for `months`
   * months from `fromMonthStart`. Each lease's days under each of its terms (a segment) are
   * computed once and joined to the months they overlap; a lease is counted in a month and
   * currency by its first segment there (the previous segment of the same lease and currency ends
   * before the month), which gives count(DISTINCT lease) without sorting a row per lease and month.
   */
  forecast(q: Queryable, fromMonthStart: string, months: number): Promise<ForecastRow[]> {
    return q.query<ForecastRow[]>(
      `WITH months AS MATERIALIZED (
         SELECT m::date AS first, (m + interval '1 month')::date AS next
           FROM generate_series($1::date::timestamp, $1::date::timestamp + make_interval(months => $2::int - 1), interval '1 month') AS m
       ),
       terms AS (${TERMS_SQL}),
       segments AS (
         SELECT l.id AS lease_id, t.currency, t.price, ${size('l.prefix')} AS size,
                greatest(lower(l.term), t.from_day) AS first,
                least(coalesce(upper(l.term), 'infinity'::date), t.until_day) AS next
           FROM leases l
           JOIN terms t ON t.lease_id = l.id
          WHERE l.term && daterange($1::date, (SELECT max(next) FROM months))
            AND greatest(lower(l.term), t.from_day) < least(coalesce(upper(l.term), 'infinity'::date), t.until_day)
       ),
       ordered AS MATERIALIZED (
         SELECT s.*, lag(s.next) OVER (PARTITION BY s.lease_id, s.currency ORDER BY s.first) AS previous_next
           FROM segments s
       ),
       shapes AS (
         -- Segments clipped to the window and summed by what the months can tell apart (their
         -- days there, and whether the same lease and currency had a segment just before): most
         -- share the whole window, so a few thousand shapes stand for 100k leases.
         SELECT o.currency, greatest(o.first, $1::date) AS first, least(o.next, w.next) AS next,
                CASE WHEN o.previous_next IS NULL OR o.previous_next <= $1::date THEN '-infinity'::date
                     ELSE least(o.previous_next, w.next) END AS previous_next,
                count(*) AS segments, sum(o.size) AS size, sum(o.price * o.size) AS price_size
           FROM ordered o
          CROSS JOIN (SELECT max(next) AS next FROM months) w
          GROUP BY 1, 2, 3, 4
       ),
       per_month AS (
         -- Exact: numeric products and sums never round, so the days may multiply the shape's sums.
         SELECT m.first, s.currency,
                sum(s.segments) FILTER (WHERE s.previous_next <= m.first) AS leases,
                sum(s.size * (least(s.next, m.next) - greatest(s.first, m.first))) AS address_days,
                sum(s.price_size * (least(s.next, m.next) - greatest(s.first, m.first))) AS cost_num
           FROM months m
           JOIN shapes s ON s.first < m.next AND s.next > m.first
          GROUP BY m.first, s.currency
       ),
       currencies AS (SELECT DISTINCT currency FROM per_month)
       SELECT to_char(m.first, 'YYYY-MM') AS month, c.currency, coalesce(p.leases, 0)::int AS leases,
              round(coalesce(p.address_days, 0) / (m.next - m.first)::numeric, 2)::text AS addresses,
              round(coalesce(p.cost_num, 0) / (m.next - m.first)::numeric, 2)::text AS cost
         FROM months m
        CROSS JOIN currencies c
         LEFT JOIN per_month p ON p.first = m.first AND p.currency = c.currency
        ORDER BY m.first, c.currency`,
      [fromMonthStart, months],
    );
  }
}
