import { bearer, startTestApp, TestApp } from '../support/test-app';

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (date: string, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

describe('leases', () => {
  let t: TestApp;
  let lessorId: string;
  const leaseCount = async () => Number((await t.pool.query('SELECT count(*) FROM leases')).rows[0].count);
  const lease = (overrides: Record<string, unknown> = {}) => ({
    prefix: '185.10.20.0/22',
    lessorId,
    startDate: '2026-01-01',
    endDate: '2026-12-31',
    pricePerIpMonthly: '0.4500',
    currency: 'USD',
    ...overrides,
  });
  const create = (body: Record<string, unknown>) => t.http.post('/api/v1/leases').set(bearer()).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    lessorId = (await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Lessor A', rir: 'RIPE' }).expect(201))
      .body.id;
  });
  afterAll(() => t.close());

  it('creates a lease with computed fields and refuses a second overlapping lease naming the first', async () => {
    const first = await create(
      lease({ prefix: '185.10.20.0/22', startDate: addDays(today(), -10), endDate: addDays(today(), 100) }),
    ).expect(201);
    expect(first.body).toMatchObject({
      prefix: '185.10.20.0/22',
      status: 'active',
      addressCount: 1024,
      allocatedAddressCount: 0,
      monthlyCost: '460.80',
      pricePerIpMonthly: '0.4500',
      autoRenew: false,
      renewalTermMonths: 12,
      noticePeriodDays: 30,
      tags: [],
      version: 1,
    });
    expect(first.body.currentTermEnd).toBe(addDays(today(), 100));

    const before = await leaseCount();
    const overlap = await create(
      lease({ prefix: '185.10.21.0/24', startDate: addDays(today(), 50), endDate: addDays(today(), 400) }),
    ).expect(409);
    expect(overlap.body.code).toBe('PREFIX_OVERLAP');
    expect(overlap.body.conflicts).toEqual([{ id: first.body.id, prefix: '185.10.20.0/22', kind: 'lease' }]);
    expect(overlap.body.detail).toContain(first.body.id);
    expect(await leaseCount()).toBe(before);

    // A renewal of the same prefix starting the day after the old term ends is valid.
    await create(
      lease({ prefix: '185.10.20.0/22', startDate: addDays(today(), 101), endDate: addDays(today(), 465) }),
    ).expect(201);
    // ...but not one starting on the old term's last day.
    await create(
      lease({ prefix: '185.10.20.0/23', startDate: addDays(today(), 100), endDate: addDays(today(), 465) }),
    ).expect(409);
  });

  it.each([
    ['host bits set', { prefix: '185.10.20.7/24' }, 'VALIDATION_FAILED', 'did you mean 185.10.20.0/24?'],
    ['leading zeros', { prefix: '010.0.0.0/8' }, 'VALIDATION_FAILED', 'leading zero'],
    ['/33', { prefix: '185.10.20.0/33' }, 'VALIDATION_FAILED', '/33'],
    ['IPv6', { prefix: '2001:db8::/32' }, 'VALIDATION_FAILED', 'IPv4'],
    ['whitespace', { prefix: ' 185.10.20.0/24' }, 'VALIDATION_FAILED', ''],
    ['empty prefix', { prefix: '' }, 'VALIDATION_FAILED', ''],
    ['RFC 1918', { prefix: '10.1.0.0/16' }, 'PREFIX_NOT_LEASABLE', 'Private-Use'],
    ['CGNAT', { prefix: '100.64.0.0/10' }, 'PREFIX_NOT_LEASABLE', 'Shared Address Space'],
    ['TEST-NET-3', { prefix: '203.0.113.0/24' }, 'PREFIX_NOT_LEASABLE', 'Documentation'],
    ['multicast', { prefix: '224.0.0.0/4' }, 'PREFIX_NOT_LEASABLE', 'Multicast'],
    ['240/4', { prefix: '240.0.0.0/4' }, 'PREFIX_NOT_LEASABLE', 'Reserved'],
    ['price as a number', { pricePerIpMonthly: 0.45 }, 'VALIDATION_FAILED', 'decimal string'],
    ['price with 5 decimals', { pricePerIpMonthly: '0.45001' }, 'VALIDATION_FAILED', 'decimal string'],
    ['negative price', { pricePerIpMonthly: '-1.00' }, 'VALIDATION_FAILED', 'decimal string'],
    ['bad currency', { currency: 'XYZ' }, 'VALIDATION_FAILED', 'ISO 4217'],
    ['impossible date', { startDate: '2026-02-30' }, 'VALIDATION_FAILED', 'calendar date'],
    ['end before start', { startDate: '2026-05-01', endDate: '2026-04-30' }, 'VALIDATION_FAILED', 'before startDate'],
    [
      'autoRenew without endDate',
      { endDate: undefined, autoRenew: true },
      'VALIDATION_FAILED',
      'autoRenew needs an endDate',
    ],
    ['unknown lessor', { lessorId: '6f1b8f8e-0000-4000-8000-000000000000' }, 'VALIDATION_FAILED', 'lessorId'],
    ['unknown field', { colour: 'blue' }, 'VALIDATION_FAILED', 'colour'],
    ['renewal term 0', { renewalTermMonths: 0 }, 'VALIDATION_FAILED', 'renewalTermMonths'],
    ['tags not strings', { tags: [1, 2] }, 'VALIDATION_FAILED', 'tag'],
    ['ASN out of range', { originAsn: 4294967296 }, 'VALIDATION_FAILED', 'originAsn'],
  ])('refuses %s precisely and writes nothing', async (_label, overrides, code, fragment) => {
    const before = await leaseCount();
    const res = await create(lease({ prefix: '91.198.4.0/24', ...overrides })).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe(code);
    expect(JSON.stringify(res.body)).toContain(fragment);
    expect(await leaseCount()).toBe(before);
  });

  it('computes status: pending, expired, terminated', async () => {
    const pending = await create(
      lease({ prefix: '5.10.0.0/24', startDate: addDays(today(), 5), endDate: addDays(today(), 50) }),
    ).expect(201);
    expect(pending.body.status).toBe('pending');
    const expired = await create(
      lease({ prefix: '5.10.1.0/24', startDate: '2020-01-01', endDate: '2020-12-31' }),
    ).expect(201);
    expect(expired.body.status).toBe('expired');
    const active = await create(lease({ prefix: '5.10.2.0/24', startDate: '2020-01-01', endDate: null })).expect(201);
    expect(active.body).toMatchObject({ status: 'active', currentTermEnd: null });
    const terminated = await t.http
      .post(`/api/v1/leases/${active.body.id}/terminate`)
      .set(bearer())
      .send({ effectiveDate: addDays(today(), -1) })
      .expect(200);
    expect(terminated.body).toMatchObject({
      status: 'terminated',
      terminatedOn: addDays(today(), -1),
      currentTermEnd: addDays(today(), -1),
      version: 2,
    });
    const again = await t.http
      .post(`/api/v1/leases/${active.body.id}/terminate`)
      .set(bearer())
      .send({ effectiveDate: today() })
      .expect(400);
    expect(again.body.errors[0].field).toBe('effectiveDate');
  });

  it('rolls auto-renewing terms on past endDate', async () => {
    // Initial term 2020-01-01..2020-12-31, then yearly: today falls in the term ending 31 Dec this year.
    const res = await create(
      lease({
        prefix: '5.11.0.0/24',
        startDate: '2020-01-01',
        endDate: '2020-12-31',
        autoRenew: true,
        renewalTermMonths: 12,
      }),
    ).expect(201);
    expect(res.body.status).toBe('active');
    expect(res.body.currentTermEnd).toBe(`${today().slice(0, 4)}-12-31`);
    const quarterly = await create(
      lease({
        prefix: '5.11.1.0/24',
        startDate: '2020-01-01',
        endDate: '2020-03-31',
        autoRenew: true,
        renewalTermMonths: 3,
      }),
    ).expect(201);
    const month = Number(today().slice(5, 7));
    const quarterEndMonth = Math.ceil(month / 3) * 3;
    const lastDay = new Date(Date.UTC(Number(today().slice(0, 4)), quarterEndMonth, 0)).toISOString().slice(0, 10);
    expect(quarterly.body.currentTermEnd).toBe(lastDay);
  });

  it('filters by contains, within, tag, status, lessorId and activeOn', async () => {
    const other = (
      await t.http.post('/api/v1/lessors').set(bearer()).send({ name: 'Lessor B', rir: 'ARIN' }).expect(201)
    ).body.id;
    const a = await create(
      lease({ prefix: '45.67.88.0/24', lessorId: other, tags: ['edge', 'eu'], startDate: '2025-01-01', endDate: null }),
    ).expect(201);
    const ids = async (query: Record<string, string>) =>
      (await t.http.get('/api/v1/leases').query(query).set(bearer()).expect(200)).body.items.map(
        (l: { id: string }) => l.id,
      );
    expect(await ids({ contains: '45.67.88.77' })).toEqual([a.body.id]);
    expect(await ids({ contains: '45.67.88.128/25' })).toEqual([a.body.id]);
    expect(await ids({ within: '45.67.0.0/16' })).toEqual([a.body.id]);
    expect(await ids({ tag: 'edge' })).toEqual([a.body.id]);
    expect(await ids({ lessorId: other })).toEqual([a.body.id]);
    expect(await ids({ activeOn: '2024-12-31', within: '45.67.0.0/16' })).toEqual([]);
    expect(await ids({ status: 'active', within: '45.67.0.0/16' })).toEqual([a.body.id]);
    await t.http.get('/api/v1/leases').query({ contains: '45.67.88.0/33' }).set(bearer()).expect(400);
    await t.http.get('/api/v1/leases').query({ status: 'alive' }).set(bearer()).expect(400);
  });

  it('updates with If-Match and refuses an update that would overlap', async () => {
    const x = await create(lease({ prefix: '31.13.64.0/24', startDate: '2025-01-01', endDate: '2025-12-31' })).expect(
      201,
    );
    const y = await create(lease({ prefix: '31.13.64.0/24', startDate: '2026-01-01', endDate: '2026-12-31' })).expect(
      201,
    );
    const res = await t.http
      .patch(`/api/v1/leases/${x.body.id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ endDate: '2026-01-15' })
      .expect(409);
    expect(res.body.conflicts).toEqual([{ id: y.body.id, prefix: '31.13.64.0/24', kind: 'lease' }]);
    await t.http
      .patch(`/api/v1/leases/${x.body.id}`)
      .set(bearer())
      .set('If-Match', '"7"')
      .send({ notes: 'x' })
      .expect(412);
    const ok = await t.http
      .patch(`/api/v1/leases/${x.body.id}`)
      .set(bearer())
      .set('If-Match', '"1"')
      .send({ notes: 'checked', pricePerIpMonthly: '0.3000' })
      .expect(200);
    expect(ok.body).toMatchObject({ notes: 'checked', pricePerIpMonthly: '0.3000', monthlyCost: '76.80', version: 2 });
    expect(ok.headers.etag).toBe('"2"');
  });

  it('deletes a lease that never had allocations, then answers 404', async () => {
    const x = await create(lease({ prefix: '31.13.65.0/24' })).expect(201);
    await t.http.delete(`/api/v1/leases/${x.body.id}`).set(bearer()).expect(204);
    await t.http.get(`/api/v1/leases/${x.body.id}`).set(bearer()).expect(404);
    await t.http.delete(`/api/v1/leases/${x.body.id}`).set(bearer()).expect(404);
  });

  it('lets exactly one of 12 concurrent overlapping creates succeed (the database decides)', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        create(lease({ prefix: i % 2 ? '62.4.0.0/16' : '62.4.128.0/17', startDate: '2026-01-01' })),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    expect(
      Number((await t.pool.query(`SELECT count(*) FROM leases WHERE prefix && '62.4.0.0/16'`)).rows[0].count),
    ).toBe(1);
  });

  it('answers lookups for the lease covering an address today, 404 otherwise', async () => {
    const x = await create(lease({ prefix: '80.80.80.0/24', startDate: '2025-01-01', endDate: null })).expect(201);
    const found = await t.http.get('/api/v1/lookup').query({ ip: '80.80.80.80' }).set(bearer()).expect(200);
    expect(found.body).toMatchObject({
      query: '80.80.80.80',
      lease: { id: x.body.id },
      lessor: { id: lessorId, name: 'Lessor A' },
      allocation: null,
    });
    await t.http.get('/api/v1/lookup').query({ ip: '80.80.81.1' }).set(bearer()).expect(404);
    await t.http.get('/api/v1/lookup').query({ ip: '80.80.80.256' }).set(bearer()).expect(400);
    await t.http.get('/api/v1/lookup').set(bearer()).expect(400);
  });
});
