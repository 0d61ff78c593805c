import type { PoolClient } from 'pg';

/**
 * Bulk seeding runs with session_replication_role = replica, which skips the triggers that write
 * a lease's original terms and an allocation's first history period: write the missing ones.
 */
export async function backfillHistory(c: PoolClient): Promise<void> {
  await c.query(
    `INSERT INTO lease_amendments (lease_id, effective_date, price_per_ip_monthly, currency, note)
     SELECT l.id, l.start_date, l.price_per_ip_monthly, l.currency, 'original terms' FROM leases l
      WHERE NOT EXISTS (SELECT 1 FROM lease_amendments a WHERE a.lease_id = l.id)`,
  );
  await c.query(
    `INSERT INTO allocation_history (allocation_id, lease_id, region_id, provider_id, prefix, valid)
     SELECT a.id, a.lease_id, a.region_id, a.provider_id, a.prefix, daterange(a.effective_date, (a.released_at AT TIME ZONE 'UTC')::date)
       FROM allocations a
      WHERE (a.released_at IS NULL OR (a.released_at AT TIME ZONE 'UTC')::date > a.effective_date)
        AND NOT EXISTS (SELECT 1 FROM allocation_history h WHERE h.allocation_id = a.id)`,
  );
}
