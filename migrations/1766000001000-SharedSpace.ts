import { MigrationInterface, QueryRunner } from 'typeorm';

const SEED_FREE_BLOCKS_V1 = `
  CREATE OR REPLACE FUNCTION leases_seed_free_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' THEN
      IF NEW.prefix = OLD.prefix THEN RETURN NULL; END IF;
      DELETE FROM free_blocks WHERE lease_id = NEW.id;
    END IF;
    INSERT INTO free_blocks (lease_id, prefix) VALUES (NEW.id, NEW.prefix);
    RETURN NULL;
  END $$`;

const ALLOCATION_PLACE = (reclaim: string, afterPlacing: string) => `
  CREATE OR REPLACE FUNCTION allocation_place(p_lease uuid, p_length integer, p_first_fit boolean, p_prefix cidr)
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
    ${reclaim}
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
    ${afterPlacing}
    placed := got::text;
    RETURN NEXT;
  END $$`;

const RECLAIM_V1 = `
    FOR held IN
      UPDATE allocations SET occupied = false
       WHERE lease_id = p_lease AND status = 'released' AND occupied AND hold_until <= now()
      RETURNING prefix
    LOOP
      PERFORM free_blocks_release(p_lease, held.prefix);
    END LOOP;`;

const RECLAIM_V2 = `
    PERFORM free_blocks_reclaim_holds(l_prefix);`;

const AFTER_PLACING_V2 = `
    IF got IS NOT NULL THEN PERFORM free_blocks_occupy_elsewhere(p_lease, got); END IF;`;

/**
 * Space is shared by every lease that ever held a prefix.
 *
 * A new lease for a prefix whose previous lease ended while allocations were still active used to
 * start with its whole prefix free: /free and dry runs offered space that those allocations still
 * occupied, and every real next-free hit allocations_no_overlap. The free-block index now keeps,
 * for every lease L:
 *
 *     free_blocks(L) = L.prefix − every occupied allocation overlapping it, whatever its lease
 *
 * - a lease's free list is seeded without the space occupied by other leases' allocations;
 * - placing an allocation removes its block from every other lease that overlaps it;
 * - releasing (or reclaiming a hold) gives the block back to every lease that overlaps it;
 * - moving an allocation between leases changes no free list (it stays occupied).
 *
 * Other leases' lists are changed under their lease lock, taken in id order.
 */
export class SharedSpace1766000001000 implements MigrationInterface {
  name = 'SharedSpace1766000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION free_blocks_subtract(p_lease uuid, p_prefix cidr) RETURNS void
      LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM free_blocks WHERE lease_id = p_lease AND prefix <<= p_prefix;
        PERFORM free_blocks_claim(p_lease, p_prefix);
      END $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_occupy_elsewhere(p_lease uuid, p_prefix cidr) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        other uuid;
      BEGIN
        FOR other IN
          SELECT id FROM leases WHERE prefix && p_prefix AND id <> p_lease ORDER BY id FOR NO KEY UPDATE
        LOOP
          PERFORM free_blocks_subtract(other, p_prefix);
        END LOOP;
      END $$`);
    await q.query(`
      CREATE FUNCTION free_blocks_release_everywhere(p_prefix cidr) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        lease record;
      BEGIN
        FOR lease IN
          SELECT id, prefix FROM leases WHERE prefix && p_prefix ORDER BY id FOR NO KEY UPDATE
        LOOP
          IF p_prefix <<= lease.prefix THEN
            PERFORM free_blocks_release(lease.id, p_prefix);
          ELSE
            DELETE FROM free_blocks WHERE lease_id = lease.id;
            INSERT INTO free_blocks (lease_id, prefix) VALUES (lease.id, lease.prefix);
          END IF;
        END LOOP;
      END $$`);
    // Expired holds inside a lease's prefix, whichever lease they were released from.
    await q.query(`
      CREATE FUNCTION free_blocks_reclaim_holds(p_prefix cidr) RETURNS void
      LANGUAGE plpgsql AS $$
      DECLARE
        held record;
      BEGIN
        FOR held IN
          UPDATE allocations SET occupied = false
           WHERE lease_id IN (SELECT id FROM leases WHERE prefix && p_prefix)
             AND status = 'released' AND occupied AND hold_until <= now()
          RETURNING prefix
        LOOP
          PERFORM free_blocks_release_everywhere(held.prefix);
        END LOOP;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION leases_seed_free_blocks() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        taken record;
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF NEW.prefix = OLD.prefix THEN RETURN NULL; END IF;
          DELETE FROM free_blocks WHERE lease_id = NEW.id;
        END IF;
        INSERT INTO free_blocks (lease_id, prefix) VALUES (NEW.id, NEW.prefix);
        FOR taken IN SELECT prefix FROM allocations WHERE occupied AND prefix && NEW.prefix LOOP
          PERFORM free_blocks_subtract(NEW.id, taken.prefix);
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(ALLOCATION_PLACE(RECLAIM_V2, AFTER_PLACING_V2));
    // Existing data: take other leases' occupied allocations out of every free list.
    await q.query(`
      DO $$
      DECLARE
        pair record;
      BEGIN
        FOR pair IN
          SELECT l.id AS lease_id, a.prefix
            FROM allocations a JOIN leases l ON l.prefix && a.prefix AND l.id <> a.lease_id
           WHERE a.occupied
        LOOP
          PERFORM free_blocks_subtract(pair.lease_id, pair.prefix);
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(ALLOCATION_PLACE(RECLAIM_V1, ''));
    await q.query(SEED_FREE_BLOCKS_V1);
    await q.query(`DROP FUNCTION free_blocks_reclaim_holds(cidr)`);
    await q.query(`DROP FUNCTION free_blocks_release_everywhere(cidr)`);
    await q.query(`DROP FUNCTION free_blocks_occupy_elsewhere(uuid, cidr)`);
    await q.query(`DROP FUNCTION free_blocks_subtract(uuid, cidr)`);
  }
}
