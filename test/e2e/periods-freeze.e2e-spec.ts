import { bearer, startTestApp, TestApp } from '../support/test-app';
import { monthsAgo } from '../support/dates';

const GROUPINGS = ['lessor', 'provider', 'region', 'lease'];

/**
 * Closing computes all four groupings of a month from one pass over its allocation periods; the
 * frozen rows must be exactly what the live report answered just before closing, for months with
 * amendments (price and currency), moves between providers and regions, releases, a lease ending
 * mid-month and prices whose cents only come out right when each figure is rounded once.
 */
describe('periods: frozen rows equal the live report of every grouping', () => {
  let t: TestApp;
  let finance = '';
  const post = (path: string, body: object, key?: string) => t.http.post(path).set(bearer(key)).send(body);
  const month = monthsAgo(2);
  const months = [monthsAgo(5), monthsAgo(4), monthsAgo(3), month];

  const report = (m: string, groupBy: string, format: string) =>
    t.http.get('/api/v1/reports/monthly-cost').query({ month: m, groupBy, format }).set(bearer()).expect(200);
  const snapshot = async () => {
    const out: string[] = [];
    for (const m of months)
      for (const groupBy of GROUPINGS)
        for (const format of ['json', 'csv']) out.push((await report(m, groupBy, format)).text);
    return out;
  };

  beforeAll(async () => {
    t = await startTestApp();
    finance = await t.keyFor('finance');
  });
  afterAll(() => t.close());

  it('closing freezes, for each grouping, the bytes the live report answered', async () => {
    const id = async (path: string, body: object) => (await post(path, body).expect(201)).body.id as string;
    const [lessor1, lessor2] = [
      await id('/api/v1/lessors', { name: 'Frozen One', rir: 'RIPE' }),
      await id('/api/v1/lessors', { name: 'Frozen Two', rir: 'ARIN' }),
    ];
    const [r1, r2] = [
      await id('/api/v1/regions', { code: 'frz-r1', name: 'R1', countryCode: 'DE' }),
      await id('/api/v1/regions', { code: 'frz-r2', name: 'R2', countryCode: 'FR' }),
    ];
    const [p1, p2, p3] = [
      await id('/api/v1/providers', { code: 'frz-p1', name: 'P1' }),
      await id('/api/v1/providers', { code: 'frz-p2', name: 'P2' }),
      await id('/api/v1/providers', { code: 'frz-p3', name: 'P3' }),
    ];
    const since = `${monthsAgo(5)}-01`;
    const lease = (prefix: string, lessorId: string, pricePerIpMonthly: string, currency: string) =>
      id('/api/v1/leases', { prefix, lessorId, startDate: since, pricePerIpMonthly, currency });
    const a = await lease('185.72.0.0/24', lessor1, '1.2345', 'USD');
    const b = await lease('185.72.1.0/24', lessor2, '0.3333', 'EUR');
    const c = await lease('185.72.2.0/25', lessor2, '0.7777', 'USD');
    await lease('185.72.3.0/26', lessor1, '2.0001', 'EUR'); // never allocated: idle all month
    const allocate = (prefix: string, leaseId: string, regionId: string, providerId: string, effectiveDate = since) =>
      id('/api/v1/allocations', { prefix, leaseId, regionId, providerId, effectiveDate });
    const a1 = await allocate('185.72.0.0/26', a, r1, p1);
    const a2 = await allocate('185.72.0.64/27', a, r2, p1);
    const b1 = await allocate('185.72.1.0/26', b, r1, p2);
    await allocate('185.72.1.64/28', b, r2, p3, `${month}-05`);
    await allocate('185.72.2.0/27', c, r2, p3);

    // Amendments mid-month: a price on the 15th, a currency and price on the 21st.
    await post(
      `/api/v1/leases/${a}/amendments`,
      { effectiveDate: `${month}-15`, pricePerIpMonthly: '1.5000' },
      finance,
    ).expect(201);
    await post(
      `/api/v1/leases/${b}/amendments`,
      { effectiveDate: `${month}-21`, pricePerIpMonthly: '0.4001', currency: 'USD' },
      finance,
    ).expect(201);
    // Moves: a provider on the 10th, a region on the 7th, and another provider a month earlier.
    const move = (allocationId: string, body: object) =>
      t.http.patch(`/api/v1/allocations/${allocationId}`).set(bearer()).send(body).expect(200);
    await move(a1, { providerId: p2, effectiveDate: `${month}-10` });
    await move(a2, { regionId: r1, effectiveDate: `${month}-07` });
    await move(b1, { providerId: p3, effectiveDate: `${monthsAgo(3)}-12` });
    // A release: released today, then time passes so that it ended on the 20th of the month.
    await t.http.delete(`/api/v1/allocations/${b1}`).set(bearer()).expect(204);
    await t.pool.query(
      `UPDATE allocation_history SET valid = daterange(lower(valid), $2::date)
        WHERE allocation_id = $1 AND upper(valid) IS NOT NULL AND lower(valid) < $2::date
          AND upper(valid) = (SELECT max(upper(valid)) FROM allocation_history WHERE allocation_id = $1)`,
      [b1, `${month}-20`],
    );
    // A lease whose term ended on the 18th with its allocation still active.
    await t.pool.query(`UPDATE leases SET end_date = $2 WHERE id = $1`, [c, `${month}-18`]);

    const before = await snapshot();
    // The month exercises every case: moves split providers and regions, two currencies, idle space.
    const byProvider = JSON.parse(before[months.length * 8 - 8 + 2]) as { rows: { key: string; currency: string }[] };
    expect(byProvider.rows.map((r) => `${r.key}/${r.currency}`)).toEqual(
      expect.arrayContaining([
        `${p1}/USD`,
        `${p2}/USD`,
        `${p3}/USD`,
        `${p3}/EUR`,
        'unallocated/EUR',
        'unallocated/USD',
      ]),
    );
    const byLease = JSON.parse(before[months.length * 8 - 8 + 6]) as { rows: { key: string }[] };
    expect(byLease.rows.map((r) => r.key)).toEqual(expect.arrayContaining([a, b, c]));

    await post('/api/v1/periods/close', { through: month }, finance).expect(200);
    const stored = await t.pool.query<{ month: string; group_by: string }>(
      `SELECT to_char(month, 'YYYY-MM') AS month, group_by FROM closed_month_reports ORDER BY month, group_by`,
    );
    expect(stored.rows).toEqual(months.flatMap((m) => [...GROUPINGS].sort().map((g) => ({ month: m, group_by: g }))));
    const frozen = await snapshot();
    expect(frozen.filter((text) => text.includes('"closed":true'))).toHaveLength(months.length * GROUPINGS.length);
    expect(frozen.map((text) => text.replace('"closed":true', '"closed":false'))).toEqual(before);
  });
});
