import type { Pool } from 'pg';
import { Database } from '../../src/database/database.service';
import { RateLimitRepository } from '../../src/ratelimit/rate-limit.repository';
import { ReadDatabase } from '../../src/database/read-database.service';
import {
  bearer,
  createTestDatabase,
  dropTestDatabase,
  servingUrlFor,
  startTestApp,
  TestApp,
} from '../support/test-app';

/**
 * pg emits 'error' on a client whose connection the server ends while it runs no query, and an
 * 'error' nobody listens to ends the process. A pooled client is listened to by the pool while idle
 * and by whoever holds it while they listen; in between, PostgreSQL stopping took the service
 * down (CI: the readiness fault test, "Unhandled 'error' event", 57P01). Every client of every
 * pool the service runs must survive that moment, and the service must go on answering.
 */
describe('a pooled connection PostgreSQL ends while no one listens on it', () => {
  let t: TestApp;

  let url: string;

  beforeAll(async () => {
    url = await createTestDatabase();
    // The replica pool pointed at the primary: enough to own a pool (reads then fall back to the primary).
    t = await startTestApp({ rateLimitPerMinute: 1000, databaseReplicaUrl: servingUrlFor(url) }, url);
  });
  afterAll(async () => {
    await t?.close();
    await dropTestDatabase(url);
  });

  const pools: Record<string, () => Pool> = {
    'the service pool (TypeORM)': () => (t.app.get(Database).dataSource.driver as unknown as { master: Pool }).master,
    'the rate-limit pool': () => (t.app.get(RateLimitRepository) as unknown as { counters(): Pool }).counters(),
    'the replica-read pool': () => (t.app.get(ReadDatabase) as unknown as { pool: Pool }).pool,
  };

  it.each(Object.keys(pools))(
    '%s: the client is discarded, not fatal, and the service keeps answering',
    async (name) => {
      const pool = pools[name]();
      // Checked out and between uses: the pool has stopped listening, and no query runner listens yet.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await t.pool.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      await ended;

      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      await t.http.get('/api/v1/lessors').set(bearer()).expect(200);
      await t.http.get('/health/ready').expect(200);
    },
  );
});
