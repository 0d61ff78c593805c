import { Injectable } from '@nestjs/common';
import type { Queryable } from '../database/database.service';
import type { RowError } from './import-source';
import type { AllocationImportRow, LeaseImportRow } from './import-rows';

/**
 * Set-based SQL for bulk imports: the rows go into a temporary table in one statement, every check
 * is one query over the whole table (errors for every bad row at once), and the writes are
 * multi-row inserts. Everything runs in the caller's transaction.
 */
@Injectable()
export class ImportsRepository {
  /** A bulk statement over 50,000 rows may run longer than the API's per-statement limit. */
  private async allowLongStatements(tx: Queryable): Promise<void> {
    await tx.query(`SET LOCAL statement_timeout = '120s'`);
  }

  async stageLeases(tx: Queryable, rows: LeaseImportRow[]): Promise<void> {
    await this.allowLongStatements(tx);
    await tx.query(`
      CREATE TEMP TABLE import_leases (
        row_no integer PRIMARY KEY, prefix cidr NOT NULL, lessor text NOT NULL, rir text, start_date date NOT NULL,
        end_date date, auto_renew boolean NOT NULL, renewal_term_months integer NOT NULL, notice_period_days integer NOT NULL,
        price numeric(14, 4) NOT NULL, currency text NOT NULL, contract_ref text, origin_asn bigint, tags text[] NOT NULL,
        term daterange GENERATED ALWAYS AS (daterange(start_date, CASE WHEN auto_renew THEN NULL ELSE end_date END, '[]')) STORED
      ) ON COMMIT DROP`);
    await tx.query(
      `INSERT INTO import_leases (row_no, prefix, lessor, rir, start_date, end_date, auto_renew, renewal_term_months,
                                  notice_period_days, price, currency, contract_ref, origin_asn, tags)
       SELECT r.row_no, r.prefix, r.lessor, r.rir, r.start_date, r.end_date, r.auto_renew, r.renewal_term_months,
              r.notice_period_days, r.price, r.currency, r.contract_ref, r.origin_asn,
              coalesce((SELECT array_agg(t) FROM unnest(string_to_array(r.tags, ';')) AS t WHERE t <> ''), '{}')
         FROM unnest($1::int[], $2::cidr[], $3::text[], $4::text[], $5::date[], $6::date[], $7::boolean[], $8::int[],
                     $9::int[], $10::numeric[], $11::text[], $12::text[], $13::bigint[], $14::text[])
              AS r(row_no, prefix, lessor, rir, start_date, end_date, auto_renew, renewal_term_months, notice_period_days,
                   price, currency, contract_ref, origin_asn, tags)`,
      [
        rows.map((r) => r.row),
        rows.map((r) => r.prefix),
        rows.map((r) => r.lessor),
        rows.map((r) => r.rir),
        rows.map((r) => r.startDate),
        rows.map((r) => r.endDate),
        rows.map((r) => r.autoRenew),
        rows.map((r) => r.renewalTermMonths),
        rows.map((r) => r.noticePeriodDays),
        rows.map((r) => r.pricePerIpMonthly),
        rows.map((r) => r.currency),
        rows.map((r) => r.contractRef),
        rows.map((r) => r.originAsn),
        rows.map((r) => r.tags.join(';')),
      ],
    );
    // SP-GiST answers the per-row overlap probes several times faster than GiST inet_ops here.
    await tx.query(`CREATE INDEX ON import_leases USING spgist (prefix)`);
    await tx.query(`ANALYZE import_leases`);
  }

