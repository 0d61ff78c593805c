import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { dataSourceOptions, runMigrations } from '../../src/database/data-source';
import { withDatabase } from '../support/global-setup';
import { dropTestDatabase } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

/**
 * The Time migration on a database that already holds data: current allocations and prices become
 * the first history and amendment rows, and the renewal wedge already in the data is repaired.
 * Also: btree_gist did not change the opclass of any GiST index over inet/cidr.
 */
describe('migrations: time on existing data', () => {
  let url: string;
  let client: Client;

  beforeAll(async () => {
    const name = `${process.env[TEST_ENV.template]}_migtime_${process.pid}`;
    const admin = new Client({ connectionString: process.env[TEST_ENV.adminUrl] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(process.env[TEST_ENV.adminUrl] as string, name);
    const before = MIGRATIONS.slice(
      0,
      MIGRATIONS.findIndex((m) => new m().name === 'Time1766000000000'),
    );
    const dataSource = new DataSource({ ...dataSourceOptions(url, 2), migrations: before });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
    client = new Client({ connectionString: url, options: '-c TimeZone=UTC' });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await dropTestDatabase(url);
  });

  it('turns existing allocations and prices into the first history and amendment rows', async () => {
    const id = async (sql: string) => (await client.query<{ id: string }>(sql)).rows[0].id;
    const lessor = await id(`INSERT INTO lessors (name, rir) VALUES ('Old', 'RIPE') RETURNING id`);
    const region = await id(`INSERT INTO regions (code, name, country_code) VALUES ('old-r', 'R', 'IE') RETURNING id`);
    const provider = await id(`INSERT INTO providers (code, name) VALUES ('old-p', 'P') RETURNING id`);
    const lease = await id(
      `INSERT INTO leases (prefix, lessor_id, start_date, end_date, price_per_ip_monthly, currency)
       VALUES ('185.73.0.0/24', '${lessor}', '2025-01-01', current_date + 30, 0.4500, 'EUR') RETURNING id`,
    );
    const active = await id(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, created_at)
       VALUES ('${lease}', '185.73.0.0/26', '${region}', '${provider}', '2025-03-04 22:30Z') RETURNING id`,
    );
    const released = await id(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, status, occupied, created_at, released_at)
       VALUES ('${lease}', '185.73.0.64/26', '${region}', '${provider}', 'released', false, '2025-02-01 10:00Z', '2025-02-20 09:00Z') RETURNING id`,
    );
    // The wedge already in the data: the lease ended with its /26 still active, and a new lease of
    // the same prefix started with the whole /24 in its free list.
    await client.query(`UPDATE leases SET end_date = current_date - 10 WHERE id = $1`, [lease]);
    const successor = await id(
      `INSERT INTO leases (prefix, lessor_id, start_date, price_per_ip_monthly, currency)
       VALUES ('185.73.0.0/24', '${lessor}', current_date - 9, 0.5000, 'EUR') RETURNING id`,
    );

    await runMigrations(url);

    const amendments = await client.query(
      `SELECT lease_id, effective_date::text, price_per_ip_monthly::text AS price, currency, note FROM lease_amendments ORDER BY seq`,
    );
    expect(amendments.rows).toEqual([
      { lease_id: lease, effective_date: '2025-01-01', price: '0.4500', currency: 'EUR', note: 'original terms' },
      {
        lease_id: successor,
        effective_date: expect.any(String),
        price: '0.5000',
        currency: 'EUR',
        note: 'original terms',
      },
    ]);
    const history = await client.query(
      `SELECT allocation_id, lease_id, region_id, provider_id, valid::text FROM allocation_history ORDER BY id`,
    );
    expect(history.rows).toEqual([
      { allocation_id: active, lease_id: lease, region_id: region, provider_id: provider, valid: '[2025-03-04,)' },
      {
        allocation_id: released,
        lease_id: lease,
        region_id: region,
        provider_id: provider,
        valid: '[2025-02-01,2025-02-20)',
      },
    ]);
    const effective = await client.query(`SELECT id, effective_date::text FROM allocations ORDER BY seq`);
    expect(effective.rows).toEqual([
      { id: active, effective_date: '2025-03-04' },
      { id: released, effective_date: '2025-02-01' },
    ]);
    const free = await client.query(
      `SELECT prefix::text FROM free_blocks WHERE lease_id = $1 ORDER BY free_blocks.prefix`,
      [successor],
    );
    expect(free.rows.map((r) => r.prefix)).toEqual(['185.73.0.64/26', '185.73.0.128/25']);
  });

  it('names inet_ops on every GiST/SP-GiST index over an inet or cidr column (btree_gist would change the default)', async () => {
    const { rows } = await client.query<{ index: string; opclass: string }>(
      `SELECT i.indexrelid::regclass::text AS index, o.opcname AS opclass
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_am am ON am.oid = c.relam AND am.amname IN ('gist', 'spgist')
         JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[]) AS k(attnum, opclass) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         JOIN pg_opclass o ON o.oid = k.opclass
        WHERE a.atttypid IN ('inet'::regtype, 'cidr'::regtype)
        ORDER BY 1`,
    );
    expect(rows.map((r) => r.index)).toEqual(
      expect.arrayContaining(['allocation_history_prefix_idx', 'leases_no_overlap', 'leases_prefix_idx']),
    );
    expect(rows.filter((r) => r.opclass !== 'inet_ops')).toEqual([]);
  });
});
