import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lease inventory: lessors, providers, regions, leases, API keys and the audit trail.
 * Hand-written: cidr columns, GiST with inet_ops named explicitly, explicit constraint names,
 * and an exclusion constraint that makes overlapping leases with overlapping terms impossible.
 */
export class Inventory1764000000000 implements MigrationInterface {
  name = 'Inventory1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lessors (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq           bigint GENERATED ALWAYS AS IDENTITY,
        name          text NOT NULL,
        rir           text NOT NULL,
        org_handle    text,
        contact_email text,
        notes         text,
        version       integer NOT NULL DEFAULT 1,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lessors_rir_check CHECK (rir IN ('ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'))
      )`);
    await q.query(`CREATE UNIQUE INDEX lessors_name_key ON lessors (lower(name))`);
    await q.query(`CREATE UNIQUE INDEX lessors_seq_key ON lessors (seq)`);

    await q.query(`
      CREATE TABLE providers (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq               bigint GENERATED ALWAYS AS IDENTITY,
        code              text NOT NULL,
        name              text NOT NULL,
        min_prefix_length smallint NOT NULL DEFAULT 8,
        max_prefix_length smallint NOT NULL DEFAULT 32,
        notes             text,
        version           integer NOT NULL DEFAULT 1,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT providers_code_key UNIQUE (code),
        CONSTRAINT providers_prefix_length_range_check
          CHECK (min_prefix_length BETWEEN 0 AND 32 AND max_prefix_length BETWEEN 0 AND 32 AND min_prefix_length <= max_prefix_length)
      )`);
    await q.query(`CREATE UNIQUE INDEX providers_seq_key ON providers (seq)`);

    await q.query(`
      CREATE TABLE regions (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq              bigint GENERATED ALWAYS AS IDENTITY,
        code             text NOT NULL,
        name             text NOT NULL,
        country_code     char(2) NOT NULL,
        subdivision_code text,
        city             text,
        version          integer NOT NULL DEFAULT 1,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT regions_code_key UNIQUE (code),
        CONSTRAINT regions_subdivision_matches_country_check
          CHECK (subdivision_code IS NULL OR subdivision_code LIKE country_code || '-%')
      )`);
    await q.query(`CREATE UNIQUE INDEX regions_seq_key ON regions (seq)`);

    // term: the days the lease occupies its prefix, inclusive. Auto-renewing leases run on
    // (unbounded) until terminated; open-ended leases have no end; daterange '[]' makes a renewal
    // starting the day after the old term ends adjacent, not overlapping.
    await q.query(`
      CREATE TABLE leases (
        id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq                  bigint GENERATED ALWAYS AS IDENTITY,
        prefix               cidr NOT NULL,
        lessor_id            uuid NOT NULL,
        start_date           date NOT NULL,
        end_date             date,
        auto_renew           boolean NOT NULL DEFAULT false,
        renewal_term_months  integer NOT NULL DEFAULT 12,
        notice_period_days   integer NOT NULL DEFAULT 30,
        price_per_ip_monthly numeric(14, 4) NOT NULL,
        currency             char(3) NOT NULL,
        contract_ref         text,
        origin_asn           bigint,
        tags                 text[] NOT NULL DEFAULT '{}',
        notes                text,
        terminated_on        date,
        term                 daterange GENERATED ALWAYS AS (
                               daterange(start_date,
                                         CASE WHEN terminated_on IS NOT NULL THEN terminated_on
                                              WHEN auto_renew THEN NULL
                                              ELSE end_date END,
                                         '[]')) STORED,
        version              integer NOT NULL DEFAULT 1,
        created_at           timestamptz NOT NULL DEFAULT now(),
        updated_at           timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT leases_lessor_id_fkey FOREIGN KEY (lessor_id) REFERENCES lessors (id),
        CONSTRAINT leases_prefix_ipv4_check CHECK (family(prefix) = 4),
        CONSTRAINT leases_end_after_start_check CHECK (end_date IS NULL OR end_date >= start_date),
        CONSTRAINT leases_auto_renew_needs_end_check CHECK (NOT auto_renew OR end_date IS NOT NULL),
        CONSTRAINT leases_terminated_in_term_check CHECK (terminated_on IS NULL OR terminated_on >= start_date),
        CONSTRAINT leases_renewal_term_check CHECK (renewal_term_months BETWEEN 1 AND 120),
        CONSTRAINT leases_notice_period_check CHECK (notice_period_days BETWEEN 0 AND 3650),
        CONSTRAINT leases_price_check CHECK (price_per_ip_monthly >= 0),
        CONSTRAINT leases_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
        CONSTRAINT leases_origin_asn_check CHECK (origin_asn IS NULL OR origin_asn BETWEEN 1 AND 4294967295),
        CONSTRAINT leases_no_overlap EXCLUDE USING gist (prefix inet_ops WITH &&, term WITH &&)
      )`);
    await q.query(`CREATE UNIQUE INDEX leases_seq_key ON leases (seq)`);
    await q.query(`CREATE INDEX leases_prefix_idx ON leases USING gist (prefix inet_ops)`);
    await q.query(`CREATE INDEX leases_lessor_id_idx ON leases (lessor_id, seq)`);
    await q.query(`CREATE INDEX leases_tags_idx ON leases USING gin (tags)`);

    // The end of the term running on a given day: the one definition that the API and the
    // reports share. Auto-renewing terms roll on in steps of renewal_term_months after end_date.
    await q.query(`
      CREATE FUNCTION lease_term_end_on(end_date date, auto_renew boolean, renewal_term_months integer, terminated_on date, on_date date)
      RETURNS date LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        renewed_from date := end_date + 1;
        months_since integer;
        terms integer;
        candidate date;
      BEGIN
        IF terminated_on IS NOT NULL THEN RETURN terminated_on; END IF;
        IF end_date IS NULL THEN RETURN NULL; END IF;
        IF NOT auto_renew OR on_date <= end_date THEN RETURN end_date; END IF;
        -- Each term end is computed from renewed_from (not chained), so month-end clamping never drifts.
        months_since := (extract(year FROM on_date)::int - extract(year FROM renewed_from)::int) * 12
                      + (extract(month FROM on_date)::int - extract(month FROM renewed_from)::int);
        terms := greatest(1, months_since / renewal_term_months);
        candidate := (renewed_from + make_interval(months => terms * renewal_term_months))::date - 1;
        WHILE candidate < on_date LOOP
          terms := terms + 1;
          candidate := (renewed_from + make_interval(months => terms * renewal_term_months))::date - 1;
        END LOOP;
        RETURN candidate;
      END $$`);
    await q.query(`
      CREATE FUNCTION lease_status_on(start_date date, end_date date, auto_renew boolean, terminated_on date, on_date date)
      RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
          WHEN terminated_on IS NOT NULL AND terminated_on < on_date THEN 'terminated'
          WHEN on_date < start_date THEN 'pending'
          WHEN NOT auto_renew AND end_date IS NOT NULL AND end_date < on_date THEN 'expired'
          ELSE 'active'
        END
      $$`);

    await q.query(`
      CREATE TABLE api_keys (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY,
        name         text NOT NULL,
        role         text NOT NULL,
        key_hash     bytea NOT NULL,
        key_prefix   text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        revoked_at   timestamptz,
        last_used_at timestamptz,
        CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
        CONSTRAINT api_keys_role_check CHECK (role IN ('admin', 'engineer', 'finance', 'viewer'))
      )`);
    await q.query(`CREATE UNIQUE INDEX api_keys_seq_key ON api_keys (seq)`);

    await q.query(`
      CREATE TABLE audit_events (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq           bigint GENERATED ALWAYS AS IDENTITY,
        at            timestamptz NOT NULL DEFAULT now(),
        actor_key_id  uuid,
        actor_name    text,
        action        text NOT NULL,
        entity_type   text NOT NULL,
        entity_id     uuid NOT NULL,
        before        jsonb,
        after         jsonb,
        request_id    text
      )`);
    await q.query(`CREATE UNIQUE INDEX audit_events_seq_key ON audit_events (seq)`);
    await q.query(`CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor_key_id, seq)`);
    await q.query(`CREATE INDEX audit_events_at_idx ON audit_events (at)`);
    // The trail is append-only: no UPDATE or DELETE reaches it, whoever asks.
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION audit_events_append_only()`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE leases`);
    await q.query(`DROP FUNCTION lease_status_on(date, date, boolean, date, date)`);
    await q.query(`DROP FUNCTION lease_term_end_on(date, boolean, integer, date, date)`);
    await q.query(`DROP TABLE regions`);
    await q.query(`DROP TABLE providers`);
    await q.query(`DROP TABLE lessors`);
  }
}
