import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Time: effective-dated allocation history, lease amendments and closed months.
 *
 * - allocations.effective_date: the first day an allocation counts (existing rows: the UTC day
 *   they were created, which is what the reports counted until now).
 * - allocation_history: which lease, region and provider an allocation had on which days.
 *   `valid` is a half-open daterange; two periods of one allocation never overlap
 *   (allocation_history_no_overlap, btree_gist for the uuid equality). Existing allocations get
 *   one row from their effective date to the UTC day of their release.
 * - lease_amendments: a lease's price and currency from a day on; the original terms are the first
 *   row (existing leases: their current price from their start date).
 * - period_events / closed_month_reports: closing and reopening months, and the monthly-cost rows
 *   frozen when a month is closed.
 * - period_assert_open(): the one answer to "does this write reach a closed month?", called by
 *   triggers on every table whose rows feed the monthly-cost report, so no writer can forget it.
 *
 * btree_gist installs its own default GiST opclass for inet: every GiST index over an inet or cidr
 * column in iplease names inet_ops explicitly (the migrations test checks that this stays true).
 */
export class Time1766000000000 implements MigrationInterface {
  name = 'Time1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);

    await q.query(`ALTER TABLE allocations ADD COLUMN effective_date date`);
    await q.query(`UPDATE allocations SET effective_date = (created_at AT TIME ZONE 'UTC')::date`);
    await q.query(`ALTER TABLE allocations ALTER COLUMN effective_date SET NOT NULL`);

    await q.query(`
      CREATE TABLE allocation_history (
        id            bigint GENERATED ALWAYS AS IDENTITY,
        allocation_id uuid NOT NULL,
        lease_id      uuid NOT NULL,
        region_id     uuid NOT NULL,
        provider_id   uuid NOT NULL,
        prefix        cidr NOT NULL,
        valid         daterange NOT NULL,
        CONSTRAINT allocation_history_pkey PRIMARY KEY (id),
        CONSTRAINT allocation_history_allocation_id_fkey FOREIGN KEY (allocation_id) REFERENCES allocations (id) ON DELETE CASCADE,
        CONSTRAINT allocation_history_lease_id_fkey FOREIGN KEY (lease_id) REFERENCES leases (id),
        CONSTRAINT allocation_history_region_id_fkey FOREIGN KEY (region_id) REFERENCES regions (id),
        CONSTRAINT allocation_history_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers (id),
        CONSTRAINT allocation_history_valid_check CHECK (NOT isempty(valid) AND NOT lower_inf(valid)),
        CONSTRAINT allocation_history_no_overlap EXCLUDE USING gist (allocation_id WITH =, valid WITH &&)
      )`);
    await q.query(`CREATE INDEX allocation_history_lease_id_idx ON allocation_history (lease_id)`);
    await q.query(`CREATE INDEX allocation_history_region_id_idx ON allocation_history (region_id)`);
    await q.query(`CREATE INDEX allocation_history_provider_id_idx ON allocation_history (provider_id)`);
    // Backdated creates ask which allocations held a prefix on which days.
    await q.query(
      `CREATE INDEX allocation_history_prefix_idx ON allocation_history USING gist (prefix inet_ops, valid)`,
    );
    await q.query(`
      INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
      SELECT id, lease_id, region_id, provider_id, prefix,
             daterange(effective_date, (released_at AT TIME ZONE 'UTC')::date)
        FROM allocations
       WHERE released_at IS NULL OR (released_at AT TIME ZONE 'UTC')::date > effective_date
       ORDER BY seq`);

    // Every writer (the API, bulk imports, tests) gets the history without having to remember it:
    // an allocation starts counting on its effective date (default: the UTC day it is created),
    // and its open period ends on the UTC day it is released.
    await q.query(`
      CREATE FUNCTION allocations_default_effective_date() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.effective_date := coalesce(NEW.effective_date, (NEW.created_at AT TIME ZONE 'UTC')::date);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER allocations_default_effective_date BEFORE INSERT ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_default_effective_date()`);
    await q.query(`
      CREATE FUNCTION allocations_track_history() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        released_on date := (NEW.released_at AT TIME ZONE 'UTC')::date;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF released_on IS NULL OR released_on > NEW.effective_date THEN
            INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
            VALUES (NEW.id, NEW.lease_id, NEW.region_id, NEW.provider_id, NEW.prefix, daterange(NEW.effective_date, released_on));
          END IF;
        ELSIF NEW.status = 'released' AND OLD.status = 'active' THEN
          DELETE FROM allocation_history WHERE allocation_id = NEW.id AND lower(valid) >= released_on;
          UPDATE allocation_history SET valid = daterange(lower(valid), released_on)
           WHERE allocation_id = NEW.id AND (upper_inf(valid) OR upper(valid) > released_on);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER allocations_track_history AFTER INSERT OR UPDATE OF status ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_track_history()`);

