import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/** Issue 10, items 8, 9, 10 and S6: every refusal names the real problem and the field. */
describe('errors that say the right thing', () => {
  let t: TestApp;
  let w: World;
  const firstError = (body: { errors?: { field: string; message: string }[] }) => body.errors?.[0];

  beforeAll(async () => {
    t = await startTestApp();
    w = await seedWorld(t);
  });
  afterAll(() => t.close());

  describe('item 8: limit, prefixLength and If-Match', () => {
    it.each([
      ['abc', /limit must be an integer/],
      ['1.5', /limit must be an integer/],
      ['-1', /limit must not be less than 1/],
      ['0', /limit must not be less than 1/],
      ['501', /limit must not be greater than 500/],
    ])('?limit=%s → 400 naming the problem', async (limit, message) => {
      const res = await t.http.get('/api/v1/leases').query({ limit }).set(bearer()).expect(400);
      expect(firstError(res.body)).toEqual({ field: 'limit', message: expect.stringMatching(message) });
    });

    it('a repeated limit is refused as repeated', async () => {
      const res = await t.http.get('/api/v1/leases?limit=1&limit=2').set(bearer()).expect(400);
      expect(firstError(res.body)).toEqual({
        field: 'limit',
        message: expect.stringMatching(/limit must be given once/),
      });
    });

    it('prefixLength "24" (a string) is refused as a string, not as too large', async () => {
      const res = await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({ prefixLength: '24', regionId: w.regionId, providerId: w.providerId })
        .expect(400);
      const error = res.body.errors.find((e: { field: string }) => e.field === 'prefixLength');
      expect(error.message).toMatch(/must be an integer/);
      expect(error.message).not.toMatch(/greater than/);
    });

    it('an unquoted If-Match is refused as malformed, not as a version mismatch', async () => {
      const lessor = await t.http.get(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(200);
      const res = await t.http
        .patch(`/api/v1/lessors/${w.lessorId}`)
        .set(bearer())
        .set('If-Match', String(lessor.body.version))
        .send({ contactEmail: 'noc@example.net' })
        .expect(400);
      expect(firstError(res.body)).toEqual({ field: 'If-Match', message: expect.stringMatching(/quoted/) });
      const after = await t.http.get(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(200);
      expect(after.body.version).toBe(lessor.body.version);
    });
  });

  describe('item 9 and S6: refusals name the field', () => {
    it.each(['usd', 'XXX', 'XAU', 'US'])('currency %s is refused with the field named', async (currency) => {
      const res = await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({
          prefix: '185.199.0.0/24',
          lessorId: w.lessorId,
          startDate: '2026-01-01',
          pricePerIpMonthly: '1',
          currency,
        })
        .expect(400);
      expect(firstError(res.body)).toEqual({ field: 'currency', message: expect.stringMatching(/ISO 4217/) });
    });

    it.each([
      ['/api/v1/lessors', { name: 'bad\u0000name', rir: 'RIPE' }],
      ['/api/v1/lessors', { name: 'bad\nname', rir: 'RIPE' }],
      ['/api/v1/regions', { code: 'r-ctl', name: 'bad\u0007name', countryCode: 'DE' }],
      ['/api/v1/providers', { code: 'p-ctl', name: 'bad\u001bname' }],
    ])('%s refuses control characters in name', async (path, body) => {
      const res = await t.http.post(path).set(bearer()).send(body).expect(400);
      expect(firstError(res.body)).toEqual({ field: 'name', message: expect.stringMatching(/control character/) });
    });
  });

  describe('item 10', () => {
    it('PUT on a resource is 405 with Allow', async () => {
      const res = await t.http.put(`/api/v1/lessors/${w.lessorId}`).set(bearer()).send({}).expect(405);
      expect(res.body.code).toBe('METHOD_NOT_ALLOWED');
      expect(res.headers.allow?.split(/,\s*/).sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PATCH']);
    });

    it('deleting a lessor counts all of its current leases', async () => {
      const lessor = (
        await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Many Leases', rir: 'RIPE' }).expect(201)
      ).body.id;
      for (let i = 0; i < 103; i++) await createLease(t, { ...w, lessorId: lessor }, `185.100.${i}.0/24`);
      const res = await t.http.delete(`/api/v1/lessors/${lessor}`).set(bearer()).expect(409);
      expect(res.body.detail).toContain('103 current lease(s)');
    });

    it('the monthly-cost CSV file name carries groupBy', async () => {
      const res = await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: '2026-05', groupBy: 'provider', format: 'csv' })
        .set(bearer())
        .expect(200);
      expect(res.headers['content-disposition']).toContain('monthly-cost-2026-05-provider.csv');
    });

    it('a forecast past 9999-12 is refused naming months', async () => {
      const res = await t.http
        .get('/api/v1/reports/forecast')
        .query({ from: '9999-12', months: 60 })
        .set(bearer())
        .expect(400);
      expect(firstError(res.body)?.field).toBe('months');
    });
  });
});
