import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import pino from 'pino';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import type { Document } from 'openapi-backend';
import { displayPrefix, generateApiKey, hashApiKey } from '../../src/auth/api-key.crypto';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/config';
import type { LogLevel } from '../../src/config/config';
import { createLogger } from '../../src/common/logger';
import type { Role } from '../../src/common/request-context';
import { withDatabase } from './global-setup';
import { specCheckedAgent } from './openapi-responses';
import { asRole } from '../../src/database/serving-role';
import { TEST_ENV, TEST_SERVING_ROLE } from './test-env';

export const ADMIN_KEY = 'ipl_test-admin-key-0123456789abcdef';

export interface TestApp {
  app: INestApplication;
  /**
   * supertest against the running server. Every response is checked against the OpenAPI document
   * the app serves (test/support/openapi-responses.ts): drift fails the request that showed it.
   */
  http: TestAgent;
  baseUrl: string;
  /** The test database as its owner (the superuser): what migrations and look-behind assertions use. */
  databaseUrl: string;
  /** What the app serves through: the restricted role on the test cluster (the owner on a cluster of a test's own). */
  servingUrl: string;
  /** A pool on the test database for assertions that must look behind the API. */
  pool: Pool;
  config: AppConfig;
  keyFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

/** A fresh database cloned from the migrated template, for this test file alone. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = process.env[TEST_ENV.adminUrl];
  const template = process.env[TEST_ENV.template];
  if (!adminUrl || !template) throw new Error('test database not prepared: run through jest (globalSetup)');
  const name = `${template}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return withDatabase(adminUrl, name);
}

export async function dropTestDatabase(url: string): Promise<void> {
  const adminUrl = process.env[TEST_ENV.adminUrl] as string;
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // pg's Pool.end() resolves before its connections' backends have gone: FORCE would end them
    // with 57P01, which pg then emits as an 'error' on a pool the test has already ended (and
    // without a listener, crashes the file). Give them a moment to leave first.
    for (let waited = 0; waited < 2_000; waited += 25) {
      const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`, [name]);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * The app serves through the restricted role, as the service does, whenever the database is on
 * the run's cluster (where global-setup made the role); a test's own cluster (a replica pair, a
 * fault proxy) has no such role, so its app serves as the owner.
 */
export function servingUrlFor(url: string): string {
  const adminUrl = process.env[TEST_ENV.adminUrl];
  const password = process.env[TEST_ENV.servingPassword];
  if (!adminUrl || !password || new URL(adminUrl).host !== new URL(url).host) return url;
  return asRole(url, TEST_SERVING_ROLE, password);
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    ...loadConfig({}),
    adminApiKey: ADMIN_KEY,
    logLevel: 'silent',
    rateLimitPerMinute: 0,
    authFailureLimitPerMinute: 0,
    publicRateLimitPerMinute: 0,
    ...overrides,
  };
}

export interface TestAppOptions {
  /** Send the app's logs here (production logger: same format and redaction as main.ts), at `logLevel` (default info). */
  logDestination?: NodeJS.WritableStream;
  logLevel?: LogLevel;
}

/** Starts the real application (same createApp/bootstrap as main.ts) on a fresh database and a free port. */
export async function startTestApp(
  overrides: Partial<AppConfig> = {},
  databaseUrl?: string,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const url = databaseUrl ?? (await createTestDatabase());
  const config = testConfig(overrides);
  const logger = options.logDestination
    ? createLogger(options.logLevel ?? 'info', options.logDestination)
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const servingUrl = servingUrlFor(url);
  const app = await createApp(config, servingUrl, logger);
  await app.listen(0, '127.0.0.1');
  const baseUrl = await app.getUrl();
  const pool = new Pool({ connectionString: url, max: 4 });
  // An idle harness connection that the server ends must not crash the test process with an
  // unhandled 'error' (seen once on PostgreSQL 15: 57P01 mid-file); a real loss fails the next query.
  pool.on('error', (error) => process.stderr.write(`test pool: idle connection lost: ${error.message}\n`));
  const keys = new Map<Role, string>();
  const served = await request(baseUrl).get('/docs-json');
  if (served.status !== 200) throw new Error(`GET /docs-json answered ${served.status}`);
  return {
    app,
    http: await specCheckedAgent(request(baseUrl), served.body as Document),
    baseUrl: baseUrl.replace('[::1]', '127.0.0.1'),
    databaseUrl: url,
    servingUrl,
    pool,
    config,
    async keyFor(role: Role) {
      if (role === 'admin') return ADMIN_KEY;
      const existing = keys.get(role);
      if (existing) return existing;
      const key = generateApiKey();
      await pool.query(`INSERT INTO api_keys (name, role, key_hash, key_prefix) VALUES ($1, $2, $3, $4)`, [
        `test-${role}`,
        role,
        hashApiKey(key),
        displayPrefix(key),
      ]);
      keys.set(role, key);
      return key;
    },
    async close() {
      await app.close();
      await pool.end();
      if (!databaseUrl) await dropTestDatabase(url);
    },
  };
}

export const bearer = (key: string = ADMIN_KEY) => ({ Authorization: `Bearer ${key}` });
