import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allocation names and origin ASNs; the origin ASNs a provider requires for BYOIP.
 *
 * - allocations_name_active_key: a name identifies one active allocation (automation finds or
 *   creates by name); released allocations keep their name for history and free it for reuse.
 * - asn_is_origin(): the ASNs that may originate a route (not AS0, AS_TRANS, documentation or
 *   reserved numbers); the same rule the API applies, kept here as the last guard.
 */
export class AllocationNamesAndOrigins1771000000000 implements MigrationInterface {
  name = 'AllocationNamesAndOrigins1771000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION asn_is_origin(asn bigint) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT asn BETWEEN 1 AND 4294967294
           AND asn <> 23456 AND asn <> 65535
           AND asn NOT BETWEEN 64496 AND 64511
           AND asn NOT BETWEEN 65536 AND 65551
      $$`);
    await q.query(`
      CREATE FUNCTION asns_are_origins(asns bigint[]) RETURNS boolean
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(bool_and(asn_is_origin(a)), true) FROM unnest(asns) AS a
      $$`);
    await q.query(`ALTER TABLE allocations ADD COLUMN name text, ADD COLUMN origin_asn bigint`);
    await q.query(`
      ALTER TABLE allocations
        ADD CONSTRAINT allocations_name_length_check CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 128),
        ADD CONSTRAINT allocations_origin_asn_check CHECK (origin_asn IS NULL OR asn_is_origin(origin_asn))`);
    await q.query(
      `CREATE UNIQUE INDEX allocations_name_active_key ON allocations (name) WHERE status = 'active' AND name IS NOT NULL`,
    );
    await q.query(`ALTER TABLE providers ADD COLUMN required_origin_asns bigint[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      ALTER TABLE providers
        ADD CONSTRAINT providers_required_origin_asns_check
          CHECK (cardinality(required_origin_asns) <= 32 AND asns_are_origins(required_origin_asns))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE providers DROP CONSTRAINT providers_required_origin_asns_check`);
    await q.query(`ALTER TABLE providers DROP COLUMN required_origin_asns`);
    await q.query(`DROP INDEX allocations_name_active_key`);
    await q.query(
      `ALTER TABLE allocations DROP CONSTRAINT allocations_origin_asn_check, DROP CONSTRAINT allocations_name_length_check`,
    );
    await q.query(`ALTER TABLE allocations DROP COLUMN origin_asn, DROP COLUMN name`);
    await q.query(`DROP FUNCTION asns_are_origins(bigint[])`);
    await q.query(`DROP FUNCTION asn_is_origin(bigint)`);
  }
}
