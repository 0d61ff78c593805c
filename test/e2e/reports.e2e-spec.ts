import { bearer, startTestApp, TestApp } from '../support/test-app';

const today = () => new Date().toISOString().slice(0, 10);
const addDays = (date: string, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

/** Renewals, utilization and forecast. Each section uses currencies of its own, so rows never mix between sections. */
describe('reports: renewals, utilization, forecast', () => {
  let t: TestApp;
  let providerA: string;
  let providerB: string;
  let regionA: string;
  let regionB: string;

  const lessor = async (name: string) =>
    (await t.http.post('/api/v1/lessors').set(bearer()).send({ name, rir: 'RIPE' }).expect(201)).body.id as string;
  const lease = async (body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({ pricePerIpMonthly: '0.5000', currency: 'USD', ...body })
        .expect(201)
    ).body.id as string;
  const get = (path: string, query: Record<string, unknown> = {}) =>
    t.http.get(`/api/v1/reports/${path}`).query(query).set(bearer());

  beforeAll(async () => {
    t = await startTestApp();
    providerA = (await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'aws', name: 'AWS' }).expect(201))
      .body.id;
    providerB = (
      await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'hetzner', name: 'Hetzner' }).expect(201)
    ).body.id;
    regionA = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' })
        .expect(201)
    ).body.id;
    regionB = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-central-1', name: 'Frankfurt', countryCode: 'DE' })
        .expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  describe('renewals', () => {
    let renewSoon: string;
    let noticePassed: string;
    let noticeSoon: string;
    let lessorId: string;

    beforeAll(async () => {
      const T = today();
      lessorId = await lessor('Renewals Ltd');
      // Ends in 40 days without auto-renewal; notice 30 → deadline in 10 days.
      renewSoon = await lease({
        prefix: '7.1.0.0/24',
        lessorId,
        startDate: '2025-01-01',
        endDate: addDays(T, 40),
        noticePeriodDays: 30,
      });
      // Auto-renews in 60 days; notice 90 → the deadline passed 30 days ago, but the term end is in the window.
      noticePassed = await lease({
        prefix: '7.1.1.0/24',
        lessorId,
        startDate: '2025-01-01',
        endDate: addDays(T, 60),
        autoRenew: true,
        noticePeriodDays: 90,
        pricePerIpMonthly: '0.4500',
      });
      // Auto-renews in 120 days (outside 90); notice 60 → deadline in 60 days, inside.
      noticeSoon = await lease({
        prefix: '7.1.2.0/23',
        lessorId,
        startDate: '2025-01-01',
        endDate: addDays(T, 120),
        autoRenew: true,
        noticePeriodDays: 60,
      });
      // Not listed: ends in 200 days; open-ended; expired; terminated (even if its end is near).
      await lease({ prefix: '7.1.4.0/24', lessorId, startDate: '2025-01-01', endDate: addDays(T, 200) });
      await lease({ prefix: '7.1.5.0/24', lessorId, startDate: '2025-01-01' });
      await lease({ prefix: '7.1.6.0/24', lessorId, startDate: '2025-01-01', endDate: addDays(T, -5) });
      const terminated = await lease({
        prefix: '7.1.7.0/24',
        lessorId,
        startDate: '2025-01-01',
        endDate: addDays(T, 30),
        autoRenew: true,
      });
      await t.http
        .post(`/api/v1/leases/${terminated}/terminate`)
        .set(bearer())
        .send({ effectiveDate: addDays(T, 20) })
        .expect(200);
    });

    it('lists term ends and notice deadlines in the window, soonest deadline first, with the action due', async () => {
      const T = today();
      const res = await get('renewals').expect(200);
      expect(res.body).toMatchObject({ withinDays: 90, asOf: T, until: addDays(T, 90) });
      expect(res.body.rows).toEqual([
        {
          key: noticePassed,
          label: '7.1.1.0/24',
          currency: 'USD',
          prefix: '7.1.1.0/24',
          lessorId,
          lessor: 'Renewals Ltd',
          action: 'cancel-before-auto-renewal',
          autoRenew: true,
          noticePeriodDays: 90,
          noticeDeadline: addDays(T, -30),
          currentTermEnd: addDays(T, 60),
          daysToNoticeDeadline: -30,
          daysToTermEnd: 60,
          monthlyCost: '115.20',
        },
        {
          key: renewSoon,
          label: '7.1.0.0/24',
          currency: 'USD',
          prefix: '7.1.0.0/24',
          lessorId,
          lessor: 'Renewals Ltd',
          action: 'renew',
          autoRenew: false,
          noticePeriodDays: 30,
          noticeDeadline: addDays(T, 10),
          currentTermEnd: addDays(T, 40),
          daysToNoticeDeadline: 10,
          daysToTermEnd: 40,
          monthlyCost: '128.00',
        },
        {
          key: noticeSoon,
          label: '7.1.2.0/23',
          currency: 'USD',
          prefix: '7.1.2.0/23',
          lessorId,
          lessor: 'Renewals Ltd',
          action: 'cancel-before-auto-renewal',
          autoRenew: true,
          noticePeriodDays: 60,
          noticeDeadline: addDays(T, 60),
          currentTermEnd: addDays(T, 120),
          daysToNoticeDeadline: 60,
          daysToTermEnd: 120,
          monthlyCost: '256.00',
        },
      ]);
    });

    it('honours withinDays', async () => {
      expect(
        (await get('renewals', { withinDays: 30 }).expect(200)).body.rows.map((r: { key: string }) => r.key),
      ).toEqual([renewSoon]);
      expect((await get('renewals', { withinDays: 0 }).expect(200)).body.rows).toEqual([]);
      expect((await get('renewals', { withinDays: 3650 }).expect(200)).body.rows).toHaveLength(4);
    });

    it('answers CSV; a negative day count is a number, not a formula', async () => {
      const res = await get('renewals', { format: 'csv' }).expect(200);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="renewals-${today()}.csv"`);
      const lines = res.text.trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'key,label,currency,prefix,lessorId,lessor,action,autoRenew,noticePeriodDays,noticeDeadline,currentTermEnd,daysToNoticeDeadline,daysToTermEnd,monthlyCost',
      );
      expect(lines[1]).toBe(
        `${noticePassed},7.1.1.0/24,USD,7.1.1.0/24,${lessorId},Renewals Ltd,cancel-before-auto-renewal,true,90,${addDays(today(), -30)},${addDays(today(), 60)},-30,60,115.20`,
      );
      expect(lines).toHaveLength(4);
    });

    it.each([['-1'], ['3651'], ['ninety'], ['1.5'], ['']])('refuses withinDays=%p', async (value) => {
      const res = await get('renewals', { withinDays: value }).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'withinDays' }] });
    });
  });

  describe('utilization', () => {
    let lessorId: string;
    let jpyLease: string;
    let hufLease: string;

    beforeAll(async () => {
      lessorId = await lessor('Utilization GmbH');
      jpyLease = await lease({ prefix: '7.2.0.0/24', lessorId, startDate: '2025-01-01', currency: 'JPY' });
      hufLease = await lease({
        prefix: '7.2.2.0/23',
        lessorId,
        startDate: '2025-01-01',
        pricePerIpMonthly: '0.1000',
        currency: 'HUF',
      });
      // Not active today: pending and expired leases are left out.
      await lease({ prefix: '7.2.4.0/24', lessorId, startDate: addDays(today(), 10), currency: 'JPY' });
      await lease({
        prefix: '7.2.5.0/24',
        lessorId,
        startDate: '2025-01-01',
        endDate: addDays(today(), -1),
        currency: 'JPY',
      });
      const allocate = (body: Record<string, unknown>) =>
        t.http.post('/api/v1/allocations').set(bearer()).send(body).expect(201);
      await allocate({ prefix: '7.2.0.0/26', providerId: providerA, regionId: regionA });
      await allocate({ prefix: '7.2.0.64/27', providerId: providerB, regionId: regionB });
      const released = await allocate({ prefix: '7.2.0.128/26', providerId: providerB, regionId: regionB });
      await t.http.delete(`/api/v1/allocations/${released.body.id}`).set(bearer()).expect(204);
      await allocate({ prefix: '7.2.2.0/25', providerId: providerA, regionId: regionB });
    });

    const mine = (rows: Record<string, string | number>[]) =>
      rows.filter((r) => ['JPY', 'HUF'].includes(r.currency as string));

    it('by lessor and by lease: leased vs allocated today, per currency', async () => {
      const res = await get('utilization', { groupBy: 'lessor' }).expect(200);
      expect(res.body).toMatchObject({ groupBy: 'lessor', asOf: today() });
      expect(mine(res.body.rows)).toEqual([
        {
          key: lessorId,
          label: 'Utilization GmbH',
          currency: 'HUF',
          leasedAddresses: 512,
          allocatedAddresses: 128,
          freeAddresses: 384,
          utilization: '0.2500',
          shareOfLeased: '1.0000',
          monthlyCost: '51.20',
          idleMonthlyCost: '38.40',
        },
        {
          key: lessorId,
          label: 'Utilization GmbH',
          currency: 'JPY',
          leasedAddresses: 256,
          allocatedAddresses: 96,
          freeAddresses: 160,
          utilization: '0.3750',
          shareOfLeased: '1.0000',
          monthlyCost: '128.00',
          idleMonthlyCost: '80.00',
        },
      ]);
      const byLease = await get('utilization', { groupBy: 'lease' }).expect(200);
      expect(mine(byLease.body.rows).map((r) => [r.key, r.label, r.utilization])).toEqual([
        [jpyLease, '7.2.0.0/24', '0.3750'],
        [hufLease, '7.2.2.0/23', '0.2500'],
      ]);
    });

    it('by provider and region: each group\'s allocated space, and the free rest as "unallocated"', async () => {
      const res = await get('utilization', { groupBy: 'provider' }).expect(200);
      expect(mine(res.body.rows)).toEqual([
        {
          key: providerA,
          label: 'aws',
          currency: 'HUF',
          leasedAddresses: 128,
          allocatedAddresses: 128,
          freeAddresses: 0,
          utilization: '1.0000',
          shareOfLeased: '0.2500',
          monthlyCost: '12.80',
          idleMonthlyCost: '0.00',
        },
        {
          key: providerA,
          label: 'aws',
          currency: 'JPY',
          leasedAddresses: 64,
          allocatedAddresses: 64,
          freeAddresses: 0,
          utilization: '1.0000',
          shareOfLeased: '0.2500',
          monthlyCost: '32.00',
          idleMonthlyCost: '0.00',
        },
        {
          key: providerB,
          label: 'hetzner',
          currency: 'JPY',
          leasedAddresses: 32,
          allocatedAddresses: 32,
          freeAddresses: 0,
          utilization: '1.0000',
          shareOfLeased: '0.1250',
          monthlyCost: '16.00',
          idleMonthlyCost: '0.00',
        },
        {
          key: 'unallocated',
          label: 'unallocated',
          currency: 'HUF',
          leasedAddresses: 384,
          allocatedAddresses: 0,
          freeAddresses: 384,
          utilization: '0.0000',
          shareOfLeased: '0.7500',
          monthlyCost: '38.40',
          idleMonthlyCost: '38.40',
        },
        {
          key: 'unallocated',
          label: 'unallocated',
          currency: 'JPY',
          leasedAddresses: 160,
          allocatedAddresses: 0,
          freeAddresses: 160,
          utilization: '0.0000',
          shareOfLeased: '0.6250',
          monthlyCost: '80.00',
          idleMonthlyCost: '80.00',
        },
      ]);
      const byRegion = await get('utilization', { groupBy: 'region' }).expect(200);
      expect(mine(byRegion.body.rows).map((r) => [r.label, r.currency, r.allocatedAddresses])).toEqual([
        ['eu-central-1', 'HUF', 128],
        ['eu-central-1', 'JPY', 32],
        ['eu-west-1', 'JPY', 64],
        ['unallocated', 'HUF', 0],
        ['unallocated', 'JPY', 0],
      ]);
    });

    it('answers CSV named after the grouping and the day', async () => {
      const res = await t.http
        .get('/api/v1/reports/utilization')
        .query({ groupBy: 'provider' })
        .set(bearer())
        .set('Accept', 'text/csv;q=0.9, application/json;q=0.5')
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="utilization-provider-${today()}.csv"`);
      expect(res.text.split('\r\n')[0]).toBe(
        'key,label,currency,leasedAddresses,allocatedAddresses,freeAddresses,utilization,shareOfLeased,monthlyCost,idleMonthlyCost',
      );
      expect(res.text).toContain(`\r\n${providerB},hetzner,JPY,32,32,0,1.0000,0.1250,16.00,0.00\r\n`);
    });

    it('refuses an unknown grouping', async () => {
      const res = await get('utilization', { groupBy: 'country' }).expect(400);
      expect(res.body.errors[0].field).toBe('groupBy');
    });
  });

  describe('forecast', () => {
    beforeAll(async () => {
      const lessorId = await lessor('Forecast SA');
      // RON: a /24 at 1.0000 from 16 Jan 2027 (16 of 31 days in January), and an auto-renewing /24 at 0.5000 that keeps going.
      await lease({
        prefix: '7.3.0.0/24',
        lessorId,
        startDate: '2027-01-16',
        pricePerIpMonthly: '1.0000',
        currency: 'RON',
      });
      await lease({
        prefix: '7.3.1.0/24',
        lessorId,
        startDate: '2026-01-01',
        endDate: '2027-01-31',
        autoRenew: true,
        currency: 'RON',
      });
      // BGN: a /24 at 0.5000 terminated effective 14 Feb 2027 (14 of 28 days).
      const bgn = await lease({ prefix: '7.3.2.0/24', lessorId, startDate: '2026-01-01', currency: 'BGN' });
      await t.http
        .post(`/api/v1/leases/${bgn}/terminate`)
        .set(bearer())
        .send({ effectiveDate: '2027-02-14' })
        .expect(200);
    });

    const mine = (rows: Record<string, string | number>[]) =>
      rows.filter((r) => ['RON', 'BGN'].includes(r.currency as string));

    it('is the committed cost per month and currency, pro rata by day, with a row for every month', async () => {
      const res = await get('forecast', { from: '2027-01', months: 3 }).expect(200);
      expect(res.body).toMatchObject({ from: '2027-01', months: 3 });
      expect(mine(res.body.rows)).toEqual([
        { key: '2027-01', label: '2027-01', currency: 'BGN', leases: 1, addresses: '256.00', cost: '128.00' },
        // (256 × 16 + 128 × 31) / 31 = 8064 / 31 = 260.129… ; (256 × 16 + 256 × 31) / 31 = 388.129…
        { key: '2027-01', label: '2027-01', currency: 'RON', leases: 2, addresses: '388.13', cost: '260.13' },
        { key: '2027-02', label: '2027-02', currency: 'BGN', leases: 1, addresses: '128.00', cost: '64.00' },
        { key: '2027-02', label: '2027-02', currency: 'RON', leases: 2, addresses: '512.00', cost: '384.00' },
        { key: '2027-03', label: '2027-03', currency: 'BGN', leases: 0, addresses: '0.00', cost: '0.00' },
        { key: '2027-03', label: '2027-03', currency: 'RON', leases: 2, addresses: '512.00', cost: '384.00' },
      ]);
    });

    it('defaults to 12 months from the current month', async () => {
      const res = await get('forecast').expect(200);
      expect(res.body).toMatchObject({ from: today().slice(0, 7), months: 12 });
      const months = [...new Set(res.body.rows.map((r: { key: string }) => r.key))];
      expect(months).toHaveLength(12);
      expect(months[0]).toBe(today().slice(0, 7));
    });

    it('answers CSV', async () => {
      const res = await get('forecast', { from: '2027-01', months: 1, format: 'csv' }).expect(200);
      expect(res.headers['content-disposition']).toBe('attachment; filename="forecast-2027-01-1m.csv"');
      expect(res.text.split('\r\n')[0]).toBe('key,label,currency,leases,addresses,cost');
      expect(res.text).toContain('\r\n2027-01,2027-01,RON,2,388.13,260.13\r\n');
    });

    it.each([
      [{ months: '0' }, 'months'],
      [{ months: '61' }, 'months'],
      [{ months: 'twelve' }, 'months'],
      [{ from: '2027-13' }, 'from'],
      [{ from: '2027' }, 'from'],
    ])('refuses %p', async (query, field) => {
      const res = await get('forecast', query).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors[0].field).toBe(field);
    });
  });

  it('every report is refused to viewer and engineer keys, and allowed to finance', async () => {
    for (const path of ['renewals', 'utilization', 'forecast']) {
      await t.http
        .get(`/api/v1/reports/${path}`)
        .set(bearer(await t.keyFor('viewer')))
        .expect(403);
      await t.http
        .get(`/api/v1/reports/${path}`)
        .set(bearer(await t.keyFor('engineer')))
        .expect(403);
      await t.http
        .get(`/api/v1/reports/${path}`)
        .set(bearer(await t.keyFor('finance')))
        .expect(200);
      await t.http.get(`/api/v1/reports/${path}`).expect(401);
    }
  });

  it('documents JSON and CSV for every report in the OpenAPI spec', async () => {
    const spec = (await t.http.get('/docs-json').expect(200)).body;
    for (const [path, header] of [
      [
        '/api/v1/reports/monthly-cost',
        'key,label,currency,addresses,cost,allocatedAddresses,allocatedCost,idleAddresses,idleCost',
      ],
      ['/api/v1/reports/renewals', 'key,label,currency,prefix,lessorId'],
      ['/api/v1/reports/utilization', 'key,label,currency,leasedAddresses'],
      ['/api/v1/reports/forecast', 'key,label,currency,leases,addresses,cost'],
    ]) {
      const ok = spec.paths[path].get.responses['200'];
      expect(Object.keys(ok.content)).toEqual(['application/json', 'text/csv']);
      expect(ok.description).toContain(header);
    }
  });
});
