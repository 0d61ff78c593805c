import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Money beyond one currency: ECB reference rates (units per 1 EUR, one row per currency and day),
 * and lessors' invoices with one line per invoiced prefix, for reconciliation against the
 * monthly cost. EUR has no rows: it is the base, 1 by definition.
 */
export class Money1767000000000 implements MigrationInterface {
  name = 'Money1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE fx_rates (
        currency    char(3) NOT NULL,
        rate_date   date NOT NULL,
        per_eur     numeric(24, 10) NOT NULL,
        imported_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT fx_rates_pkey PRIMARY KEY (currency, rate_date),
        CONSTRAINT fx_rates_currency_check CHECK (currency ~ '^[A-Z]{3}$' AND currency <> 'EUR'),
        CONSTRAINT fx_rates_per_eur_check CHECK (per_eur > 0)
      )`);

    // The rate of a closed month's days is part of what that month reported (its reporting-currency
    // figures): a new or changed rate there is refused like any other write into a closed month.
    // AFTER row triggers fire only for rows really inserted, updated or deleted, so re-importing the
    // same file (an upsert that changes nothing) passes.
    await q.query(`
      CREATE FUNCTION fx_rates_period_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changed_day date := CASE WHEN TG_OP = 'DELETE' THEN OLD.rate_date ELSE NEW.rate_date END;
      BEGIN
        IF TG_OP = 'UPDATE' THEN changed_day := least(OLD.rate_date, NEW.rate_date); END IF;
        PERFORM period_assert_open(date_trunc('month', changed_day)::date,
          'The ' || coalesce(NEW.currency, OLD.currency) || ' rate of ' || changed_day);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER fx_rates_period_guard AFTER INSERT OR UPDATE OR DELETE ON fx_rates
      FOR EACH ROW EXECUTE FUNCTION fx_rates_period_guard()`);

    await q.query(`
      CREATE TABLE invoices (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq            bigint GENERATED ALWAYS AS IDENTITY,
        lessor_id      uuid NOT NULL,
        invoice_number text NOT NULL,
        month          date NOT NULL,
        currency       char(3) NOT NULL,
        version        integer NOT NULL DEFAULT 1,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT invoices_lessor_id_fkey FOREIGN KEY (lessor_id) REFERENCES lessors (id),
        CONSTRAINT invoices_lessor_number_key UNIQUE (lessor_id, invoice_number),
        CONSTRAINT invoices_invoice_number_check CHECK (length(invoice_number) BETWEEN 1 AND 100),
        CONSTRAINT invoices_month_check CHECK (extract(day FROM month) = 1),
        CONSTRAINT invoices_currency_check CHECK (currency ~ '^[A-Z]{3}$')
      )`);
    await q.query(`CREATE UNIQUE INDEX invoices_seq_key ON invoices (seq)`);
    await q.query(`CREATE INDEX invoices_month_idx ON invoices (month, lessor_id)`);

    await q.query(`
      CREATE TABLE invoice_lines (
        invoice_id uuid NOT NULL,
        line_no    integer NOT NULL,
        prefix     cidr NOT NULL,
        amount     numeric(16, 2) NOT NULL,
        CONSTRAINT invoice_lines_pkey PRIMARY KEY (invoice_id, line_no),
        CONSTRAINT invoice_lines_invoice_id_fkey FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE,
        CONSTRAINT invoice_lines_prefix_key UNIQUE (invoice_id, prefix),
        CONSTRAINT invoice_lines_prefix_ipv4_check CHECK (family(prefix) = 4),
        CONSTRAINT invoice_lines_amount_check CHECK (amount >= 0)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invoice_lines`);
    await q.query(`DROP TABLE invoices`);
    await q.query(`DROP TABLE fx_rates`);
    await q.query(`DROP FUNCTION fx_rates_period_guard()`);
  }
}
