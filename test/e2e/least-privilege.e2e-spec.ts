import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { Database } from '../../src/database/database.service';
import { freePort } from '../../src/database/embedded-postgres';
import { EMBEDDED_SERVING_ROLE } from '../../src/database/serving-role';
import { monthsAgo } from '../support/dates';
import { buildService, startService } from '../support/process';
import { TEST_SERVING_ROLE } from '../support/test-env';
import {
  bearer,
  createTestDatabase,
  dropTestDatabase,
  servingUrlFor,
  startTestApp,
  TestApp,
} from '../support/test-app';

/** What a refused statement answers: PostgreSQL's SQLSTATE. */
async function sqlState(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Who every connection of the service's pools (application names iplease*) logs in as. */
async function servingUsers(ownerUrl: string): Promise<{ usename: string; application_name: string }[]> {
  const client = new Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT DISTINCT usename, application_name FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'iplease%' ORDER BY 2`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

/**
 * Least privilege: migrations run as the owner; the service serves through a role that can read
 * and write rows and nothing more. The whole test harness serves through such a role (global-setup),
 * so every end-to-end test runs the API under it; this file proves the role is what it claims.
 */
describe('least privilege: the service serves through a restricted PostgreSQL role', () => {
  let t: TestApp;
  let db: Database;

  beforeAll(async () => {
    // Rate limits on, so the rate limiter's own pool connects too.
    t = await startTestApp({ rateLimitPerMinute: 10_000 });
    db = t.app.get(Database);
  });
  afterAll(() => t?.close());

  it('is not a superuser and may create no database, role or replication', async () => {
    const [role] = await db.query<Record<string, unknown>[]>(
      `SELECT current_user AS name, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname = current_user`,
    );
    expect(role).toEqual({
      name: TEST_SERVING_ROLE,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
    });
  });

  it('cannot change the schema: CREATE, DROP, ALTER, TRUNCATE are refused; the migrations table is read-only', async () => {
    const refused = {
      create: await sqlState(() => db.query(`CREATE TABLE least_privilege_probe (id int)`)),
      createFunction: await sqlState(() =>
        db.query(`CREATE FUNCTION least_privilege_probe() RETURNS int AS 'SELECT 1' LANGUAGE sql`),
      ),
      createSchema: await sqlState(() => db.query(`CREATE SCHEMA least_privilege_probe`)),
      drop: await sqlState(() => db.query(`DROP TABLE leases`)),
      alter: await sqlState(() => db.query(`ALTER TABLE leases ADD COLUMN probe int`)),
      truncate: await sqlState(() => db.query(`TRUNCATE audit_events`)),
      dropFunction: await sqlState(() => db.query(`DROP EXTENSION btree_gist CASCADE`)),
      deleteMigrations: await sqlState(() => db.query(`DELETE FROM migrations`)),
      insertMigrations: await sqlState(() => db.query(`INSERT INTO migrations (timestamp, name) VALUES (1, 'x')`)),
    };
    expect(refused).toEqual({
      create: '42501',
      createFunction: '42501',
      createSchema: '42501',
      drop: '42501',
      alter: '42501',
      truncate: '42501',
      dropFunction: '42501',
      deleteMigrations: '42501',
      insertMigrations: '42501',
    });
    // What it may do: read the schema version (readiness), and everything below through the API.
    expect(await sqlState(() => db.query(`SELECT count(*) FROM migrations`))).toBe('accepted');
    const leases = await t.pool.query(`SELECT to_regclass('leases') IS NOT NULL AS present`);
    expect(leases.rows[0].present).toBe(true);
  });

  it('still does everything the API does: writes, locks (closing a month, an RPKI import), imports (temp tables), reports', async () => {
    const finance = await t.keyFor('finance');
    const lessorId = (
      await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Least Privilege Ltd', rir: 'RIPE' }).expect(201)
    ).body.id;
    const leaseId = (
      await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({
          prefix: '185.90.0.0/22',
          lessorId,
          startDate: `${monthsAgo(3)}-01`,
          pricePerIpMonthly: '0.5000',
          currency: 'EUR',
        })
        .expect(201)
    ).body.id;
    const regionId = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' })
        .expect(201)
    ).body.id;
    const providerId = (
      await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'aws', name: 'AWS' }).expect(201)
    ).body.id;
    await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ prefixLength: 24, leaseId, regionId, providerId })
      .expect(201);
    // CREATE TEMP TABLE, CREATE INDEX and ANALYZE on it.
    await t.http
      .post('/api/v1/imports/leases')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send(fs.readFileSync(path.join(__dirname, '../fixtures/imports/leases.csv')))
      .expect(201);
    // LOCK TABLE … IN SHARE MODE (needs UPDATE or DELETE on each table).
    await t.http
      .post('/api/v1/periods/close')
      .set(bearer(finance))
      .send({ through: monthsAgo(2) })
      .expect(200);
    // LOCK TABLE rpki_snapshot IN SHARE ROW EXCLUSIVE MODE.
    await t.http
      .put('/api/v1/rpki/vrps')
      .set(bearer())
      .set('Content-Type', 'text/csv')
      .send('ASN,IP Prefix,Max Length,Trust Anchor\nAS16509,185.90.0.0/22,24,ripe\n')
      .expect(200);
    await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: monthsAgo(1) })
      .set(bearer())
      .expect(200);
    await t.http.get('/api/v1/reports/routing').set(bearer()).expect(200);
    await t.http.get('/api/v1/audit-events?limit=5').set(bearer()).expect(200);
    await t.http.get('/health/ready').expect(200);

    // Every pool of the service (the main one, the rate limiter's) logged in as the restricted role.
    const users = await servingUsers(t.databaseUrl);
    expect(users.map((u) => u.application_name)).toEqual(expect.arrayContaining(['iplease', 'iplease-rate-limits']));
    expect([...new Set(users.map((u) => u.usename))]).toEqual([TEST_SERVING_ROLE]);
  });
});

/** The service process: embedded (the restricted role and its password made in DATA_DIR) and external URLs. */
describe('least privilege: the service process', () => {
  let mainJs: string;
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-lp-'));
    fs.chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  };
  const ADMIN_KEY = 'ipl_least-privilege-admin-key-0123';

  beforeAll(() => {
    mainJs = buildService('least-privilege');
  }, 120_000);
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it('embedded: serves as iplease_app, whose password is kept in DATA_DIR (0600) and never printed; an older DATA_DIR gets one', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'debug' };
    const first = startService(mainJs, env);
    await first.waitFor(/iplease listening/);
    const credentialsFile = path.join(dataDir, 'embedded-postgres.json');
    const credentials = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as Record<string, string>;
    expect(Object.keys(credentials).sort()).toEqual(['appPassword', 'password']);
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const lessors = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(lessors.status).toBe(200);
    const postmaster = fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
    const ownerUrl = `postgres://postgres:${credentials.password}@127.0.0.1:${postmaster[3]}/iplease`;
    expect([...new Set((await servingUsers(ownerUrl)).map((u) => u.usename))]).toEqual([EMBEDDED_SERVING_ROLE]);
    expect(first.output()).not.toContain(credentials.appPassword);
    expect(first.output()).not.toContain(credentials.password);
    expect(first.output()).not.toMatch(/superuser/);
    first.child.kill('SIGTERM');
    expect((await first.exited(10_000)).code).toBe(0);

    // A DATA_DIR of the previous version: the credentials file knows only the superuser's password.
    fs.writeFileSync(credentialsFile, JSON.stringify({ password: credentials.password }), { mode: 0o600 });
    const second = startService(mainJs, env);
    await second.waitFor(/iplease listening/);
    const upgraded = JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as Record<string, string>;
    expect(upgraded.password).toBe(credentials.password);
    expect(upgraded.appPassword).toMatch(/^[0-9a-f]{48}$/);
    expect(upgraded.appPassword).not.toBe(credentials.appPassword);
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const again = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(again.status).toBe(200);
    expect(second.output()).not.toContain(upgraded.appPassword);
    second.child.kill('SIGTERM');
    expect((await second.exited(10_000)).code).toBe(0);
  }, 120_000);

  it('external: DATABASE_URL migrates, DATABASE_APP_URL serves; one URL of a superuser still works, with one warning line', async () => {
    const ownerUrl = await createTestDatabase();
    try {
      const port = await freePort();
      const split = startService(mainJs, {
        PORT: String(port),
        DATABASE_URL: ownerUrl,
        DATABASE_APP_URL: servingUrlFor(ownerUrl),
        ADMIN_API_KEY: ADMIN_KEY,
      });
      await split.waitFor(/iplease listening/);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/lessors`, {
        headers: { Authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(res.status).toBe(200);
      expect([...new Set((await servingUsers(ownerUrl)).map((u) => u.usename))]).toEqual([TEST_SERVING_ROLE]);
      expect(split.output()).not.toMatch(/superuser/);
      split.child.kill('SIGTERM');
      expect((await split.exited(10_000)).code).toBe(0);

      const single = startService(mainJs, { PORT: String(port), DATABASE_URL: ownerUrl, ADMIN_API_KEY: ADMIN_KEY });
      await single.waitFor(/iplease listening/);
      const warnings = single
        .output()
        .split('\n')
        .filter((line) => /superuser/.test(line));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({
        level: 'warn',
        msg: expect.stringContaining('set DATABASE_APP_URL to a restricted role'),
      });
      const password = new URL(ownerUrl).password;
      if (password) expect(single.output()).not.toContain(password);
      single.child.kill('SIGTERM');
      expect((await single.exited(10_000)).code).toBe(0);
    } finally {
      await dropTestDatabase(ownerUrl);
    }
  }, 120_000);

  it('refuses DATABASE_APP_URL without DATABASE_URL, in one line', async () => {
    const bad = startService(mainJs, { DATA_DIR: tempDir(), DATABASE_APP_URL: 'postgres://a:b@127.0.0.1:1/x' });
    expect((await bad.exited(10_000)).code).toBe(1);
    expect(bad.output().trim()).toBe(
      'Invalid configuration: DATABASE_APP_URL needs DATABASE_URL (the owner that runs the migrations and grants the serving role its rights)',
    );
  }, 30_000);
});