    await q.query(`
      CREATE TABLE lease_amendments (
        id                   uuid NOT NULL DEFAULT gen_random_uuid(),
        seq                  bigint GENERATED ALWAYS AS IDENTITY,
        lease_id             uuid NOT NULL,
        effective_date       date NOT NULL,
        price_per_ip_monthly numeric(14, 4) NOT NULL,
        currency             char(3) NOT NULL,
        note                 text,
        created_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lease_amendments_pkey PRIMARY KEY (id),
        CONSTRAINT lease_amendments_lease_id_fkey FOREIGN KEY (lease_id) REFERENCES leases (id) ON DELETE CASCADE,
        CONSTRAINT lease_amendments_lease_day_key UNIQUE (lease_id, effective_date),
        CONSTRAINT lease_amendments_price_check CHECK (price_per_ip_monthly >= 0),
        CONSTRAINT lease_amendments_currency_check CHECK (currency ~ '^[A-Z]{3}$')
      )`);
    await q.query(`CREATE UNIQUE INDEX lease_amendments_seq_key ON lease_amendments (seq)`);
    await q.query(`
      INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note, created_at)
      SELECT id, start_date, price_per_ip_monthly, currency, 'original terms', created_at FROM leases ORDER BY seq`);

    // A new lease's terms are its first amendment, whoever inserts it.
    await q.query(`
      CREATE FUNCTION leases_original_terms() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note, created_at)
        VALUES (NEW.id, NEW.start_date, NEW.price_per_ip_monthly, NEW.currency, 'original terms', NEW.created_at);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_original_terms AFTER INSERT ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_original_terms()`);

    // The terms in force on a day: the latest amendment on or before it; days before the first
    // amendment (only possible after startDate moved earlier) take the original terms.
    await q.query(`
      CREATE FUNCTION lease_price_on(p_lease uuid, p_day date) RETURNS numeric
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT price_per_ip_monthly FROM lease_amendments WHERE lease_id = p_lease
         ORDER BY effective_date <= p_day DESC, CASE WHEN effective_date <= p_day THEN effective_date END DESC, effective_date
         LIMIT 1
      $$`);
    await q.query(`
      CREATE FUNCTION lease_currency_on(p_lease uuid, p_day date) RETURNS text
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT currency::text FROM lease_amendments WHERE lease_id = p_lease
         ORDER BY effective_date <= p_day DESC, CASE WHEN effective_date <= p_day THEN effective_date END DESC, effective_date
         LIMIT 1
      $$`);

    await q.query(`
      CREATE TABLE period_events (
        id           uuid NOT NULL DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY,
        action       text NOT NULL,
        through      date,
        reason       text,
        at           timestamptz NOT NULL DEFAULT now(),
        actor_key_id uuid,
        actor_name   text,
        CONSTRAINT period_events_pkey PRIMARY KEY (id),
        CONSTRAINT period_events_action_check CHECK (action IN ('close', 'reopen')),
        CONSTRAINT period_events_through_check CHECK (through IS NULL OR extract(day FROM through) = 1),
        CONSTRAINT period_events_close_check CHECK (action = 'reopen' OR through IS NOT NULL),
        CONSTRAINT period_events_reopen_reason_check CHECK (action = 'close' OR length(reason) > 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX period_events_seq_key ON period_events (seq)`);
    await q.query(`
      CREATE TABLE closed_month_reports (
        month     date NOT NULL,
        group_by  text NOT NULL,
        rows      jsonb NOT NULL,
        frozen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT closed_month_reports_pkey PRIMARY KEY (month, group_by)
      )`);

    // The first day of the last closed month, or NULL when no month is closed.
    await q.query(`
      CREATE FUNCTION period_closed_through() RETURNS date LANGUAGE sql STABLE AS $$
        SELECT through FROM period_events ORDER BY seq DESC LIMIT 1
      $$`);
    // Only months that have ended can be closed, so a write from this month on returns at once.
    await q.query(`
      CREATE FUNCTION period_assert_open(p_first_day date, p_what text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        closed_through date;
      BEGIN
        IF p_first_day IS NULL OR p_first_day >= date_trunc('month', current_date)::date THEN RETURN; END IF;
        closed_through := period_closed_through();
        IF closed_through IS NOT NULL AND p_first_day < (closed_through + interval '1 month')::date THEN
          RAISE EXCEPTION '% reaches %, a closed month: months are closed through %; the first open month is %.',
            p_what, to_char(p_first_day, 'YYYY-MM'), to_char(closed_through, 'YYYY-MM'),
            to_char(closed_through + interval '1 month', 'YYYY-MM')
            USING ERRCODE = 'IPC01', CONSTRAINT = 'period_closed';
        END IF;
      END $$`);
    // The earliest day on which two ranges differ (NULL when equal); unbounded ends are infinity.
    await q.query(`
      CREATE FUNCTION daterange_first_difference(a daterange, b daterange) RETURNS date
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT nullif(least(
          CASE WHEN lower(a) IS DISTINCT FROM lower(b) THEN least(lower(a), lower(b)) END,
          CASE WHEN upper(a) IS DISTINCT FROM upper(b)
               THEN least(coalesce(upper(a), 'infinity'::date), coalesce(upper(b), 'infinity'::date)) END
        ), 'infinity'::date)
      $$`);

