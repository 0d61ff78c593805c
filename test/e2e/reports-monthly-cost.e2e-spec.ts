import { ReportsService } from '../../src/reports/reports.service';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Monthly cost with hand-computed figures. Each scenario uses its own currency, so the
 * "unallocated" row of a (month, currency) holds only that scenario's leases.
 *
 * cost = price × addresses × days ÷ daysInMonth, rounded to cents once; idle = cost − allocated.
 */
describe('reports: monthly cost', () => {
  let t: TestApp;
  let n = 0;
  const ids = { providerA: '', providerB: '', regionA: '', regionB: '' };

  const lessor = async (name: string) =>
    (
      await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: `${name} ${++n}`, rir: 'RIPE' })
        .expect(201)
    ).body.id as string;
  const lease = async (body: Record<string, unknown>) =>
    (
      await t.http
        .post('/api/v1/leases')
        .set(bearer())
        .send({ pricePerIpMonthly: '0.5000', currency: 'USD', ...body })
        .expect(201)
    ).body.id as string;
  /** Straight into the table, to control created_at / released_at (a released row is no longer occupied). */
  const allocation = async (a: {
    leaseId: string;
    prefix: string;
    providerId: string;
    regionId: string;
    createdAt: string;
    releasedAt?: string;
  }) => {
    await t.pool.query(
      `INSERT INTO allocations (lease_id, prefix, region_id, provider_id, status, occupied, created_at, updated_at, released_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)`,
      [
        a.leaseId,
        a.prefix,
        a.regionId,
        a.providerId,
        a.releasedAt ? 'released' : 'active',
        !a.releasedAt,
        a.createdAt,
        a.releasedAt ?? null,
      ],
    );
  };
  const report = async (month: string, groupBy: string) =>
    (await t.http.get('/api/v1/reports/monthly-cost').query({ month, groupBy }).set(bearer()).expect(200)).body;
  const rowsOf = (body: { rows: Record<string, string>[] }, currency: string) =>
    body.rows.filter((r) => r.currency === currency);
  const row = (key: string, currency: string, figures: Record<string, string>) => ({ key, currency, ...figures });

  beforeAll(async () => {
    t = await startTestApp();
    ids.providerA = (
      await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'aws', name: 'AWS' }).expect(201)
    ).body.id;
    ids.providerB = (
      await t.http.post('/api/v1/providers').set(bearer()).send({ code: 'gcp', name: 'GCP' }).expect(201)
    ).body.id;
    ids.regionA = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'eu-west-1', name: 'Ireland', countryCode: 'IE' })
        .expect(201)
    ).body.id;
    ids.regionB = (
      await t.http
        .post('/api/v1/regions')
        .set(bearer())
        .send({ code: 'us-east-1', name: 'Virginia', countryCode: 'US' })
        .expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  it('lease starting mid-month, with an allocation released mid-month (May 2026, 31 days, USD)', async () => {
    const lessorId = await lessor('Mid-month');
    // /24 at 0.5000 from 11 May: 21 of 31 days. 128 × 21 / 31 = 86.709… → 86.71; 256 × 21 / 31 = 173.419… address-months.
    const leaseId = await lease({ prefix: '5.1.1.0/24', lessorId, startDate: '2026-05-11', endDate: '2026-12-31' });
    // /26 from 20 May 15:00 UTC, released 25 May 09:00 UTC: days 20..24 = 5 days. 0.5 × 64 × 5 / 31 = 5.161… → 5.16.
    await allocation({
      leaseId,
      prefix: '5.1.1.0/26',
      providerId: ids.providerA,
      regionId: ids.regionA,
      createdAt: '2026-05-20T15:00:00Z',
      releasedAt: '2026-05-25T09:00:00Z',
    });
    // Created and released on the same UTC day: zero days, costs nothing.
    await allocation({
      leaseId,
      prefix: '5.1.1.64/26',
      providerId: ids.providerB,
      regionId: ids.regionB,
      createdAt: '2026-05-26T01:00:00Z',
      releasedAt: '2026-05-26T23:00:00Z',
    });

    const byLessor = await report('2026-05', 'lessor');
    expect(byLessor).toMatchObject({ month: '2026-05', groupBy: 'lessor', daysInMonth: 31 });
    expect(rowsOf(byLessor, 'USD')).toEqual([
      {
        key: lessorId,
        label: `Mid-month ${n}`,
        currency: 'USD',
        addresses: '173.42',
        cost: '86.71',
        allocatedAddresses: '10.32',
        allocatedCost: '5.16',
        idleAddresses: '163.10',
        idleCost: '81.55',
      },
    ]);

    const byProvider = await report('2026-05', 'provider');
    expect(rowsOf(byProvider, 'USD')).toEqual([
      {
        key: ids.providerA,
        label: 'aws',
        currency: 'USD',
        addresses: '10.32',
        cost: '5.16',
        allocatedAddresses: '10.32',
        allocatedCost: '5.16',
        idleAddresses: '0.00',
        idleCost: '0.00',
      },
      // (2688 − 160) / 31 = 81.548… → 81.55; (5376 − 320) / 31 = 163.096… → 163.10
      {
        key: 'unallocated',
        label: 'unallocated',
        currency: 'USD',
        addresses: '163.10',
        cost: '81.55',
        allocatedAddresses: '0.00',
        allocatedCost: '0.00',
        idleAddresses: '163.10',
        idleCost: '81.55',
      },
    ]);
    const byRegion = await report('2026-05', 'region');
    expect(rowsOf(byRegion, 'USD').map((r: Record<string, string>) => [r.key, r.cost])).toEqual([
      [ids.regionA, '5.16'],
      ['unallocated', '81.55'],
    ]);
    // Before the lease starts, nothing.
    expect(rowsOf(await report('2026-04', 'lessor'), 'USD')).toEqual([]);
    // June: the whole month, and no allocation.
    expect(rowsOf(await report('2026-06', 'lease'), 'USD')).toEqual([
      {
        key: leaseId,
        label: '5.1.1.0/24',
        currency: 'USD',
        addresses: '256.00',
        cost: '128.00',
        allocatedAddresses: '0.00',
        allocatedCost: '0.00',
        idleAddresses: '256.00',
        idleCost: '128.00',
      },
    ]);
  });

  it('lease ending mid-month (June 2026, 30 days, NOK)', async () => {
    const lessorId = await lessor('Ending');
    // /24 at 0.3000 until 12 June: 12 of 30 days. 76.8 × 12 / 30 = 30.72; 256 × 12 / 30 = 102.40.
    await lease({
      prefix: '5.1.2.0/24',
      lessorId,
      startDate: '2026-01-01',
      endDate: '2026-06-12',
      pricePerIpMonthly: '0.3000',
      currency: 'NOK',
    });
    expect(rowsOf(await report('2026-06', 'lessor'), 'NOK')).toEqual([
      row(lessorId, 'NOK', {
        label: `Ending ${n}`,
        addresses: '102.40',
        cost: '30.72',
        allocatedAddresses: '0.00',
        allocatedCost: '0.00',
        idleAddresses: '102.40',
        idleCost: '30.72',
      }),
    ]);
    expect(rowsOf(await report('2026-07', 'lessor'), 'NOK')).toEqual([]);
  });

  it('February of a leap year has 29 days (2028, SEK)', async () => {
    const lessorId = await lessor('Leap');
    // /24 at 0.4500 from 10 Feb 2028, open-ended: 20 of 29 days. 115.2 × 20 / 29 = 79.448… → 79.45.
    const leaseId = await lease({
      prefix: '5.1.3.0/24',
      lessorId,
      startDate: '2028-02-10',
      pricePerIpMonthly: '0.4500',
      currency: 'SEK',
    });
    // /25 from 15 Feb through 29 Feb (released 1 Mar 00:00 UTC): 15 days, the leap day included. 57.6 × 15 / 29 = 29.793… → 29.79.
    await allocation({
      leaseId,
      prefix: '5.1.3.0/25',
      providerId: ids.providerB,
      regionId: ids.regionB,
      createdAt: '2028-02-15T00:00:00Z',
      releasedAt: '2028-03-01T00:00:00Z',
    });

    const feb = await report('2028-02', 'lessor');
    expect(feb.daysInMonth).toBe(29);
    expect(rowsOf(feb, 'SEK')).toEqual([
      // 5120 / 29 = 176.551… ; 1920 / 29 = 66.206…
      row(lessorId, 'SEK', {
        label: `Leap ${n}`,
        addresses: '176.55',
        cost: '79.45',
        allocatedAddresses: '66.21',
        allocatedCost: '29.79',
        idleAddresses: '110.34',
        idleCost: '49.66',
      }),
    ]);
    expect(
      rowsOf(await report('2028-02', 'provider'), 'SEK').map((r: Record<string, string>) => [r.key, r.cost]),
    ).toEqual([
      [ids.providerB, '29.79'],
      // (2304 − 864) / 29 = 49.655… → 49.66
      ['unallocated', '49.66'],
    ]);
    expect(rowsOf(await report('2028-03', 'lessor'), 'SEK')[0]).toMatchObject({
      cost: '115.20',
      allocatedCost: '0.00',
    });
    // A common-year February has 28 days.
    expect((await report('2027-02', 'lessor')).daysInMonth).toBe(28);
  });

  it('an auto-renewing lease rolls on across the month its first term ends; a fixed one stops (July 2026, CHF)', async () => {
    const lessorId = await lessor('Renewing');
    const renewing = await lease({
      prefix: '5.1.4.0/24',
      lessorId,
      startDate: '2025-08-01',
      endDate: '2026-07-15',
      autoRenew: true,
      renewalTermMonths: 12,
      pricePerIpMonthly: '0.2000',
      currency: 'CHF',
    });
    const fixed = await lease({
      prefix: '5.1.5.0/24',
      lessorId,
      startDate: '2025-08-01',
      endDate: '2026-07-15',
      pricePerIpMonthly: '0.2000',
      currency: 'CHF',
    });
    const byLease = await report('2026-07', 'lease');
    expect(rowsOf(byLease, 'CHF').map((r: Record<string, string>) => [r.key, r.cost, r.addresses])).toEqual([
      [renewing, '51.20', '256.00'],
      // 51.2 × 15 / 31 = 24.774… → 24.77
      [fixed, '24.77', '123.87'],
    ]);
    // The lessor row rounds once: (1587.2 + 768) / 31 = 75.974… → 75.97
    expect(rowsOf(await report('2026-07', 'lessor'), 'CHF')).toEqual([
      row(lessorId, 'CHF', {
        label: `Renewing ${n}`,
        addresses: '379.87',
        cost: '75.97',
        allocatedAddresses: '0.00',
        allocatedCost: '0.00',
        idleAddresses: '379.87',
        idleCost: '75.97',
      }),
    ]);
    expect(rowsOf(await report('2026-08', 'lease'), 'CHF').map((r: Record<string, string>) => [r.key, r.cost])).toEqual(
      [[renewing, '51.20']],
    );
  });

  it('a termination stops the cost at its effective date, also for an auto-renewing lease (August 2026, DKK)', async () => {
    const lessorId = await lessor('Terminated');
    const open = await lease({ prefix: '5.1.6.0/24', lessorId, startDate: '2025-01-01', currency: 'DKK' });
    const renewing = await lease({
      prefix: '5.1.8.0/23',
      lessorId,
      startDate: '2025-01-01',
      endDate: '2025-12-31',
      autoRenew: true,
      pricePerIpMonthly: '0.1000',
      currency: 'DKK',
    });
    await t.http
      .post(`/api/v1/leases/${open}/terminate`)
      .set(bearer())
      .send({ effectiveDate: '2026-08-20' })
      .expect(200);
    await t.http
      .post(`/api/v1/leases/${renewing}/terminate`)
      .set(bearer())
      .send({ effectiveDate: '2026-08-10' })
      .expect(200);
    const aug = await report('2026-08', 'lease');
    expect(rowsOf(aug, 'DKK').map((r: Record<string, string>) => [r.key, r.cost])).toEqual([
      // 128 × 20 / 31 = 82.580… → 82.58
      [open, '82.58'],
      // 51.2 × 10 / 31 = 16.516… → 16.52
      [renewing, '16.52'],
    ]);
    expect(rowsOf(await report('2026-09', 'lease'), 'DKK')).toEqual([]);
  });

  it('never sums two currencies: one row per group and currency (September 2026, EUR and GBP)', async () => {
    const lessorId = await lessor('Two currencies');
    const eur = await lease({
      prefix: '5.1.10.0/24',
      lessorId,
      startDate: '2026-09-01',
      pricePerIpMonthly: '0.4000',
      currency: 'EUR',
    });
    const gbp = await lease({
      prefix: '5.1.11.0/24',
      lessorId,
      startDate: '2026-09-01',
      pricePerIpMonthly: '0.5000',
      currency: 'GBP',
    });
    // Active allocations: EUR /26 from 16 Sep (15 of 30 days): 0.4 × 64 × 15 / 30 = 12.80. GBP /25 the whole month: 64.00.
    await allocation({
      leaseId: eur,
      prefix: '5.1.10.0/26',
      providerId: ids.providerA,
      regionId: ids.regionA,
      createdAt: '2026-09-16T08:00:00Z',
    });
    await allocation({
      leaseId: gbp,
      prefix: '5.1.11.0/25',
      providerId: ids.providerA,
      regionId: ids.regionB,
      createdAt: '2026-08-30T08:00:00Z',
    });

    const byLessor = await report('2026-09', 'lessor');
    const mine = byLessor.rows.filter((r: { key: string }) => r.key === lessorId);
    expect(mine).toEqual([
      row(lessorId, 'EUR', {
        label: `Two currencies ${n}`,
        addresses: '256.00',
        cost: '102.40',
        allocatedAddresses: '32.00',
        allocatedCost: '12.80',
        idleAddresses: '224.00',
        idleCost: '89.60',
      }),
      row(lessorId, 'GBP', {
        label: `Two currencies ${n}`,
        addresses: '256.00',
        cost: '128.00',
        allocatedAddresses: '128.00',
        allocatedCost: '64.00',
        idleAddresses: '128.00',
        idleCost: '64.00',
      }),
    ]);
    const byProvider = await report('2026-09', 'provider');
    expect(
      byProvider.rows
        .filter((r: Record<string, string>) => ['EUR', 'GBP'].includes(r.currency))
        .map((r: Record<string, string>) => [r.key, r.currency, r.cost]),
    ).toEqual([
      [ids.providerA, 'EUR', '12.80'],
      [ids.providerA, 'GBP', '64.00'],
      ['unallocated', 'EUR', '89.60'],
      ['unallocated', 'GBP', '64.00'],
    ]);
    const byRegion = await report('2026-09', 'region');
    expect(
      byRegion.rows
        .filter((r: Record<string, string>) => ['EUR', 'GBP'].includes(r.currency))
        .map((r: Record<string, string>) => [r.key, r.currency, r.cost]),
    ).toEqual([
      [ids.regionA, 'EUR', '12.80'],
      [ids.regionB, 'GBP', '64.00'],
      ['unallocated', 'EUR', '89.60'],
      ['unallocated', 'GBP', '64.00'],
    ]);
  });

  it('rounds each figure once at the end, not per lease (three leases of a third of a cent each)', async () => {
    const lessorId = await lessor('Rounding');
    // /32 at 0.0001 for 1 of 30 days: 0.0001 / 30 each, 0.00001 for three. Per-lease rounding would also give 0.00,
    // so use 10 leases of a /30 (4 addresses) at 0.0050 for the whole of June: 0.02 each, 0.20 together...
    // ...and one at 0.0013 × 4 for 10 of 30 days = 0.001733…: alone 0.00, added once to the others 0.20.
    for (let i = 0; i < 10; i++)
      await lease({
        prefix: `5.1.12.${i * 4}/30`,
        lessorId,
        startDate: '2026-06-01',
        endDate: '2026-06-30',
        pricePerIpMonthly: '0.0050',
        currency: 'PLN',
      });
    await lease({
      prefix: '5.1.12.64/30',
      lessorId,
      startDate: '2026-06-01',
      endDate: '2026-06-10',
      pricePerIpMonthly: '0.0013',
      currency: 'PLN',
    });
    // 5 leases of 0.0013 × 4 × 10 / 30 = 0.00173… each would round to 0.00 per lease, 0.01 together (0.00866…).
    for (let i = 0; i < 4; i++)
      await lease({
        prefix: `5.1.12.${68 + i * 4}/30`,
        lessorId,
        startDate: '2026-06-01',
        endDate: '2026-06-10',
        pricePerIpMonthly: '0.0013',
        currency: 'PLN',
      });
    const [only] = rowsOf(await report('2026-06', 'lessor'), 'PLN');
    // 0.20 + 5 × 0.052/30 = 0.20 + 0.008666… = 0.208666… → 0.21
    expect(only).toMatchObject({ key: lessorId, cost: '0.21' });
    const byLease = rowsOf(await report('2026-06', 'lease'), 'PLN');
    expect(byLease.filter((r: Record<string, string>) => r.cost === '0.00')).toHaveLength(5);
  });

  it('answers CSV with the same columns, neutralising formula-like cells', async () => {
    const lessorId = (
      await t.http
        .post('/api/v1/lessors')
        .set(bearer())
        .send({ name: '=HYPERLINK("http://evil","x")', rir: 'ARIN' })
        .expect(201)
    ).body.id;
    await lease({
      prefix: '5.1.13.0/24',
      lessorId,
      startDate: '2026-10-01',
      endDate: '2026-10-31',
      pricePerIpMonthly: '1.0000',
      currency: 'CZK',
    });
    const json = await report('2026-10', 'lessor');
    const csv = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2026-10', groupBy: 'lessor', format: 'csv' })
      .set(bearer())
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toBe('attachment; filename="monthly-cost-2026-10-lessor.csv"');
    const lines = csv.text.split('\r\n');
    expect(lines[0]).toBe('key,label,currency,addresses,cost,allocatedAddresses,allocatedCost,idleAddresses,idleCost');
    expect(lines).toHaveLength(json.rows.length + 2);
    expect(lines[lines.length - 1]).toBe('');
    expect(lines).toContain(
      `${lessorId},"'=HYPERLINK(""http://evil"",""x"")",CZK,256.00,256.00,0.00,0.00,256.00,256.00`,
    );
    // Accept: text/csv does the same; Accept: text/html cannot be served.
    const viaAccept = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2026-10' })
      .set(bearer())
      .set('Accept', 'text/csv')
      .expect(200);
    expect(viaAccept.text).toBe(csv.text);
    const refused = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2026-10' })
      .set(bearer())
      .set('Accept', 'text/html')
      .expect(406);
    expect(refused.body.code).toBe('NOT_ACCEPTABLE');
  });

  it('accepts the first and last months of the supported range', async () => {
    expect(await report('1900-01', 'lessor')).toMatchObject({ month: '1900-01', daysInMonth: 31, rows: [] });
    expect(await report('9999-12', 'provider')).toMatchObject({ month: '9999-12', daysInMonth: 31 });
    const forecast = await t.http
      .get('/api/v1/reports/forecast')
      .query({ from: '9999-12', months: 1 })
      .set(bearer())
      .expect(200);
    expect(forecast.body.months).toBe(1);
    // Issue 10 item 10: months past 9999-12 ("10000-01") are refused, naming months and what fits.
    const past = await t.http
      .get('/api/v1/reports/forecast')
      .query({ from: '9999-11', months: 60 })
      .set(bearer())
      .expect(400);
    expect(past.body.errors).toEqual([{ field: 'months', message: expect.stringContaining('at most 2 month(s) fit') }]);
  });

  it.each([
    ['missing month', {}, 'month'],
    ['month 13', { month: '2026-13' }, 'month'],
    ['month 00', { month: '2026-00' }, 'month'],
    ['one-digit month', { month: '2026-5' }, 'month'],
    ['a date', { month: '2026-05-01' }, 'month'],
    ['year 0999', { month: '0999-01' }, 'month'],
    ['month twice', 'month=2026-05&month=2026-06', 'month'],
    ['unknown groupBy', { month: '2026-05', groupBy: 'country' }, 'groupBy'],
    ['unknown format', { month: '2026-05', format: 'xlsx' }, 'format'],
    ['unknown parameter', { month: '2026-05', currency: 'USD' }, 'currency'],
  ])('refuses %s with 400 problem+json', async (_label, query, field) => {
    const res = await t.http.get('/api/v1/reports/monthly-cost').query(query).set(bearer()).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers JSON text byte for byte as JSON.stringify of the report (rows written by PostgreSQL), names escaped alike', async () => {
    // Names a JSON writer must escape (quote, backslash, control characters) or must not (non-ASCII,
    // U+2028); the control characters are written straight into the table.
    const named = await lessor('Quote " back \\ slash é 😀 \u2028 ok');
    await t.pool.query(
      `UPDATE lessors SET name = name || E' tab\\t nl\\n cr\\r bell\\x07 us\\x1f del\\x7f' WHERE id = $1`,
      [named],
    );
    await lease({ prefix: '5.1.200.0/24', lessorId: named, startDate: '2026-03-01', currency: 'SEK' });
    // More than one row, in two currencies, whichever tests ran before.
    await lease({ prefix: '5.1.201.0/24', lessorId: await lessor('Plain'), startDate: '2026-03-15', currency: 'SEK' });
    await lease({ prefix: '5.1.202.0/24', lessorId: named, startDate: '2026-03-01', currency: 'NZD' });
    const service = t.app.get(ReportsService);
    for (const groupBy of ['lessor', 'lease', 'provider', 'region'] as const) {
      for (const month of ['2026-03', '2026-04']) {
        const res = await t.http
          .get('/api/v1/reports/monthly-cost')
          .query({ month, groupBy })
          .set(bearer())
          .expect(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.text).toBe(JSON.stringify(await service.monthlyCost({ month, groupBy })));
      }
    }
    const byLessor = JSON.parse(JSON.stringify(await service.monthlyCost({ month: '2026-04', groupBy: 'lessor' })));
    // The row is there, and its name holds every character above.
    expect(
      byLessor.rows.some((r: { label: string }) => r.label.endsWith(' tab\t nl\n cr\r bell\x07 us\x1f del\x7f')),
    ).toBe(true);
  });

  it('is for finance and admin only', async () => {
    await t.http.get('/api/v1/reports/monthly-cost').query({ month: '2026-05' }).expect(401);
    for (const role of ['viewer', 'engineer'] as const) {
      const res = await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: '2026-05' })
        .set(bearer(await t.keyFor(role)))
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    const finance = await t.http
      .get('/api/v1/reports/monthly-cost')
      .query({ month: '2026-05', groupBy: 'provider' })
      .set(bearer(await t.keyFor('finance')))
      .expect(200);
    expect(finance.body.rows.length).toBeGreaterThan(0);
  });
});
