import { MigrationInterface, QueryRunner } from 'typeorm';

const SOURCES = ['allocations', 'regions', 'leases'];

/**
 * The geofeed is served from a snapshot in memory; this sequence tells every instance when it is
 * out of date. A sequence, not a counter row: nextval takes no row lock, so writes never queue on it.
 */
export class GeofeedChanges1768000001000 implements MigrationInterface {
  name = 'GeofeedChanges1768000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE geofeed_changes`);
    await q.query(`
      CREATE FUNCTION geofeed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM nextval('geofeed_changes');
        RETURN NULL;
      END
      $$`);
    for (const table of SOURCES) {
      await q.query(
        `CREATE TRIGGER ${table}_geofeed_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
         FOR EACH STATEMENT EXECUTE FUNCTION geofeed_changed()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of SOURCES) await q.query(`DROP TRIGGER ${table}_geofeed_changed ON ${table}`);
    await q.query(`DROP FUNCTION geofeed_changed()`);
    await q.query(`DROP SEQUENCE geofeed_changes`);
  }
}
