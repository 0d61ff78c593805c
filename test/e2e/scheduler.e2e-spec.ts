import { SchedulerService } from '../../src/scheduler/scheduler.service';
import { createLease, seedWorld, World } from '../support/fixtures';
import { bearer, createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';
import { feedCaughtUp } from '../support/webhook-receiver';

/**
 * Time-driven events, driven by leases dated relative to the database's real current_date (no
 * test clock). Three instances on one database tick at once, restart, and tick again: every
 * (entity, kind, term, threshold) fires exactly once.
 */
describe('scheduler: time-driven events', () => {
  let url: string;
  let instances: TestApp[] = [];
  let world: World;
  let today: Date;
  const leases: Record<string, string> = {};
  let allocationId: string;

  const day = (offset: number) => {
    const d = new Date(today);
    d.setUTCDate(d.getUTCDate() + offset);
    return d.toISOString().slice(0, 10);
  };
  const start = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        startTestApp({ schedulerIntervalSeconds: 3600, noticeAlertDays: [90, 30, 7] }, url),
      ),
    );
  const tickAll = () => Promise.all(instances.map((i) => i.app.get(SchedulerService).tick()));
  const fired = async () =>
    (
      await instances[0].pool.query<{
        entity_id: string;
        type: string;
        threshold: number | null;
        days_left: number | null;
      }>(
        `SELECT entity_id, type, (data->>'threshold')::int AS threshold, (data->>'daysLeft')::int AS days_left
           FROM events WHERE type IN ('lease.notice_deadline_approaching', 'lease.term_ending', 'lease.renewed',
                                      'lease.expired', 'allocation.stranded')
          ORDER BY entity_id, type, threshold DESC`,
      )
    ).rows;

  beforeAll(async () => {
    url = await createTestDatabase();
    instances = await start(1);
    const t = instances[0];
    today = new Date(`${(await t.pool.query(`SELECT current_date::text AS d`)).rows[0].d}T00:00:00Z`);
    world = await seedWorld(t);
    // Notice deadline (term end − 30 days) in 20 days: thresholds 90 and 30 are reached, 7 is not.
    leases.in20 = await createLease(t, world, '185.30.0.0/24', {
      startDate: day(-100),
      endDate: day(50),
      noticePeriodDays: 30,
    });
    // Deadline in 5 days: all three thresholds, each once.
    leases.in5 = await createLease(t, world, '185.30.1.0/24', {
      startDate: day(-100),
      endDate: day(35),
      noticePeriodDays: 30,
    });
    // Term ends in 3 days without renewal: term_ending (and, with no notice period, the notices).
    leases.ending = await createLease(t, world, '185.30.2.0/24', {
      startDate: day(-100),
      endDate: day(3),
      noticePeriodDays: 0,
    });
    // Auto-renewing, first term ended 35 days ago, recorded long before: renewed into its second term.
    leases.renewed = await createLease(t, world, '185.30.3.0/24', {
      startDate: day(-400),
      endDate: day(-35),
      autoRenew: true,
      renewalTermMonths: 12,
      noticePeriodDays: 30,
    });
    await t.pool.query(`UPDATE leases SET created_at = now() - interval '400 days' WHERE id = $1`, [leases.renewed]);
    // Active, with an allocation; then its end date is amended to yesterday: expired, allocation stranded.
    leases.expired = await createLease(t, world, '185.30.4.0/24', {
      startDate: day(-100),
      endDate: day(200),
      noticePeriodDays: 30,
    });
    allocationId = (
      await t.http
        .post('/api/v1/allocations')
        .set(bearer())
        .send({ prefixLength: 28, leaseId: leases.expired, regionId: world.regionId, providerId: world.providerId })
        .expect(201)
    ).body.id;
    // The API refuses to end a lease under live allocations; time does not ask. Move the end behind its back.
    await t.pool.query(`UPDATE leases SET end_date = $2 WHERE id = $1`, [leases.expired, day(-1)]);
    // Recorded long after it ended (an import of history): no lease.expired.
    leases.history = await createLease(t, world, '185.30.5.0/24', { startDate: day(-800), endDate: day(-500) });
    instances.push(...(await start(2)));
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await dropTestDatabase(url);
  });

  const expected = () => [
    ...[90, 30].map((threshold) => ({
      entity_id: leases.in20,
      type: 'lease.notice_deadline_approaching',
      threshold,
      days_left: 20,
    })),
    ...[90, 30, 7].map((threshold) => ({
      entity_id: leases.in5,
      type: 'lease.notice_deadline_approaching',
      threshold,
      days_left: 5,
    })),
    ...[90, 30, 7].map((threshold) => ({
      entity_id: leases.ending,
      type: 'lease.notice_deadline_approaching',
      threshold,
      days_left: 3,
    })),
    { entity_id: leases.ending, type: 'lease.term_ending', threshold: null, days_left: null },
    { entity_id: leases.renewed, type: 'lease.renewed', threshold: null, days_left: null },
    { entity_id: leases.expired, type: 'lease.expired', threshold: null, days_left: null },
    { entity_id: allocationId, type: 'allocation.stranded', threshold: null, days_left: null },
  ];
  const sorted = <T extends { entity_id: string; type: string; threshold: number | null }>(rows: T[]) =>
    [...rows].sort((a, b) =>
      `${a.entity_id}${a.type}${String(a.threshold).padStart(4)}`.localeCompare(
        `${b.entity_id}${b.type}${String(b.threshold).padStart(4)}`,
      ),
    );

  it('three instances ticking at once fire each lease, term and threshold exactly once', async () => {
    await Promise.all([tickAll(), tickAll()]);
    await tickAll();
    expect(sorted(await fired())).toEqual(sorted(expected()));
  });

  it('fires nothing again after all instances restart', async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = await start(3);
    await tickAll();
    await tickAll();
    expect(sorted(await fired())).toEqual(sorted(expected()));
  });

  it('publishes the lease as the API shows it, with threshold and daysLeft, and terms from the SQL functions', async () => {
    const t = instances[0];
    await feedCaughtUp(t.pool);
    const feed = (
      await t.http
        .get('/api/v1/events')
        .query({ entityId: leases.in5, type: 'lease.*', limit: 100 })
        .set(bearer())
        .expect(200)
    ).body.items;
    const notices = feed.filter((e: { type: string }) => e.type === 'lease.notice_deadline_approaching');
    const lease = (await t.http.get(`/api/v1/leases/${leases.in5}`).set(bearer()).expect(200)).body;
    expect(notices.map((e: { data: { threshold: number } }) => e.data.threshold)).toEqual([90, 30, 7]);
    for (const e of notices) {
      expect(e).toMatchObject({ entityType: 'lease', actor: null, requestId: null, previous: null });
      expect(e.data).toEqual({ ...lease, threshold: e.data.threshold, daysLeft: 5 });
    }
    const renewed = (
      await t.http
        .get('/api/v1/events')
        .query({ entityId: leases.renewed, type: 'lease.renewed' })
        .set(bearer())
        .expect(200)
    ).body.items[0];
    const renewedLease = (await t.http.get(`/api/v1/leases/${leases.renewed}`).set(bearer()).expect(200)).body;
    expect(renewed.data.currentTermEnd).toBe(renewedLease.currentTermEnd);
    expect(renewedLease.currentTermEnd > day(300)).toBe(true);
    const stranded = (
      await t.http.get('/api/v1/events').query({ entityId: allocationId }).set(bearer()).expect(200)
    ).body.items.find((e: { type: string }) => e.type === 'allocation.stranded');
    expect(stranded.data).toMatchObject({ id: allocationId, leaseId: leases.expired, status: 'active' });
  });

  it('fires again for a new term: an amended end date is a new deadline', async () => {
    const t = instances[0];
    const lease = (await t.http.get(`/api/v1/leases/${leases.in20}`).set(bearer()).expect(200)).body;
    await t.http
      .patch(`/api/v1/leases/${leases.in20}`)
      .set(bearer())
      .set('If-Match', `"${lease.version}"`)
      .send({ endDate: day(36) })
      .expect(200);
    await tickAll();
    const notices = (await fired()).filter((r) => r.entity_id === leases.in20);
    expect(notices.map((r) => [r.threshold, r.days_left]).sort()).toEqual(
      [
        [90, 20],
        [30, 20],
        [90, 6],
        [30, 6],
        [7, 6],
      ].sort(),
    );
  });
});
