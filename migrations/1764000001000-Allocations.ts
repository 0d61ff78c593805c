import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allocations and the free-space index.
 *
 * - allocations_no_overlap: occupied allocations (active, or released but still on hold) never
 *   overlap, whatever the application does.
 * - allocations_within_active_lease: a constraint trigger, the last guard that an active
 *   allocation lies inside its lease's prefix and the lease's term covers the day it is written.
 * - free_blocks: per lease, the maximal free aligned blocks (a buddy system). Allocation takes the
 *   smallest block that fits from an index and splits it; release merges buddies back. The cost of
 *   a next-free allocation does not depend on how many allocations the lease already holds.
 */
export class Allocations1764000001000 implements MigrationInterface {
  name = 'Allocations1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE allocations (
        id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq                     bigint GENERATED ALWAYS AS IDENTITY,
        lease_id                uuid NOT NULL,
        prefix                  cidr NOT NULL,
        region_id               uuid NOT NULL,
        provider_id             uuid NOT NULL,
        status                  text NOT NULL DEFAULT 'active',
        occupied                boolean NOT NULL DEFAULT true,
        requested_prefix_length smallint,
        strategy                text NOT NULL DEFAULT 'explicit',
        description             text,
        tags                    text[] NOT NULL DEFAULT '{}',
        released_at             timestamptz,
        hold_until              timestamptz,
        version                 integer NOT NULL DEFAULT 1,
        created_at              timestamptz NOT NULL DEFAULT now(),
        updated_at              timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT allocations_lease_id_fkey FOREIGN KEY (lease_id) REFERENCES leases (id) ON DELETE RESTRICT,
        CONSTRAINT allocations_region_id_fkey FOREIGN KEY (region_id) REFERENCES regions (id) ON DELETE RESTRICT,
        CONSTRAINT allocations_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers (id) ON DELETE RESTRICT,
        CONSTRAINT allocations_prefix_ipv4_check CHECK (family(prefix) = 4),
        CONSTRAINT allocations_status_check CHECK (status IN ('active', 'released')),
        CONSTRAINT allocations_strategy_check CHECK (strategy IN ('explicit', 'best-fit', 'first-fit')),
        CONSTRAINT allocations_released_at_check CHECK ((status = 'released') = (released_at IS NOT NULL)),
        CONSTRAINT allocations_occupied_check CHECK (status = 'released' OR occupied),
        CONSTRAINT allocations_requested_length_check CHECK (requested_prefix_length IS NULL OR requested_prefix_length BETWEEN 0 AND 32),
        CONSTRAINT allocations_no_overlap EXCLUDE USING gist (prefix inet_ops WITH &&) WHERE (occupied)
      )`);
    await q.query(`CREATE UNIQUE INDEX allocations_seq_key ON allocations (seq)`);
    await q.query(`CREATE INDEX allocations_prefix_idx ON allocations USING gist (prefix inet_ops)`);
    await q.query(`CREATE INDEX allocations_lease_id_idx ON allocations (lease_id, seq)`);
    await q.query(`CREATE INDEX allocations_region_id_idx ON allocations (region_id, seq)`);
    await q.query(`CREATE INDEX allocations_provider_id_idx ON allocations (provider_id, seq)`);
    await q.query(`CREATE INDEX allocations_held_idx ON allocations (lease_id, hold_until) WHERE status = 'released' AND occupied`);
    await q.query(`CREATE INDEX allocations_tags_idx ON allocations USING gin (tags)`);

    await q.query(`
      CREATE FUNCTION allocations_within_active_lease() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'active' AND NOT EXISTS (
          SELECT 1 FROM leases l
          WHERE l.id = NEW.lease_id AND NEW.prefix <<= l.prefix AND l.term @> current_date
        ) THEN
          RAISE EXCEPTION 'allocation % is not inside an active term of lease %', NEW.prefix, NEW.lease_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'allocations_within_active_lease';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER allocations_within_active_lease
      AFTER INSERT OR UPDATE OF prefix, lease_id, status ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_within_active_lease()`);

    await q.query(`
      CREATE TABLE free_blocks (
        lease_id uuid NOT NULL,
        prefix   cidr NOT NULL,
        length   smallint GENERATED ALWAYS AS (masklen(prefix)) STORED,
        CONSTRAINT free_blocks_pkey PRIMARY KEY (lease_id, prefix),
        CONSTRAINT free_blocks_lease_id_fkey FOREIGN KEY (lease_id) REFERENCES leases (id) ON DELETE CASCADE
      )`);
    // Best fit: the longest prefix (smallest block) that still fits, lowest address first.
    await q.query(`CREATE INDEX free_blocks_best_fit_idx ON free_blocks (lease_id, length DESC, prefix)`);
    await q.query(`CREATE INDEX free_blocks_global_best_fit_idx ON free_blocks (length DESC, prefix)`);

    // A lease starts as one free block; a prefix change (only allowed while nothing is allocated)
    // starts it over. Written as triggers so no writer can forget them.
    await q.query(`
      CREATE FUNCTION leases_seed_free_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF NEW.prefix = OLD.prefix THEN RETURN NULL; END IF;
          DELETE FROM free_blocks WHERE lease_id = NEW.id;
        END IF;
        INSERT INTO free_blocks (lease_id, prefix) VALUES (NEW.id, NEW.prefix);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_seed_free_blocks AFTER INSERT OR UPDATE OF prefix ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_seed_free_blocks()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER leases_seed_free_blocks ON leases`);
    await q.query(`DROP FUNCTION leases_seed_free_blocks()`);
    await q.query(`DROP TABLE free_blocks`);
    await q.query(`DROP TABLE allocations`);
    await q.query(`DROP FUNCTION allocations_within_active_lease()`);
  }
}
