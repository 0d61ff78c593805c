import { toProblem } from '../../src/errors/problem.filter';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * A statement cancelled by the statement timeout (SQLSTATE 57014 query_canceled) is the database
 * being too busy (or a lock held too long), not a bug: 503 UNAVAILABLE with Retry-After, never 500.
 */
describe('statement timeout → 503 UNAVAILABLE', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('maps query_canceled to UNAVAILABLE with Retry-After', () => {
    const canceled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const { problem, retryAfterSeconds, unexpected } = toProblem(canceled);
    expect(problem).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    expect(problem.detail).not.toContain('canceling statement');
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(unexpected).toBe(false);
  });

  it('a report that waits past the statement timeout answers 503 with Retry-After, and the next one 200', async () => {
    // The service bounds every statement (statement_timeout 8 s, below its 10 s lock_timeout): hold
    // a lock the monthly-cost query needs for longer than that, so PostgreSQL cancels it.
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE allocation_history IN ACCESS EXCLUSIVE MODE');
      const res = await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: '2025-01', groupBy: 'provider' })
        .set(bearer());
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'UNAVAILABLE', status: 503, instance: '/api/v1/reports/monthly-cost' });
      expect(JSON.stringify(res.body)).not.toMatch(/canceling|statement_timeout|allocation_history/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2025-01', groupBy: 'provider' })
      .set(bearer())
      .expect(200);
  }, 30_000);
});
