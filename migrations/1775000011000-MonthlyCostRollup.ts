import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rollup of the monthly-cost report for recent open months (docs/design.md, "Monthly cost
 * rollup"): per month, lease bucket and grouping, the unrounded address-days and money the live
 * query would sum, so a report sums about 1,024 buckets' rows instead of joining every lease's
 * terms with every allocation period of the month.
 *
 * - monthly_cost_bucket(lease): which of 1,024 buckets a lease belongs to (from the uuid's last
 *   hex digits: random for gen_random_uuid, stable for ever).
 * - monthly_cost_rollup_months: the months rolled up; monthly_cost_rollup: their rows.
 * - monthly_cost_stale: an append-only log of (lease, first day changed) written in the same
 *   transaction as every change that can move a lease's figures (allocation periods, amendments,
 *   the lease's term, prefix or lessor). A bucket with a logged lease is computed live by the
 *   report until the rollup is refreshed, so the rollup never answers stale figures. Appending
 *   (rather than updating a per-lease row) keeps concurrent allocation writes from queueing on a
 *   shared row.
 */
export class MonthlyCostRollup1775000011000 implements MigrationInterface {
  name = 'MonthlyCostRollup1775000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION monthly_cost_bucket(p_lease uuid) RETURNS integer
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ('x' || right(p_lease::text, 3))::bit(12)::integer & 1023
      $$`);
    await q.query(`
      CREATE TABLE monthly_cost_rollup_months (
        month date NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT monthly_cost_rollup_months_pkey PRIMARY KEY (month),
        CONSTRAINT monthly_cost_rollup_months_first_day_check CHECK (extract(day FROM month) = 1)
      )`);
    await q.query(`
      CREATE TABLE monthly_cost_rollup (
        month date NOT NULL,
        bucket integer NOT NULL,
        kind text NOT NULL,
        group_id uuid NOT NULL,
        currency text NOT NULL,
        address_days numeric NOT NULL,
        cost_num numeric NOT NULL,
        CONSTRAINT monthly_cost_rollup_month_fkey FOREIGN KEY (month) REFERENCES monthly_cost_rollup_months (month) ON DELETE CASCADE,
        CONSTRAINT monthly_cost_rollup_kind_check
          CHECK (kind IN ('provider', 'region', 'lessor', 'lease', 'leased_lessor', 'leased_lease')),
        CONSTRAINT monthly_cost_rollup_bucket_check CHECK (bucket BETWEEN 0 AND 1023)
      )`);
    await q.query(
      `CREATE INDEX monthly_cost_rollup_month_kind_idx ON monthly_cost_rollup (month, kind, bucket) INCLUDE (group_id, currency, address_days, cost_num)`,
    );
    await q.query(`
      CREATE TABLE monthly_cost_stale (
        lease_id uuid NOT NULL,
        from_day date NOT NULL
      )`);

    await q.query(`
      CREATE FUNCTION allocation_history_cost_stale() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO monthly_cost_stale (lease_id, from_day)
          SELECT lease_id, min(lower(valid)) FROM new_periods GROUP BY lease_id;
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO monthly_cost_stale (lease_id, from_day)
          SELECT lease_id, min(day) FROM (
            SELECT lease_id, lower(valid) AS day FROM old_periods
            UNION ALL SELECT lease_id, lower(valid) FROM new_periods) changed
          GROUP BY lease_id;
        ELSE
          INSERT INTO monthly_cost_stale (lease_id, from_day)
          SELECT lease_id, min(lower(valid)) FROM old_periods GROUP BY lease_id;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER allocation_history_cost_stale_insert AFTER INSERT ON allocation_history
      REFERENCING NEW TABLE AS new_periods
      FOR EACH STATEMENT EXECUTE FUNCTION allocation_history_cost_stale()`);
    await q.query(`
      CREATE TRIGGER allocation_history_cost_stale_update AFTER UPDATE ON allocation_history
      REFERENCING OLD TABLE AS old_periods NEW TABLE AS new_periods
      FOR EACH STATEMENT EXECUTE FUNCTION allocation_history_cost_stale()`);
    await q.query(`
      CREATE TRIGGER allocation_history_cost_stale_delete AFTER DELETE ON allocation_history
      REFERENCING OLD TABLE AS old_periods
      FOR EACH STATEMENT EXECUTE FUNCTION allocation_history_cost_stale()`);

    // Amendments: the first one also covers every earlier day, so a change counts from the start.
    await q.query(`
      CREATE FUNCTION lease_amendments_cost_stale() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO monthly_cost_stale (lease_id, from_day)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.lease_id ELSE NEW.lease_id END, '-infinity');
        IF TG_OP = 'UPDATE' AND OLD.lease_id <> NEW.lease_id THEN
          INSERT INTO monthly_cost_stale (lease_id, from_day) VALUES (OLD.lease_id, '-infinity');
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER lease_amendments_cost_stale AFTER INSERT OR UPDATE OR DELETE ON lease_amendments
      FOR EACH ROW EXECUTE FUNCTION lease_amendments_cost_stale()`);

    await q.query(`
      CREATE FUNCTION leases_cost_stale() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO monthly_cost_stale (lease_id, from_day)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, '-infinity');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_cost_stale_write AFTER INSERT OR DELETE ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_cost_stale()`);
    await q.query(`
      CREATE TRIGGER leases_cost_stale_update AFTER UPDATE ON leases
      FOR EACH ROW WHEN (OLD.term IS DISTINCT FROM NEW.term OR OLD.prefix IS DISTINCT FROM NEW.prefix
                         OR OLD.lessor_id IS DISTINCT FROM NEW.lessor_id OR OLD.id IS DISTINCT FROM NEW.id)
      EXECUTE FUNCTION leases_cost_stale()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER leases_cost_stale_update ON leases`);
    await q.query(`DROP TRIGGER leases_cost_stale_write ON leases`);
    await q.query(`DROP FUNCTION leases_cost_stale()`);
    await q.query(`DROP TRIGGER lease_amendments_cost_stale ON lease_amendments`);
    await q.query(`DROP FUNCTION lease_amendments_cost_stale()`);
    await q.query(`DROP TRIGGER allocation_history_cost_stale_delete ON allocation_history`);
    await q.query(`DROP TRIGGER allocation_history_cost_stale_update ON allocation_history`);
    await q.query(`DROP TRIGGER allocation_history_cost_stale_insert ON allocation_history`);
    await q.query(`DROP FUNCTION allocation_history_cost_stale()`);
    await q.query(`DROP TABLE monthly_cost_stale`);
    await q.query(`DROP TABLE monthly_cost_rollup`);
    await q.query(`DROP TABLE monthly_cost_rollup_months`);
    await q.query(`DROP FUNCTION monthly_cost_bucket(uuid)`);
  }
}
