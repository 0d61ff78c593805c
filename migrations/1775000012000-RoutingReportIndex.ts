import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The routing report's origin validation reads the covering VRPs of every allocation (`v.prefix >>=
 * route`) index-only: the SP-GiST inet_ops index on rpki_vrps carries asn and max_length
 * (INCLUDE, PostgreSQL 14+), so 100k probes no longer fetch ~280k heap pages. It replaces
 * rpki_vrps_prefix_idx (same key and operator class, so every other use is unchanged).
 */
export class RoutingReportIndex1775000012000 implements MigrationInterface {
  name = 'RoutingReportIndex1775000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX rpki_vrps_prefix_covering_idx ON rpki_vrps USING spgist (prefix inet_ops) INCLUDE (asn, max_length)`,
    );
    await q.query(`DROP INDEX rpki_vrps_prefix_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX rpki_vrps_prefix_idx ON rpki_vrps USING spgist (prefix inet_ops)`);
    await q.query(`DROP INDEX rpki_vrps_prefix_covering_idx`);
  }
}
