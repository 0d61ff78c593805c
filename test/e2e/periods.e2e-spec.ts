import { bearer, startTestApp, TestApp } from '../support/test-app';
import { monthsAgo, today } from '../support/dates';

const GROUPINGS = ['lessor', 'provider', 'region', 'lease'];

/** Closed months: frozen figures, PERIOD_CLOSED on every write that reaches them, admin-only reopening. */
describe('periods: closed months', () => {
  let t: TestApp;
  let finance = '';
  const w = {
    lessorId: '',
    regionId: '',
    providerId: '',
    otherProviderId: '',
    leaseId: '',
    allocationId: '',
    idleLeaseId: '',
  };
  const post = (path: string, body: object, key?: string) => t.http.post(path).set(bearer(key)).send(body);
  const closedMonth = monthsAgo(2);
  const firstOpen = monthsAgo(1);

  /** The raw bytes of every grouping of the given months, JSON and CSV. */
  const snapshot = async (months: string[]) => {
    const out: string[] = [];
    for (const month of months)
      for (const groupBy of GROUPINGS)
        for (const format of ['json', 'csv'])
          out.push(
            (
              await t.http
                .get('/api/v1/reports/monthly-cost')
                .query({ month, groupBy, format })
                .set(bearer())
                .expect(200)
            ).text,
          );
    return out;
  };
  const expectClosed = (res: { status: number; body: { code: string; detail: string } }) => {
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('PERIOD_CLOSED');
    expect(res.body.detail).toContain(closedMonth);
    expect(res.body.detail).toContain(firstOpen);
  };

  beforeAll(async () => {
    t = await startTestApp();
    finance = await t.keyFor('finance');
    w.lessorId = (await post('/api/v1/lessors', { name: 'Closing Ltd', rir: 'RIPE' }).expect(201)).body.id;
    w.regionId = (await post('/api/v1/regions', { code: 'close-r', name: 'R', countryCode: 'DE' }).expect(201)).body.id;
    w.providerId = (await post('/api/v1/providers', { code: 'close-p', name: 'P' }).expect(201)).body.id;
    w.otherProviderId = (await post('/api/v1/providers', { code: 'close-q', name: 'Q' }).expect(201)).body.id;
    w.leaseId = (
      await post('/api/v1/leases', {
        prefix: '185.71.0.0/24',
        lessorId: w.lessorId,
        startDate: `${monthsAgo(4)}-01`,
        pricePerIpMonthly: '1.0000',
        currency: 'USD',
      }).expect(201)
    ).body.id;
    // A lease with no allocations, billed since before the month that will be closed.
    w.idleLeaseId = (
      await post('/api/v1/leases', {
        prefix: '185.71.2.0/24',
        lessorId: w.lessorId,
        startDate: `${monthsAgo(4)}-01`,
        pricePerIpMonthly: '1.0000',
        currency: 'USD',
      }).expect(201)
    ).body.id;
    w.allocationId = (
      await post('/api/v1/allocations', {
        prefix: '185.71.0.0/26',
        leaseId: w.leaseId,
        regionId: w.regionId,
        providerId: w.providerId,
        effectiveDate: `${monthsAgo(4)}-01`,
      }).expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  it('closes only months that have ended', async () => {
    for (const through of [today().slice(0, 7), '2999-01']) {
      const res = await post('/api/v1/periods/close', { through }, finance).expect(400);
      expect(res.body.errors[0].field).toBe('through');
    }
    expect((await t.http.get('/api/v1/periods').set(bearer()).expect(200)).body).toEqual({
      closedThrough: null,
      history: [],
    });
  });

  it('freezes the closed months and refuses every write that reaches them, changing nothing', async () => {
    const months = [monthsAgo(4), monthsAgo(3), closedMonth];
    const before = await snapshot(months);
    const closed = await post('/api/v1/periods/close', { through: closedMonth }, finance).expect(200);
    expect(closed.body).toMatchObject({
      closedThrough: closedMonth,
      history: [{ action: 'close', through: closedMonth, reason: null, actor: { name: expect.any(String) } }],
    });
    const report = (
      await t.http.get('/api/v1/reports/monthly-cost').query({ month: closedMonth }).set(bearer()).expect(200)
    ).body;
    expect(report).toMatchObject({
      closed: true,
      rows: [expect.objectContaining({ cost: '512.00', allocatedCost: '64.00' })],
    });
    const frozen = await snapshot(months);
    // Only the `closed` flag differs from the live answer before closing.
    expect(frozen.map((text) => text.replace('"closed":true', '"closed":false'))).toEqual(before);

    const tables = async () =>
      (
        await t.pool.query(
          `SELECT (SELECT count(*) FROM lease_amendments) AS a, (SELECT count(*) FROM allocation_history) AS h,
                  (SELECT count(*) FROM leases) AS l, (SELECT count(*) FROM allocations) AS n,
                  (SELECT max(version) FROM leases) AS v, (SELECT count(*) FROM audit_events) AS e`,
        )
      ).rows[0];
    const unchanged = await tables();
    expectClosed(
      await post(
        `/api/v1/leases/${w.leaseId}/amendments`,
        { effectiveDate: `${closedMonth}-15`, pricePerIpMonthly: '2.0000' },
        finance,
      ),
    );
    expectClosed(
      await t.http
        .patch(`/api/v1/allocations/${w.allocationId}`)
        .set(bearer())
        .send({ providerId: w.otherProviderId, effectiveDate: `${closedMonth}-10` }),
    );
    const backdated = {
      prefix: '185.71.0.64/26',
      leaseId: w.leaseId,
      regionId: w.regionId,
      providerId: w.providerId,
      effectiveDate: `${closedMonth}-20`,
    };
    expectClosed(await post('/api/v1/allocations', backdated));
    expectClosed(await post('/api/v1/allocations?dryRun=true', backdated));
    expectClosed(
      await post('/api/v1/leases', {
        prefix: '185.71.1.0/24',
        lessorId: w.lessorId,
        startDate: `${closedMonth}-05`,
        pricePerIpMonthly: '1.0000',
        currency: 'USD',
      }),
    );
    expectClosed(
      await t.http
        .patch(`/api/v1/leases/${w.leaseId}`)
        .set(bearer())
        .send({ startDate: `${monthsAgo(5)}-01` }),
    );
    expect(await tables()).toEqual(unchanged);

    // The lease with no allocations: no backdated termination into the closed month, no delete.
    expectClosed(
      await post(`/api/v1/leases/${w.idleLeaseId}/terminate`, { effectiveDate: `${closedMonth}-18` }, finance),
    );
    expectClosed(await t.http.delete(`/api/v1/leases/${w.idleLeaseId}`).set(bearer(finance)));
    expect(await tables()).toEqual(unchanged);

    // Writes in open months are fine, and never change a closed month; neither does renaming.
    await post(
      `/api/v1/leases/${w.leaseId}/amendments`,
      { effectiveDate: `${firstOpen}-01`, pricePerIpMonthly: '3.0000' },
      finance,
    ).expect(201);
    await t.http
      .patch(`/api/v1/allocations/${w.allocationId}`)
      .set(bearer())
      .send({ providerId: w.otherProviderId, effectiveDate: `${firstOpen}-05` })
      .expect(200);
    await t.http.patch(`/api/v1/lessors/${w.lessorId}`).set(bearer()).send({ name: 'Renamed Ltd' }).expect(200);
    expect(await snapshot(months)).toEqual(frozen);
  });

  it('reopening is admin only, needs a reason, and is audited', async () => {
    await post('/api/v1/periods/reopen', { through: null, reason: 'correction' }, finance).expect(403);
    const noReason = await post('/api/v1/periods/reopen', { through: null }).expect(400);
    expect(noReason.body.errors[0].field).toBe('reason');
    await post('/api/v1/periods/reopen', { through: closedMonth, reason: 'x' }).expect(400);
    const reopened = await post('/api/v1/periods/reopen', {
      through: monthsAgo(3),
      reason: 'Corrected invoice',
    }).expect(200);
    expect(reopened.body.closedThrough).toBe(monthsAgo(3));
    expect(reopened.body.history.at(-1)).toMatchObject({
      action: 'reopen',
      through: monthsAgo(3),
      reason: 'Corrected invoice',
    });
    const live = (
      await t.http
        .get('/api/v1/reports/monthly-cost')
        .query({ month: closedMonth, groupBy: 'lessor' })
        .set(bearer())
        .expect(200)
    ).body;
    expect(live).toMatchObject({ closed: false, rows: [expect.objectContaining({ label: 'Renamed Ltd' })] });
    const audit = (await t.http.get('/api/v1/audit-events').query({ entityType: 'period' }).set(bearer()).expect(200))
      .body;
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(['close', 'reopen']);
  });
});