  /** Overlaps with stored leases or earlier rows, and lessors that cannot be matched or created. */
  leaseProblems(tx: Queryable): Promise<RowError[]> {
    return tx.query<RowError[]>(`
      WITH lessor_rir AS (
        SELECT DISTINCT ON (lower(lessor)) lower(lessor) AS key, rir, row_no
          FROM import_leases WHERE rir IS NOT NULL ORDER BY lower(lessor), row_no)
      SELECT row_no AS row, field, message FROM (
        SELECT i.row_no, 'prefix' AS field,
               format('%s overlaps lease %s (%s, %s to %s) during part of its term', i.prefix, l.id, l.prefix, l.start_date,
                      coalesce((upper(l.term) - 1)::text, 'open end')) AS message
          FROM import_leases i
          CROSS JOIN LATERAL (SELECT id, prefix, start_date, term, seq
                                FROM (SELECT * FROM leases l WHERE l.prefix && i.prefix OFFSET 0) l
                               WHERE l.term && i.term ORDER BY l.seq LIMIT 1) l
        UNION ALL
        SELECT i.row_no, 'prefix', format('%s %s row %s (%s) during part of its term', i.prefix,
                                          CASE WHEN j.prefix = i.prefix THEN 'duplicates' ELSE 'overlaps' END, j.row_no, j.prefix)
          FROM import_leases i
          CROSS JOIN LATERAL (SELECT row_no, prefix
                                FROM (SELECT row_no, prefix, term FROM import_leases j WHERE j.prefix && i.prefix OFFSET 0) j
                               WHERE j.term && i.term AND j.row_no < i.row_no ORDER BY j.row_no LIMIT 1) j
        UNION ALL
        SELECT i.row_no, 'rir', format('lessor %s exists with RIR %s; this row says %s', s.name, s.rir, i.rir)
          FROM import_leases i JOIN lessors s ON lower(s.name) = lower(i.lessor) AND s.archived_at IS NULL
         WHERE i.rir IS NOT NULL AND i.rir <> s.rir
        UNION ALL
        SELECT i.row_no, 'rir', format('lessor %s is new and row %s gives it RIR %s; this row says %s', i.lessor, r.row_no, r.rir, i.rir)
          FROM import_leases i JOIN lessor_rir r ON r.key = lower(i.lessor)
         WHERE i.rir IS NOT NULL AND i.rir <> r.rir
           AND NOT EXISTS (SELECT 1 FROM lessors s WHERE lower(s.name) = lower(i.lessor) AND s.archived_at IS NULL)
        UNION ALL
        SELECT i.row_no, 'rir', format('is required: lessor %s does not exist yet and is created with the RIR given here', i.lessor)
          FROM import_leases i
         WHERE NOT EXISTS (SELECT 1 FROM lessors s WHERE lower(s.name) = lower(i.lessor) AND s.archived_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM lessor_rir r WHERE r.key = lower(i.lessor))
      ) problems ORDER BY row_no, field`);
  }

  /** Lessors named by the rows that do not exist yet, created with the first RIR given for them. */
  createMissingLessors(tx: Queryable): Promise<Record<string, unknown>[]> {
    return tx.query(`
      INSERT INTO lessors (name, rir)
      SELECT DISTINCT ON (lower(i.lessor)) i.lessor, i.rir
        FROM import_leases i
       WHERE i.rir IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM lessors s WHERE lower(s.name) = lower(i.lessor) AND s.archived_at IS NULL)
       ORDER BY lower(i.lessor), i.row_no
      RETURNING *`);
  }

  async insertLeases(tx: Queryable): Promise<string[]> {
    const rows = await tx.query<{ id: string }[]>(`
      INSERT INTO leases (prefix, lessor_id, start_date, end_date, auto_renew, renewal_term_months, notice_period_days,
                          price_per_ip_monthly, currency, contract_ref, origin_asn, tags)
      SELECT i.prefix, s.id, i.start_date, i.end_date, i.auto_renew, i.renewal_term_months, i.notice_period_days,
             i.price, i.currency, i.contract_ref, i.origin_asn, i.tags
        FROM import_leases i JOIN lessors s ON lower(s.name) = lower(i.lessor) AND s.archived_at IS NULL
       ORDER BY i.row_no
      RETURNING id`);
    return rows.map((r) => r.id);
  }

