import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/data-source';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { ensureServingRole } from '../../src/database/serving-role';
import { TEST_ENV, TEST_SERVING_ROLE } from './test-env';

const quiet = { info: () => undefined, debug: () => undefined, error: (m: string) => process.stderr.write(`${m}\n`) };

/**
 * One PostgreSQL for the whole run: the embedded one in a temporary folder, or DATABASE_URL when
 * set. Migrations are applied once into a template database (as the owner, the superuser here),
 * which grants the restricted serving role its rights; every test file clones it, grants included,
 * and its app serves through that role, as the service does (see startTestApp).
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iplease-test-'));
    const handle = await startEmbeddedPostgres(dataDir, quiet, {
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' },
    });
    adminUrl = handle.adminUrl;
    (globalThis as Record<string, unknown>).__ipleaseEmbedded = { handle, dataDir };
  }
  const template = `iplease_template_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const servingPassword = randomBytes(24).toString('hex');
  await ensureServingRole(adminUrl, TEST_SERVING_ROLE, servingPassword);
  await runMigrations(withDatabase(adminUrl, template), TEST_SERVING_ROLE);

  process.env[TEST_ENV.servingPassword] = servingPassword;
  process.env[TEST_ENV.adminUrl] = adminUrl;
  process.env[TEST_ENV.template] = template;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