    await q.query(`
      CREATE FUNCTION leases_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM period_assert_open(lower(NEW.term), 'A lease of ' || NEW.prefix || ' starting ' || lower(NEW.term));
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM period_assert_open(lower(OLD.term), 'Deleting lease ' || OLD.prefix);
        ELSIF NEW.prefix <> OLD.prefix THEN
          PERFORM period_assert_open(least(lower(OLD.term), lower(NEW.term)), 'Changing the prefix of lease ' || OLD.prefix);
        ELSE
          PERFORM period_assert_open(daterange_first_difference(OLD.term, NEW.term), 'This change to the term of lease ' || OLD.prefix);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_period_guard AFTER INSERT OR UPDATE OR DELETE ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_period_guard()`);

    await q.query(`
      CREATE FUNCTION lease_amendments_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM period_assert_open(NEW.effective_date, 'An amendment effective ' || NEW.effective_date);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER lease_amendments_period_guard AFTER INSERT OR UPDATE ON lease_amendments
      FOR EACH ROW EXECUTE FUNCTION lease_amendments_period_guard()`);

    await q.query(`
      CREATE FUNCTION allocation_history_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM period_assert_open(lower(NEW.valid), 'An allocation change effective ' || lower(NEW.valid));
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM period_assert_open(lower(OLD.valid), 'An allocation change effective ' || lower(OLD.valid));
        ELSIF (NEW.lease_id, NEW.region_id, NEW.provider_id, NEW.prefix) IS DISTINCT FROM (OLD.lease_id, OLD.region_id, OLD.provider_id, OLD.prefix) THEN
          PERFORM period_assert_open(least(lower(OLD.valid), lower(NEW.valid)), 'An allocation change effective ' || least(lower(OLD.valid), lower(NEW.valid)));
        ELSE
          PERFORM period_assert_open(daterange_first_difference(OLD.valid, NEW.valid),
                                     'An allocation change effective ' || daterange_first_difference(OLD.valid, NEW.valid));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER allocation_history_period_guard AFTER INSERT OR UPDATE OR DELETE ON allocation_history
      FOR EACH ROW EXECUTE FUNCTION allocation_history_period_guard()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER allocation_history_period_guard ON allocation_history`);
    await q.query(`DROP FUNCTION allocation_history_period_guard()`);
    await q.query(`DROP TRIGGER lease_amendments_period_guard ON lease_amendments`);
    await q.query(`DROP FUNCTION lease_amendments_period_guard()`);
    await q.query(`DROP TRIGGER leases_period_guard ON leases`);
    await q.query(`DROP FUNCTION leases_period_guard()`);
    await q.query(`DROP FUNCTION daterange_first_difference(daterange, daterange)`);
    await q.query(`DROP FUNCTION period_assert_open(date, text)`);
    await q.query(`DROP FUNCTION period_closed_through()`);
    await q.query(`DROP TABLE closed_month_reports`);
    await q.query(`DROP TABLE period_events`);
    await q.query(`DROP TRIGGER leases_original_terms ON leases`);
    await q.query(`DROP FUNCTION leases_original_terms()`);
    await q.query(`DROP FUNCTION lease_currency_on(uuid, date)`);
    await q.query(`DROP FUNCTION lease_price_on(uuid, date)`);
    // The lease's own columns keep the terms in force today, so nothing is lost going down.
    await q.query(`DROP TABLE lease_amendments`);
    await q.query(`DROP TRIGGER allocations_track_history ON allocations`);
    await q.query(`DROP FUNCTION allocations_track_history()`);
    await q.query(`DROP TRIGGER allocations_default_effective_date ON allocations`);
    await q.query(`DROP FUNCTION allocations_default_effective_date()`);
    await q.query(`DROP TABLE allocation_history`);
    await q.query(`ALTER TABLE allocations DROP COLUMN effective_date`);
    await q.query(`DROP EXTENSION IF EXISTS btree_gist`);
  }
}