  async stageAllocations(tx: Queryable, rows: AllocationImportRow[]): Promise<void> {
    await this.allowLongStatements(tx);
    await tx.query(`
      CREATE TEMP TABLE import_allocations (
        row_no integer PRIMARY KEY, prefix cidr NOT NULL, region_code text NOT NULL, provider_code text NOT NULL,
        effective_date date, name text, description text, tags text[] NOT NULL, origin_asn bigint,
        region_id uuid, provider_id uuid, min_length integer, max_length integer, lease_id uuid
      ) ON COMMIT DROP`);
    await tx.query(
      `INSERT INTO import_allocations (row_no, prefix, region_code, provider_code, effective_date, name, description, tags, origin_asn)
       SELECT r.row_no, r.prefix, r.region_code, r.provider_code, r.effective_date, r.name, r.description,
              coalesce((SELECT array_agg(t) FROM unnest(string_to_array(r.tags, ';')) AS t WHERE t <> ''), '{}'), r.origin_asn
         FROM unnest($1::int[], $2::cidr[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[], $8::text[], $9::bigint[])
              AS r(row_no, prefix, region_code, provider_code, effective_date, name, description, tags, origin_asn)`,
      [
        rows.map((r) => r.row),
        rows.map((r) => r.prefix),
        rows.map((r) => r.region),
        rows.map((r) => r.provider),
        rows.map((r) => r.effectiveDate),
        rows.map((r) => r.name),
        rows.map((r) => r.description),
        rows.map((r) => r.tags.join(';')),
        rows.map((r) => r.originAsn),
      ],
    );
    // Resolve codes and the active lease that contains each prefix today (at most one can).
    await tx.query(`
      UPDATE import_allocations i
         SET region_id = (SELECT r.id FROM regions r WHERE r.code = i.region_code AND r.archived_at IS NULL),
             (provider_id, min_length, max_length) =
               (SELECT p.id, p.min_prefix_length, p.max_prefix_length FROM providers p
                 WHERE p.code = i.provider_code AND p.archived_at IS NULL),
             lease_id = (SELECT l.id FROM leases l WHERE l.prefix >>= i.prefix AND l.term @> current_date ORDER BY l.seq LIMIT 1)`);
    await tx.query(`CREATE INDEX ON import_allocations USING spgist (prefix)`);
    await tx.query(`ANALYZE import_allocations`);
  }

  /**
   * Unknown codes, provider rules, space outside active leases, overlaps, taken names and backdating
   * (effectiveDate before the lease, in a closed month, or over space another allocation held since), per row.
   */
  allocationProblems(tx: Queryable): Promise<RowError[]> {
    return tx.query<RowError[]>(`
      SELECT row_no AS row, field, message FROM (
        SELECT row_no, 'region' AS field, format('%s does not name a region', region_code) AS message
          FROM import_allocations WHERE region_id IS NULL
        UNION ALL
        SELECT row_no, 'provider', format('%s does not name a provider', provider_code)
          FROM import_allocations WHERE provider_id IS NULL
        UNION ALL
        SELECT row_no, 'prefix', format('provider %s accepts prefixes from /%s to /%s; /%s is outside that range',
                                        provider_code, min_length, max_length, masklen(prefix))
          FROM import_allocations WHERE provider_id IS NOT NULL AND masklen(prefix) NOT BETWEEN min_length AND max_length
        UNION ALL
        SELECT row_no, 'prefix', format('%s is not inside any active lease', prefix)
          FROM import_allocations WHERE lease_id IS NULL
        UNION ALL
        SELECT i.row_no, 'prefix', format('%s overlaps %sallocation %s (%s)', i.prefix,
                                          CASE WHEN a.status = 'released' THEN 'released (on hold) ' ELSE '' END, a.id, a.prefix)
          FROM import_allocations i
          CROSS JOIN LATERAL (SELECT id, prefix, status
                                FROM (SELECT id, prefix, status, occupied FROM allocations a WHERE a.prefix && i.prefix OFFSET 0) a
                               WHERE a.occupied ORDER BY a.prefix LIMIT 1) a
        UNION ALL
        SELECT i.row_no, 'prefix', format('%s %s row %s (%s)', i.prefix,
                                          CASE WHEN j.prefix = i.prefix THEN 'duplicates' ELSE 'overlaps' END, j.row_no, j.prefix)
          FROM import_allocations i
          CROSS JOIN LATERAL (SELECT row_no, prefix
                                FROM (SELECT row_no, prefix FROM import_allocations j WHERE j.prefix && i.prefix OFFSET 0) j
                               WHERE j.row_no < i.row_no ORDER BY j.row_no LIMIT 1) j
        UNION ALL
        SELECT i.row_no, 'effectiveDate', format('must not be before lease %s starts (%s)', l.prefix, l.start_date)
          FROM import_allocations i JOIN leases l ON l.id = i.lease_id WHERE i.effective_date < l.start_date
        UNION ALL
        SELECT row_no, 'effectiveDate', format('%s is in a closed month: months are closed through %s; the first open month is %s',
                                               effective_date, to_char(period_closed_through(), 'YYYY-MM'),
                                               to_char(period_closed_through() + interval '1 month', 'YYYY-MM'))
          FROM import_allocations WHERE effective_date < period_closed_through() + interval '1 month'
        UNION ALL
        SELECT i.row_no, 'effectiveDate', format('%s was held by allocation %s (%s) on some day since %s',
                                                 i.prefix, h.id, h.prefix, i.effective_date)
          FROM import_allocations i
          CROSS JOIN LATERAL (SELECT a.id, a.prefix
                                FROM allocation_history h JOIN allocations a ON a.id = h.allocation_id
                               WHERE h.prefix && i.prefix AND h.valid && daterange(i.effective_date, NULL) AND NOT a.occupied
                               ORDER BY a.seq LIMIT 1) h
         WHERE i.effective_date IS NOT NULL
        UNION ALL
        SELECT i.row_no, 'name', format('an active allocation named %s already exists (%s)', i.name, a.id)
          FROM import_allocations i JOIN allocations a ON a.name = i.name AND a.status = 'active'
        UNION ALL
        SELECT i.row_no, 'name', format('%s is also the name of row %s', i.name, j.first)
          FROM import_allocations i
          JOIN (SELECT name, min(row_no) AS first FROM import_allocations WHERE name IS NOT NULL GROUP BY name) j
            ON j.name = i.name AND j.first < i.row_no
      ) problems ORDER BY row_no, field`);
  }

