import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Archiving of lessors, providers and regions that only history refers to (contract: "Archiving").
 * An archived row stays in place so reports, history and audit keep its last label; it leaves the
 * unique indexes (partial on `archived_at IS NULL`) so its name or code is free for reuse, and
 * triggers refuse it as a reference in new writes with the foreign key's own constraint name, so
 * the services' existing foreign-key translation answers 400 naming the field.
 */
export class Archiving1770000000000 implements MigrationInterface {
  name = 'Archiving1770000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['lessors', 'providers', 'regions']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN archived_at timestamptz`);
    }
    await q.query(`DROP INDEX lessors_name_key`);
    await q.query(`CREATE UNIQUE INDEX lessors_name_key ON lessors (lower(name)) WHERE archived_at IS NULL`);
    await q.query(`ALTER TABLE providers DROP CONSTRAINT providers_code_key`);
    await q.query(`CREATE UNIQUE INDEX providers_code_key ON providers (code) WHERE archived_at IS NULL`);
    await q.query(`ALTER TABLE regions DROP CONSTRAINT regions_code_key`);
    await q.query(`CREATE UNIQUE INDEX regions_code_key ON regions (code) WHERE archived_at IS NULL`);

    // FOR KEY SHARE waits for an archiving transaction that holds the row FOR UPDATE and then sees
    // its outcome, so a write racing an archive either lands first (and the archive sees it as a
    // current reference) or is refused.
    await q.query(`
      CREATE FUNCTION leases_refuse_archived_lessor() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.lessor_id = OLD.lessor_id THEN RETURN NEW; END IF;
        IF EXISTS (SELECT 1 FROM lessors WHERE id = NEW.lessor_id AND archived_at IS NOT NULL FOR KEY SHARE) THEN
          RAISE EXCEPTION 'lessor % is archived', NEW.lessor_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'leases_lessor_id_fkey', TABLE = 'leases', COLUMN = 'lessor_id';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER leases_refuse_archived_lessor BEFORE INSERT OR UPDATE OF lessor_id ON leases
      FOR EACH ROW EXECUTE FUNCTION leases_refuse_archived_lessor()`);

    await q.query(`
      CREATE FUNCTION allocations_refuse_archived_references() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (TG_OP = 'INSERT' OR NEW.region_id <> OLD.region_id)
           AND EXISTS (SELECT 1 FROM regions WHERE id = NEW.region_id AND archived_at IS NOT NULL FOR KEY SHARE) THEN
          RAISE EXCEPTION 'region % is archived', NEW.region_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'allocations_region_id_fkey', TABLE = 'allocations', COLUMN = 'region_id';
        END IF;
        IF (TG_OP = 'INSERT' OR NEW.provider_id <> OLD.provider_id)
           AND EXISTS (SELECT 1 FROM providers WHERE id = NEW.provider_id AND archived_at IS NOT NULL FOR KEY SHARE) THEN
          RAISE EXCEPTION 'provider % is archived', NEW.provider_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'allocations_provider_id_fkey', TABLE = 'allocations', COLUMN = 'provider_id';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER allocations_refuse_archived_references BEFORE INSERT OR UPDATE OF region_id, provider_id ON allocations
      FOR EACH ROW EXECUTE FUNCTION allocations_refuse_archived_references()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER allocations_refuse_archived_references ON allocations`);
    await q.query(`DROP FUNCTION allocations_refuse_archived_references()`);
    await q.query(`DROP TRIGGER leases_refuse_archived_lessor ON leases`);
    await q.query(`DROP FUNCTION leases_refuse_archived_lessor()`);
    // Archived rows become ordinary rows again; their names and codes get a suffix so the
    // restored unique constraints cannot collide with a successor that reused them.
    await q.query(`UPDATE lessors SET name = name || ' (archived ' || id || ')' WHERE archived_at IS NOT NULL`);
    await q.query(`UPDATE providers SET code = code || '-archived-' || id WHERE archived_at IS NOT NULL`);
    await q.query(`UPDATE regions SET code = code || '-archived-' || id WHERE archived_at IS NOT NULL`);
    await q.query(`DROP INDEX regions_code_key`);
    await q.query(`ALTER TABLE regions ADD CONSTRAINT regions_code_key UNIQUE (code)`);
    await q.query(`DROP INDEX providers_code_key`);
    await q.query(`ALTER TABLE providers ADD CONSTRAINT providers_code_key UNIQUE (code)`);
    await q.query(`DROP INDEX lessors_name_key`);
    await q.query(`CREATE UNIQUE INDEX lessors_name_key ON lessors (lower(name))`);
    for (const table of ['lessors', 'providers', 'regions']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN archived_at`);
    }
  }
}
