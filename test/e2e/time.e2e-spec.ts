import { daysIn, monthsAgo, today } from '../support/dates';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/**
 * Hand-checked cases of docs/reports.md ("Time"), and the lifecycle guards of the issue, through
 * the API. Each scenario has its own lessor, providers and currency, so its rows stand alone.
 */
describe('time: history, amendments, lifecycle guards', () => {
  let t: TestApp;
  let n = 0;
  let regionId = '';
  let finance = '';
  let engineer = '';

  const post = (path: string, body: object, key?: string) => t.http.post(path).set(bearer(key)).send(body);
  const lessor = async () => (await post('/api/v1/lessors', { name: `Time ${++n}`, rir: 'RIPE' }).expect(201)).body.id;
  const provider = async () =>
    (await post('/api/v1/providers', { code: `p-time-${++n}`, name: `P ${n}` }).expect(201)).body.id as string;
  const lease = async (body: Record<string, unknown>) =>
    (await post('/api/v1/leases', { lessorId: await lessor(), ...body }).expect(201)).body;
  const report = async (month: string, groupBy: string) =>
    (await t.http.get('/api/v1/reports/monthly-cost').query({ month, groupBy }).set(bearer()).expect(200)).body;
  const rowsFor = (body: { rows: { currency: string }[] }, currency: string) =>
    body.rows.filter((r) => r.currency === currency);

  beforeAll(async () => {
    t = await startTestApp();
    regionId = (await post('/api/v1/regions', { code: 'time-r', name: 'R', countryCode: 'DE' }).expect(201)).body.id;
    finance = await t.keyFor('finance');
    engineer = await t.keyFor('engineer');
  });
  afterAll(() => t.close());

  it('a price change on the 15th of a 30-day month is pro-rated by days', async () => {
    let k = 2;
    while (daysIn(monthsAgo(k)) !== 30) k++;
    const month = monthsAgo(k);
    const l = await lease({
      prefix: '185.70.1.0/24',
      startDate: `${monthsAgo(k + 2)}-01`,
      pricePerIpMonthly: '1.0000',
      currency: 'CHF',
    });
    await post(
      `/api/v1/leases/${l.id}/amendments`,
      { effectiveDate: `${month}-15`, pricePerIpMonthly: '2.0000' },
      finance,
    )
      .expect(201)
      .expect((res) => expect(res.body).toMatchObject({ effectiveDate: `${month}-15`, currency: 'CHF' }));
    // 256 × (14 days × 1.00 + 16 days × 2.00) ÷ 30 = 256 × 46 ÷ 30 = 392.533…
    expect(rowsFor(await report(month, 'lease'), 'CHF')).toEqual([
      expect.objectContaining({ key: l.id, addresses: '256.00', cost: '392.53', allocatedCost: '0.00' }),
    ]);
    const amendments = (await t.http.get(`/api/v1/leases/${l.id}/amendments`).set(bearer()).expect(200)).body.items;
    expect(
      amendments.map((a: { effectiveDate: string; pricePerIpMonthly: string }) => [
        a.effectiveDate,
        a.pricePerIpMonthly,
      ]),
    ).toEqual([
      [`${monthsAgo(k + 2)}-01`, '1.0000'],
      [`${month}-15`, '2.0000'],
    ]);
    // The lease shows the price in force today.
    expect((await t.http.get(`/api/v1/leases/${l.id}`).set(bearer()).expect(200)).body.pricePerIpMonthly).toBe(
      '2.0000',
    );
  });

  it('a move on the 10th splits the month between the providers by days', async () => {
    let k = 2;
    while (daysIn(monthsAgo(k)) !== 30) k++;
    const month = monthsAgo(k);
    const [p1, p2] = [await provider(), await provider()];
    const l = await lease({
      prefix: '185.70.2.0/24',
      startDate: `${monthsAgo(k + 2)}-01`,
      pricePerIpMonthly: '1.0000',
      currency: 'SEK',
    });
    const a = (
      await post('/api/v1/allocations', {
        prefix: '185.70.2.0/26',
        leaseId: l.id,
        regionId,
        providerId: p1,
        effectiveDate: `${monthsAgo(k + 1)}-01`,
      }).expect(201)
    ).body;
    expect(a).toMatchObject({ effectiveDate: `${monthsAgo(k + 1)}-01`, leaseActive: true });
    await t.http
      .patch(`/api/v1/allocations/${a.id}`)
      .set(bearer())
      .send({ providerId: p2, effectiveDate: `${month}-10` })
      .expect(200);
    const history = (await t.http.get(`/api/v1/allocations/${a.id}/history`).set(bearer()).expect(200)).body.items;
    expect(history).toEqual([
      { validFrom: `${monthsAgo(k + 1)}-01`, validTo: `${month}-09`, leaseId: l.id, regionId, providerId: p1 },
      { validFrom: `${month}-10`, validTo: null, leaseId: l.id, regionId, providerId: p2 },
    ]);
    // 64 addresses: 9 days with p1 (19.20 address-months), 21 days with p2 (44.80); the rest is unallocated.
    const byProvider = rowsFor(await report(month, 'provider'), 'SEK');
    expect(byProvider).toEqual([
      expect.objectContaining({ key: p1, addresses: '19.20', cost: '19.20' }),
      expect.objectContaining({ key: p2, addresses: '44.80', cost: '44.80' }),
      expect.objectContaining({ key: 'unallocated', addresses: '192.00', cost: '192.00' }),
    ]);
    // The month before the move is all p1; a move today never changes an earlier month.
    const before = rowsFor(await report(monthsAgo(k + 1), 'provider'), 'SEK');
    expect(before[0]).toMatchObject({ key: p1, addresses: '64.00' });
    await t.http.patch(`/api/v1/allocations/${a.id}`).set(bearer()).send({ providerId: p1 }).expect(200);
    expect(rowsFor(await report(month, 'provider'), 'SEK')).toEqual(byProvider);
  });

  it('a lease ending mid-month with an allocation still active: the allocation counts only while leased, and is stranded', async () => {
    let k = 2;
    while (daysIn(monthsAgo(k)) !== 30) k++;
    const month = monthsAgo(k);
    const p = await provider();
    const l = await lease({
      prefix: '185.70.3.0/24',
      startDate: `${monthsAgo(k + 1)}-01`,
      pricePerIpMonthly: '1.0000',
      currency: 'NOK',
    });
    const a = (
      await post('/api/v1/allocations', {
        prefix: '185.70.3.0/25',
        leaseId: l.id,
        regionId,
        providerId: p,
        effectiveDate: `${monthsAgo(k + 1)}-01`,
      }).expect(201)
    ).body;
    // Time passes: the lease's term ended on the 20th (natural expiry, not an edit).
    await t.pool.query(`UPDATE leases SET end_date = $2 WHERE id = $1`, [l.id, `${month}-20`]);
    // 256 × 20 ÷ 30 = 170.67 leased; 128 × 20 ÷ 30 = 85.33 allocated; idle 170.67 − 85.33.
    expect(rowsFor(await report(month, 'lessor'), 'NOK')).toEqual([
      expect.objectContaining({ addresses: '170.67', cost: '170.67', allocatedCost: '85.33', idleCost: '85.34' }),
    ]);
    const read = (await t.http.get(`/api/v1/allocations/${a.id}`).set(bearer()).expect(200)).body;
    expect(read.leaseActive).toBe(false);
    expect((await t.http.get(`/api/v1/leases/${l.id}`).set(bearer()).expect(200)).body).toMatchObject({
      status: 'expired',
      activeAllocationCount: 1,
    });
    const stranded = (await t.http.get('/api/v1/reports/stranded').set(bearer()).expect(200)).body.rows;
    expect(stranded).toContainEqual(
      expect.objectContaining({
        key: a.id,
        label: '185.70.3.0/25',
        leaseId: l.id,
        leaseStatus: 'expired',
        leaseEndedOn: `${month}-20`,
      }),
    );
  });

  it('refuses term edits that would leave active allocations outside the term today (409 IN_USE)', async () => {
    const p = await provider();
    const l = await lease({
      prefix: '185.70.4.0/24',
      startDate: `${monthsAgo(3)}-01`,
      endDate: '2099-12-31',
      pricePerIpMonthly: '1.0000',
      currency: 'USD',
    });
    const a = (
      await post('/api/v1/allocations', { prefix: '185.70.4.0/26', leaseId: l.id, regionId, providerId: p }).expect(201)
    ).body;
    const endEarly = await t.http
      .patch(`/api/v1/leases/${l.id}`)
      .set(bearer())
      .send({ endDate: `${monthsAgo(1)}-01` })
      .expect(409);
    expect(endEarly.body).toMatchObject({
      code: 'IN_USE',
      conflicts: [{ id: a.id, prefix: '185.70.4.0/26', kind: 'allocation' }],
    });
    const startLater = await t.http
      .patch(`/api/v1/leases/${l.id}`)
      .set(bearer())
      .send({ startDate: '2099-01-01' })
      .expect(409);
    expect(startLater.body.code).toBe('IN_USE');
    const after = (await t.http.get(`/api/v1/leases/${l.id}`).set(bearer()).expect(200)).body;
    expect(after).toMatchObject({ status: 'active', version: l.version });
    // An edit that keeps today covered is fine.
    await t.http.patch(`/api/v1/leases/${l.id}`).set(bearer()).send({ endDate: '2098-12-31' }).expect(200);
  });

  it("renewal wedge: a new lease for a prefix still holding an ended lease's allocation — /free, dry run, claims and lookup agree", async () => {
    const p = await provider();
    const old = await lease({
      prefix: '185.70.5.0/24',
      startDate: `${monthsAgo(6)}-01`,
      endDate: '2099-12-31',
      pricePerIpMonthly: '1.0000',
      currency: 'USD',
    });
    const held = (
      await post('/api/v1/allocations', {
        prefix: '185.70.5.0/26',
        leaseId: old.id,
        regionId,
        providerId: p,
        effectiveDate: `${monthsAgo(6)}-01`,
      }).expect(201)
    ).body;
    // The old term ended (time passed), the allocation is still in use.
    await t.pool.query(`UPDATE leases SET end_date = current_date - 10 WHERE id = $1`, [old.id]);
    const renewal = (
      await post('/api/v1/leases', {
        prefix: '185.70.5.0/24',
        lessorId: old.lessorId,
        startDate: new Date(Date.now() - 9 * 86_400_000).toISOString().slice(0, 10),
        pricePerIpMonthly: '1.0000',
        currency: 'USD',
      }).expect(201)
    ).body;
    const free = (await t.http.get(`/api/v1/leases/${renewal.id}/free`).set(bearer()).expect(200)).body;
    expect(free.freeAddresses).toBe(192);
    expect(free.items.map((b: { prefix: string }) => b.prefix)).toEqual(['185.70.5.64/26', '185.70.5.128/25']);
    const dry = await post('/api/v1/allocations?dryRun=true', {
      prefixLength: 26,
      leaseId: renewal.id,
      regionId,
      providerId: p,
    }).expect(200);
    expect(dry.body.prefix).toBe('185.70.5.64/26');
    const claim = await post('/api/v1/allocations', {
      prefix: '185.70.5.0/27',
      leaseId: renewal.id,
      regionId,
      providerId: p,
    }).expect(409);
    expect(claim.body).toMatchObject({ code: 'PREFIX_OVERLAP', conflicts: [{ id: held.id, prefix: '185.70.5.0/26' }] });
    const real = await post('/api/v1/allocations', {
      prefixLength: 26,
      leaseId: renewal.id,
      regionId,
      providerId: p,
    }).expect(201);
    expect(real.body.prefix).toBe('185.70.5.64/26');
    const lookup = (await t.http.get('/api/v1/lookup').query({ ip: '185.70.5.9' }).set(bearer()).expect(200)).body;
    expect(lookup.allocation).toMatchObject({ id: held.id, prefix: '185.70.5.0/26' });

    // Carry the allocation over to the successor: same id, same prefix, history kept.
    const moved = await post(`/api/v1/allocations/${held.id}/move`, { leaseId: renewal.id }).expect(200);
    expect(moved.body).toMatchObject({ id: held.id, prefix: '185.70.5.0/26', leaseId: renewal.id, leaseActive: true });
    const history = (await t.http.get(`/api/v1/allocations/${held.id}/history`).set(bearer()).expect(200)).body.items;
    expect(history.map((h: { leaseId: string }) => h.leaseId)).toEqual([old.id, renewal.id]);
    await t.http.delete(`/api/v1/allocations/${held.id}`).set(bearer()).expect(204);
    const freed = (await t.http.get(`/api/v1/leases/${renewal.id}/free`).set(bearer()).expect(200)).body;
    expect(freed.items.map((b: { prefix: string }) => b.prefix)).toEqual(['185.70.5.0/26', '185.70.5.128/25']);
  });

  it('renews the same lease: new term from the day after, new price as an amendment; finance only', async () => {
    const l = await lease({
      prefix: '185.70.6.0/24',
      startDate: `${monthsAgo(3)}-01`,
      endDate: '2099-06-30',
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
    });
    await post(`/api/v1/leases/${l.id}/renew`, { endDate: '2100-06-30' }, engineer).expect(403);
    const renewed = await post(
      `/api/v1/leases/${l.id}/renew`,
      { endDate: '2100-06-30', pricePerIpMonthly: '0.6000' },
      finance,
    ).expect(200);
    expect(renewed.body).toMatchObject({ id: l.id, endDate: '2100-06-30', pricePerIpMonthly: '0.5000' });
    const amendments = (await t.http.get(`/api/v1/leases/${l.id}/amendments`).set(bearer()).expect(200)).body.items;
    expect(amendments.at(-1)).toMatchObject({ effectiveDate: '2099-07-01', pricePerIpMonthly: '0.6000' });
    await post(`/api/v1/leases/${l.id}/renew`, { endDate: '2100-01-01' }, finance).expect(400);
  });

  it('prices belong to finance: an engineer PATCH of the price is 403, a finance PATCH is an amendment effective today', async () => {
    const l = await lease({
      prefix: '185.70.7.0/24',
      startDate: `${monthsAgo(3)}-01`,
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
    });
    await t.http
      .patch(`/api/v1/leases/${l.id}`)
      .set(bearer(engineer))
      .send({ pricePerIpMonthly: '9.0000' })
      .expect(403);
    await t.http.patch(`/api/v1/leases/${l.id}`).set(bearer(engineer)).send({ notes: 'fine' }).expect(200);
    const patched = await t.http
      .patch(`/api/v1/leases/${l.id}`)
      .set(bearer(finance))
      .send({ pricePerIpMonthly: '0.7500' })
      .expect(200);
    expect(patched.body.pricePerIpMonthly).toBe('0.7500');
    const amendments = (await t.http.get(`/api/v1/leases/${l.id}/amendments`).set(bearer()).expect(200)).body.items;
    expect(amendments.map((a: { effectiveDate: string }) => a.effectiveDate)).toEqual([`${monthsAgo(3)}-01`, today()]);
    await t.http.delete(`/api/v1/leases/${l.id}`).set(bearer(engineer)).expect(403);
  });

  it('termination answers noticeGiven', async () => {
    const l = await lease({
      prefix: '185.70.8.0/24',
      startDate: `${monthsAgo(3)}-01`,
      noticePeriodDays: 30,
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
    });
    const late = await post(`/api/v1/leases/${l.id}/terminate`, { effectiveDate: today() }, finance).expect(200);
    expect(late.body).toMatchObject({ terminatedOn: today(), noticeGiven: false });
    const m = await lease({
      prefix: '185.70.9.0/24',
      startDate: `${monthsAgo(3)}-01`,
      noticePeriodDays: 30,
      pricePerIpMonthly: '0.5000',
      currency: 'USD',
    });
    const early = await post(`/api/v1/leases/${m.id}/terminate`, { effectiveDate: '2099-01-31' }, finance).expect(200);
    expect(early.body.noticeGiven).toBe(true);
  });
});
