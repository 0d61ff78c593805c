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
        CONSTRAINT allocations_lease_id_fkey FOREIGN KEY (lease_id) REFERENCES leases (id),
        CONSTRAINT allocations_region_id_fkey FOREIGN KEY (region_id) REFERENCES regions (id),
        CONSTRAINT allocations_provider_id_fkey FOREIGN KEY (provider_id) REFERENCES providers (id),
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
    await q.query(
      `CREATE INDEX allocations_held_idx ON allocations (lease_id, hold_until) WHERE status = 'released' AND occupied`,
    );
    await q.query(`CREATE INDEX allocations_tags_idx ON allocations USING gin (tags)`);
    await q.query(`CREATE INDEX allocations_active_lease_idx ON allocations (lease_id) WHERE status = 'active'`);

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

    // The buddy operations run inside the database: one round trip per allocation or release,
    // always under the caller's lock on the lease row.
    await q.query(`
      CREATE FUNCTION cidr_of(address bigint, length integer) RETURNS cidr
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT set_masklen('0.0.0.0'::inet + address, length)::cidr $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_take(p_lease uuid, p_length integer, p_first_fit boolean) RETURNS cidr
      LANGUAGE plpgsql AS $$
      DECLARE
        block cidr;
        address bigint;
        uppers cidr[] := '{}';
      BEGIN
        IF p_first_fit THEN
          SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length ORDER BY prefix LIMIT 1;
        ELSE
          SELECT prefix INTO block FROM free_blocks WHERE lease_id = p_lease AND length <= p_length ORDER BY length DESC, prefix LIMIT 1;
        END IF;
        IF block IS NULL THEN RETURN NULL; END IF;
        DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
        address := block - '0.0.0.0'::inet;
        -- Split: keep the lowest piece at each level, free its upper buddy.
        FOR k IN masklen(block) + 1 .. p_length LOOP
          uppers := uppers || cidr_of(address + (1::bigint << (32 - k)), k);
        END LOOP;
        INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(uppers);
        RETURN cidr_of(address, p_length);
      END $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_claim(p_lease uuid, p_prefix cidr) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        block cidr;
        address bigint;
        target bigint := p_prefix - '0.0.0.0'::inet;
        half bigint;
        pieces cidr[] := '{}';
      BEGIN
        -- The free block holding p_prefix, if any, is one of its supernets: probe them by key.
        SELECT prefix INTO block FROM free_blocks
         WHERE lease_id = p_lease
           AND prefix = ANY (ARRAY(SELECT set_masklen(p_prefix, l)::cidr FROM generate_series(0, masklen(p_prefix)) AS l));
        IF block IS NULL THEN RETURN false; END IF;
        DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = block;
        address := block - '0.0.0.0'::inet;
        FOR k IN masklen(block) + 1 .. masklen(p_prefix) LOOP
          half := 1::bigint << (32 - k);
          IF target >= address + half THEN
            pieces := pieces || cidr_of(address, k);
            address := address + half;
          ELSE
            pieces := pieces || cidr_of(address + half, k);
          END IF;
        END LOOP;
        INSERT INTO free_blocks (lease_id, prefix) SELECT p_lease, unnest(pieces);
        RETURN true;
      END $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_release(p_lease uuid, p_prefix cidr) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        address bigint := p_prefix - '0.0.0.0'::inet;
        len integer := masklen(p_prefix);
        lease_length integer;
        size bigint;
        buddy bigint;
      BEGIN
        SELECT masklen(prefix) INTO lease_length FROM leases WHERE id = p_lease;
        -- Merge with the buddy for as long as the buddy is wholly free.
        WHILE len > lease_length LOOP
          size := 1::bigint << (32 - len);
          buddy := CASE WHEN (address / size) % 2 = 0 THEN address + size ELSE address - size END;
          DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix = cidr_of(buddy, len);
          EXIT WHEN NOT FOUND;
          address := least(address, buddy);
          len := len - 1;
        END LOOP;
        INSERT INTO free_blocks (lease_id, prefix) VALUES (p_lease, cidr_of(address, len));
      END $$`);

    // One round trip for the whole critical section of an allocation: lock the lease, check it is
    // active, reclaim expired holds, then take the next free block or claim an explicit one.
    await q.query(`
      CREATE FUNCTION allocation_place(p_lease uuid, p_length integer, p_first_fit boolean, p_prefix cidr)
      RETURNS TABLE (outcome text, lease_prefix text, placed text)
      LANGUAGE plpgsql AS $$
      DECLARE
        l_prefix cidr;
        l_active boolean;
        held record;
        got cidr;
      BEGIN
        SELECT l.prefix, l.term @> current_date INTO l_prefix, l_active FROM leases l WHERE l.id = p_lease FOR NO KEY UPDATE;
        IF NOT FOUND THEN
          outcome := 'no-lease';
          RETURN NEXT;
          RETURN;
        END IF;
        lease_prefix := l_prefix::text;
        IF NOT l_active THEN
          outcome := 'inactive';
          RETURN NEXT;
          RETURN;
        END IF;
        FOR held IN
          UPDATE allocations SET occupied = false
           WHERE lease_id = p_lease AND status = 'released' AND occupied AND hold_until <= now()
          RETURNING prefix
        LOOP
          PERFORM free_blocks_release(p_lease, held.prefix);
        END LOOP;
        IF p_prefix IS NULL THEN
          got := free_blocks_take(p_lease, p_length, p_first_fit);
          outcome := CASE WHEN got IS NULL THEN 'full' ELSE 'placed' END;
        ELSIF NOT (p_prefix <<= l_prefix) THEN
          outcome := 'outside';
        ELSIF free_blocks_claim(p_lease, p_prefix) THEN
          got := p_prefix;
          outcome := 'placed';
        ELSE
          outcome := 'taken';
        END IF;
        placed := got::text;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION allocation_place(uuid, integer, boolean, cidr)`);
    await q.query(`DROP FUNCTION free_blocks_release(uuid, cidr)`);
    await q.query(`DROP FUNCTION free_blocks_claim(uuid, cidr)`);
    await q.query(`DROP FUNCTION free_blocks_take(uuid, integer, boolean)`);
    await q.query(`DROP FUNCTION cidr_of(bigint, integer)`);
    await q.query(`DROP TRIGGER leases_seed_free_blocks ON leases`);
    await q.query(`DROP FUNCTION leases_seed_free_blocks()`);
    await q.query(`DROP TABLE free_blocks`);
    await q.query(`DROP TABLE allocations`);
    await q.query(`DROP FUNCTION allocations_within_active_lease()`);
  }
}
