import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The allocation overlap guard and prefix index as SP-GiST instead of GiST.
 *
 * Best fit hands out blocks in address order, the worst case for the GiST inet_ops index: loading
 * 1M /28s in address order slowed to minutes (each insert's exclusion probe read ~50 pages at
 * 400k rows). SP-GiST's radix tree over the address bits keeps both the load and the probe flat
 * (measured in docs/benchmarks.md). SP-GiST indexes one column only, which is all these two need;
 * leases_no_overlap (prefix and term) stays GiST.
 */
export class AllocationsSpgist1772000000000 implements MigrationInterface {
  name = 'AllocationsSpgist1772000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap`);
    await q.query(
      `ALTER TABLE allocations ADD CONSTRAINT allocations_no_overlap EXCLUDE USING spgist (prefix inet_ops WITH &&) WHERE (occupied)`,
    );
    await q.query(`DROP INDEX allocations_prefix_idx`);
    await q.query(`CREATE INDEX allocations_prefix_idx ON allocations USING spgist (prefix inet_ops)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX allocations_prefix_idx`);
    await q.query(`CREATE INDEX allocations_prefix_idx ON allocations USING gist (prefix inet_ops)`);
    await q.query(`ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap`);
    await q.query(
      `ALTER TABLE allocations ADD CONSTRAINT allocations_no_overlap EXCLUDE USING gist (prefix inet_ops WITH &&) WHERE (occupied)`,
    );
  }
}
