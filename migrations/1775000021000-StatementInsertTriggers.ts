import { MigrationInterface, QueryRunner } from 'typeorm';

const ORIGINAL_TERMS_PER_ROW = `
  CREATE OR REPLACE FUNCTION leases_original_terms() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note, created_at)
    VALUES (NEW.id, NEW.start_date, NEW.price_per_ip_monthly, NEW.currency, 'original terms', NEW.created_at);
    RETURN NULL;
  END $$`;

/**
 * The AFTER INSERT triggers that write rows elsewhere for each inserted row become statement
 * triggers over the inserted rows (a transition table), so a bulk import's multi-row INSERT writes
 * its 10,000 history rows, original-terms amendments or free lists in one statement each instead of
 * 10,000:
 *
 * - allocations_track_history_inserted: an inserted allocation's history period (what the INSERT
 *   branch of allocations_track_history did); allocations_track_history keeps the release branch
 *   (AFTER UPDATE OF status, per row);
 * - leases_original_terms: every lease's original terms as its first amendment;
 * - leases_seed_free_blocks_inserted: a new lease's free list is its prefix minus the space other
 *   leases' allocations occupy (free_blocks_subtract_many: the same blocks as one
 *   free_blocks_subtract per allocation); leases_seed_free_blocks keeps the prefix change (per row).
 *
 * A single-row INSERT writes exactly what it wrote before, at the end of the same statement.
 */
export class StatementInsertTriggers1775000021000 implements MigrationInterface {
  name = 'StatementInsertTriggers1775000021000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION allocations_track_history_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
        SELECT id, lease_id, region_id, provider_id, prefix, daterange(effective_date, (released_at AT TIME ZONE 'UTC')::date)
          FROM inserted
         WHERE released_at IS NULL OR (released_at AT TIME ZONE 'UTC')::date > effective_date;
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER allocations_track_history ON allocations`);
    await q.query(`
      CREATE TRIGGER allocations_track_history AFTER UPDATE OF status ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_track_history()`);
    await q.query(`
      CREATE TRIGGER allocations_track_history_inserted AFTER INSERT ON allocations
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION allocations_track_history_inserted()`);

    await q.query(`DROP TRIGGER leases_original_terms ON leases`);
    await q.query(`
      CREATE OR REPLACE FUNCTION leases_original_terms() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note, created_at)
        SELECT id, start_date, price_per_ip_monthly, currency, 'original terms', created_at FROM inserted;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_original_terms AFTER INSERT ON leases
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION leases_original_terms()`);

    await q.query(`
      CREATE FUNCTION leases_seed_free_blocks_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO free_blocks (lease_id, prefix) SELECT id, prefix FROM inserted;
        PERFORM free_blocks_subtract_many(array_agg(n.id), array_agg(a.prefix))
           FROM inserted n
           CROSS JOIN LATERAL (SELECT a.prefix FROM allocations a WHERE a.prefix && n.prefix AND a.occupied) a
         HAVING count(*) > 0;
        RETURN NULL;
      END $$`);
    await q.query(`DROP TRIGGER leases_seed_free_blocks ON leases`);
    await q.query(`
      CREATE TRIGGER leases_seed_free_blocks AFTER UPDATE OF prefix ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_seed_free_blocks()`);
    await q.query(`
      CREATE TRIGGER leases_seed_free_blocks_inserted AFTER INSERT ON leases
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION leases_seed_free_blocks_inserted()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER leases_seed_free_blocks_inserted ON leases`);
    await q.query(`DROP TRIGGER leases_seed_free_blocks ON leases`);
    await q.query(`
      CREATE TRIGGER leases_seed_free_blocks AFTER INSERT OR UPDATE OF prefix ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_seed_free_blocks()`);
    await q.query(`DROP FUNCTION leases_seed_free_blocks_inserted()`);
    await q.query(`DROP TRIGGER leases_original_terms ON leases`);
    await q.query(ORIGINAL_TERMS_PER_ROW);
    await q.query(`
      CREATE TRIGGER leases_original_terms AFTER INSERT ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_original_terms()`);
    await q.query(`DROP TRIGGER allocations_track_history_inserted ON allocations`);
    await q.query(`DROP TRIGGER allocations_track_history ON allocations`);
    await q.query(`
      CREATE TRIGGER allocations_track_history AFTER INSERT OR UPDATE OF status ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_track_history()`);
    await q.query(`DROP FUNCTION allocations_track_history_inserted()`);
  }
}
