import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, startTestApp, TestApp } from '../support/test-app';

/** Contract "Archiving": DELETE of a lessor, provider or region that only history refers to. */
describe('archiving lessors, providers and regions', () => {
  let t: TestApp;
  const today = () => new Date().toISOString().slice(0, 10);
  const stored = async (table: string, id: string) =>
    (await t.pool.query(`SELECT * FROM ${table} WHERE id = $1`, [id])).rows[0] as
      { archived_at: Date | null; version: number } | undefined;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function allocationIn(w: World, prefix: string): Promise<{ leaseId: string; allocationId: string }> {
    const leaseId = await createLease(t, w, prefix);
    const res = await t.http
      .post('/api/v1/allocations')
      .set(bearer())
      .send({ leaseId, prefixLength: 28, regionId: w.regionId, providerId: w.providerId })
      .expect(201);
    return { leaseId, allocationId: res.body.id };
  }

  it.each([
    ['regions', 'regionId', (w: World) => w.regionId],
    ['providers', 'providerId', (w: World) => w.providerId],
  ] as const)(
    '%s: 409 while an active allocation uses it, archived once it is released',
    async (table, field, pick) => {
      const w = await seedWorld(t);
      const id = pick(w);
      const { leaseId, allocationId } = await allocationIn(w, table === 'regions' ? '185.40.1.0/24' : '185.40.2.0/24');

      const refused = await t.http.delete(`/api/v1/${table}/${id}`).set(bearer()).expect(409);
      expect(refused.body).toMatchObject({ code: 'IN_USE', conflicts: [{ id: allocationId, kind: 'allocation' }] });
      expect(await stored(table, id)).toMatchObject({ archived_at: null, version: 1 });

      await t.http.delete(`/api/v1/allocations/${allocationId}`).set(bearer()).expect(204);
      const current = await t.http.get(`/api/v1/${table}/${id}`).set(bearer()).expect(200);
      await t.http.delete(`/api/v1/${table}/${id}`).set(bearer()).set('If-Match', current.headers.etag).expect(204);

      // Kept in place for history, but gone from the API.
      expect((await stored(table, id))?.archived_at).toBeInstanceOf(Date);
      expect((await t.http.get(`/api/v1/${table}/${id}`).set(bearer()).expect(404)).body.code).toBe('NOT_FOUND');
      const list = await t.http.get(`/api/v1/${table}?limit=500`).set(bearer()).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(id);
      await t.http.delete(`/api/v1/${table}/${id}`).set(bearer()).expect(404);

      // Refused as a reference in new writes, naming the field; nothing written.
      const before = Number((await t.pool.query('SELECT count(*) FROM allocations')).rows[0].count);
      for (const query of ['', '?dryRun=true']) {
        const res = await t.http
          .post(`/api/v1/allocations${query}`)
          .set(bearer())
          .send({ leaseId, prefixLength: 28, regionId: w.regionId, providerId: w.providerId })
          .expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field }] });
      }
      expect(Number((await t.pool.query('SELECT count(*) FROM allocations')).rows[0].count)).toBe(before);

      // A PATCH moving a live allocation onto the archived one is refused too.
      const other = await seedWorld(t);
      const live = await allocationIn(other, table === 'regions' ? '185.40.3.0/24' : '185.40.4.0/24');
      const moved = await t.http
        .patch(`/api/v1/allocations/${live.allocationId}`)
        .set(bearer())
        .send({ [field]: id })
        .expect(400);
      expect(moved.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field }] });

      // Its unique code is free for reuse.
      const code = current.body.code as string;
      const reuse = await t.http
        .post(`/api/v1/${table}`)
        .set(bearer())
        .send(table === 'regions' ? { code, name: 'Successor', countryCode: 'DE' } : { code, name: 'Successor' })
        .expect(201);
      expect(reuse.body.id).not.toBe(id);
      const byCode = await t.http
        .get(`/api/v1/${table}?code=${encodeURIComponent(code)}`)
        .set(bearer())
        .expect(200);
      expect(byCode.body.items.map((x: { id: string }) => x.id)).toEqual([reuse.body.id]);

      // The audit trail keeps the last label.
      const audit = await t.pool.query(
        `SELECT before FROM audit_events WHERE entity_id = $1 AND action = 'delete' ORDER BY at DESC LIMIT 1`,
        [id],
      );
      expect(audit.rows[0].before).toMatchObject({ id, code });
    },
  );

  it('deletes outright what nothing ever referred to', async () => {
    const w = await seedWorld(t);
    for (const [table, id] of [
      ['regions', w.regionId],
      ['providers', w.providerId],
      ['lessors', w.lessorId],
    ]) {
      await t.http.delete(`/api/v1/${table}/${id}`).set(bearer()).expect(204);
      expect(await stored(table, id)).toBeUndefined();
    }
  });

  it('lessor: 409 while a lease runs, archived once it is terminated; reports keep its name', async () => {
    const w = await seedWorld(t);
    const lessor = (await t.http.get(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(200)).body;
    const { leaseId, allocationId } = await allocationIn(w, '185.40.5.0/24');

    const refused = await t.http.delete(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(409);
    expect(refused.body).toMatchObject({ code: 'IN_USE', conflicts: [{ id: leaseId, kind: 'lease' }] });

    await t.http.delete(`/api/v1/allocations/${allocationId}`).set(bearer()).expect(204);
    // Terminated effective today: its last day of service has come, nothing current is left.
    await t.http.post(`/api/v1/leases/${leaseId}/terminate`).set(bearer()).send({ effectiveDate: today() }).expect(200);
    await t.http.delete(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(204);
    expect((await stored('lessors', w.lessorId))?.archived_at).toBeInstanceOf(Date);
    await t.http.get(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(404);

    // The lease still reads, and the report still names the lessor.
    await t.http.get(`/api/v1/leases/${leaseId}`).set(bearer()).expect(200);
    const report = await t.http
      .get(`/api/v1/reports/monthly-cost?month=${today().slice(0, 7)}&groupBy=lessor`)
      .set(bearer())
      .expect(200);
    expect(report.body.rows).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: w.lessorId, label: lessor.name })]),
    );

    // New leases may not name it; its name is free again (case-insensitively).
    const lease = await t.http
      .post('/api/v1/leases')
      .set(bearer())
      .send({
        prefix: '185.40.6.0/24',
        lessorId: w.lessorId,
        startDate: '2025-01-01',
        pricePerIpMonthly: '0.5000',
        currency: 'USD',
      })
      .expect(400);
    expect(lease.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'lessorId' }] });
    await t.http
      .post('/api/v1/lessors')
      .set(bearer())
      .send({ name: (lessor.name as string).toUpperCase(), rir: 'RIPE' })
      .expect(201);
  });

  it('lessor: an ended lease is history; a pending one is current', async () => {
    const w = await seedWorld(t);
    const pending = await createLease(t, w, '185.40.7.0/24', { startDate: '2999-01-01' });
    const res = await t.http.delete(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(409);
    expect(res.body.conflicts).toEqual([expect.objectContaining({ id: pending, kind: 'lease' })]);
    await t.http.delete(`/api/v1/leases/${pending}`).set(bearer()).expect(204);

    const ended = await createLease(t, w, '185.40.8.0/24', { startDate: '2024-01-01', endDate: '2024-12-31' });
    await t.http.delete(`/api/v1/lessors/${w.lessorId}`).set(bearer()).expect(204);
    expect((await stored('lessors', w.lessorId))?.archived_at).toBeInstanceOf(Date);
    await t.http.get(`/api/v1/leases/${ended}`).set(bearer()).expect(200);
  });
});
