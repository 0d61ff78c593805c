import { Client } from 'pg';
import { revertAllMigrations, runMigrations } from '../../src/database/data-source';
import { MIGRATIONS } from '../../migrations';
import { withDatabase } from '../support/global-setup';
import { dropTestDatabase } from '../support/test-app';
import { TEST_ENV } from '../support/test-env';

async function objects(url: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    const functions = await client.query<{ name: string }>(
      `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1`,
    );
    const constraints = await client.query<{ name: string; def: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype = 'x' ORDER BY 1`,
    );
    return {
      tables: tables.rows.map((r) => r.name),
      functions: functions.rows.map((r) => r.name),
      exclusions: constraints.rows,
    };
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  const admin = () => new Client({ connectionString: process.env[TEST_ENV.adminUrl] });
  let url: string;

  beforeAll(async () => {
    const name = `${process.env[TEST_ENV.template]}_mig_${process.pid}`;
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    url = withDatabase(process.env[TEST_ENV.adminUrl] as string, name);
  });
  afterAll(() => dropTestDatabase(url));

  it('migrate up, all the way down, and up again', async () => {
    const applied = await runMigrations(url);
    expect(applied).toEqual(MIGRATIONS.map((m) => new m().name));
    const up = await objects(url);
    expect(up.tables).toEqual(
      expect.arrayContaining([
        'allocations',
        'api_keys',
        'audit_events',
        'free_blocks',
        'leases',
        'lessors',
        'providers',
        'regions',
      ]),
    );
    // The exclusion constraints name the inet_ops opclass explicitly.
    const byName = Object.fromEntries(up.exclusions.map((c) => [c.name, c.def]));
    expect(byName.leases_no_overlap).toMatch(/EXCLUDE USING gist \(prefix inet_ops WITH &&, term WITH &&\)/);
    // Allocations: SP-GiST (flat under address-ordered inserts); inet_ops is its default opclass, so not shown.
    expect(byName.allocations_no_overlap).toMatch(
      /EXCLUDE USING spgist \(prefix (inet_ops )?WITH &&\) WHERE \(occupied\)/,
    );
    expect(await runMigrations(url)).toEqual([]);

    expect(await revertAllMigrations(url)).toBe(MIGRATIONS.length);
    const down = await objects(url);
    expect(down.tables).toEqual(['migrations']);
    expect(down.functions).toEqual([]);

    expect(await runMigrations(url)).toHaveLength(MIGRATIONS.length);
    expect((await objects(url)).tables).toEqual(up.tables);
  });
});