  /**
   * Locks the leases the rows fall in (in id order, so two imports cannot deadlock) and reclaims
   * expired holds in their space with free_blocks_reclaim_holds, as allocation_place does before it
   * places a block: space whose hold has run out is free for the checks that follow, whichever
   * lease it was released from, and every overlapping lease gets it back.
   */
  async lockLeasesAndReclaimHolds(tx: Queryable): Promise<void> {
    await tx.query(
      `SELECT 1 FROM leases WHERE id IN (SELECT lease_id FROM import_allocations) ORDER BY id FOR NO KEY UPDATE`,
    );
    await tx.query(`
      SELECT free_blocks_reclaim_holds(prefix)
        FROM (SELECT prefix FROM leases WHERE id IN (SELECT lease_id FROM import_allocations) ORDER BY id OFFSET 0) l`);
  }

  /**
   * Claims every row's block under its lease (free_blocks_claim_many: the same pieces as one
   * free_blocks_claim per row), then takes the blocks out of every other lease overlapping them, as
   * allocation_place does through free_blocks_occupy_elsewhere (those leases locked in id order).
   * Answers the rows whose block was not wholly free; then nothing was claimed.
   */
  async placeAllocations(tx: Queryable): Promise<{ row: number; outcome: string }[]> {
    const refused = await tx.query<{ row: number; outcome: string }[]>(`
      WITH ordered AS (
        SELECT row_no, lease_id, prefix, row_number() OVER (ORDER BY row_no) AS n FROM import_allocations
      ), refused AS (
        SELECT n FROM free_blocks_claim_many((SELECT array_agg(lease_id ORDER BY n) FROM ordered),
                                             (SELECT array_agg(prefix ORDER BY n) FROM ordered)) AS n
      )
      SELECT o.row_no AS row, 'taken' AS outcome FROM refused JOIN ordered o USING (n) ORDER BY o.row_no`);
    if (refused.length) return refused;
    await tx.query(`
      SELECT 1 FROM leases
       WHERE id IN (SELECT o.id FROM import_allocations i JOIN leases o ON o.prefix && i.prefix AND o.id <> i.lease_id)
       ORDER BY id FOR NO KEY UPDATE`);
    await tx.query(`
      SELECT free_blocks_subtract_many(array_agg(o.id), array_agg(i.prefix))
        FROM import_allocations i JOIN leases o ON o.prefix && i.prefix AND o.id <> i.lease_id
      HAVING count(*) > 0`);
    return [];
  }

  async insertAllocations(tx: Queryable, columns: string): Promise<Record<string, unknown>[]> {
    return tx.query(`
      INSERT INTO allocations (lease_id, prefix, region_id, provider_id, strategy, name, origin_asn, description, tags, effective_date)
      SELECT lease_id, prefix, region_id, provider_id, 'explicit', name, origin_asn, description, tags, effective_date
        FROM import_allocations ORDER BY row_no
      RETURNING ${columns}`);
  }
}
