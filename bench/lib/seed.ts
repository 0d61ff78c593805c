import type { Pool } from 'pg';
import type { World } from './benchmark';

/** One lessor, region and provider to hang benchmark leases and allocations on. */
export async function seedWorld(db: Pool): Promise<World> {
  const lessorId = (await db.query(`INSERT INTO lessors (name, rir) VALUES ('Bench lessor', 'RIPE') RETURNING id`))
    .rows[0].id;
  const regionId = (
    await db.query(
      `INSERT INTO regions (code, name, country_code) VALUES ('bench-1', 'Bench region', 'IE') RETURNING id`,
    )
  ).rows[0].id;
  const providerId = (
    await db.query(`INSERT INTO providers (code, name) VALUES ('bench', 'Bench provider') RETURNING id`)
  ).rows[0].id;
  return { lessorId, regionId, providerId };
}

/** An open-ended lease active since 2025 (the leases_seed_free_blocks trigger makes it one free block). */
export async function insertLease(db: Pool, world: World, prefix: string): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency) VALUES ($1::cidr, $2, '2025-01-01', 0.45, 'USD') RETURNING id`,
    [prefix, world.lessorId],
  );
  return rows[0].id;
}
