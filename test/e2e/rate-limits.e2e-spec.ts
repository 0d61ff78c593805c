import { Client } from 'pg';
import type { Response } from 'supertest';
import { bearer, createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';

/**
 * Rate limits are kept in PostgreSQL: two instances on one database share every budget, as N
 * replicas behind a load balancer must (in memory, each would allow the full limit).
 */
describe('rate limits shared by instances', () => {
  let url: string;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    url = await createTestDatabase();
    const limits = { rateLimitPerMinute: 5, authFailureLimitPerMinute: 3, publicRateLimitPerMinute: 4 };
    a = await startTestApp(limits, url);
    b = await startTestApp(limits, url);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dropTestDatabase(url);
  });

  const expectRateLimited = (res: Response) => {
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  };

  it('one per-key budget across both instances: 5 requests split over A and B, the 6th is 429 on either', async () => {
    const viewer = await a.keyFor('viewer');
    for (const t of [a, b, a, b, a]) await t.http.get('/api/v1/lessors').set(bearer(viewer)).expect(200);
    expectRateLimited(await b.http.get('/api/v1/lessors').set(bearer(viewer)));
    expectRateLimited(await a.http.get('/api/v1/lessors').set(bearer(viewer)));
    // Another key has its own budget.
    await b.http
      .get('/api/v1/lessors')
      .set(bearer(await a.keyFor('finance')))
      .expect(200);
  });

  it('401 and 403 answers per client address, across instances; a valid key from that address keeps working', async () => {
    await a.http.get('/api/v1/lessors').set(bearer('ipl_not-a-real-key-0000000000000000')).expect(401);
    await b.http.get('/api/v1/lessors').expect(401);
    // A valid key's own mistakes (400) do not count; a 403 (finance may not manage keys) does.
    await b.http
      .post('/api/v1/lessors')
      .set(bearer(await b.keyFor('engineer')))
      .send({})
      .expect(400);
    await a.http
      .delete('/api/v1/api-keys/00000000-0000-4000-8000-000000000000')
      .set(bearer(await a.keyFor('finance')))
      .expect(403);
    expectRateLimited(await b.http.get('/api/v1/lessors').set(bearer('ipl_another-wrong-key-000000000000000')));
    expectRateLimited(await a.http.get('/api/v1/lessors'));
    // Valid keys are never counted against the address.
    await a.http.get('/api/v1/regions').set(bearer()).expect(200);
  });

  it('public routes per client address, across instances; health and metrics are never limited', async () => {
    for (const t of [a, b, a, b]) await t.http.get('/geofeed.csv').expect(200);
    expectRateLimited(await b.http.get('/geofeed.csv'));
    for (let i = 0; i < 10; i++) {
      await a.http.get('/health').expect(200);
      await b.http.get('/health/ready').expect(200);
    }
  });

  it('a window ends: the bucket starts over at one hit', async () => {
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      // Move every window back by two minutes instead of waiting for it.
      await admin.query(`UPDATE rate_limit_counters SET window_start = window_start - interval '2 minutes'`);
      await a.http
        .get('/api/v1/lessors')
        .set(bearer(await a.keyFor('viewer')))
        .expect(200);
      await a.http.get('/geofeed.csv').expect(200);
      const { rows } = await admin.query<{ bucket: string; hits: number }>(
        `SELECT bucket, hits FROM rate_limit_counters WHERE bucket LIKE 'public:%' OR bucket LIKE 'key:%'`,
      );
      expect(rows.filter((r) => r.bucket.startsWith('public:')).map((r) => r.hits)).toEqual([1]);
      expect(rows.filter((r) => r.hits === 1).length).toBeGreaterThanOrEqual(2);
    } finally {
      await admin.end();
    }
  });
});

describe('client address behind a trusted proxy', () => {
  it('with TRUST_PROXY=1 each X-Forwarded-For client has its own budget', async () => {
    const t = await startTestApp({ authFailureLimitPerMinute: 1, trustProxy: 1 });
    try {
      const from = (address: string) => t.http.get('/api/v1/lessors').set('X-Forwarded-For', address);
      await from('203.0.113.7').expect(401);
      await from('203.0.113.7').expect(429);
      await from('203.0.113.8').expect(401);
    } finally {
      await t.close();
    }
  });
});

describe('address limits off', () => {
  it('with AUTH_FAILURE_LIMIT_PER_MINUTE=0 (the test default) 401s are never turned into 429', async () => {
    const t = await startTestApp();
    try {
      for (let i = 0; i < 40; i++) await t.http.get('/api/v1/lessors').expect(401);
    } finally {
      await t.close();
    }
  });
});
