import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for the monthly-cost report (ReportsRepository.monthlyCost) at scale.
 *
 * - allocation_history_lease_terms_idx: every segment (a lease's days under one set of terms)
 *   reads its lease's allocation periods index-only, in lease order. It replaces
 *   allocation_history_lease_id_idx (same leading column, so foreign-key checks and lookups by
 *   lease use it the same way), which keeps the allocation write path at the same index count.
 * - lease_amendments_lease_terms_idx: the window that turns amendments into day ranges reads them
 *   index-only in (lease, day) order instead of fetching every row from the heap.
 */
export class MonthlyCostIndexes1773000000000 implements MigrationInterface {
  name = 'MonthlyCostIndexes1773000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX allocation_history_lease_terms_idx ON allocation_history (lease_id) INCLUDE (provider_id, region_id, prefix, valid)`,
    );
    await q.query(`DROP INDEX allocation_history_lease_id_idx`);
    await q.query(
      `CREATE INDEX lease_amendments_lease_terms_idx ON lease_amendments (lease_id, effective_date) INCLUDE (price_per_ip_monthly, currency)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX lease_amendments_lease_terms_idx`);
    await q.query(`CREATE INDEX allocation_history_lease_id_idx ON allocation_history (lease_id)`);
    await q.query(`DROP INDEX allocation_history_lease_terms_idx`);
  }
}
